# SPDX-License-Identifier: MIT
"""py_psycopg2.py - database access patterns on PostgreSQL with psycopg2,
for the end-to-end tests.  Connects with the libpq environment (PGHOST,
PGUSER, PGDATABASE).

Usage: py_psycopg2.py setup|nplus1|batched

  setup    makes the library: 30 authors, 30 books (book i by author i)
  nplus1   selects the 30 books, then per book
           `select name from author where id = %s`; psycopg2 puts the
           value into the text on the client side, so the server (and
           libpq) sees 30 texts that differ by a literal
  batched  the control: one `where id = ANY(%s)` query for all the authors

Prints what it read, the same traced or not.
"""
import sys

import psycopg2

BOOKS = 30

if len(sys.argv) != 2 or sys.argv[1] not in ("setup", "nplus1", "batched"):
    sys.exit("usage: py_psycopg2.py setup|nplus1|batched")
conn = psycopg2.connect("")
cur = conn.cursor()
if sys.argv[1] == "setup":
    cur.execute("drop table if exists book, author")
    cur.execute("create table author (id int primary key, name text not null)")
    cur.execute("create table book (id int primary key, title text not null,"
                " author_id int not null references author(id))")
    cur.execute("insert into author select g, 'Author ' || g from generate_series(1, %s) g",
                (BOOKS,))
    cur.execute("insert into book select g, 'Book ' || g, g from generate_series(1, %s) g",
                (BOOKS,))
    conn.commit()
elif sys.argv[1] == "nplus1":
    cur.execute("select id, title, author_id from book order by id")
    for book_id, title, author_id in cur.fetchall():
        cur.execute("select name from author where id = %s", (author_id,))
        print(title, "by", cur.fetchone()[0])
else:
    cur.execute("select id, title, author_id from book order by id")
    books = cur.fetchall()
    cur.execute("select id, name from author where id = ANY(%s)", ([b[2] for b in books],))
    names = dict(cur.fetchall())
    for book_id, title, author_id in books:
        print(title, "by", names[author_id])
conn.close()
