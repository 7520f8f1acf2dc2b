#!/usr/bin/env python3
"""Checks a store against what unique-sender.py sent: reads `hookscope list --json` on stdin.

  hookscope list --json --db … | check-unique-captures.py --body FILE --log PREFIX=FILE … [--expect N]

Prints the checks and exits 1 when one fails: ids distinct and increasing, every capture answered
2xx stored exactly once with the bytes sent (target and body), nothing stored that was not sent,
and (with --expect) exactly N captures. Captures stored although their sender got no 2xx are
counted, not failed (a COMMIT that succeeded just as the connection to the database broke)."""
import argparse
import base64
import json
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--body", required=True)
parser.add_argument("--log", action="append", required=True, help="PREFIX=FILE")
parser.add_argument("--expect", type=int)
args = parser.parse_args()
template = open(args.body, "rb").read().strip()

acknowledged, sent = set(), set()
for item in args.log:
    prefix, _, path = item.partition("=")
    for line in open(path):
        n, status = line.split()[:2]
        sent.add((prefix, int(n)))
        if 200 <= int(status) < 300:
            acknowledged.add((prefix, int(n)))

ids, seen, duplicates, unknown, wrong_bytes = [], {}, 0, 0, 0
for line in sys.stdin:
    capture = json.loads(line)
    ids.append(capture["id"])
    parts = capture["target"].split("/")
    key = (parts[1], int(parts[2])) if len(parts) == 3 and parts[2].isdigit() else None
    if key not in sent:
        unknown += 1
        continue
    seen[key] = seen.get(key, 0) + 1
    if seen[key] > 1:
        duplicates += 1
    expected = b'{"bench_id":"%s-%d",' % (key[0].encode(), key[1]) + template[1:]
    if base64.b64decode(capture["body_base64"]) != expected:
        wrong_bytes += 1

missing = sorted(acknowledged - seen.keys())
stored_unacknowledged = len(seen.keys() - acknowledged)
checks = [
    ("captures stored", len(ids), args.expect is None or len(ids) == args.expect),
    ("distinct ids", len(set(ids)), len(set(ids)) == len(ids)),
    ("ids increasing", ids == sorted(ids), ids == sorted(ids)),
    ("acknowledged (2xx)", len(acknowledged), True),
    ("acknowledged but missing", len(missing), not missing),
    ("stored more than once", duplicates, duplicates == 0),
    ("stored with other bytes than sent", wrong_bytes, wrong_bytes == 0),
    ("stored but never sent", unknown, unknown == 0),
    ("stored although not acknowledged", stored_unacknowledged, True),
]
failed = False
for name, value, ok in checks:
    print("check %-36s %-8s %s" % (name, value, "ok" if ok else "FAILED"))
    failed |= not ok
if missing:
    print("missing, first ones:", missing[:10])
sys.exit(1 if failed else 0)
