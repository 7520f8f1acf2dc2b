#!/usr/bin/env bash
# Filters on a store of N captures (default 1,000,000): how long until the first screenful.
# 1. hookscope creates and migrates the store and captures one ~2 KB Stripe-like webhook; the
#    sqlite3 CLI copies it N-1 times in one transaction, varying the columns the filters look at:
#    every 10th is a PUT, every 20th `invalid`, every 3rd from `github`, every 50th answered 404
#    and every 97th 500; every 100,000th body ends with the word "zebracorn". Each copy is a
#    delivery of its own, already numbered (otherwise the listener's DeliveryCatchUp would number
#    them first, renumbering all the attempts of the one delivery they share at every step).
# 2. A headless listener on the store fills the text index in the background (it starts when no
#    capture arrives): the time until its watermark reaches the last capture is the indexing rate.
# 3. Each filter: `hookscope list --filter F | head -50`, wall time (process start, open, first 50
#    lines), the median of 3 runs; then the same for the whole list (`| wc -l`) of a few.
# Usage: bench/filter-1m.sh [N] [hookscope-binary] [DB]   (DB is kept when given, else removed)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
count=${1:-1000000}
bin=${2:-.build-release/release/hookscope}
command -v sqlite3 >/dev/null || { echo "needs sqlite3: apt-get install -y sqlite3" >&2; exit 1; }
[ -x "$bin" ] || { echo "no binary at $bin: swift build -c release --scratch-path .build-release --product hookscope" >&2; exit 1; }
bench_work
db=${3:-$work/captures.sqlite}
rm -f "$db" "$db-wal" "$db-shm"
python3 bench/make-webhook-body.py "$work/body.json"
HOME="$work" "$bin" listen --headless --port 0 --db "$db" > "$work/out" 2>&1 &
pid=$!
url=$(listening_url "$work/out")
curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
  -H 'Stripe-Signature: t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd' \
  --data-binary @"$work/body.json" "$url/stripe/webhook"
kill -INT "$pid"; wait "$pid" 2>/dev/null || true; pid=
cols="target, http_version, remote, body_size, chunked, refusal, sig_detail, headers, response_headers, response_body"
start=$(date +%s.%N)
sqlite3 "$db" >/dev/null <<SQL
PRAGMA journal_mode=WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < $count)
INSERT INTO request (received_at, method, response_status, sig_provider, sig_status, body, event, delivery_id, attempt, $cols)
SELECT r.received_at + n.i * 1000000,
  CASE WHEN n.i % 10 = 0 THEN 'PUT' ELSE 'POST' END,
  CASE WHEN n.i % 50 = 0 THEN 404 WHEN n.i % 97 = 0 THEN 500 ELSE 200 END,
  CASE WHEN n.i % 3 = 0 THEN 'github' ELSE 'stripe' END,
  CASE WHEN n.i % 20 = 0 THEN 'invalid' ELSE 'valid' END,
  CASE WHEN n.i % 100000 = 0 THEN r.body || CAST(' zebracorn' AS BLOB) ELSE r.body END,
  r.event, 'evt_' || n.i, 1,
  $cols FROM n, (SELECT * FROM request WHERE id = 1) AS r ORDER BY n.i;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
echo "filled $count captures in $(echo "$(date +%s.%N) - $start" | bc) s: $(du -h "$db" | cut -f1)"

# The text index, built by a listener left idle on the store.
start=$(date +%s.%N)
HOME="$work" "$bin" listen --headless --port 0 --db "$db" > "$work/out" 2>&1 &
pid=$!
while [ "$(sqlite3 "$db" 'SELECT indexed_through FROM request_text_state' 2>/dev/null || echo 0)" -lt "$count" ]; do sleep 1; done
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
kill -INT "$pid"; wait "$pid" 2>/dev/null || true; pid=
echo "text index: $count captures in $elapsed s ($(echo "$count / $elapsed" | bc) captures/s); file now $(du -h "$db" | cut -f1)"

first_screen() {
  local runs=()
  for _ in 1 2 3; do
    local s e
    s=$(date +%s%N)
    HOME="$work" "$bin" list --db "$db" --filter "$1" | head -50 > "$work/lines" || true
    e=$(date +%s%N)
    runs+=($(( (e - s) / 1000000 )))
  done
  printf "%-28s first 50 lines: %5s ms (runs %s), lines %s\n" "$1" "$(printf '%s\n' "${runs[@]}" | median)" "${runs[*]}" "$(wc -l < "$work/lines")"
}
whole_list() {
  local s e n
  s=$(date +%s%N)
  n=$(HOME="$work" "$bin" list --db "$db" --filter "$1" | wc -l)
  e=$(date +%s%N)
  printf "%-28s all %7s matches: %6s ms\n" "$1" "$n" "$(( (e - s) / 1000000 ))"
}
echo "start and open alone (list --last 1): $( s=$(date +%s%N); HOME="$work" "$bin" list --db "$db" --last 1 >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000000 )) ) ms"
for f in 'method:PUT' 'sig:invalid' 'status:404' 'status:5xx' 'status:2xx' 'id:500000-' 'sig:github' \
         'method:PUT sig:invalid' 'sig:github -status:2xx' 'zebracorn' 'ZebraCorn method:POST' 'payment_intent' \
         'header:x-none'; do
  first_screen "$f"
done
for f in 'sig:invalid' 'status:5xx' 'zebracorn' 'header:x-none'; do
  whole_list "$f"
done
