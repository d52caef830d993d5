# SPDX-License-Identifier: MIT
"""py_pools.py - Python programs for the concurrency tests: threads that
wait for a pool of connections, for a pool of threads, for the GIL, for a
lock, or for nothing in particular.

usage:
  py_pools.py sqlalchemy URL POOL_SIZE
      6 threads, 3 times each, check a connection out of SQLAlchemy's
      QueuePool (POOL_SIZE connections, no overflow), run a query, and
      hold the connection across 30 ms of other work (a sleep).
  py_pools.py executor WORKERS
      a ThreadPoolExecutor(max_workers=WORKERS) serves two batches of 8
      tasks of 40 ms (a sleep standing for I/O), 20 ms apart; the main
      thread waits for each batch's results in turn.
  py_pools.py map WORKERS
      the one-shot form: list(ThreadPoolExecutor(max_workers=WORKERS).map(
      task, range(10))), tasks of 40 ms, all queued at once.
  py_pools.py asyncio WORKERS
      the same two batches, run from an asyncio event loop through
      loop.run_in_executor() on a ThreadPoolExecutor(max_workers=WORKERS):
      the workers hand their results to the loop through its self-pipe.
  py_pools.py progress event|cond
      2 long-running threads each report progress to the main thread 10
      times, 40 ms apart (a threading.Event it waits on and clears, or a
      Condition it waits on); no pool.
  py_pools.py gil cpu|io THREADS
      THREADS threads that each count in a loop (CPU-bound), or sleep 10 ms
      20 times (I/O-bound).
  py_pools.py lock THREADS
      THREADS threads that each take one threading.Lock 15 times and hold
      it 3 ms (a sleep) each time.
  py_pools.py parked
      a worker waits on a queue.Queue for 5 jobs 30 ms apart, the main
      thread waits on a threading.Event, a ticker thread waits on another
      with a timeout: waits for something to happen, no lock contended.
Prints "ok" and a figure that does not depend on timing.
"""
import queue
import sys
import threading
import time


def sqlalchemy_pool(url, size):
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import QueuePool
    args = {"check_same_thread": False} if url.startswith("sqlite") else {}
    engine = create_engine(url, poolclass=QueuePool, pool_size=size, max_overflow=0,
                           pool_timeout=60, connect_args=args)
    rows = []

    def work():
        for _ in range(3):
            with engine.connect() as conn:  # checkout
                rows.append(conn.execute(text("select 1")).scalar())
                time.sleep(0.03)  # other work, the connection still checked out

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    print("ok", sum(rows))


def executor(workers):
    from concurrent.futures import ThreadPoolExecutor

    def task(i):
        time.sleep(0.04)
        return i

    total = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for batch in range(2):
            futures = [pool.submit(task, batch * 8 + i) for i in range(8)]
            total += sum(f.result() for f in futures)  # results
            time.sleep(0.02)
    print("ok", total)


def executor_map(workers):
    from concurrent.futures import ThreadPoolExecutor

    def task(i):
        time.sleep(0.04)
        return i

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(task, range(10)))
    print("ok", sum(results))


def asyncio_executor(workers):
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    def task(i):
        time.sleep(0.04)
        return i

    async def main():
        loop = asyncio.get_running_loop()
        total = 0
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for batch in range(2):
                done = await asyncio.gather(
                    *[loop.run_in_executor(pool, task, batch * 8 + i) for i in range(8)])
                total += sum(done)
                await asyncio.sleep(0.02)
        return total

    print("ok", asyncio.run(main()))


def progress(kind):
    cond, event = threading.Condition(), threading.Event()
    done = [0]

    def work():
        for _ in range(10):
            time.sleep(0.04)
            if kind == "event":
                with cond:
                    done[0] += 1
                event.set()
            else:
                with cond:
                    done[0] += 1
                    cond.notify()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    seen = 0
    while seen < 20:
        if kind == "event":
            event.wait()
            event.clear()
            with cond:
                seen = done[0]
        else:
            with cond:
                cond.wait_for(lambda: done[0] > seen)
                seen = done[0]
    for t in threads:
        t.join()
    print("ok", seen)


def gil(kind, n):
    def spin():
        x = 0
        for i in range(2_500_000):
            x += i * i

    def sleeper():
        for _ in range(20):
            time.sleep(0.01)

    threads = [threading.Thread(target=spin if kind == "cpu" else sleeper) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("ok", n)


def lock(n):
    shared = threading.Lock()
    counter = [0]

    def work():
        for _ in range(15):
            with shared:
                counter[0] += 1
                time.sleep(0.003)

    threads = [threading.Thread(target=work) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("ok", counter[0])


def parked():
    jobs, done, stop = queue.Queue(), threading.Event(), threading.Event()
    handled = []

    def worker():
        while True:
            job = jobs.get()
            if job is None:
                break
            handled.append(job)
        done.set()

    def ticker():
        while not stop.wait(0.02):
            pass

    threads = [threading.Thread(target=worker), threading.Thread(target=ticker)]
    for t in threads:
        t.start()
    for i in range(5):
        time.sleep(0.03)
        jobs.put(i)
    jobs.put(None)
    done.wait()
    stop.set()
    for t in threads:
        t.join()
    print("ok", len(handled))


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "sqlalchemy":
        sqlalchemy_pool(sys.argv[2], int(sys.argv[3]))
    elif mode == "executor":
        executor(int(sys.argv[2]))
    elif mode == "map":
        executor_map(int(sys.argv[2]))
    elif mode == "asyncio":
        asyncio_executor(int(sys.argv[2]))
    elif mode == "progress":
        progress(sys.argv[2])
    elif mode == "gil":
        gil(sys.argv[2], int(sys.argv[3]))
    elif mode == "lock":
        lock(int(sys.argv[2]))
    elif mode == "parked":
        parked()
    else:
        sys.exit("unknown mode " + mode)
