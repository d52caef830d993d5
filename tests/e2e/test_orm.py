# SPDX-License-Identifier: MIT
"""test_orm.py - e2e cases: Python ORMs on SQLite (Django, SQLAlchemy; Debian's
packages): the N+1 of lazy loading found, eager loading clean.

Run by tests/run.py, one case per process (ctest: e2e.orm.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import os

from whyslow_test import (PYTHON, check, report, need_python_module, traced_like_untraced,
                          find_query, check_nplus1, check_clean, check_db)

HERE = os.path.dirname(os.path.abspath(__file__))  # tests/e2e


def case_django_orm():
    """Django on SQLite: lazy foreign keys in a loop (1 + 30 queries), and
    select_related (one JOIN, no finding)."""
    need_python_module("django", "python3-django")
    prog_ = os.path.join(HERE, "progs", "py_django.py")
    data, out = traced_like_untraced([PYTHON, prog_, "nplus1"])
    check(out.count(" by Author ") == 30, "program output %r" % out[:200])
    rep = report(data)
    check_db(rep, "sqlite")
    author = 'from "library_author" where "library_author"."id" ='
    check_nplus1(rep, author, 'from "library_book"', 30, "sqlite")
    check(find_query(rep, author)["count"] == 30, "author lookups")

    data, _ = traced_like_untraced([PYTHON, prog_, "select_related"])
    rep = report(data)
    check_db(rep, "sqlite")
    check_clean(rep, "select_related")
    q = find_query(rep, 'inner join "library_author"')
    check((q["count"], q["rows"]) == (1, 30), "select_related query %s" % q)


def case_sqlalchemy_orm():
    """SQLAlchemy on SQLite: lazy loading in a loop (1 + 30 queries), and
    selectinload (2 queries, no finding)."""
    need_python_module("sqlalchemy", "python3-sqlalchemy")
    prog_ = os.path.join(HERE, "progs", "py_sqlalchemy.py")
    data, _ = traced_like_untraced([PYTHON, prog_, "nplus1"])
    rep = report(data)
    check_db(rep, "sqlite")
    author = "from author where author.id ="
    check_nplus1(rep, author, "from book order by book.id", 30, "sqlite")

    data, _ = traced_like_untraced([PYTHON, prog_, "selectinload"])
    rep = report(data)
    check_db(rep, "sqlite")
    check_clean(rep, "selectinload")
    q = find_query(rep, "from author where author.id in")
    check((q["count"], q["rows"]) == (1, 30), "selectinload query %s" % q)
