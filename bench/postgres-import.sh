#!/usr/bin/env bash
# `hookscope import --db postgres://…` while a listener writes to the same database: a HAR of COUNT
# webhooks (the 2 KB body, another tool's entries) is imported while the listener gets RATE unique
# webhooks/s (bench/unique-sender.py, 8 connections). Prints the import's time and the listener's
# answer times before and during it (the import's last step holds the lock the listener's commits
# take), then checks: COUNT imported, every acknowledged capture stored once, ids distinct.
# Usage: HOOKSCOPE_BENCH_POSTGRES_URL=postgres://USER[:PASSWORD]@127.0.0.1:PORT/DB bench/postgres-import.sh [count] [rate]
# HOOKSCOPE_BIN picks the binary (default: a release build in .build-release).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
count=${1:-20000}
rate=${2:-200}
base=${HOOKSCOPE_BENCH_POSTGRES_URL:?set HOOKSCOPE_BENCH_POSTGRES_URL to a PostgreSQL database the benchmark may write}
release_binary
bench_work
bench/make-webhook-body.py "$work/body.json"
python3 - "$work/body.json" "$count" "$work/import.har" <<'PY'
import json, sys
body, count, out = open(sys.argv[1]).read(), int(sys.argv[2]), sys.argv[3]
entries = [{"startedDateTime": "2026-12-07T10:00:00.000Z", "request": {"method": "POST", "url": "http://h/imported/%d" % n,
            "httpVersion": "HTTP/1.1", "headers": [{"name": "Content-Type", "value": "application/json"}],
            "postData": {"mimeType": "application/json", "text": body}}} for n in range(count)]
json.dump({"log": {"version": "1.2", "creator": {"name": "bench", "version": "1"}, "entries": entries}}, open(out, "w"))
PY
schema="bench_import_$(date +%s)_$$"
sep='?'; [[ "$base" == *\?* ]] && sep='&'
pgurl="$base${sep}schema=$schema"
echo "binary $bin; import of $count webhooks ($(du -h "$work/import.har" | cut -f1) HAR) while a listener gets $rate/s; load $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin" listen --headless --port 0 --db "$pgurl" > "$work/out" 2> "$work/err" &
pid=$!
url=$(listening_url "$work/out")
bench/unique-sender.py --port "${url##*:}" --prefix l --duration 1000000 --rate "$rate" --connections 8 \
  --body "$work/body.json" --log "$work/log" > "$work/rate" &
sender=$!
sleep 3
started=$(date +%s.%N)
"$bin" import "$work/import.har" --db "$pgurl"
ended=$(date +%s.%N)
sleep 2
kill "$sender"; wait "$sender" 2>/dev/null || true
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
python3 - "$work/log" "$started" "$ended" <<'PY'
import sys
log, started, ended = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
rows = [line.split() for line in open(log)]
def summary(name, rows):
    ms = sorted(float(r[3]) for r in rows)
    if not ms:
        return
    print("listener answers %-16s %5d, p50 %.1f ms, p99 %.1f ms, max %.1f ms, non-2xx %d" % (
        name, len(ms), ms[len(ms) // 2], ms[int(len(ms) * 0.99)], ms[-1], sum(1 for r in rows if not r[1].startswith("2"))))
print("import took %.2f s" % (ended - started))
summary("before the import", [r for r in rows if float(r[2]) < started])
summary("during the import", [r for r in rows if started <= float(r[2]) <= ended + 0.5])
PY
status=0
stored=$("$bin" list --db "$pgurl" --filter 'path:/imported/' | wc -l)
echo "check imported captures stored          $stored $([[ $stored -eq $count ]] && echo ok || echo FAILED)"
[[ $stored -eq $count ]] || status=1
"$bin" list --json --db "$pgurl" --filter 'path:/l/' | bench/check-unique-captures.py --body "$work/body.json" --log "l=$work/log" || status=1
if [[ -z "${KEEP_SCHEMA:-}" ]] && command -v psql >/dev/null; then
  psql -q "$base" -c "DROP SCHEMA $schema CASCADE" 2>/dev/null && echo "schema $schema dropped" || echo "schema $schema left in the database"
fi
exit $status
