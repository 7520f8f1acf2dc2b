#!/usr/bin/env bash
# Seconds and peak RSS of `hookscope diff` on large bodies: a JSON pair (compact against
# pretty-printed, two values changed), a text pair with many lines changed, and a JSON pair nested
# deeper than the diff's JSON tree goes (compared as text then).
# Usage: bench/diff-large.sh [ITEMS=26000]; env HOOKSCOPE_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
items=${1:-26000}
if [ -z "${HOOKSCOPE_BIN:-}" ]; then
  swift build -c release --scratch-path .build-release --product hookscope >/dev/null
  HOOKSCOPE_BIN=.build-release/release/hookscope
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work XDG_CONFIG_HOME=$work XDG_DATA_HOME=$work
python3 - "$work" "$items" <<'PY'
import json, sys
work, n = sys.argv[1], int(sys.argv[2])
items = [{"n": i, "name": "item %d" % i, "price": i * 1.5, "tags": ["a", "b"]} for i in range(n)]
open(work + "/a.json", "w").write(json.dumps({"id": "evt_big", "items": items}, separators=(",", ":")))
items[100]["price"] = 1
items[n // 2]["name"] = "changed"
open(work + "/b.json", "w").write(json.dumps({"id": "evt_big", "items": items}, indent=2))
lines = ["line %d of a long log" % i for i in range(150000)]
open(work + "/a.txt", "w").write("\n".join(lines) + "\n")
for i in range(0, len(lines), 1000): lines[i] = "changed " + lines[i]
open(work + "/b.txt", "w").write("\n".join(lines) + "\n")
open(work + "/a.deep", "w").write("[" * 500000 + "]" * 500000)
open(work + "/b.deep", "w").write("[" * 500000 + "1" + "]" * 500000)
PY
port=$(free_port)
"$HOOKSCOPE_BIN" listen --headless --port "$port" --max-body 20000000 --db "$work/d.sqlite" > "$work/listen.log" 2>&1 &
pid=$!
wait_port "$port"
for pair in "a.json b.json application/json" "a.txt b.txt text/plain" "a.deep b.deep application/json"; do
  set -- $pair
  curl -s -o /dev/null "http://127.0.0.1:$port/$1" -H "Content-Type: $3" --data-binary "@$work/$1"
  curl -s -o /dev/null "http://127.0.0.1:$port/$2" -H "Content-Type: $3" --data-binary "@$work/$2"
done
kill "$pid"; wait "$pid" || true
for ids in "1 2" "3 4" "5 6"; do
  set -- $ids
  /usr/bin/time -f "diff $1 $2: %e s, %M KB peak RSS" "$HOOKSCOPE_BIN" diff "$1" "$2" --db "$work/d.sqlite" > "$work/out" 2> "$work/time" || true
  echo "$(tail -1 "$work/time"); $(grep -m1 '^Body' "$work/out"); $(grep -c '^  [~+*-]' "$work/out") lines of differences"
done
