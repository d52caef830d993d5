# SPDX-License-Identifier: MIT
"""py_http_work.py - a ThreadingHTTPServer whose handlers have work done on
other threads and findings of their own, for the end-to-end tests of
requests (work on other threads; findings that name their endpoint).

Usage: py_http_work.py DB
Prints "port=N" once it listens on 127.0.0.1; serves until GET /quit.
Before it serves, it runs the slow statement once (outside any request).

  /offload/<n>   a worker thread of a pool (one thread) runs the list and n
                 lookups of it (an N+1) and sleeps 50 ms; the handler waits
                 for the result
  /report        runs a slow statement (a recursive count) on its thread
  /slowread      reads a socket pair whose other end another thread
                 writes 150 ms later
  /clean         answers at once
  /quit          stops the server
"""
import concurrent.futures
import http.server
import socket
import sqlite3
import sys
import threading
import time

DB = sys.argv[1]
SLOW = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000) "
        "SELECT count(*) FROM c")

setup = sqlite3.connect(DB)
setup.execute("CREATE TABLE IF NOT EXISTS items(id INTEGER PRIMARY KEY, name TEXT)")
setup.execute("DELETE FROM items")
setup.executemany("INSERT INTO items VALUES (?, ?)", [(i, "item %d" % i) for i in range(1, 31)])
setup.commit()
setup.execute(SLOW).fetchone()
setup.close()

pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
local = threading.local()


def lookups(n):
    if not hasattr(local, "db"):
        local.db = sqlite3.connect(DB)
    ids = [row[0] for row in local.db.execute("SELECT id FROM items ORDER BY id LIMIT ?", (n,))]
    names = [local.db.execute("SELECT name FROM items WHERE id = ?", (i,)).fetchone()[0]
             for i in ids]
    time.sleep(0.05)
    return ", ".join(names).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_body(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/offload/"):
            self.send_body(pool.submit(lookups, int(self.path.rsplit("/", 1)[-1])).result())
        elif self.path == "/report":
            db = sqlite3.connect(DB)
            self.send_body(b"%d" % db.execute(SLOW).fetchone()[0])
            db.close()
        elif self.path == "/slowread":
            a, b = socket.socketpair()
            writer = threading.Thread(target=lambda: (time.sleep(0.15), b.send(b"late")))
            writer.start()
            body = a.recv(16)
            writer.join()
            a.close()
            b.close()
            self.send_body(body)
        elif self.path == "/clean":
            self.send_body(b"clean")
        elif self.path == "/quit":
            self.send_body(b"bye")
            threading.Thread(target=server.shutdown).start()
        else:
            self.send_error(404)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = False  # server_close() waits for them: /quit is answered
print("port=%d" % server.server_address[1], flush=True)
server.serve_forever()
server.server_close()
pool.shutdown()
