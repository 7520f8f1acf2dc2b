#!/usr/bin/env bash
# How long the listener takes, after a flood of wrongly signed requests, to store the explanation
# of the mismatches it stored without their cause (the diagnosis budget ran out), and the CPU it
# spends doing so.
#
# Starts `hookscope listen --headless --db FILE --secret stripe=<not the signer>`, floods it with
# wrk (the 2 KB Stripe-like webhook, whose signature does not match) for FLOOD seconds, then
# prints every 5 s the captures stored, those whose detail still says "cause not looked for",
# and the listener's CPU seconds (from /proc), until none is left or LIMIT seconds have passed.
#
# Usage: bench/catch-up.sh [FLOOD seconds, default 2] [LIMIT seconds, default 300]
# Env: HOOKSCOPE_BIN (default .build-release/release/hookscope), CONNECTIONS (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
flood=${1:-2}
limit=${2:-300}
bin=${HOOKSCOPE_BIN:-.build-release/release/hookscope}
for tool in wrk sqlite3 python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }
done
[[ -x $bin ]] || { echo "no binary at $bin: swift build -c release --scratch-path .build-release --product hookscope" >&2; exit 1; }
bench_work
webhook_files

"$bin" listen --headless --port 0 --db "$work/c.sqlite" --secret stripe=whsec_not_the_signer > "$work/out" 2>&1 &
pid=$!
url=$(listening_url "$work/out")
ticks=$(getconf CLK_TCK)
cpu() { awk -v hz="$ticks" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$pid/stat"; }

wrk -t1 -c"${CONNECTIONS:-20}" -d"${flood}s" -s "$work/post.lua" "$url/stripe/hook" | grep -E "requests in|Requests/sec"
start=$(date +%s)
cpu0=$(cpu)
echo "| seconds after the flood | captures | without their cause | listener CPU seconds since |"
echo "| ---: | ---: | ---: | ---: |"
while true; do
  now=$(date +%s)
  counts=$(sqlite3 "$work/c.sqlite" "select count(*) || ' | ' || coalesce(sum(sig_detail like '%cause not looked for%'), 0) from request")
  left=${counts##* }
  echo "| $((now - start)) | $counts | $(awk -v a="$(cpu)" -v b="$cpu0" 'BEGIN {printf "%.1f", a - b}') |"
  [[ "$left" == "0" ]] && break
  (( now - start >= limit )) && { echo "still $left without their cause after ${limit} s"; break; }
  sleep 5
done
