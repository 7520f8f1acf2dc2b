#!/usr/bin/env bash
# Memory of the headless listener with a file store: RSS after 100k and after 1M captured 2 KB
# JSON requests (wrk over 50 keep-alive connections), and bytes of RSS growth per request.
# Usage: bench/capture-memory.sh [first count, default 100000] [second count, default 1000000]
# Env: HOOKSCOPE_BIN=path (default: release build in .build-release), CONNECTIONS (default 50).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
first=${1:-100000}
second=${2:-1000000}
connections=${CONNECTIONS:-50}
command -v wrk >/dev/null || { echo "needs wrk: apt-get install -y wrk" >&2; exit 1; }
if [[ -z "${HOOKSCOPE_BIN:-}" ]]; then
  swift build -c release --scratch-path .build-release --product hookscope 2>&1 | grep -E "error|warning: " || true
  HOOKSCOPE_BIN=.build-release/release/hookscope
fi
bench_work
webhook_files

taskset -c 1 "$HOOKSCOPE_BIN" listen --headless --port 0 --db "$work/captures.sqlite" > "$work/out" 2>&1 &
pid=$!
url=$(listening_url "$work/out")
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
hwm() { awk '/VmHWM/ {print $2}' "/proc/$pid/status"; }
count() { sqlite3 "$work/captures.sqlite" 'select count(*) from request'; }

# wrk runs in slices of a few seconds until the store holds at least the wanted count.
fill() {
  while (( $(count) < $1 )); do
    taskset -c 0 wrk -t1 -c"$connections" -d"${SLICE:-5}s" -s "$work/post.lua" "$url/stripe/hook" > /dev/null
  done
}
# Baseline after a short warm-up.
SLICE=1 fill 1000
base=$(rss); base_n=$(count)
echo "baseline after $base_n requests: RSS $base kB"
for target in "$first" "$second"; do
  start=$(date +%s.%N); have=$(count)
  fill "$target"
  n=$(count)
  awk -v n="$n" -v h="$have" -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "  %d requests in %.0f s (%.0f req/s)\n", n - h, e - s, (e > s ? (n - h) / (e - s) : 0)}'
  n=$(count); now=$(rss); peak=$(hwm)
  awk -v n="$n" -v now="$now" -v peak="$peak" -v base="$base" -v bn="$base_n" -v db="$(stat -c %s "$work/captures.sqlite")" \
    'BEGIN {printf "after %d requests: RSS %d kB (peak %d kB), growth %.1f MB = %.1f bytes/request; database %.0f MB (%.0f bytes/request)\n",
            n, now, peak, (now - base) / 1024, (n > bn ? (now - base) * 1024 / (n - bn) : 0), db / 1048576, db / n}'
done
