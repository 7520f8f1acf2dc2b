#!/usr/bin/env bash
# Time to answer wrongly signed, large hostile bodies: the signature mismatch diagnosis runs for
# each one before its verdict is stored (bodies over 64 KiB on a queue of their own).
#
# Writes 1.9-2.7 MB bodies (\u escapes, non-ASCII, Latin-1, 950,000-deep nesting, backslashes,
# surrogate pairs, lone surrogates, a 230,000-field form, 150,000 keys, spaced JSON, CRLF lines),
# starts a release listener with a secret for each provider below, and sends every body to every
# provider with curl and a signature header that does not match. Prints, per provider, the slowest
# answer and its body; SLOW=seconds (default 1) lists every answer slower than that.
#
# Usage: bench/hostile-verdicts.sh
# Env: HOOKSCOPE_BIN (default .build-release/release/hookscope), PROVIDERS, SLOW
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${HOOKSCOPE_BIN:-.build-release/release/hookscope}
slow=${SLOW:-1}
source bench/lib.sh
work=$(mktemp -d)
pid=""
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import sys
d = sys.argv[1]
N = 1_900_000
def w(name, data):
    open(f"{d}/{name}", "wb").write(data if isinstance(data, bytes) else data.encode())
w("escapes.json", '{"s":"' + "\\u00e9" * (N // 6) + '"}')
w("utf8.json", '{"s":"' + "é" * (N // 2) + '"}')
w("latin1.bin", b'{"s":"' + b"\xe9" * N + b'"}')
w("nested.json", "[" * (N // 2) + "]" * (N // 2))
w("backslashes.json", '{"s":"' + "\\\\" * (N // 2) + '"}')
w("surrogates.json", '{"s":"' + "\\ud83d\\ude00" * (N // 12) + '"}')
w("lone.json", '{"s":"' + "\\ud83d" * (N // 6) + '"}')
w("form.txt", "&".join(f"k{i}=v%20{i}" for i in range(N // 12)))
w("manykeys.json", "{" + ",".join(f'"k{i % 1000}":{i}' for i in range(N // 12)) + "}")
w("spaces.json", "{" + ", ".join(f'"k{i}" :  {i}' for i in range(N // 14)) + "}")
w("crlf.txt", "a\r\n" * (N // 3))
PY
port=$(free_port)
now=$(date +%s)
hex=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
b64=UlepaefOy+vaMq/6YsvKP6UcrefnoOVv9TbQ6FGPjNo=
"$bin" listen --headless --port "$port" --db "$work/c.sqlite" \
  --secret stripe=whsec_x --secret github=x --secret slack=x --secret shopify=x --secret twilio=x \
  --secret standardwebhooks=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw --secret square=x --secret zoom=x \
  --secret hubspot=x --secret meta=x --secret mailgun=x --secret paddle=x --secret typeform=x --secret trello=x \
  > /dev/null 2> "$work/err" &
pid=$!
wait_port "$port"
declare -A H
H[stripe]="-H Stripe-Signature:t=$now,v1=$hex"
H[github]="-H X-GitHub-Event:push -H X-Hub-Signature-256:sha256=$hex"
H[slack]="-H X-Slack-Signature:v0=$hex -H X-Slack-Request-Timestamp:$now"
H[shopify]="-H X-Shopify-Hmac-Sha256:$b64"
H[twilio]="-H X-Twilio-Signature:$b64 -H Content-Type:application/x-www-form-urlencoded"
H[standardwebhooks]="-H webhook-id:msg_1 -H webhook-timestamp:$now -H webhook-signature:v1,$b64"
H[square]="-H x-square-hmacsha256-signature:$b64"
H[hubspot]="-H X-HubSpot-Signature-v3:$b64 -H X-HubSpot-Request-Timestamp:${now}000"
H[meta]="-H X-Hub-Signature-256:sha256=$hex -H User-Agent:facebookexternalua"
H[trello]="-H X-Trello-Webhook:$b64"
H[zoom]="-H x-zm-signature:v0=$hex -H x-zm-request-timestamp:$now"
H[paddle]="-H Paddle-Signature:ts=$now;h1=$hex"
H[typeform]="-H Typeform-Signature:sha256=$b64"
H[mailgun]="-H Content-Type:application/json"
echo "| provider | slowest answer | body | answers over ${slow} s |"
echo "| --- | ---: | --- | --- |"
for p in ${PROVIDERS:-stripe github slack shopify twilio standardwebhooks square hubspot meta trello zoom paddle typeform mailgun}; do
  worst=0; worst_body=""; slow_list=""
  for f in "$work"/*.json "$work"/*.txt "$work"/*.bin; do
    # shellcheck disable=SC2086
    t=$(curl -s -o /dev/null -m 300 -w "%{time_total}" ${H[$p]} --data-binary @"$f" "http://127.0.0.1:$port/$p")
    name=$(basename "$f")
    if awk -v a="$t" -v b="$worst" 'BEGIN {exit !(a > b)}'; then worst=$t; worst_body=$name; fi
    if awk -v a="$t" -v b="$slow" 'BEGIN {exit !(a > b)}'; then slow_list="$slow_list $name=${t}s"; fi
  done
  echo "| $p | ${worst} s | $worst_body | ${slow_list:-none} |"
done
