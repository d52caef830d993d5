# SPDX-License-Identifier: MIT
"""nplus1_view.py - the N+1 of a web view, in Python: a "view" lists the
books of a small SQLite shop, and for each book asks for its author with
a query of its own (what an ORM's lazy foreign key does).  whyslow names
the view's line that runs the query in the loop, and the line of the
query the loop goes over.  The fix: one query with a JOIN (see
book_list_joined).

Run: whyslow record -- python3 examples/nplus1_view.py && whyslow report
"""
import sqlite3


def open_shop():
    db = sqlite3.connect(":memory:")
    db.execute("create table author (id integer primary key, name text)")
    db.execute("create table book (id integer primary key, title text, author_id integer)")
    db.executemany("insert into author values (?, ?)", [(i, "Author %d" % i) for i in range(40)])
    db.executemany("insert into book values (?, ?, ?)", [(i, "Book %d" % i, i) for i in range(40)])
    return db


def book_list(db):
    """The view: 1 + 40 queries."""
    lines = []
    for book_id, title, author_id in db.execute("select id, title, author_id from book"):  # parent
        name, = db.execute("select name from author where id = ?", (author_id,)).fetchone()  # child
        lines.append("%s by %s" % (title, name))
    return lines


def book_list_joined(db):
    """The same page in one query."""
    return ["%s by %s" % row for row in db.execute(
        "select book.title, author.name from book join author on author.id = book.author_id")]


db = open_shop()
print("%d books, %d with one query" % (len(book_list(db)), len(book_list_joined(db))))
