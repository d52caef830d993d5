# SPDX-License-Identifier: MIT
"""py_sqlite.py - database access patterns on SQLite with Python's sqlite3
module, for the end-to-end tests: each MODE is one pattern, so a test can
assert exact counts for it.

Usage: py_sqlite.py MODE [DB_FILE]   (default: an in-memory database; a
DB_FILE is made afresh)

The library: 30 authors, 30 books (book i by author i, so no two lookups
of an N+1 loop have the same parameters).  Setup is a few statements run
once each (multi-row INSERTs), so it adds nothing that repeats.

Modes:
  nplus1        select the 30 books, then per book
                `select name from author where id = ?` (bound parameter)
  nplus1_literal  the same with the id formatted into the SQL (f-string)
  join          one JOIN query instead (the control)
  short         select 3 books and look up their 3 authors (below any
                N+1 threshold)
  executemany   executemany() inserting 100 rows (one statement, 100 runs,
                in the transaction the module opens)
  autocommit    the same 100 rows inserted one by one in autocommit mode
                (isolation_level None): each INSERT its own transaction
  repeated      the same query with the same parameter 10 times
  errors        5 INSERTs that fail (duplicate keys), each caught

Prints what it read, the same traced or not.
"""
import os
import sqlite3
import sys

BOOKS = 30


def setup(db):
    db.execute("create table author (id integer primary key, name text not null)")
    db.execute("create table book (id integer primary key, title text not null,"
               " author_id integer not null references author(id))")
    db.execute("create table sale (id integer primary key, book_id integer, qty integer)")
    db.execute("insert into author (id, name) values " +
               ", ".join("(%d, 'Author %d')" % (i, i) for i in range(1, BOOKS + 1)))
    db.execute("insert into book (id, title, author_id) values " +
               ", ".join("(%d, 'Book %d', %d)" % (i, i, i) for i in range(1, BOOKS + 1)))
    db.commit()


def nplus1(db):
    books = db.execute("select id, title, author_id from book order by id").fetchall()
    for book_id, title, author_id in books:
        (name,) = db.execute("select name from author where id = ?", (author_id,)).fetchone()
        print(title, "by", name)


def nplus1_literal(db):
    books = db.execute("select id, title, author_id from book order by id").fetchall()
    for book_id, title, author_id in books:
        (name,) = db.execute(f"select name from author where id = {author_id}").fetchone()
        print(title, "by", name)


def join(db):
    rows = db.execute("select b.title, a.name from book b join author a on a.id = b.author_id"
                      " order by b.id").fetchall()
    for title, name in rows:
        print(title, "by", name)


def short(db):
    books = db.execute("select id, title, author_id from book where id <= 3 order by id").fetchall()
    for book_id, title, author_id in books:
        (name,) = db.execute("select name from author where id = ?", (author_id,)).fetchone()
        print(title, "by", name)


def executemany(db):
    db.executemany("insert into sale (book_id, qty) values (?, ?)",
                   [(i % BOOKS + 1, i) for i in range(100)])
    db.commit()
    print("sales:", db.execute("select count(*), sum(qty) from sale").fetchone())


def autocommit(db):
    db.isolation_level = None
    for i in range(100):
        db.execute("insert into sale (book_id, qty) values (?, ?)", (i % BOOKS + 1, i))
    print("sales:", db.execute("select count(*), sum(qty) from sale").fetchone())


def repeated(db):
    for _ in range(10):
        (n,) = db.execute("select count(*) from book where author_id = ?", (7,)).fetchone()
        print("books by author 7:", n)


def errors(db):
    for i in range(1, 6):
        try:
            db.execute("insert into author (id, name) values (?, ?)", (i, "again"))
        except sqlite3.IntegrityError as e:
            print("author %d: %s" % (i, e))
    db.rollback()


MODES = {f.__name__: f for f in (nplus1, nplus1_literal, join, short, executemany, autocommit,
                                      repeated, errors)}

if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or sys.argv[1] not in MODES:
        sys.exit("usage: py_sqlite.py %s [DB_FILE]" % "|".join(MODES))
    path = sys.argv[2] if len(sys.argv) == 3 else ":memory:"
    if path != ":memory:" and os.path.exists(path):
        os.unlink(path)  # a fresh database each run
    db = sqlite3.connect(path)
    setup(db)
    MODES[sys.argv[1]](db)
    db.close()
