# SPDX-License-Identifier: MIT
"""endpoints.py - which endpoint is slow, and why: a small web shop served
by Python's ThreadingHTTPServer.  GET /books runs an N+1 (one query for
the books, one per book for its author); GET /books/joined gives the same
page with one JOIN; GET /stock asks another service (a second server in
this process) once per book, an N+1 of HTTP calls.  The script is its own
client: five requests to each endpoint, then it stops.  whyslow finds the
requests in the bytes of the sockets, with no change to the server.

Run: whyslow record -- python3 examples/endpoints.py && whyslow report
"""
import http.client
import http.server
import sqlite3
import threading
import urllib.request

BOOKS = 20
DB = "file:shop?mode=memory&cache=shared"


def open_db():
    return sqlite3.connect(DB, uri=True)


keep = open_db()  # the shared in-memory database lives while this does
keep.execute("create table author (id integer primary key, name text)")
keep.execute("create table book (id integer primary key, title text, author_id integer)")
keep.executemany("insert into author values (?, ?)", [(i, "Author %d" % i) for i in range(BOOKS)])
keep.executemany("insert into book values (?, ?, ?)", [(i, "Book %d" % i, i) for i in range(BOOKS)])
keep.commit()


def reply(handler, body):
    """An answer of body's bytes, with its length."""
    handler.send_response(200)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class Stock(http.server.BaseHTTPRequestHandler):
    """The other service: how many of a book are in stock."""
    protocol_version = "HTTP/1.1"
    wbufsize = 65536  # the answer in one write (else its head and body wait on each other's ACK)

    def do_GET(self):
        reply(self, b"3")

    def log_message(self, *args):
        pass


class Shop(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 65536

    def do_GET(self):
        db = open_db()
        if self.path == "/books":
            lines = []
            for book_id, title, author_id in db.execute("select id, title, author_id from book"):
                name, = db.execute("select name from author where id = ?",
                                   (author_id,)).fetchone()  # one query per book
                lines.append("%s by %s" % (title, name))
        elif self.path == "/books/joined":
            lines = ["%s by %s" % row for row in db.execute(
                "select book.title, author.name from book join author on author.id = book.author_id")]
        else:  # /stock
            conn = http.client.HTTPConnection("127.0.0.1", stock.server_address[1])
            lines = []
            for book_id, in db.execute("select id from book"):
                conn.request("GET", "/stock/%d" % book_id)  # one call per book
                lines.append(conn.getresponse().read().decode())
            conn.close()
        db.close()
        reply(self, "\n".join(lines).encode())

    def log_message(self, *args):
        pass


stock = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stock)
shop = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Shop)
for server in (stock, shop):
    threading.Thread(target=server.serve_forever).start()
base = "http://127.0.0.1:%d" % shop.server_address[1]
for path in ("/books", "/books/joined", "/stock") * 5:
    urllib.request.urlopen(base + path).read()
for server in (shop, stock):
    server.shutdown()
    server.server_close()
print("15 requests served")
