# SPDX-License-Identifier: MIT
"""py_asyncio.py - an asyncio program whose event loop is (or is not)
blocked by one coroutine, for the event_loop_stall end-to-end tests.

Usage: py_asyncio.py MODE

A server's loop (it listens on a port of its own; no client comes): a
ticker coroutine wakes every 20 ms, so the loop waits in epoll_wait many
times; after 100 ms another coroutine does, once:
  sleep   time.sleep(0.3): blocks the loop 300 ms in clock_nanosleep
  query   a blocking sqlite3 query of about 0.3 s (a recursive count whose
          length is measured first, before the loop starts)
  cpu     a pure-Python loop of 0.3 s
  await   `await asyncio.sleep(0.3)`: the loop keeps running (no stall)
  idle    no ticker: 50 `await asyncio.sleep(0)` (waits that return at
          once), then `await asyncio.sleep(0.3)`: the loop waits (no stall)

Prints "done MODE".
"""
import asyncio
import sqlite3
import sys
import time

BLOCK = 0.3
COUNT = "with recursive c(x) as (select 1 union all select x + 1 from c where x < ?) " \
        "select count(*) from c"


def rows_for(db, seconds):
    """How far the recursive count goes in about `seconds` of CPU time:
    on a busy machine the wall time of the measuring runs says more of the
    other processes than of the query, and a count that takes `seconds` of
    CPU takes at least as long on the clock."""
    n = 20000
    while True:
        t0 = time.thread_time()
        db.execute(COUNT, (n,)).fetchone()
        took = time.thread_time() - t0
        if took > 0.02:
            return int(n * seconds / took)
        n *= 4


async def ticker(stop):
    while stop is not None and not stop.is_set():
        await asyncio.sleep(0.02)


async def blocker(mode, db, n):
    await asyncio.sleep(0.1)
    if mode == "sleep":
        time.sleep(BLOCK)  # block
    elif mode == "query":
        db.execute(COUNT, (n,)).fetchone()
    elif mode == "cpu":
        t0 = time.monotonic()
        x = 0
        while time.monotonic() - t0 < BLOCK:
            x += 1
    elif mode == "idle":
        for _ in range(50):
            await asyncio.sleep(0)
        await asyncio.sleep(BLOCK)
    else:
        await asyncio.sleep(BLOCK)
    await asyncio.sleep(0.1)


async def serve(reader, writer):
    writer.close()


async def main(mode, db, n):
    # A server's loop: it listens for clients (none come).
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    stop = asyncio.Event()
    tick = asyncio.create_task(ticker(stop if mode != "idle" else None))
    await blocker(mode, db, n)
    stop.set()
    await tick
    server.close()
    await server.wait_closed()


def run():
    mode = sys.argv[1]
    db = sqlite3.connect(":memory:")
    n = rows_for(db, BLOCK) if mode == "query" else 0
    asyncio.run(main(mode, db, n))
    print("done", mode)


run()
