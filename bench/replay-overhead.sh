#!/usr/bin/env bash
# The overhead of `hookscope replay` against curl sending the same request to the same target.
#
# A headless hookscope captures one realistic 2 KB Stripe-like webhook (curl POST); then both
#   hookscope  `hookscope replay 1 --to URL --db DB`   (opens the store, loads the capture, sends it
#              byte for byte over HTTP/1.1, stores the attempt, prints the answer)
#   curl       the command `hookscope export --curl --id 1 --include-secrets --base-url URL` prints
#              (the same method, target, headers and body)
# send it to the same target, nginx answering 200 (one worker, pinned to CPU 1), each command pinned
# to CPU 0 and timed by hyperfine (WARMUP warm-up runs, RUNS measured runs). Both are whole process
# runs, as a user types them: process start, the request and the exit.
#
# Usage: bench/replay-overhead.sh [runs, default 50]
# Env: HOOKSCOPE_BIN (default .build-release/release/hookscope), WARMUP (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-50}
warmup=${WARMUP:-5}
bin=${HOOKSCOPE_BIN:-.build-release/release/hookscope}
for tool in hyperfine nginx curl taskset python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y $tool)" >&2; exit 1; }
done
[[ -x $bin ]] || { echo "no binary at $bin: swift build -c release --scratch-path .build-release --product hookscope" >&2; exit 1; }
bin=$(realpath "$bin")
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT

source bench/lib.sh

# The target: nginx reading the body and answering 200.
port=$(free_port)
start_nginx "$work/nginx" "$port"
pids+=("$nginx_pid")
target="http://127.0.0.1:$port"

# One real capture.
bench/make-webhook-body.py "$work/body.json"
HOME="$work" "$bin" listen --headless --port 0 --db "$work/captures.sqlite" > "$work/listen.out" 2>&1 &
listener=$!
for _ in $(seq 100); do grep -q "listening on" "$work/listen.out" 2>/dev/null && break; sleep 0.1; done
url=$(head -1 "$work/listen.out" | awk '{print $3}')
curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -H 'User-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)' \
  -H 'Stripe-Signature: t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd' \
  --data-binary @"$work/body.json" "$url/stripe/webhook"
kill -INT "$listener"; wait "$listener" 2>/dev/null || true

HOME="$work" "$bin" export --curl --id 1 --include-secrets --base-url "$target" --db "$work/captures.sqlite" > "$work/curl.sh"
# Quiet curl's output like replay's goes to /dev/null too; keep its exit status on HTTP errors.
sed -i '0,/^curl /s//curl -sS -o \/dev\/null /' "$work/curl.sh"
grep -q '^curl -sS' "$work/curl.sh" || { echo "unexpected export format:" >&2; cat "$work/curl.sh" >&2; exit 1; }

# Both must reach the target and get 200 before they are timed.
HOME="$work" "$bin" replay 1 --to "$target" --db "$work/captures.sqlite" | head -1
bash "$work/curl.sh" && echo "curl: ok"

echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); target nginx on CPU 1, commands on CPU 0"
hyperfine -N --warmup "$warmup" --runs "$runs" --export-markdown "$work/table.md" \
  -n "hookscope replay" "taskset -c 0 env HOME=$work $bin replay 1 --to $target --db $work/captures.sqlite" \
  -n "curl" "taskset -c 0 bash $work/curl.sh" 2>&1 | grep -v '^ *$'
echo
cat "$work/table.md"
stored=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from replay').fetchone()[0])" "$work/captures.sqlite")
echo
echo "replay attempts stored with the capture: $stored"
