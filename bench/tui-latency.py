#!/usr/bin/env python3
"""Keystroke-to-screen latency of hookscope's TUI under tmux.

Starts `hookscope --port 0 --db DB` in a private tmux server (120x40 by default), waits for the status
bar, then sends KEYS keys one at a time: first `k` (up from the newest capture, so the list scrolls
through high offsets), then `j` back down. For each key it takes the time just before `tmux send-keys`
and polls `tmux capture-pane -p -e` (no sleep) until
  - "selection": the reverse-video row of the list shows the expected id (previous id -+ 1), and
  - "detail":    additionally the headers pane no longer says "loading…".
Ids must be contiguous (bench/tui-fill-store.sh makes them so). Prints median, p95 and max per stage
and the cost of one capture-pane round trip (the measurement floor).

With --load RATE, wrk (keep-alive, Lua delay() pacing) posts a 2 KB webhook at about RATE requests/s
to the same hookscope while the keys are measured; the rate wrk actually reached is printed.

Usage: bench/tui-latency.py --db DB [--keys 200] [--load 5000] [--bin .build-release/release/hookscope]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

SGR = re.compile(r"\x1b\[([0-9;]*)m")
ANY_ESC = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]")


def tmux(sock, *args, capture=True):
    result = subprocess.run(["tmux", "-L", sock, "-f", "/dev/null", *args], check=False,
                            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    return result.stdout.decode("utf-8", "replace") if capture else None


def screen(sock, escapes=False):
    return tmux(sock, "capture-pane", "-p", *(["-e"] if escapes else []))


def selected_id(escaped):
    """The id on the list row drawn in reverse video, or None."""
    for line in escaped.split("\n"):
        reverse = False
        pos = 0
        text_in_reverse = []
        for m in SGR.finditer(line):
            if reverse:
                text_in_reverse.append(line[pos:m.start()])
            params = m.group(1).split(";") if m.group(1) else ["0"]
            for p in params:
                if p in ("0", ""):
                    reverse = False
                elif p == "7":
                    reverse = True
                elif p == "27":
                    reverse = False
            pos = m.end()
        if reverse:
            text_in_reverse.append(line[pos:])
        if text_in_reverse:
            plain = ANY_ESC.sub("", "".join(text_in_reverse))
            m = re.match(r"\s*(\d+)\s", plain)
            if m:
                return int(m.group(1))
    return None


def percentile(values, p):
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def summarize(name, values):
    ms = [v * 1000 for v in values]
    return (f"{name}: n={len(ms)} median {statistics.median(ms):.1f} ms, p95 {percentile(ms, 95):.1f} ms, "
            f"max {max(ms):.1f} ms, {sum(1 for v in ms if v > 100)} over 100 ms")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--bin", default=".build-release/release/hookscope")
    ap.add_argument("--keys", type=int, default=200)
    ap.add_argument("--width", type=int, default=120)
    ap.add_argument("--height", type=int, default=40)
    ap.add_argument("--load", type=int, default=0, help="requests/s posted by wrk while measuring (0: none)")
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for one key's effect")
    args = ap.parse_args()
    binary = os.path.abspath(args.bin)
    db = os.path.abspath(args.db)
    sock = f"hookscope-bench-{uuid.uuid4().hex[:8]}"
    work = tempfile.mkdtemp()
    wrk = None
    try:
        command = (f"env HOME={work} SWIFT_BACKTRACE=enable=no TERM=xterm-256color HOOKSCOPE_LOG=/dev/null "
                   f"{binary} --port 0 --db {db}; echo EXITED $?; sleep 600")
        tmux(sock, "new-session", "-d", "-x", str(args.width), "-y", str(args.height), command, capture=False)
        deadline = time.monotonic() + 60
        port = None
        while time.monotonic() < deadline:
            m = re.search(r"http://127\.0\.0\.1:(\d+) │ (\d+) captures?", screen(sock))
            if m and selected_id(screen(sock, True)) is not None:
                port, total = int(m.group(1)), int(m.group(2))
                break
            time.sleep(0.05)
        if port is None:
            sys.exit("hookscope did not show a selected capture:\n" + screen(sock))
        print(f"hookscope on port {port}, {total} captures on screen, {args.width}x{args.height}")

        # The measurement floor: one capture-pane round trip.
        t = time.monotonic()
        for _ in range(50):
            screen(sock, True)
        print(f"capture-pane round trip: {(time.monotonic() - t) / 50 * 1000:.1f} ms")

        if args.load:
            if not shutil.which("wrk"):
                sys.exit("needs wrk: apt-get install -y wrk")
            here = os.path.dirname(os.path.abspath(__file__))
            subprocess.run([sys.executable, os.path.join(here, "make-webhook-body.py"), f"{work}/body.json"], check=True)
            # Each connection waits `delay` ms before each request: connections * 1000 / delay requests/s
            # at most (less by the response time).
            delay = args.connections * 1000 / args.load
            with open(f"{work}/post.lua", "w") as f:
                f.write(f"""wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("{work}/body.json", "rb"); wrk.body = f:read("*a"); f:close()
function delay() return {delay:.3f} end
""")
            wrk = subprocess.Popen(["wrk", "-t2", f"-c{args.connections}", "-d600s", "-s", f"{work}/post.lua",
                                    f"http://127.0.0.1:{port}/stripe/webhook"],
                                   stdout=open(f"{work}/wrk.out", "w"), stderr=subprocess.STDOUT)
            load_start = time.monotonic()
            time.sleep(2)  # let the load settle before measuring (not a synchronisation)
            m = re.search(r"│ (\d+) captures?", screen(sock))
            load_start_count = int(m.group(1)) if m else None
            load_start = time.monotonic()

        # One unmeasured key leaves follow mode, so new captures no longer move the selection.
        tmux(sock, "send-keys", "k", capture=False)
        deadline = time.monotonic() + 30
        while "following" in screen(sock) and time.monotonic() < deadline:
            pass
        current = selected_id(screen(sock, True))
        selection, detail = [], []
        timeouts = 0
        for i in range(args.keys):
            key, step = ("k", -1) if i < args.keys // 2 else ("j", 1)
            expected = current + step
            t0 = time.monotonic()
            tmux(sock, "send-keys", key, capture=False)
            t_sel = None
            while True:
                s = screen(sock, True)
                now = time.monotonic()
                if selected_id(s) == expected:
                    if t_sel is None:
                        t_sel = now
                    if "loading…" not in s:
                        selection.append(t_sel - t0)
                        detail.append(now - t0)
                        break
                if now - t0 > args.timeout:
                    timeouts += 1
                    print(f"key {i} ({key}): no change to id {expected} within {args.timeout}s; "
                          f"selected {selected_id(s)}", file=sys.stderr)
                    break
            current = selected_id(screen(sock, True)) or expected

        if wrk is not None:
            m = re.search(r"│ (\d+) captures?", screen(sock))
            elapsed = time.monotonic() - load_start
            wrk.terminate()
            wrk.wait()
            end_count = int(m.group(1)) if m else None
            if end_count is not None and load_start_count is not None:
                rate = (end_count - load_start_count) / elapsed
                print(f"load: wrk -t2 -c{args.connections}, delay {delay:.1f} ms per request per connection; "
                      f"captures counted on screen grew at {rate:.0f}/s while measuring")
        print(summarize("selection visible", selection))
        print(summarize("detail loaded    ", detail))
        if timeouts:
            print(f"timeouts: {timeouts}")
    finally:
        if wrk is not None and wrk.poll() is None:
            wrk.terminate()
            wrk.wait()
        tmux(sock, "kill-server", capture=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
