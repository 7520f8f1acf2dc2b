#!/usr/bin/env bash
# Two listeners writing one PostgreSQL database (issue #24's "Done when"): each gets COUNT unique
# webhooks (the 2 KB body with a "bench_id" of its own, path /a/N or /b/N) from its own sender over
# CONNECTIONS keep-alive connections, both at once; then the checks: 2 x COUNT captures with
# distinct ids, `list` shows them all, every capture answered 2xx stored once with the bytes sent.
# Prints each sender's rate, the combined rate and the checks; exits 1 when a check fails.
# Usage: HOOKSCOPE_BENCH_POSTGRES_URL=postgres://USER[:PASSWORD]@127.0.0.1:PORT/DB \
#          bench/postgres-two-writers.sh [count-per-listener] [connections-per-listener]
# HOOKSCOPE_BIN picks the binary (default: a release build in .build-release). The tables go in a
# new schema, dropped at the end when psql is at hand (KEEP_SCHEMA=1 keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
count=${1:-10000}
connections=${2:-25}
base=${HOOKSCOPE_BENCH_POSTGRES_URL:?set HOOKSCOPE_BENCH_POSTGRES_URL to a PostgreSQL database the benchmark may write}
release_binary
bench_work
a=""; b=""
trap 'kill $a $b 2>/dev/null || true; bench_cleanup' EXIT
bench/make-webhook-body.py "$work/body.json"
schema="bench_two_$(date +%s)_$$"
sep='?'; [[ "$base" == *\?* ]] && sep='&'
pgurl="$base${sep}schema=$schema"
echo "binary $bin; $count webhooks of $(wc -c < "$work/body.json") bytes to each of two listeners, $connections connections each; load $(cut -d' ' -f1-3 /proc/loadavg)"

"$bin" listen --headless --port 0 --db "$pgurl" > "$work/out-a" 2>&1 & a=$!
"$bin" listen --headless --port 0 --db "$pgurl" > "$work/out-b" 2>&1 & b=$!
url_a=$(listening_url "$work/out-a"); url_b=$(listening_url "$work/out-b")
[[ -n "$url_a" && -n "$url_b" ]] || { echo "a listener did not start:"; cat "$work/out-a" "$work/out-b"; exit 1; }

started=$(date +%s%N)
bench/unique-sender.py --port "${url_a##*:}" --prefix a --count "$count" --connections "$connections" \
  --body "$work/body.json" --log "$work/log-a" > "$work/rate-a" &
s=$!
bench/unique-sender.py --port "${url_b##*:}" --prefix b --count "$count" --connections "$connections" \
  --body "$work/body.json" --log "$work/log-b" > "$work/rate-b"
wait "$s"
ended=$(date +%s%N)
echo "listener A: $(cat "$work/rate-a")"
echo "listener B: $(cat "$work/rate-b")"
elapsed_ms=$(( (ended - started) / 1000000 ))
echo "both: $((2 * count)) webhooks in $((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000))) s, $((2 * count * 1000 / elapsed_ms)) requests/s"
kill $a $b; wait $a $b 2>/dev/null || true; a=""; b=""

status=0
listed=$("$bin" list --db "$pgurl" | wc -l)
echo "check list shows                         $listed $([[ $listed -eq $((2 * count)) ]] && echo ok || echo FAILED)"
[[ $listed -eq $((2 * count)) ]] || status=1
"$bin" list --json --db "$pgurl" \
  | bench/check-unique-captures.py --body "$work/body.json" --log "a=$work/log-a" --log "b=$work/log-b" --expect $((2 * count)) \
  || status=1
if [[ -z "${KEEP_SCHEMA:-}" ]] && command -v psql >/dev/null; then
  psql -q "$base" -c "DROP SCHEMA $schema CASCADE" 2>/dev/null && echo "schema $schema dropped" || echo "schema $schema left in the database"
else
  echo "schema $schema left in the database (DROP SCHEMA $schema CASCADE removes it)"
fi
exit $status
