#!/usr/bin/env bash
# Time and peak memory of reading a large store back: `list`, `list --json`, each export format,
# and importing the HAR export into a new store.
# Makes a store of N copies of one real 2 KB webhook (bench/tui-fill-store.sh) unless DB exists,
# then runs each command once with /usr/bin/time, output to a file on the same disk.
# Usage: bench/export-memory.sh [N, default 100000] [DB, default /tmp/hookscope-export-bench-N.sqlite]
# Env: HOOKSCOPE_BIN=path (default .build-release/release/hookscope)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100000}
db=${2:-/tmp/hookscope-export-bench-$count.sqlite}
bin=${HOOKSCOPE_BIN:-.build-release/release/hookscope}
[ -f "$db" ] || bench/tui-fill-store.sh "$db" "$count" "$bin"
out=$(mktemp)
trap 'rm -f "$out" "$out.time"' EXIT
echo "| command | seconds | peak RSS (kB) | output bytes |"
echo "| --- | ---: | ---: | ---: |"
for args in "list" "list --json" "export --har" "export --curl" "export --raw"; do
  # shellcheck disable=SC2086
  /usr/bin/time -o "$out.time" -f "%e %M" "$bin" $args --db "$db" > "$out"
  read -r seconds rss < "$out.time"
  echo "| \`$args\` | $seconds | $rss | $(stat -c %s "$out") |"
done
# Importing the HAR back into a new store. The file is memory-mapped, so peak RSS includes its
# pages (file-backed, reclaimable); the anonymous part is sampled from /proc every 0.2 s.
"$bin" export --har --db "$db" -o "$out.har" 2>/dev/null
/usr/bin/time -o "$out.time" -f "%e %M" "$bin" import "$out.har" --db "$out.import.sqlite" > /dev/null &
sleep 0.1
pid=$(pgrep -n -f "import $out.har" || true)
anon=0
while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do
  a=$(awk '/RssAnon/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  [ -n "$a" ] && [ "$a" -gt "$anon" ] && anon=$a
  sleep 0.2
done
wait
read -r seconds rss < "$out.time"
echo "| \`import\` (that HAR) | $seconds | $rss (anonymous: $anon) | $(stat -c %s "$out.import.sqlite") (database) |"
rm -f "$out.har" "$out.import.sqlite"*
