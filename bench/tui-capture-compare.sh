#!/usr/bin/env bash
# Capture throughput with the interactive UI running: hookscope's TUI against mitmproxy's console
# UI (`mitmproxy`), each under tmux, in one run.
#
# Each UI runs in a private tmux server (120x40) started pinned to CPU 1 (the tmux server, which
# renders the pane, and the UI process both stay on CPU 1); wrk (-t1, keep-alive) is pinned to CPU 0
# and posts the same 2 KB JSON webhook as bench/capture-compare.sh for SECONDS, RUNS times; each
# figure is the median of the runs.
#   hookscope  `hookscope --port 0 --db FILE` (the TUI; SQLite file store, a commit per request
#              before the answer), in follow mode so the newest capture is always on screen
#   mitmproxy  `mitmproxy --mode reverse:http://127.0.0.1:9` with the same tiny addon as
#              capture-compare.sh, which answers 200 itself (no upstream); it keeps flows in memory
# After the runs the script checks that the UI really showed the traffic (hookscope's status-bar
# count equals the database count; mitmproxy's flow list is not empty).
#
# Usage: bench/tui-capture-compare.sh [seconds per run, default 10] [runs, default 3]
# Env: CONNECTIONS (default 50), HOOKSCOPE_BIN (default .build-release/release/hookscope),
#      MITMPROXY (default /opt/mitm-venv/bin/mitmproxy), SERVERS="hookscope mitmproxy".
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
seconds=${1:-10}
runs=${2:-3}
connections=${CONNECTIONS:-50}
servers=${SERVERS:-"hookscope mitmproxy"}
bin=${HOOKSCOPE_BIN:-.build-release/release/hookscope}
mitmproxy=${MITMPROXY:-$(command -v mitmproxy || echo /opt/mitm-venv/bin/mitmproxy)}
for tool in wrk taskset tmux sqlite3 python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }
done
[[ -x $bin ]] || { echo "no binary at $bin: swift build -c release --scratch-path .build-release --product hookscope" >&2; exit 1; }
work=$(mktemp -d)
sock="tuicmp-$$"
tm() { tmux -L "$sock" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null || true; rm -rf "$work"' EXIT

webhook_files
cat > "$work/answer.py" <<'PY'
from mitmproxy import http

def request(flow: http.HTTPFlow) -> None:
    _ = len(flow.request.raw_content or b"")
    flow.response = http.Response.make(200, b"", {"Content-Type": "text/plain"})
PY

run_wrk() {
  taskset -c 0 wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$work/post.lua" "$url/stripe/hook" | wrk_summary
}

start_hookscope() {
  local port; port=$(free_port)
  rm -f "$work"/captures.sqlite*
  taskset -c 1 tmux -L "$sock" -f /dev/null new-session -d -x 120 -y 40 \
    "env HOME=$work TERM=xterm-256color $bin --port $port --db $work/captures.sqlite"
  wait_port "$port"
  url="http://127.0.0.1:$port"
}
check_hookscope() {
  local stored shown
  stored=$(sqlite3 "$work/captures.sqlite" 'select count(*) from request')
  for _ in $(seq 100); do
    shown=$(tm capture-pane -p | grep -oE '[0-9]+ captures' | head -1 | awk '{print $1}')
    [[ "$shown" == "$stored" ]] && break
    sleep 0.1
  done
  echo "hookscope: $stored captures stored, status bar shows ${shown:-nothing}"
}

start_mitmproxy() {
  local port; port=$(free_port)
  taskset -c 1 tmux -L "$sock" -f /dev/null new-session -d -x 120 -y 40 \
    "env HOME=$work TERM=xterm-256color $mitmproxy --mode reverse:http://127.0.0.1:9 --listen-host 127.0.0.1 --listen-port $port -s $work/answer.py --set connection_strategy=lazy"
  wait_port "$port"
  url="http://127.0.0.1:$port"
}
check_mitmproxy() {
  local flows
  flows=$(tm capture-pane -p | grep -cE 'POST .*/stripe/hook' || true)
  echo "mitmproxy: $flows flow rows visible on screen; $(tm capture-pane -p | grep -oE '\[[0-9]+/[0-9]+\]' | tail -1)"
}

echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); wrk -t1 -c$connections, ${seconds}s per run, $runs runs"
results="$work/results"
: > "$results"
for server in $servers; do
  if [[ $server == mitmproxy && ! -x $mitmproxy ]]; then echo "mitmproxy not found: skipped" >&2; continue; fi
  "start_$server"
  taskset -c 0 wrk -t1 -c10 -d1s -s "$work/post.lua" "$url/stripe/hook" > /dev/null
  : > "$work/cell"
  for _ in $(seq "$runs"); do run_wrk >> "$work/cell"; echo "  $server run: $(tail -1 "$work/cell")"; done
  rps=$(awk '{print $1}' "$work/cell" | median)
  p50=$(awk '{print $2}' "$work/cell" | median)
  p99=$(awk '{print $3}' "$work/cell" | median)
  bad=$(awk '{s+=$4} END {print s}' "$work/cell")
  echo "$server $connections $rps $p50 $p99 $bad" >> "$results"
  "check_$server"
  tm kill-server 2>/dev/null || true
  sleep 0.5
done

echo
echo "| UI under tmux | connections | requests/s | p50 ms | p99 ms | non-2xx |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
awk '{printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6}' "$results"
h=$(awk '$1=="hookscope" {print $3}' "$results")
m=$(awk '$1=="mitmproxy" {print $3}' "$results")
if [[ -n "$h" && -n "$m" ]]; then
  echo
  echo "hookscope TUI / mitmproxy console: $(awk -v a="$h" -v b="$m" 'BEGIN {printf "%.1f", a / b}')x"
fi
