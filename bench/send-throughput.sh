#!/usr/bin/env bash
# `hookscope send` throughput: N deliveries of the 2 KB webhook, signed as Stripe (each with its own
# timestamp and signature), K in flight, into a `--memory` listener; then wrk posting the same body
# over the same number of connections, in the same run. The listener is pinned to CPU 1, the
# senders to CPU 0. Prints deliveries/s for send and requests/s for wrk, per run.
# Usage: bench/send-throughput.sh [count] [concurrency] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
count=${1:-20000}
concurrency=${2:-50}
runs=${3:-3}
command -v wrk >/dev/null || { echo "needs wrk: apt-get install -y wrk" >&2; exit 1; }
swift build -c release --scratch-path .build-release --product hookscope >/dev/null
bin=.build-release/release/hookscope
bench_work
webhook_files
taskset -c 1 "$bin" listen --headless --port 0 --memory > "$work/out" 2>&1 &
pid=$!
url=$(listening_url "$work/out")
echo "body: $(wc -c < "$work/body.json") bytes; url $url; $count deliveries, $concurrency in flight, $runs runs"
for run in $(seq "$runs"); do
  taskset -c 0 "$bin" send --body "$work/body.json" --provider stripe --secret stripe=whsec_bench \
    --to "$url/stripe" --count "$count" --concurrency "$concurrency" --json > "$work/send.jsonl" 2> "$work/send.err"
  sent=$(grep -c '"status":200' "$work/send.jsonl" || true)
  rate=$(awk '/^sent/ {gsub(/[(\/s)]/, "", $NF); print $NF}' "$work/send.err")
  p50=$(awk -F'p50 |, p99 ' '/^latency/ {print $2}' "$work/send.err")
  echo "run $run: send $rate deliveries/s ($sent answered 200), p50 $p50"
  taskset -c 0 wrk -t1 -c"$concurrency" -d10s --latency -s "$work/post.lua" "$url/stripe" \
    | awk -v run="$run" '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} END {printf "run %s: wrk  %s requests/s, p50 %s\n", run, rps, p50}'
done
