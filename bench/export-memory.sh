#!/usr/bin/env bash
# Time and peak memory of reading a large store back: `list`, `list --json` and each export format.
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
