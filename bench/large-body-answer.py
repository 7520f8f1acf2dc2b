#!/usr/bin/env python3
"""How long a sender waits for its answer after the last byte of a large signed body.

Starts `hookscope listen --headless --memory --secret stripe=SECRET` and posts Stripe-style JSON
bodies of 64 KiB to 24 MiB, each signed correctly, signed with another secret (a mismatch, which the
listener may try to explain) and signed correctly but with a timestamp an hour old (expired), a
few times each on a fresh connection, to a new listener for each size and kind (so that the first
answer has the diagnosis budget whole). It prints, per size and kind, the first answer's time and
the median of the others: the time from the last byte sent to the status line received.

Usage: bench/large-body-answer.py [--bin PATH] [--repeat 3] [--sizes 65536,262144,...]
"""
import argparse
import hashlib
import hmac
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

SECRET = "whsec_bench_secret"


def body_of_size(size):
    """A JSON event whose encoding is `size` bytes (give or take a few), many small objects inside."""
    items = []
    head = '{"id":"evt_bench","type":"invoice.paid","data":{"object":{"lines":['
    tail = "]}}}"
    length = len(head) + len(tail)
    n = 0
    while length < size:
        item = json.dumps({"id": "il_%08d" % n, "amount": n * 7, "description": "line %d" % n}, separators=(",", ":"))
        items.append(item)
        length += len(item) + 1
        n += 1
    return (head + ",".join(items) + tail).encode()


def stripe_header(body, secret, timestamp):
    signed = str(timestamp).encode() + b"." + body
    return "t=%d,v1=%s" % (timestamp, hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest())


def answer_time(port, body, signature):
    head = ("POST /stripe/hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "Stripe-Signature: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % (signature, len(body))).encode()
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(120)
    s.sendall(head + body)
    sent = time.monotonic()
    data = b""
    while b"\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    answered = time.monotonic()
    s.close()
    status = data.split(b" ", 2)[1].decode() if data else "none"
    return answered - sent, status


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=os.environ.get("HOOKSCOPE_BIN", ".build-release/release/hookscope"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", default="65536,262144,1048576,4194304,16777216,25165824")
    args = parser.parse_args()
    work = tempfile.mkdtemp()
    env = dict(os.environ, HOME=work, XDG_CONFIG_HOME=work)

    def start_listener():
        listener = subprocess.Popen(
            [args.bin, "listen", "--headless", "--memory", "--port", "0", "--secret", "stripe=" + SECRET],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        line = listener.stdout.readline().decode()
        # The capture lines are not looked at: `cat` drains them so the pipe never fills.
        subprocess.Popen(["cat"], stdin=listener.stdout, stdout=subprocess.DEVNULL)
        return listener, int(line.strip().rsplit(":", 1)[1])

    print("hookscope: %s; %d requests per size and kind" % (args.bin, args.repeat))
    print("| body | kind | first answer (ms) | median of the rest (ms) | statuses |")
    print("| ---: | --- | ---: | ---: | --- |")
    for size in [int(s) for s in args.sizes.split(",")]:
        body = body_of_size(size)
        now = int(time.time())
        kinds = [
            ("valid", lambda: stripe_header(body, SECRET, int(time.time()))),
            ("other secret", lambda: stripe_header(body, "whsec_other", int(time.time()))),
            ("expired", lambda: stripe_header(body, SECRET, now - 3600)),
        ]
        for kind, signature in kinds:
            listener, port = start_listener()
            try:
                times, statuses = [], []
                for _ in range(args.repeat):
                    elapsed, status = answer_time(port, body, signature())
                    times.append(elapsed * 1000)
                    statuses.append(status)
            finally:
                listener.terminate()
                listener.wait()
            rest = statistics.median(times[1:]) if len(times) > 1 else times[0]
            print("| %.1f KiB | %s | %.1f | %.1f | %s |" % (len(body) / 1024, kind, times[0], rest, ",".join(sorted(set(statuses)))))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
