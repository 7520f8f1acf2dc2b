#!/usr/bin/env bash
# Response rules overhead: the capture rate of the 2 KB Stripe-like webhook (wrk, keep-alive,
# headless, file store) with no rules, with 20 rules none of which matches, and with 20 rules of
# which the last matches (answering 200, as the listener would). The three listeners run in turn,
# `runs` times, in one run of the script, so they share the machine's state; prints each run and
# the medians.
# Usage: bench/rules-overhead.sh [connections] [seconds] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
connections=${1:-50}
seconds=${2:-10}
runs=${3:-3}
command -v wrk >/dev/null || { echo "needs wrk: apt-get install -y wrk" >&2; exit 1; }
if [[ -n "${HOOKSCOPE_BIN:-}" ]]; then
  bin=$HOOKSCOPE_BIN
else
  swift build -c release --scratch-path .build-release --product hookscope >/dev/null
  bin=.build-release/release/hookscope
fi
bench_work
webhook_files

# 19 rules that do not match the benchmark's request, each failing on a different field (path
# literal, path glob, method, header glob, provider), then optionally one that does.
rules() {
  for i in $(seq 1 19); do
    echo "[[rule]]"
    echo "name = \"miss-$i\""
    case $((i % 5)) in
      0) echo "path = \"/github/$i\"" ;;
      1) echo "path = \"/shop-$i/*/orders\"" ;;
      2) echo "method = \"PUT\""; echo "path = \"/stripe*\"" ;;
      3) echo "header = \"User-Agent: GitHub-Hookshot/$i*\"" ;;
      4) echo "provider = \"github\"" ;;
    esac
    echo "status = 503"
    echo
  done
  echo "[[rule]]"
  if [[ $1 == hit ]]; then
    echo "name = \"stripe\""
    echo "path = \"/stripe*\""
    echo "provider = \"stripe\""
    echo "status = 200"
  else
    echo "name = \"miss-20\""
    echo "path = \"/slack/*\""
    echo "status = 503"
  fi
}
: > "$work/none.toml"
rules miss > "$work/miss.toml"
rules hit > "$work/hit.toml"

echo "body: $(wc -c < "$work/body.json") bytes; wrk -c$connections -d${seconds}s, $runs runs of each"
for run in $(seq "$runs"); do
  for kind in none miss hit; do
    rm -f "$work"/captures.sqlite*
    taskset -c 1 "$bin" listen --headless --port 0 --db "$work/captures.sqlite" --rules "$work/$kind.toml" > "$work/out" 2>&1 &
    pid=$!
    url=$(listening_url "$work/out")
    line=$(taskset -c 0 wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$work/post.lua" "$url/stripe" | wrk_summary)
    kill "$pid"; wait "$pid" 2>/dev/null || true
    pid=""
    answered=$(sqlite3 "$work/captures.sqlite" "select count(*) from request where rule is not null")
    echo "$kind $line $answered" >> "$work/results"
    read -r rps p50 p99 bad <<< "$line"
    printf 'run %s %-5s %10s req/s  p50 %6.3f ms  p99 %6.3f ms  non-2xx %s  answered by a rule %s\n' "$run" "$kind" "$rps" "$p50" "$p99" "$bad" "$answered"
  done
done
for kind in none miss hit; do
  printf 'median %-5s %10s req/s\n' "$kind" "$(awk -v k="$kind" '$1 == k {print $2}' "$work/results" | median)"
done
