#!/usr/bin/env bash
# Stopping the PostgreSQL server under load (not only cutting the connection): a headless listener
# on --db postgres://… gets unique webhooks at a steady RATE (bench/unique-sender.py, 8 keep-alive
# connections); after BEFORE seconds the cluster is stopped (`pg_ctlcluster … stop -m fast`), DOWN
# seconds later started again, and the sending goes on for AFTER seconds. Then the checks: while
# the server was down senders got 503 and never 2xx, the listener recovered (the time from the
# server accepting connections again to the first capture acknowledged), what it said on stderr,
# and every capture answered 2xx is in the store once with the bytes sent.
# Usage (as root; the cluster is stopped and started, so never one that others use):
#   HOOKSCOPE_OUTAGE_CLUSTER="15 hs-outage" HOOKSCOPE_BENCH_POSTGRES_URL=postgres://USER[:PASSWORD]@127.0.0.1:PORT/DB \
#     bench/postgres-outage.sh [down-seconds] [rate] [before-seconds] [after-seconds]
# HOOKSCOPE_BIN picks the binary (default: a release build in .build-release).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
down=${1:-5}
rate=${2:-200}
before=${3:-5}
after=${4:-15}
read -r -a cluster <<< "${HOOKSCOPE_OUTAGE_CLUSTER:?set HOOKSCOPE_OUTAGE_CLUSTER to a cluster of your own, as pg_ctlcluster names it (e.g. \"15 hs-outage\")}"
base=${HOOKSCOPE_BENCH_POSTGRES_URL:?set HOOKSCOPE_BENCH_POSTGRES_URL to a database of that cluster}
release_binary
bench_work
# The cluster is started again whatever happens.
trap 'pg_ctlcluster "${cluster[@]}" start >/dev/null 2>&1 || true; bench_cleanup' EXIT
bench/make-webhook-body.py "$work/body.json"
schema="bench_outage_$(date +%s)_$$"
sep='?'; [[ "$base" == *\?* ]] && sep='&'
pgurl="$base${sep}schema=$schema"
echo "binary $bin; cluster ${cluster[*]}; $rate webhooks/s for ${before} s, server down ${down} s, then ${after} s; load $(cut -d' ' -f1-3 /proc/loadavg)"

"$bin" listen --headless --port 0 --db "$pgurl" > "$work/out" 2> "$work/err" &
pid=$!
url=$(listening_url "$work/out")
[[ -n "$url" ]] || { echo "the listener did not start:"; cat "$work/out" "$work/err"; exit 1; }
bench/unique-sender.py --port "${url##*:}" --prefix o --duration $((before + down + after)) --rate "$rate" --connections 8 \
  --body "$work/body.json" --log "$work/log" > "$work/rate" &
sender=$!
sleep "$before"
t_stop=$(date +%s.%N)
pg_ctlcluster "${cluster[@]}" stop -m fast
t_stopped=$(date +%s.%N)
sleep "$down"
t_start=$(date +%s.%N)
pg_ctlcluster "${cluster[@]}" start
t_started=$(date +%s.%N)
wait "$sender"
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
echo "sender: $(cat "$work/rate")"

status=0
python3 - "$work/log" "$t_stop" "$t_stopped" "$t_start" "$t_started" <<'PY' || status=1
import sys
log, t_stop, t_stopped, t_start, t_started = sys.argv[1], *map(float, sys.argv[2:])
answers = sorted((float(t), int(s)) for n, s, t, ms in (line.split() for line in open(log)))
phases = {"before the stop": (0, t_stop), "while stopping": (t_stop, t_stopped), "down": (t_stopped, t_start),
          "while starting": (t_start, t_started), "after the start": (t_started, float("inf"))}
for name, (a, b) in phases.items():
    got = [s for t, s in answers if a <= t < b]
    kinds = {}
    for s in got:
        kinds[s] = kinds.get(s, 0) + 1
    print("%-16s %6d answers: %s" % (name, len(got), ", ".join("%d x %s" % (c, s or "no answer") for s, c in sorted(kinds.items())) or "-"))
print("pg_ctlcluster stop took %.2f s, start %.2f s" % (t_stopped - t_stop, t_started - t_start))
first_503 = next((t for t, s in answers if s == 503), None)
last_503 = max((t for t, s in answers if s == 503), default=None)
first_ok_after = next((t for t, s in answers if last_503 is not None and t > last_503 and 200 <= s < 300), None)
ok = True
if first_503 is None:
    print("check senders got 503 while the server was down: FAILED (none)")
    ok = False
else:
    print("503 answers: %d, the first %.2f s after the stop began, the last %.2f s after the start began" % (
        sum(1 for t, s in answers if s == 503), first_503 - t_stop, last_503 - t_start))
down_ok = sum(1 for t, s in answers if t_stopped <= t < t_start and 200 <= s < 300)
others = sum(1 for t, s in answers if t >= t_stop and not (200 <= s < 300 or s == 503))
print("check no 2xx while the server was down           %-6d %s" % (down_ok, "ok" if down_ok == 0 else "FAILED"))
print("check every failure during the outage was a 503  %-6d %s" % (others, "ok" if others == 0 else "FAILED"))
if first_ok_after is None or any(s == 503 for t, s in answers if t > first_ok_after):
    print("check the listener recovered: FAILED (no 2xx after the server was started)")
    ok = False
else:
    print("check the listener recovered: 2xx again %.2f s after the start began (pg_ctlcluster returned after %.2f s), ok" % (
        first_ok_after - t_start, t_started - t_start))
ok &= down_ok == 0 and others == 0
sys.exit(0 if ok else 1)
PY
lines=$(wc -l < "$work/err")
echo "the listener's stderr ($lines lines):"
sed 's/^/  | /' "$work/err" | head -20
said=$(grep -c "storing captures works again" "$work/err" || true)
echo "check the listener said once that storing works again   $said $([[ $said -eq 1 ]] && echo ok || echo FAILED)"
[[ $said -eq 1 ]] || status=1
"$bin" list --json --db "$pgurl" | bench/check-unique-captures.py --body "$work/body.json" --log "o=$work/log" || status=1
if [[ -z "${KEEP_SCHEMA:-}" ]] && command -v psql >/dev/null; then
  psql -q "$base" -c "DROP SCHEMA $schema CASCADE" 2>/dev/null && echo "schema $schema dropped" || echo "schema $schema left in the database"
fi
exit $status
