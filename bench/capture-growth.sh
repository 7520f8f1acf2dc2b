#!/usr/bin/env bash
# How the capture rate changes as the database grows, in one listener process.
#
# Starts `hookscope listen --headless --db FILE` (a new database) pinned to CPU 1, then with wrk
# (-t1 -c50, pinned to CPU 0, the 2 KB webhook of capture-compare.sh):
#   1. two 5 s runs on the new database: requests/s and the server's CPU µs per request,
#   2. GROW seconds of wrk to grow the database (requests/s printed),
#   3. two 5 s runs again, with the number of captures then stored,
#   4. (as root) the page cache dropped, and two 5 s runs again: the rate comes back to that of the
#      new database, so what slows down is growing the page cache, not the database's size.
# Headless lines go to /dev/null.
#
# Usage: bench/capture-growth.sh [GROW seconds, default 40]
# Env: HOOKSCOPE_BIN (default .build-release/release/hookscope)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
grow=${1:-40}
bin=${HOOKSCOPE_BIN:-.build-release/release/hookscope}
for tool in wrk taskset sqlite3 python3; do command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }; done
bench_work
webhook_files
port=$(free_port)
taskset -c 1 "$bin" listen --headless --port "$port" --db "$work/captures.sqlite" > /dev/null 2> "$work/err" &
pid=$!
wait_port "$port"
url="http://127.0.0.1:$port"
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
measure() {
  local c0 c1 out n
  c0=$(cpu)
  out=$(taskset -c 0 wrk -t1 -c50 -d5s -s "$work/post.lua" "$url/stripe/hook")
  c1=$(cpu)
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  awk -v label="$1" -v rps="$(echo "$out" | awk '/Requests\/sec/ {print $2}')" -v dt=$((c1 - c0)) -v n="$n" -v hz="$ticks" \
    'BEGIN {printf "| %s | %s | %.1f |\n", label, rps, dt / hz * 1e6 / n}'
}
taskset -c 0 wrk -t1 -c10 -d1s -s "$work/post.lua" "$url/stripe/hook" > /dev/null
echo "| database | requests/s | CPU µs per request |"
echo "| --- | ---: | ---: |"
measure "new"
measure "new"
rate=$(taskset -c 0 wrk -t1 -c50 -d"${grow}s" -s "$work/post.lua" "$url/stripe/hook" | awk '/Requests\/sec/ {print $2}')
stored=$(sqlite3 "$work/captures.sqlite" 'select count(*) from request')
echo "| growing for ${grow} s | $rate | |"
measure "$stored captures"
measure "$stored captures"
if [[ -w /proc/sys/vm/drop_caches ]]; then
  drop_page_cache > /dev/null
  stored=$(sqlite3 "$work/captures.sqlite" 'select count(*) from request')
  measure "$stored captures, page cache dropped"
  measure "$stored captures, page cache dropped"
fi
echo "database file: $(du -h "$work/captures.sqlite" | cut -f1)"
