#!/usr/bin/env bash
# The headless listener with a reader that does not read while requests arrive: what it answers
# and stores meanwhile, its memory, and, once the reader reads, whether every line arrives, in
# order, and how long the reader takes to catch up.
#
# Starts `hookscope listen --headless --db FILE` (pinned to CPU 1) with stdout a FIFO that the
# script opens but does not read, runs wrk (-c8, pinned to CPU 0) for the given seconds, then reads
# the FIFO until it holds a line per stored capture, and compares the lines with `hookscope list`.
#
# Usage: bench/slow-reader.sh [seconds of load, default 20]
# Env: HOOKSCOPE_BIN=path (default .build-release/release/hookscope), ARGS="extra listen args" (e.g. --json)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
seconds=${1:-20}
bin=${HOOKSCOPE_BIN:-.build-release/release/hookscope}
bench_work

webhook_files
mkfifo "$work/out"
# shellcheck disable=SC2086
taskset -c 1 "$bin" listen --headless --port 0 --db "$work/captures.sqlite" ${ARGS:-} > "$work/out" 2> "$work/err" &
pid=$!
exec 3< "$work/out"
if [[ " ${ARGS:-} " == *" --json "* ]]; then
  # With --json the listening line is on stderr; stdout carries the captures' JSON only.
  url=$(listening_url "$work/err")
else
  read -r first <&3
  url=$(echo "$first" | awk '{print $3}')
fi

rps=$(taskset -c 0 wrk -t1 -c8 -d"${seconds}s" -s "$work/post.lua" "$url/stripe/hook" | awk '/Requests\/sec/ {print $2}')
stored=$(sqlite3 "$work/captures.sqlite" 'select count(*) from request')
rss=$(awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
hwm=$(awk '/^VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
echo "while nobody read: $rps requests/s for ${seconds} s, $stored stored; RSS ${rss} MB (peak ${hwm} MB)"

start=$(date +%s.%N)
cat <&3 > "$work/lines" &
reader=$!
exec 3<&-
while (( $(wc -l < "$work/lines") < stored )); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done
end=$(date +%s.%N)
kill "$pid"; wait "$pid" || true; pid=""
wait "$reader" || true
lines=$(wc -l < "$work/lines")
took=$(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.1f", e - s}')
order=$(awk -v json="${ARGS:-}" '{ if (json ~ /--json/) { match($0, /"id":[0-9]+/); id = substr($0, RSTART + 5, RLENGTH - 5) } else id = substr($1, 2);
  if (id != NR) { print "out of order at line " NR; exit } } END { if (NR) print "ids 1.." NR " in order" }' "$work/lines")
# shellcheck disable=SC2086
"$bin" list --db "$work/captures.sqlite" ${ARGS:-} > "$work/listed"
same=$(cmp -s "$work/lines" "$work/listed" && echo "equal to hookscope list" || echo "DIFFERENT from hookscope list")
echo "the reader then read $lines lines in $took s: $order, $same"
echo "stderr: $(cat "$work/err")"
