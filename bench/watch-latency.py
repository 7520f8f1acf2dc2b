#!/usr/bin/env python3
"""Commit-to-screen delay of `hookscope watch`: how long after a listener in another process has
committed a capture (its 2xx is sent after the commit) the capture's row is on the viewer's screen.

For each store (an SQLite file; with --postgres also a PostgreSQL schema of its own) it starts a
headless listener on that store and `hookscope watch --db STORE` in a private tmux server, then
sends COUNT requests one at a time, each to a path of its own. For each it takes the time the
2xx arrived and polls `tmux capture-pane -p` (no sleep) until the path is on screen. The figure
includes one capture-pane round trip (printed: the measurement floor). The SQLite viewer learns of
commits by polling PRAGMA data_version every 100 ms; the PostgreSQL viewer through LISTEN/NOTIFY.

Usage: bench/watch-latency.py [--count 50] [--postgres postgres://USER[:PASSWORD]@HOST:PORT/DB]
                              [--bin .build-release/release/hookscope]
"""
import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid


def tmux(sock, *args, capture=True):
    result = subprocess.run(["tmux", "-L", sock, "-f", "/dev/null", *args], check=False,
                            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    return result.stdout.decode("utf-8", "replace") if capture else None


def percentile(values, p):
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def start_listener(binary, db, work, name):
    out = open(f"{work}/{name}.out", "w+")
    process = subprocess.Popen([binary, "listen", "--headless", "--port", "0", "--db", db],
                               stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "HOOKSCOPE_LOG": "/dev/null"})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        out.seek(0)
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", out.read())
        if m:
            return process, int(m.group(1))
        if process.poll() is not None:
            break
        time.sleep(0.05)
    out.seek(0)
    sys.exit(f"the listener on {name} did not start:\n{out.read()}")


def measure(binary, name, db, count, work):
    listener, port = start_listener(binary, db, work, name)
    sock = f"hookscope-bench-{uuid.uuid4().hex[:8]}"
    try:
        # The first capture makes the store exist (an SQLite file must exist before watch opens it).
        connection = http.client.HTTPConnection("127.0.0.1", port)
        connection.request("POST", "/warm-up", body=b"{}")
        connection.getresponse().read()
        command = (f"env HOME={work} SWIFT_BACKTRACE=enable=no TERM=xterm-256color HOOKSCOPE_LOG=/dev/null "
                   f"{binary} watch --db '{db}'; echo EXITED $?; sleep 600")
        tmux(sock, "new-session", "-d", "-x", "120", "-y", "40", command, capture=False)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "/warm-up" not in tmux(sock, "capture-pane", "-p"):
            time.sleep(0.05)
        screen = tmux(sock, "capture-pane", "-p")
        if "/warm-up" not in screen:
            sys.exit(f"watch on {name} did not show the store:\n{screen}")
        t = time.monotonic()
        for _ in range(50):
            tmux(sock, "capture-pane", "-p")
        floor = (time.monotonic() - t) / 50 * 1000
        delays = []
        run = uuid.uuid4().hex[:6]
        for i in range(count):
            path = f"/w-{run}-{i:04d}"
            connection.request("POST", path, body=b'{"n":1}')
            response = connection.getresponse()
            response.read()
            committed = time.monotonic()
            if response.status // 100 != 2:
                sys.exit(f"{name}: the listener answered {response.status}")
            deadline = committed + 10
            while path not in tmux(sock, "capture-pane", "-p"):
                if time.monotonic() > deadline:
                    sys.exit(f"{name}: {path} not on screen after 10 s")
            delays.append((time.monotonic() - committed) * 1000)
        print(f"{name}: n={count} median {statistics.median(delays):.1f} ms, p90 {percentile(delays, 90):.1f} ms, "
              f"max {max(delays):.1f} ms (capture-pane round trip {floor:.1f} ms)")
    finally:
        tmux(sock, "kill-server")
        listener.terminate()
        listener.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=".build-release/release/hookscope")
    ap.add_argument("--count", type=int, default=50)
    ap.add_argument("--postgres", help="a PostgreSQL database the benchmark may write (a schema of its own is made)")
    args = ap.parse_args()
    binary = os.path.abspath(args.bin)
    work = tempfile.mkdtemp()
    print(f"binary {binary}; {args.count} captures per store, one at a time")
    measure(binary, "sqlite", f"{work}/captures.sqlite", args.count, work)
    if args.postgres:
        sep = "&" if "?" in args.postgres else "?"
        measure(binary, "postgres", f"{args.postgres}{sep}schema=bench_watch_{uuid.uuid4().hex[:8]}", args.count, work)


if __name__ == "__main__":
    main()
