#!/usr/bin/env bash
# CPU time and context switches per captured request: a figure that depends much less on what
# else runs on the machine than requests/s does, for choosing between two builds.
#
# Starts `hookscope listen --headless --db FILE` pinned to CPU 1, warms it up, then runs wrk
# (-t1, pinned to CPU 0) at each connection count and prints, from /proc and wrk:
#   requests/s, server CPU microseconds per request (user + system), context switches per request
#   (all threads, voluntary + involuntary), bytes the server wrote per request (`wchar` in
#   /proc/PID/io: sockets and files), and the captures stored.
#
# Usage: bench/cpu-per-request.sh [seconds per run, default 5] [runs, default 1]
# Env: CONNECTIONS="50", HOOKSCOPE_BIN=path (default .build-release/release/hookscope), ARGS="extra listen args",
#      STORE="--memory" to keep captures in memory instead of the default new database file
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
seconds=${1:-5}
runs=${2:-1}
connections=${CONNECTIONS:-50}
bin=${HOOKSCOPE_BIN:-.build-release/release/hookscope}
bench_work

webhook_files

# shellcheck disable=SC2086
store=${STORE:---db $work/captures.sqlite}
# shellcheck disable=SC2086
taskset -c 1 "$bin" listen --headless --port 0 $store ${ARGS:-} > "$work/out" 2>&1 &
pid=$!
url=$(listening_url "$work/out")

ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
written() { awk '/^wchar/ {print $2}' "/proc/$pid/io"; }
switches() { cat /proc/"$pid"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {s += $2} END {print s}'; }

taskset -c 0 wrk -t1 -c10 -d1s -s "$work/post.lua" "$url/stripe/hook" > /dev/null
echo "threads: $(ls /proc/$pid/task | wc -l)"
echo "| connections | requests/s | CPU us/request | context switches/request | bytes written/request |"
echo "| ---: | ---: | ---: | ---: | ---: |"
for c in $connections; do
  for _ in $(seq "$runs"); do
    t0=$(cpu_ticks); s0=$(switches); w0=$(written)
    out=$(taskset -c 0 wrk -t1 -c"$c" -d"${seconds}s" -s "$work/post.lua" "$url/stripe/hook")
    t1=$(cpu_ticks); s1=$(switches); w1=$(written)
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    awk -v c="$c" -v rps="$rps" -v n="$requests" -v dt=$((t1 - t0)) -v ds=$((s1 - s0)) -v hz="$ticks" \
      -v dw=$((w1 - w0)) 'BEGIN {printf "| %s | %s | %.1f | %.2f | %.0f |\n", c, rps, dt / hz * 1e6 / n, ds / n, dw / n}'
  done
done
stored=memory; [[ -f "$work/captures.sqlite" ]] && stored=$(sqlite3 "$work/captures.sqlite" 'select count(*) from request')
echo "captures stored: $stored; $(tail -1 "$work/out" | cut -c1-120)"
