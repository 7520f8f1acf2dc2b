#!/usr/bin/env bash
# How fast `hookscope expect` reacts to a capture another process (a listener) stores, and what an
# expect waiting beside a listener costs it.
#  1. reaction: ROUNDS times, expect waits for one capture (its own path), a POST is sent once its
#     "waiting" line is out; prints the time from sending to expect's exit (median, p90, max).
#  2. cost: wrk floods the listener for SECONDS, alone and with an expect waiting for a capture
#     that never comes (it wakes after every commit and reads the new captures), alternating.
# Usage: bench/expect-latency.sh [rounds] [seconds] [runs]; BIN=path uses that binary instead of a
# release build; DB=postgres://USER[:PASSWORD]@HOST:PORT/DB?schema=NAME measures a PostgreSQL store
# (expect hears it through LISTEN/NOTIFY) instead of an SQLite file.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
rounds=${1:-20}
seconds=${2:-10}
runs=${3:-3}
command -v wrk >/dev/null || { echo "needs wrk: apt-get install -y wrk" >&2; exit 1; }
if [[ -z "${BIN:-}" ]]; then
  swift build -c release --scratch-path .build-release --product hookscope >/dev/null
  BIN=.build-release/release/hookscope
fi
bench_work
webhook_files
db=${DB:-$work/captures.sqlite}
"$BIN" listen --headless --port 0 --db "$db" > "$work/out" 2>&1 &
pid=$!
url=$(listening_url "$work/out")
echo "binary: $BIN; listener $url"

for round in $(seq "$rounds"); do
  "$BIN" expect --db "$db" --filter "path:/round-$round" --timeout 10 > /dev/null 2> "$work/expect-$round.err" &
  expect_pid=$!
  for _ in $(seq 400); do grep -q "waiting for" "$work/expect-$round.err" 2>/dev/null && break; sleep 0.01; done
  start=$(date +%s%N)
  curl -s -o /dev/null -d '{"round":'"$round"'}' "$url/round-$round"
  status=0
  wait "$expect_pid" || status=$?
  if [[ $status -ne 0 ]]; then echo "round $round: expect exited $status: $(cat "$work/expect-$round.err")" >&2; continue; fi
  echo $(( ($(date +%s%N) - start) / 1000000 ))
done > "$work/reaction"
sort -n "$work/reaction" | awk '{a[NR]=$1} END {printf "reaction (send to exit), %d rounds: median %d ms, p90 %d ms, max %d ms\n", NR, a[int((NR+1)/2)], a[int(NR*0.9+0.5)], a[NR]}'

flood() { taskset -c 0 wrk -t1 -c50 -d"${seconds}s" --latency -s "$work/post.lua" "$url/stripe" | wrk_summary; }
for run in $(seq "$runs"); do
  alone=$(flood)
  "$BIN" expect --db "$db" --filter "path:/never" --timeout 600 > /dev/null 2>&1 &
  expect_pid=$!
  sleep 1
  with=$(flood)
  kill "$expect_pid"; wait "$expect_pid" 2>/dev/null || true
  echo "run $run: alone $(echo "$alone" | awk '{printf "%s req/s p99 %s ms", $1, $3}'); with expect waiting $(echo "$with" | awk '{printf "%s req/s p99 %s ms", $1, $3}')"
done
