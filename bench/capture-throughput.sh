#!/usr/bin/env bash
# Capture throughput: wrk posting a 2 KB JSON webhook over keep-alive connections to hookscope
# (headless, file store, durable commits). Several runs; prints requests/s and latency per run.
# Usage: bench/capture-throughput.sh [connections] [seconds] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
connections=${1:-50}
seconds=${2:-10}
runs=${3:-3}
command -v wrk >/dev/null || { echo "needs wrk: apt-get install -y wrk" >&2; exit 1; }
swift build -c release --scratch-path .build-release --product hookscope >/dev/null
bin=.build-release/release/hookscope
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
python3 - "$work/body.json" <<'PY'
import json, sys
event = {"id": "evt_1NG8Du2eZvKYlo2CUI79vXWy", "object": "event", "api_version": "2023-10-16", "created": 1700000000,
         "type": "payment_intent.succeeded", "livemode": False, "pending_webhooks": 1,
         "data": {"object": {"id": "pi_3NG8Du2eZvKYlo2C0", "object": "payment_intent", "amount": 2000, "currency": "usd",
                             "metadata": {"order": "6735", "note": "x" * 1650}, "status": "succeeded"}}}
open(sys.argv[1], "w").write(json.dumps(event))
PY
cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Stripe-Signature"] = "t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"
local f = io.open("$work/body.json", "rb"); wrk.body = f:read("*a"); f:close()
LUA
taskset -c 1 "$bin" listen --headless --port 0 --db "$work/captures.sqlite" > "$work/out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/out" 2>/dev/null && break; sleep 0.1; done
url=$(head -1 "$work/out" | awk '{print $3}')
echo "body: $(wc -c < "$work/body.json") bytes; url $url; wrk -c$connections -d${seconds}s, $runs runs"
for run in $(seq "$runs"); do
  taskset -c 0 wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$work/post.lua" "$url/stripe" \
    | awk -v run="$run" '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {printf "run %s: %s req/s, p50 %s, p99 %s\n", run, rps, p50, p99}'
done
echo "captures stored: $(sqlite3 "$work/captures.sqlite" 'select count(*) from request')"
