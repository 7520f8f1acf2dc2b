#!/usr/bin/env bash
# Capture throughput and latency of hookscope compared with nginx and mitmdump, in one run.
#
# wrk posts a realistic 2 KB JSON webhook over keep-alive connections (-c1, -c50, -c256) to:
#   hookscope  listen --headless, file store (SQLite WAL, a commit per request before the answer)
#   nginx      one worker, reads the whole body into memory (mirror_request_body) and answers 200
#   mitmdump   reverse mode, a tiny addon answers 200 itself (no upstream)
# The server is pinned to CPU 1 and wrk to CPU 0 (taskset). Each cell is the median of RUNS runs.
# Before each server starts, the page cache is dropped (as root), so all start from the same memory
# state; hookscope keeps one new database for all its runs.
# Then perf samples hookscope under -c50 to say where its time goes.
#
# Usage: bench/capture-compare.sh [seconds per run, default 10] [runs, default 3]
# Env: CONNECTIONS="1 50 256", SERVERS="hookscope nginx mitmdump", MITMDUMP=path, PERF=0 to skip perf,
#      HOOKSCOPE_BIN=path (default: release build in .build-release).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
seconds=${1:-10}
runs=${2:-3}
connections=${CONNECTIONS:-"1 50 256"}
servers=${SERVERS:-"hookscope nginx mitmdump"}
mitmdump=${MITMDUMP:-$(command -v mitmdump || echo /opt/mitm-venv/bin/mitmdump)}
for tool in wrk taskset sqlite3 python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }
done
if [[ -z "${HOOKSCOPE_BIN:-}" ]]; then
  swift build -c release --scratch-path .build-release --product hookscope 2>&1 | grep -E "error|warning: " || true
  HOOKSCOPE_BIN=.build-release/release/hookscope
fi
bin=$HOOKSCOPE_BIN
work=$(mktemp -d)
server_pid=""
stop_server() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap 'stop_server; rm -rf "$work"' EXIT

webhook_files

start_hookscope() {
  rm -f "$work"/captures.sqlite*
  taskset -c 1 "$bin" listen --headless --port 0 --db "$work/captures.sqlite" > "$work/hookscope.out" 2>&1 &
  server_pid=$!
  url=$(listening_url "$work/hookscope.out")
}

start_nginx_server() {
  local port; port=$(free_port)
  start_nginx "$work/nginx" "$port"
  server_pid=$nginx_pid
  url="http://127.0.0.1:$port"
}

start_mitmdump() {
  local port; port=$(free_port)
  cat > "$work/answer.py" <<'PY'
from mitmproxy import http

def request(flow: http.HTTPFlow) -> None:
    # Touch the body so it is really read, then answer without any upstream.
    _ = len(flow.request.raw_content or b"")
    flow.response = http.Response.make(200, b"", {"Content-Type": "text/plain"})
PY
  taskset -c 1 "$mitmdump" -q --mode "reverse:http://127.0.0.1:9" --listen-host 127.0.0.1 --listen-port "$port" \
    -s "$work/answer.py" --set connection_strategy=lazy --set flow_detail=0 > "$work/mitmdump.out" 2>&1 &
  server_pid=$!
  wait_port "$port"
  url="http://127.0.0.1:$port"
}

run_wrk() {  # connections -> "rps p50 p99 non-2xx" (latencies in ms)
  taskset -c 0 wrk -t1 -c"$1" -d"${seconds}s" --latency -s "$work/post.lua" "$url/stripe/hook" | wrk_summary
}

if command -v swift-demangle >/dev/null; then demangle="swift-demangle --simplified"
elif [[ -x /opt/swift/usr/bin/swift-demangle ]]; then demangle="/opt/swift/usr/bin/swift-demangle --simplified"
else demangle=cat; fi


echo "machine: $(nproc) CPUs, $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2; exit}')"
echo "body: $(wc -c < "$work/body.json") bytes JSON; wrk -t1, ${seconds}s per run, $runs runs; median per cell"
results="$work/results"
: > "$results"
for server in $servers; do
  if [[ $server == mitmdump && ! -x $mitmdump ]]; then echo "mitmdump not found: skipped" >&2; continue; fi
  echo "$server: $(drop_page_cache)"
  if [[ $server == nginx ]]; then start_nginx_server; else "start_$server"; fi
  # Warm up (JIT-free, but page cache, WAL file and connection pools).
  taskset -c 0 wrk -t1 -c10 -d1s -s "$work/post.lua" "$url/stripe/hook" > /dev/null
  for c in $connections; do
    : > "$work/cell"
    for _ in $(seq "$runs"); do run_wrk "$c" >> "$work/cell"; done
    rps=$(awk '{print $1}' "$work/cell" | median)
    p50=$(awk '{print $2}' "$work/cell" | median)
    p99=$(awk '{print $3}' "$work/cell" | median)
    bad=$(awk '{s+=$4} END {print s}' "$work/cell")
    echo "$server $c $rps $p50 $p99 $bad" | tee -a "$results"
  done
  if [[ $server == hookscope ]]; then
    stored=$(sqlite3 "$work/captures.sqlite" 'select count(*) from request')
    echo "hookscope stored $stored captures; rss $(awk '/VmRSS/ {print $2, $3}' /proc/$server_pid/status)"
    if [[ ${PERF:-1} == 1 ]] && command -v perf >/dev/null; then
      taskset -c 0 wrk -t1 -c50 -d"$((seconds + 2))s" -s "$work/post.lua" "$url/stripe/hook" > /dev/null &
      wrk_pid=$!
      sleep 1
      perf stat -p "$server_pid" -e task-clock,context-switches,cpu-migrations,page-faults -- sleep "$seconds" 2>&1 \
        | grep -E "task-clock|context|migrations|faults|elapsed" | sed 's/^/perf stat: /'
      wait "$wrk_pid"
      taskset -c 0 wrk -t1 -c50 -d"$((seconds + 2))s" -s "$work/post.lua" "$url/stripe/hook" > /dev/null &
      wrk_pid=$!
      sleep 1
      perf record -q -F 999 -g -p "$server_pid" -o "$work/perf.data" -- sleep "$seconds" 2>/dev/null || true
      wait "$wrk_pid"
      perf report -q -i "$work/perf.data" --no-children --sort comm -g none > "$work/r0" 2>/dev/null || true
      perf report -q -i "$work/perf.data" --no-children --sort dso -g none > "$work/r1" 2>/dev/null || true
      perf report -q -i "$work/perf.data" --no-children --sort dso,symbol -g none > "$work/r2" 2>/dev/null || true
      perf report -q -i "$work/perf.data" --children --sort symbol -g none --dsos "$(basename "$bin")" > "$work/r3" 2>/dev/null || true
      echo "perf report (samples by thread):"
      grep -v '^$' "$work/r0" | head -10 | sed 's/^/  /' || true
      echo "perf report (self time by shared object):"
      grep -v '^$' "$work/r1" | head -12 | sed 's/^/  /' || true
      echo "perf report (top symbols, self time):"
      grep -v '^$' "$work/r2" | head -30 | $demangle | cut -c1-160 | sed 's/^/  /' || true
      echo "perf report (inclusive time of hookscope's own functions):"
      grep -v '^$' "$work/r3" | head -40 | $demangle | cut -c1-200 | sed 's/^/  /' || true
    fi
  fi
  stop_server
done

echo
echo "| server | connections | requests/s | p50 ms | p99 ms | non-2xx |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
awk '{printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6}' "$results"
echo
echo "| connections | hookscope/nginx req/s | hookscope/mitmdump req/s |"
echo "| ---: | ---: | ---: |"
for c in $connections; do
  h=$(awk -v c="$c" '$1=="hookscope" && $2==c {print $3}' "$results")
  n=$(awk -v c="$c" '$1=="nginx" && $2==c {print $3}' "$results")
  m=$(awk -v c="$c" '$1=="mitmdump" && $2==c {print $3}' "$results")
  ratio() { [[ -n "$1" && -n "$2" ]] && awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}' || echo "n/a"; }
  echo "| $c | $(ratio "$h" "$n") | $(ratio "$h" "$m") |"
done
