# SPDX-License-Identifier: MIT
"""py_sqlalchemy.py - the SQLAlchemy ORM on SQLite, for the end-to-end
tests: lazy loading of a relationship in a loop (N+1), and selectinload,
its fix (one more query for all the authors).

Usage: py_sqlalchemy.py nplus1|selectinload [DB_FILE]   (default: in memory)

The library: 30 authors, 30 books (book i by author i).  nplus1 lists the
books and reads book.author.name for each (1 + 30 queries); selectinload
loads the authors in one query.  Prints the list, the same traced or not.
"""
import sys

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, insert, select
from sqlalchemy.orm import Session, declarative_base, relationship, selectinload

BOOKS = 30

Base = declarative_base()


class Author(Base):
    __tablename__ = "author"
    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)


class Book(Base):
    __tablename__ = "book"
    id = Column(Integer, primary_key=True)
    title = Column(String(100), nullable=False)
    author_id = Column(Integer, ForeignKey("author.id"), nullable=False)
    author = relationship(Author)  # lazy="select": loaded on first access


if len(sys.argv) not in (2, 3) or sys.argv[1] not in ("nplus1", "selectinload"):
    sys.exit("usage: py_sqlalchemy.py nplus1|selectinload [DB_FILE]")
engine = create_engine("sqlite:///" + (sys.argv[2] if len(sys.argv) == 3 else ":memory:"),
                       future=True)
Base.metadata.create_all(engine)
with Session(engine) as session:
    # One multi-row INSERT per table (a list of rows given to one insert()).
    session.execute(insert(Author).values(
        [{"id": i, "name": "Author %d" % i} for i in range(1, BOOKS + 1)]))
    session.execute(insert(Book).values(
        [{"id": i, "title": "Book %d" % i, "author_id": i} for i in range(1, BOOKS + 1)]))
    session.commit()

with Session(engine) as session:
    query = select(Book).order_by(Book.id)
    if sys.argv[1] == "selectinload":
        query = query.options(selectinload(Book.author))
    for book in session.execute(query).scalars():  # parent
        print(book.title, "by", book.author.name)  # lazy
