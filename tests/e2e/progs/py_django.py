# SPDX-License-Identifier: MIT
"""py_django.py - the Django ORM on SQLite, for the end-to-end tests: the
classic N+1 of lazy foreign-key access in a loop, and select_related, its
fix.  Standalone: settings are configured here, the models defined here
(app label "library"), the tables made with the schema editor.

Usage: py_django.py nplus1|select_related [DB_FILE]   (default: in memory)

The library: 30 authors, 30 books (book i by author i).  nplus1 lists the
books and reads book.author.name for each (1 + 30 queries); select_related
does it in one JOIN.  Prints the list, the same traced or not.
"""
import sys

import django
from django.conf import settings

BOOKS = 30

if len(sys.argv) not in (2, 3) or sys.argv[1] not in ("nplus1", "select_related"):
    sys.exit("usage: py_django.py nplus1|select_related [DB_FILE]")

settings.configure(
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3",
                           "NAME": sys.argv[2] if len(sys.argv) == 3 else ":memory:"}},
    INSTALLED_APPS=[],
    USE_TZ=True,
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
)
django.setup()

from django.db import connection, models  # noqa: E402  (needs the settings)


class Author(models.Model):
    name = models.CharField(max_length=100)

    class Meta:
        app_label = "library"


class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE)

    class Meta:
        app_label = "library"


with connection.schema_editor() as editor:
    editor.create_model(Author)
    editor.create_model(Book)
authors = Author.objects.bulk_create(
    [Author(id=i, name="Author %d" % i) for i in range(1, BOOKS + 1)])
Book.objects.bulk_create(
    [Book(id=i, title="Book %d" % i, author_id=i) for i in range(1, BOOKS + 1)])

def book_list(eager):
    """A view's work: the books with their authors' names."""
    books = Book.objects.order_by("id")
    if eager:
        books = books.select_related("author")
    lines = []
    for book in books:  # parent
        lines.append("%s by %s" % (book.title, book.author.name))  # lazy
    return lines


print("\n".join(book_list(sys.argv[1] != "nplus1")))
