#!/usr/bin/env bash
# Shows that two builds print the same bytes for the same captures: for a refactor that must not
# change behaviour (headless lines, `list`, `list --json`, `show`, `verify` and every export).
#
# Each build runs a headless listener (readable lines, then JSON lines) on a store of its own and
# gets the same requests: Stripe signatures that are expired, wrong and missing, a Slack handshake,
# escape and bidi characters in the target and headers, invalid UTF-8, a binary body, a chunked
# body, a body over --max-body (refused), a HEAD. The listeners' outputs are compared with the
# receive times and the senders' ports masked (they differ from run to run). Then both builds read
# the first build's store and everything they print from it is compared byte for byte.
#
# Usage: bench/compare-outputs.sh OLD_BINARY NEW_BINARY
# Exits 0 when every output is the same, 1 (with a diff) otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
old=$(realpath "$1")
new=$(realpath "$2")
bench_work
export HOME="$work" XDG_CONFIG_HOME="$work" XDG_STATE_HOME="$work/state"

cat > "$work/send.py" <<'PY'
import socket, sys
port = int(sys.argv[1])
def exchange(raw):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(30)
    s.sendall(raw)
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):
        pass
    s.close()
def post(path, body, headers=()):
    head = b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"".join(h + b"\r\n" for h in headers)
    exchange(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
json = b"Content-Type: application/json"
vector = b"Stripe-Signature: t=1700000000,v1=a5d9de1d23a233e086ce2cd0940311c91c3039e7d92c0d96a82fda4881746747"
post(b"/stripe", b'{"hello":"world"}', [json, vector])
post(b"/stripe", b'{"hello": "world"}', [json, vector])
post(b"/stripe", b'{"hello":"world"}', [json, b"Stripe-Signature: t=1700000000,v1=00"])
post(b"/plain", b'{"a":[1,2,{"b":null}]}', [json])
post(b"/slack/events", b'{"token":"t","challenge":"abc123","type":"url_verification"}', [json])
post(b"/evil/%1b]0;pwned%07", b"\x1b[31mred\x1b[0m \xe2\x80\xae txt.exe", [b"X-Note: \xe2\x80\xaetxt.exe", b"Content-Type: text/plain"])
exchange(b"POST /bad-utf8/\xff\xfe HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Raw: \xc3\x28\r\nContent-Length: 4\r\n\r\n\xff\x00\x01\x02")
post(b"/binary", bytes(range(256)), [b"Content-Type: application/octet-stream"])
exchange(b"POST /chunked HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n5\r\na=1&b\r\n4\r\n=%20\r\n0\r\n\r\n")
post(b"/too-large", b"x" * 5000, [b"Content-Type: text/plain"])
exchange(b"HEAD /trello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
post(b"/github", b'{"zen":"Keep it logically awesome."}', [json, b"X-GitHub-Event: ping",
     b"X-Hub-Signature-256: sha256=0000000000000000000000000000000000000000000000000000000000000000"])
PY

# listen BINARY STORE OUT [ARGS...]: a headless listener that gets the requests above; its
# standard output, masked, in OUT.
listen() {
  local bin=$1 store=$2 out=$3
  shift 3
  "$bin" listen --headless --port 0 --db "$store" --max-body 4096 --secret stripe=test_secret --secret github=gh_secret "$@" \
    > "$out.raw" 2> "$out.err" &
  pid=$!
  local url announce="$out.raw"
  # With --json the listening line is on stderr (stdout carries JSON objects only).
  case " $* " in *" --json "*) announce="$out.err" ;; esac
  url=$(listening_url "$announce")
  python3 "$work/send.py" "${url##*:}"
  # The last request's line is the last line.
  for _ in $(seq 400); do grep -q '/github' "$out.raw" && break; sleep 0.05; done
  kill -TERM "$pid"
  wait "$pid" || true
  pid=""
  sed -E -e 's/^(#[0-9]+) [^ ]+ /\1 TIME /' -e 's/"received_at":"[^"]*"/"received_at":"TIME"/' \
    -e 's/"remote":"[^"]*"/"remote":"PEER"/' -e 's/listening on http:\/\/127\.0\.0\.1:[0-9]+/listening on URL/' \
    -e '/^listening on URL$/d' \
    "$out.raw" > "$out"
}

status=0
same() {
  if cmp -s "$1" "$2"; then
    printf 'same      %s (%s bytes)\n' "$3" "$(wc -c < "$1")"
  else
    printf 'DIFFERENT %s\n' "$3"
    diff <(cut -c1-300 "$1") <(cut -c1-300 "$2") | head -20 || true
    status=1
  fi
}

listen "$old" "$work/old.sqlite" "$work/old.lines"
listen "$new" "$work/new.sqlite" "$work/new.lines"
same "$work/old.lines" "$work/new.lines" "headless lines"
listen "$old" "$work/old-json.sqlite" "$work/old.json" --json
listen "$new" "$work/new-json.sqlite" "$work/new.json" --json
same "$work/old.json" "$work/new.json" "headless JSON lines"
same "$work/old.lines.err" "$work/new.lines.err" "headless stderr"

# Both builds read the old build's store.
db="$work/old.sqlite"
ids=$(seq 1 "$(grep -c '^#' "$work/old.lines")")
run_both() {
  local name=$1
  shift
  "$old" "$@" > "$work/a.out" 2> "$work/a.err" || echo "exit $?" >> "$work/a.err"
  "$new" "$@" > "$work/b.out" 2> "$work/b.err" || echo "exit $?" >> "$work/b.err"
  same "$work/a.out" "$work/b.out" "$name"
  same "$work/a.err" "$work/b.err" "$name (stderr, exit)"
}
run_both "list" list --db "$db"
run_both "list --json" list --db "$db" --json
run_both "list --filter" list --db "$db" --filter "sig:invalid method:POST"
run_both "export --har" export --db "$db" --har
run_both "export --curl" export --db "$db" --curl
run_both "export --raw" export --db "$db" --raw
run_both "export --include-secrets" export --db "$db" --har --include-secrets
for id in $ids; do
  run_both "show $id" show "$id" --db "$db"
  run_both "verify $id" verify "$id" --db "$db" --secret stripe=test_secret --secret github=gh_secret
done
run_both "show --raw 6" show 6 --raw --db "$db"
run_both "bad flag" listen --delay -5
run_both "bad config value" listen --headless --memory --port 0 --config /dev/null --keep 0
exit $status
