# SPDX-License-Identifier: MIT
"""py_frames.py - a Python program whose slow spots are each in a function
of its own, for the Python-frames end-to-end tests (test_python.py): the
report must name these functions and lines.  Runs on CPython 3.6 and
later, standard library only.

Usage: py_frames.py sites|harm

sites:
  author_of / list_books   an N+1 loop: a parent query, then a child
                           query per row from a function of its own
  list_again               the same child query in a loop of its own
  poll_status, poll_again  the same query 6 times each, from two lines
  poll_both                a loop of 6 that calls poll_one and poll_two
                           (their frames take turns at one address) and
                           runs a third query itself: a query each, from
                           three lines (the recorder's site cache must
                           tell them apart)
  fetch_price              a recv() that waits 300 ms for a server thread
                           (long enough to stay slow on a loaded machine,
                           whose waits for a CPU are not counted)
  hold_lock                two threads each hold one lock 30 ms, 4 times
  wait_for_results         a ThreadPoolExecutor of 2 busy with 8 tasks of
                           40 ms while the main thread waits for them,
                           twice, 20 ms apart
harm:
  deep recursion to RecursionError, generators, coroutines, and 300
  functions made with exec(), each run once (a query), then freed: their
  code objects' addresses are reused.  Prints what it computed.

Lines the test looks for are marked with a comment "# <name>".
"""
import asyncio
import gc
import socket
import sqlite3
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor


def make_db():
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.execute("create table author (id integer primary key, name text)")
    db.execute("create table book (id integer primary key, title text, author_id integer)")
    db.executemany("insert into author values (?, ?)", [(i, "a%d" % i) for i in range(30)])
    db.executemany("insert into book values (?, ?, ?)", [(i, "b%d" % i, i) for i in range(30)])
    return db


def author_of(db, book):
    return db.execute("select name from author where id = ?", (book[2],)).fetchone()  # child1


def list_books(db):
    books = db.execute("select id, title, author_id from book").fetchall()  # parent1
    return [(b[1], author_of(db, b)) for b in books]


def list_again(db):
    books = db.execute("select id, title, author_id from book").fetchall()  # parent2
    out = []
    for b in books:
        out.append(db.execute("select name from author where id = ?", (b[2],)).fetchone())  # child2
    return out


def poll_status(db):
    for _ in range(6):
        db.execute("select count(*) from book").fetchone()  # repeat1


def poll_again(db):
    for _ in range(6):
        db.execute("select count(*) from book").fetchone()  # repeat2


def poll_one(db):
    db.execute("select count(*) from author").fetchone()  # repeat3


def poll_two(db):
    db.execute("select max(id) from author").fetchone()  # repeat4


def poll_both(db):
    for _ in range(6):
        poll_one(db)
        poll_two(db)
        db.execute("select min(id) from author").fetchone()  # repeat5


def serve_once(listener):
    conn, _ = listener.accept()
    time.sleep(0.3)
    conn.sendall(b"42.00")
    conn.close()


def fetch_price(port):
    c = socket.create_connection(("127.0.0.1", port))
    data = c.recv(100)  # recv
    c.close()
    return data


def hold_lock(lock):
    for _ in range(4):
        with lock:  # lock
            time.sleep(0.03)


def task(i):
    time.sleep(0.04)
    return i


def wait_for_results(pool):
    futures = [pool.submit(task, i) for i in range(8)]
    return sum(f.result() for f in futures)  # results


def sites():
    db = make_db()
    print(len(list_books(db)), len(list_again(db)))
    poll_status(db)
    poll_again(db)
    poll_both(db)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    server = threading.Thread(target=serve_once, args=(listener,))
    server.start()
    print(fetch_price(listener.getsockname()[1]).decode())  # fetch
    server.join()
    # The pool before the lock: a lock's semaphore freed at the address
    # the pool's queue then takes would look like the same object.
    with ThreadPoolExecutor(max_workers=2) as pool:
        total = wait_for_results(pool)
        time.sleep(0.02)
        print(total + wait_for_results(pool))
    lock = threading.Lock()
    threads = [threading.Thread(target=hold_lock, args=(lock,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def recurse(n):
    return recurse(n + 1)


def squares(n):
    for i in range(n):
        yield i * i


async def add_later(a, b):
    await asyncio.sleep(0)
    return a + b


async def gather_sums():
    return sum(await asyncio.gather(*[add_later(i, i) for i in range(50)]))


def harm():
    try:
        recurse(0)
    except RecursionError:
        print("recursion stopped")
    print(sum(squares(1000)))
    loop = asyncio.new_event_loop()  # (asyncio.run came in 3.7)
    print(loop.run_until_complete(gather_sums()))
    loop.close()
    db = sqlite3.connect(":memory:")
    total = 0
    for i in range(300):
        ns = {}
        exec(compile("def gen_%d(db):\n    return db.execute('select %d').fetchone()[0]\n" % (i, i),
                     "<gen_%d>" % i, "exec"), ns)
        total += ns["gen_%d" % i](db)
        del ns
        gc.collect()
    print(total)


if __name__ == "__main__":
    {"sites": sites, "harm": harm}[sys.argv[1]]()
