#!/usr/bin/env bash
# Fills a hookscope capture database with N copies of one real capture, fast.
# hookscope creates and migrates the database and captures one ~2 KB Stripe-like webhook (headless);
# then the sqlite3 CLI copies that row N-1 times in one transaction (recursive CTE), each copy 1 ms
# later than the previous one. Ids are contiguous 1...N.
# Usage: bench/tui-fill-store.sh DB N [hookscope-binary]
set -euo pipefail
cd "$(dirname "$0")/.."
db=${1:?usage: bench/tui-fill-store.sh DB N [binary]}
count=${2:?usage: bench/tui-fill-store.sh DB N [binary]}
bin=${3:-.build-release/release/hookscope}
command -v sqlite3 >/dev/null || { echo "needs sqlite3: apt-get install -y sqlite3" >&2; exit 1; }
[ -x "$bin" ] || { echo "no binary at $bin: swift build -c release --scratch-path .build-release --product hookscope" >&2; exit 1; }
rm -f "$db" "$db-wal" "$db-shm"
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
python3 bench/make-webhook-body.py "$work/body.json"
HOME="$work" "$bin" listen --headless --port 0 --db "$db" > "$work/out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/out" 2>/dev/null && break; sleep 0.1; done
url=$(head -1 "$work/out" | awk '{print $3}')
curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
  -H 'Stripe-Signature: t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd' \
  --data-binary @"$work/body.json" "$url/stripe/webhook"
kill -INT "$pid"; wait "$pid" 2>/dev/null || true; pid=
[ "$(sqlite3 "$db" 'SELECT count(*) FROM request')" = 1 ] || { echo "the seed capture was not stored" >&2; cat "$work/out" >&2; exit 1; }
cols="method, target, http_version, remote, body_size, chunked, refusal, response_status, sig_provider, sig_status, sig_detail, headers, response_headers, response_body, body"
sqlite3 "$db" >/dev/null <<SQL
PRAGMA journal_mode=WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $count - 1)
INSERT INTO request (received_at, $cols)
SELECT r.received_at + n.i * 1000000, $cols FROM n, (SELECT * FROM request WHERE id = 1) AS r ORDER BY n.i;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
echo "$db: $(sqlite3 "$db" 'SELECT count(*), max(id) FROM request' | tr '|' ' ' | awk '{print $1 " captures, max id " $2}'), $(du -h "$db" | cut -f1)"
