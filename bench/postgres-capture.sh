#!/usr/bin/env bash
# Capture rate into PostgreSQL next to SQLite, in one run: wrk posting the 2 KB webhook over
# keep-alive connections to a headless listener, once with an SQLite file store and once with
# --db postgres://… on loopback (every capture committed before its answer in both). Then two
# listeners writing one PostgreSQL database at once. Prints requests/s, p50/p99 ms and non-2xx.
# Usage: HOOKSCOPE_BENCH_POSTGRES_URL=postgres://USER[:PASSWORD]@127.0.0.1:PORT/DB \
#          bench/postgres-capture.sh [connections] [seconds] [runs]
# HOOKSCOPE_BIN picks the binary (default: a release build in .build-release); DISTINCT_IDS=1 gives
# each request its own event id (see bench/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
connections=${1:-50}
seconds=${2:-10}
runs=${3:-3}
base=${HOOKSCOPE_BENCH_POSTGRES_URL:?set HOOKSCOPE_BENCH_POSTGRES_URL to a PostgreSQL database the benchmark may write}
command -v wrk >/dev/null || { echo "needs wrk: apt-get install -y wrk" >&2; exit 1; }
release_binary
bench_work
webhook_files
distinct_ids
schema="bench_$(date +%s)_$$"
sep='?'; [[ "$base" == *\?* ]] && sep='&'
pgurl="$base${sep}schema=$schema"
echo "binary $bin; body $(wc -c < "$work/body.json") bytes; wrk -t1 -c$connections -d${seconds}s, $runs runs each"

# run_store NAME DB: one listener pinned to CPU 1, wrk on CPU 0.
run_store() {
  local name=$1 db=$2
  taskset -c 1 "$bin" listen --headless --port 0 --db "$db" > "$work/out-$name" 2>&1 &
  pid=$!
  local url
  url=$(listening_url "$work/out-$name")
  for run in $(seq "$runs"); do
    echo "$name run $run: $(taskset -c 0 wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$work/post.lua" "$url/stripe" | wrk_summary)"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

run_store sqlite "$work/captures.sqlite"
run_store postgres "$pgurl"
echo "stored: sqlite $("$bin" list --db "$work/captures.sqlite" | wc -l), postgres $("$bin" list --db "$pgurl" | wc -l)"

# Two writers, one database: both listeners loaded at once, half the connections each.
two="$base${sep}schema=${schema}_two"
"$bin" listen --headless --port 0 --db "$two" > "$work/out-a" 2>&1 & a=$!
"$bin" listen --headless --port 0 --db "$two" > "$work/out-b" 2>&1 & b=$!
url_a=$(listening_url "$work/out-a"); url_b=$(listening_url "$work/out-b")
wrk -t1 -c$((connections / 2)) -d"${seconds}s" --latency -s "$work/post.lua" "$url_a/stripe" | wrk_summary > "$work/wrk-a" &
w=$!
wrk -t1 -c$((connections / 2)) -d"${seconds}s" --latency -s "$work/post.lua" "$url_b/stripe" | wrk_summary > "$work/wrk-b"
wait "$w"
kill "$a" "$b"; wait "$a" "$b" 2>/dev/null || true
echo "two listeners: A $(cat "$work/wrk-a"), B $(cat "$work/wrk-b")"
ids=$("$bin" list --db "$two" --json | python3 -c 'import sys, json; ids=[json.loads(l)["id"] for l in sys.stdin]; print(len(ids), len(set(ids)), ids == sorted(ids))')
echo "two listeners stored (count, distinct ids, in order): $ids"
echo "schemas left in the database: $schema, ${schema}_two (DROP SCHEMA … CASCADE to remove them)"
