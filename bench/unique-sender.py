#!/usr/bin/env python3
"""Posts webhooks that are each unique (path /PREFIX/N, and "bench_id": "PREFIX-N" at the start of
the JSON body) over keep-alive connections, and logs every answer, so that a check can tell which
captures were acknowledged and compare the stored bytes with those sent.

  unique-sender.py --port P --prefix a --body FILE --log FILE [--count N] [--connections C]
                   [--duration S] [--rate R]

--count N sends N requests in all (split over the connections); --duration S sends until S seconds
have passed, at --rate R requests/s in all when given (else as fast as answers come). Each log line:
"N STATUS TIME MS" (TIME: when the answer came, in seconds since 1970; MS: how long it took, in
milliseconds; STATUS 0 when the connection broke, and the connection is made again). Prints "sent N, 2xx A, non-2xx B, seconds S, requests/s R"."""
import argparse
import asyncio
import itertools
import signal
import time


def body_for(template: bytes, prefix: str, n: int) -> bytes:
    """The template with `"bench_id":"PREFIX-N",` after its opening brace."""
    return b'{"bench_id":"%s-%d",' % (prefix.encode(), n) + template[1:]


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """The status, and whether the server closes the connection after it."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ")[1])
    length, close = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        if name.strip().lower() == b"connection" and value.strip().lower() == b"close":
            close = True
    if length:
        await reader.readexactly(length)
    return status, close


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--body", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--count", type=int)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--duration", type=float)
    parser.add_argument("--rate", type=float)
    args = parser.parse_args()
    template = open(args.body, "rb").read().strip()
    assert template.startswith(b"{"), "the body must be a JSON object"
    log = open(args.log, "w")
    counter = iter(range(args.count if args.count is not None else 1 << 62))
    start = time.monotonic()
    results = {"ok": 0, "bad": 0}
    interval = args.connections / args.rate if args.rate else 0.0

    async def connection(index: int) -> None:
        reader = writer = None
        next_send = start + index * (interval / args.connections if interval else 0)
        while True:
            if args.duration is not None and time.monotonic() - start >= args.duration:
                break
            n = next(counter, None)
            if n is None:
                break
            if interval:
                delay = next_send - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                next_send += interval
            body = body_for(template, args.prefix, n)
            sent_at = time.monotonic()
            request = (
                b"POST /%s/%d HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                b"User-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)\r\nContent-Length: %d\r\n\r\n"
                % (args.prefix.encode(), n, len(body))
            ) + body
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", args.port)
                writer.write(request)
                await writer.drain()
                status, close = await read_response(reader)
                if close:
                    writer.close()
                    reader = writer = None
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                status = 0
                if writer is not None:
                    writer.close()
                reader = writer = None
            log.write("%d %d %.3f %.1f\n" % (n, status, time.time(), (time.monotonic() - sent_at) * 1000))
            results["ok" if 200 <= status < 300 else "bad"] += 1
        if writer is not None:
            writer.close()

    # SIGTERM stops the sending: each connection's request in flight is answered and logged first.
    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    counter = itertools.takewhile(lambda _: not stopping.is_set(), counter)
    await asyncio.gather(*(connection(i) for i in range(args.connections)))
    elapsed = time.monotonic() - start
    log.close()
    sent = results["ok"] + results["bad"]
    print("sent %d, 2xx %d, non-2xx %d, seconds %.2f, requests/s %.0f"
          % (sent, results["ok"], results["bad"], elapsed, sent / elapsed if elapsed else 0))


asyncio.run(main())
