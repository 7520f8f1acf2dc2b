#!/usr/bin/env bash
# Capture throughput: wrk posting a 2 KB JSON webhook over keep-alive connections to hookscope
# (headless, file store, durable commits). Several runs; prints requests/s and latency per run.
# Usage: [PREPARE_SQL=...] [DISTINCT_IDS=1] bench/capture-throughput.sh [connections] [seconds] [runs]
# DISTINCT_IDS=1: each request carries its own event id (a counter in place of the body's `evt_…`,
# same length), as real deliveries do; otherwise every capture is another attempt of one delivery,
# and numbering it counts all the earlier ones (request_delivery), a cost that grows with the store.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
connections=${1:-50}
seconds=${2:-10}
runs=${3:-3}
command -v wrk >/dev/null || { echo "needs wrk: apt-get install -y wrk" >&2; exit 1; }
swift build -c release --scratch-path .build-release --product hookscope >/dev/null
bin=.build-release/release/hookscope
bench_work
webhook_files
distinct_ids
if [[ -n "${PREPARE_SQL:-}" ]]; then
  # The store created and migrated by hookscope, then changed by this SQL before the runs (to
  # measure without an index: PREPARE_SQL='DROP INDEX request_method; ...').
  "$bin" listen --headless --port 0 --db "$work/captures.sqlite" > "$work/out" 2>&1 &
  pid=$!
  listening_url "$work/out" > /dev/null
  kill -INT "$pid"; wait "$pid" 2>/dev/null || true; pid=
  sqlite3 "$work/captures.sqlite" "$PREPARE_SQL"
  echo "store prepared with: $PREPARE_SQL"
fi
taskset -c 1 "$bin" listen --headless --port 0 --db "$work/captures.sqlite" > "$work/out" 2>&1 &
pid=$!
url=$(listening_url "$work/out")
echo "body: $(wc -c < "$work/body.json") bytes; url $url; wrk -c$connections -d${seconds}s, $runs runs"
for run in $(seq "$runs"); do
  taskset -c 0 wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$work/post.lua" "$url/stripe" \
    | awk -v run="$run" '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {printf "run %s: %s req/s, p50 %s, p99 %s\n", run, rps, p50, p99}'
done
echo "captures stored: $(sqlite3 "$work/captures.sqlite" 'select count(*) from request')"
