#!/usr/bin/env python3
"""What pruning costs with the filter's text index, on the SQLite library Python links (the system
one, which hookscope's GRDB links too: check that `python3 -c 'import sqlite3; print(sqlite3.sqlite_version)'`
and `sqlite3 --version` agree).

A store like hookscope's (8 KB pages, incremental auto-vacuum, WAL, synchronous FULL) holds N
captures of the ~2 KB webhook the other benchmarks post, indexed in a contentless FTS5 trigram
table as `RequestFilter.indexedText` gives them (target, a header, body). Then half of them are
pruned, oldest first, one transaction per step, timed from BEGIN to COMMIT, three ways:
  rows     DELETE of STEP rows only (what pruning cost before the index was kept clean: its entries stayed)
  delete   the same rows taken out of the index first (FTS5 'delete' with their text), then deleted
  sharded  one FTS5 table per SHARD captures, dropped whole once all its captures are pruned
Usage: bench/text-index-prune.py [N=20000] [STEPS="32 500"] [SHARD=4096]
"""
import os, sqlite3, statistics, subprocess, sys, tempfile, time

n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
steps = [int(s) for s in (sys.argv[2] if len(sys.argv) > 2 else "32 500").split()]
shard = int(sys.argv[3]) if len(sys.argv) > 3 else 4096
work = tempfile.mkdtemp()
subprocess.run([os.path.join(os.path.dirname(__file__), "make-webhook-body.py"), work + "/body.json"], check=True)
body = open(work + "/body.json").read()


def text(i):
    return f"/stripe/hook/{i}\ncontent-type: application/json\n" + body.replace("6735", str(i))


def store(design):
    path = f"{work}/{design}.sqlite"
    for suffix in ["", "-wal", "-shm"]:
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA page_size = 8192")
    db.execute("PRAGMA auto_vacuum = INCREMENTAL")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("CREATE TABLE request (id INTEGER PRIMARY KEY AUTOINCREMENT, body BLOB)")
    db.execute("BEGIN")
    for i in range(1, n + 1):
        db.execute("INSERT INTO request (id, body) VALUES (?, ?)", (i, text(i).encode()))
    db.execute("COMMIT")
    tables = set()
    start = time.perf_counter()
    for first in range(1, n + 1, 256):
        db.execute("BEGIN")
        for i in range(first, min(n, first + 255) + 1):
            table = "request_text" if design != "sharded" else f"request_text_{(i - 1) // shard}"
            if table not in tables:
                db.execute(f"CREATE VIRTUAL TABLE {table} USING fts5(doc, content='', tokenize='trigram')")
                tables.add(table)
            db.execute(f"INSERT INTO {table} (rowid, doc) VALUES (?, ?)", (i, text(i)))
        db.execute("COMMIT")
    built = time.perf_counter() - start
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db, tables, built, os.path.getsize(path)


def prune(design, step):
    db, tables, built, size = store(design)
    times = []
    for _ in range(n // 2 // step):
        start = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        if design == "delete":
            for i, b in db.execute("SELECT id, body FROM request ORDER BY id LIMIT ?", (step,)).fetchall():
                db.execute("INSERT INTO request_text (request_text, rowid, doc) VALUES ('delete', ?, ?)", (i, b.decode()))
        db.execute("DELETE FROM request WHERE id IN (SELECT id FROM request ORDER BY id LIMIT ?)", (step,))
        if design == "sharded":
            oldest = db.execute("SELECT min(id) FROM request").fetchone()[0]
            for table in sorted(tables):
                if (int(table.rsplit("_", 1)[1]) + 1) * shard < oldest:
                    db.execute(f"DROP TABLE {table}")
                    tables.discard(table)
        db.execute("COMMIT")
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"| {design} | {step} | {statistics.median(times):.1f} | {p99:.1f} | {times[-1]:.1f} | "
          f"{sum(times) / (len(times) * step):.3f} | {built:.1f} | {size / 1e6:.0f} |", flush=True)


print(f"SQLite {sqlite3.sqlite_version}; {n} captures of {len(text(1))} bytes of text; half pruned")
print("| design | step (captures) | median ms | p99 ms | max ms | ms per capture | index built in s | file MB |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for step in steps:
    prune("rows", step)
    prune("delete", step)
prune("sharded", max(steps))
subprocess.run(["rm", "-rf", work])
