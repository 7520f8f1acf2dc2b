#!/usr/bin/env bash
# Instructions the listener executes per captured request, counted by valgrind's callgrind: a figure
# that does not depend on the machine's load, for comparing two builds (no regression beyond 3%).
#
# For each store (--memory, then a new SQLite file) it runs `hookscope listen --headless` under
# callgrind, pinned to one CPU (so one event loop), sends SMALL and then LARGE requests one after the
# other over one keep-alive connection (the 2 KB Stripe-like webhook the other benchmarks post,
# signed, no secret configured), stops it with SIGTERM and reads the instructions callgrind counted
# for the whole process. The per-request figure is the difference between the two runs divided by
# the difference in requests: start-up and shutdown cancel out. Each run is repeated RUNS times; the
# table gives every count and the median per-request figure.
#
# valgrind (3.19 and 3.24 alike) dies with an internal SIGSEGV on the listener without
# bench/sigsuspend-shim.c: libdispatch's dispatchMain() hands sigsuspend() a mask in read-only
# memory, which valgrind's syscall wrapper edits in place. The shim, preloaded, passes a writable
# copy; nothing else changes. Debian's valgrind 3.19 cannot read the DWARF 5 debug info Swift
# writes (release builds too): it runs a copy made with `objcopy --strip-debug`, which executes the
# same instructions.
#
# Usage: bench/instructions-per-request.sh [SMALL=500] [LARGE=2500]
# Env: HOOKSCOPE_BIN=path (default .build-release/release/hookscope, built when missing), RUNS (default 3),
#      STORES (default "memory sqlite"), PREPARE_SQL: SQL run on each new SQLite store, created and
#      migrated by hookscope, before the counted listener starts (as in capture-throughput.sh; e.g.
#      PREPARE_SQL='DROP INDEX request_method;' to count without an index), DISTINCT_IDS=1: each
#      request with its own event id (see capture-throughput.sh; otherwise all are attempts of one
#      delivery, and numbering each counts the earlier ones), LISTEN_ARGS: more `listen` options
#      for the counted listener (e.g. --no-text-index, so that the background indexer, which runs
#      when the client is slow for a quarter of a second, never adds to a count), CONNECTIONS (default
#      1): the requests are sent over this many connections at once, so that the listener commits
#      several captures per transaction as under load (the split between them varies run to run).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
small=${1:-500}
large=${2:-2500}
runs=${RUNS:-3}
stores=${STORES:-"memory sqlite"}
bin=${HOOKSCOPE_BIN:-.build-release/release/hookscope}
command -v valgrind > /dev/null || { echo "needs valgrind (apt-get install -y valgrind)" >&2; exit 1; }
if [[ -z "${HOOKSCOPE_BIN:-}" && ! -x "$bin" ]]; then
  swift build -c release --scratch-path .build-release --product hookscope
fi
bench_work
bench/make-webhook-body.py "$work/body.json"
cc -O2 -shared -fPIC -o "$work/sigsuspend-shim.so" bench/sigsuspend-shim.c
objcopy --strip-debug "$bin" "$work/hookscope"
label="$("$bin" --version) ($bin)"
bin="$work/hookscope"

cat > "$work/client.py" <<'PY'
import os, socket, sys, threading
port, count, body_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
body = open(body_file, "rb").read()
distinct = os.environ.get("DISTINCT_IDS") == "1"
connections = int(os.environ.get("CONNECTIONS", "1"))
failures = []

def request(n):
    b = body.replace(b"evt_1NG8Du2eZvKYlo2CUI79vXWy", b"evt_%024d" % n) if distinct else body
    return (b"POST /stripe/hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"User-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)\r\n"
            b"Stripe-Signature: t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd\r\n"
            b"Content-Length: " + str(len(b)).encode() + b"\r\n\r\n" + b)

def send(first, last):
    try:
        s = socket.create_connection(("127.0.0.1", port))
        buffer = b""
        for n in range(first, last):
            s.sendall(request(n))
            while True:
                end = buffer.find(b"\r\n\r\n")
                if end >= 0:
                    head = buffer[:end].decode("latin-1").lower()
                    length = 0
                    for line in head.split("\r\n"):
                        if line.startswith("content-length:"):
                            length = int(line.split(":", 1)[1])
                    if len(buffer) >= end + 4 + length:
                        status = head.split(" ", 2)[1]
                        if status != "200":
                            raise Exception("unexpected status " + status)
                        buffer = buffer[end + 4 + length:]
                        break
                chunk = s.recv(65536)
                if not chunk:
                    raise Exception("connection closed")
                buffer += chunk
        s.close()
    except Exception as error:
        failures.append(str(error))

threads = [threading.Thread(target=send, args=(count * i // connections, count * (i + 1) // connections)) for i in range(connections)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if failures:
    sys.exit(failures[0])
PY

# prepare_store: a new SQLite store at $work/captures.sqlite, changed by PREPARE_SQL when it is set.
prepare_store() {
  rm -f "$work"/captures.sqlite*
  [[ -n "${PREPARE_SQL:-}" ]] || return 0
  HOME="$work" XDG_CONFIG_HOME="$work" "$bin" listen --headless --port 0 --db "$work/captures.sqlite" > "$work/prepare.out" 2>&1 &
  pid=$!
  listening_url "$work/prepare.out" > /dev/null
  kill -INT "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  sqlite3 "$work/captures.sqlite" "$PREPARE_SQL" > /dev/null
}

# instructions STORE_ARGS COUNT: total instructions of one listener process that captured COUNT requests.
instructions() {
  local out="$work/out.$RANDOM" log="$work/callgrind.$RANDOM"
  # shellcheck disable=SC2086
  HOME="$work" XDG_CONFIG_HOME="$work" LD_PRELOAD="$work/sigsuspend-shim.so" taskset -c 1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    --log-file="$log" "$bin" listen --headless --port 0 $1 ${LISTEN_ARGS:-} > "$out" 2>&1 &
  pid=$!
  local url port
  for _ in $(seq 1200); do grep -q "listening on" "$out" 2>/dev/null && break; sleep 0.05; done
  url=$(head -1 "$out" | awk '{print $3}')
  port=${url##*:}
  taskset -c 0 python3 "$work/client.py" "$port" "$2" "$work/body.json"
  kill -TERM "$pid"
  wait "$pid" || true
  pid=""
  local lines
  lines=$(grep -c '^#' "$out" || true)
  [[ "$lines" == "$2" ]] || { echo "expected $2 capture lines, got $lines" >&2; exit 1; }
  awk '/Collected :/ {print $NF}' "$log"
}

echo "hookscope: $label; requests: $small and $large; runs: $runs; distinct event ids: ${DISTINCT_IDS:-0}; listen options: ${LISTEN_ARGS:-none}; connections: ${CONNECTIONS:-1}"
[[ -n "${PREPARE_SQL:-}" ]] && echo "each SQLite store prepared with: $PREPARE_SQL"
echo "| store | instructions for $small | instructions for $large | instructions per request |"
echo "| --- | ---: | ---: | ---: |"
for name in $stores; do
  store="--memory"; [[ "$name" == "sqlite" ]] && store="--db $work/captures.sqlite"
  per=()
  for _ in $(seq "$runs"); do
    prepare_store
    a=$(instructions "$store" "$small")
    prepare_store
    b=$(instructions "$store" "$large")
    p=$(( (b - a) / (large - small) ))
    per+=("$p")
    echo "| $name | $a | $b | $p |"
  done
  printf '%s\n' "${per[@]}" | median | awk -v s="$name" '{print "median per request (" s "): " $1}'
done
