#!/usr/bin/env python3
# Usage: bench/slow-senders.py PORT [N=22] [DECLARED=25565281] [INTERVAL=5] [SECONDS=45] [LISTENER_PID]
# Issue #20: N connections declare DECLARED body bytes and send one byte every INTERVAL s, while a
# 2 KB POST goes every 0.5 s for SECONDS; prints the small POSTs' statuses, the listener's RSS
# (with its pid) and how and when each slow connection ended.
import socket, sys, threading, time, collections
args = sys.argv[1:] + [None] * 6
port = int(args[0])
n, declared = int(args[1] or 22), int(args[2] or 25565281)
interval, duration = float(args[3] or 5), float(args[4] or 45)
pid = int(args[5]) if args[5] else None
start = time.time()
ended = {}
def slow(i):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"POST /slow{i} HTTP/1.1\r\nHost: x\r\nContent-Length: {declared}\r\n\r\n".encode())
    s.settimeout(interval)
    data = b""
    while time.time() - start < duration + 60:
        try:
            s.sendall(b"y")
        except OSError as e:
            ended[i] = (time.time() - start, data[:40], f"send: {e.__class__.__name__}"); return
        try:
            chunk = s.recv(4096)
            if not chunk:
                ended[i] = (time.time() - start, data[:40], "closed"); return
            data += chunk
        except socket.timeout:
            pass
        except OSError as e:
            ended[i] = (time.time() - start, data[:40], f"recv: {e.__class__.__name__}"); return
    ended[i] = (time.time() - start, data[:40], "still open")
threads = [threading.Thread(target=slow, args=(i,), daemon=True) for i in range(n)]
for t in threads: t.start()
time.sleep(0.5)
results = collections.Counter()
body = b"w" * 2048
rss = []
while time.time() - start < duration:
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=10)
        c.sendall(b"POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\nConnection: close\r\n\r\n" + body)
        resp = c.recv(100)
        results[resp[9:12].decode() or "none"] += 1
        c.close()
    except OSError as e:
        results[e.__class__.__name__] += 1
    if pid:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS"): rss.append(int(line.split()[1]))
    time.sleep(0.5)
print(f"small POSTs during {duration:.0f} s: {dict(results)}")
if rss: print(f"listener RSS: {min(rss)//1024}-{max(rss)//1024} MB")
for t in threads: t.join(timeout=70)
summary = collections.Counter()
for i in range(n):
    t, d, how = ended.get(i, (None, b"", "unknown"))
    summary[(d[:12].decode(errors='replace'), how)] += 1
times = sorted(v[0] for v in ended.values() if v[0] is not None)
print(f"slow senders: {dict(summary)}; ended after {times[0]:.1f}-{times[-1]:.1f} s" if times else "slow senders: none ended")
