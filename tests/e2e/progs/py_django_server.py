# SPDX-License-Identifier: MIT
"""py_django_server.py - a Django app served over HTTP, for the end-to-end
tests of requests: Django's WSGI handler behind wsgiref's server, one
thread per request (as runserver serves), on a SQLite file.

Usage: py_django_server.py DB_FILE
Prints "port=N" once it listens on 127.0.0.1; serves until GET /quit.

Endpoints (30 books, book i by author i):
  /books/            the list with each book's author: the N+1 of a lazy
                     foreign key (1 + 30 queries a request)
  /books/eager/      the same with select_related (1 query)
  /books/<id>/       one book and its author (2 queries)
  /quit              stops the server
"""
import sys
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import django
from django.conf import settings

BOOKS = 30

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": sys.argv[1]}},
    INSTALLED_APPS=[],
    MIDDLEWARE=[],
    USE_TZ=True,
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402  (needs the settings)
from django.db import connection, models  # noqa: E402
from django.http import HttpResponse, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402


class Author(models.Model):
    name = models.CharField(max_length=100)

    class Meta:
        app_label = "library"


class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE)

    class Meta:
        app_label = "library"


def book_list(request):
    books = Book.objects.order_by("id")
    return JsonResponse({"books": [[b.title, b.author.name] for b in books]})  # the N+1


def book_list_eager(request):
    books = Book.objects.select_related("author").order_by("id")
    return JsonResponse({"books": [[b.title, b.author.name] for b in books]})


def book_detail(request, book_id):
    b = Book.objects.get(id=book_id)
    return JsonResponse({"title": b.title, "author": b.author.name})


def quit_view(request):
    threading.Thread(target=server.shutdown).start()
    return HttpResponse("bye")


urlpatterns = [
    path("books/", book_list),
    path("books/eager/", book_list_eager),
    path("books/<int:book_id>/", book_detail),
    path("quit", quit_view),
]

with connection.schema_editor() as editor:
    editor.create_model(Author)
    editor.create_model(Book)
Author.objects.bulk_create([Author(id=i, name="Author %d" % i) for i in range(1, BOOKS + 1)])
Book.objects.bulk_create(
    [Book(id=i, title="Book %d" % i, author_id=i) for i in range(1, BOOKS + 1)])
connection.close()


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    # server_close() waits for the requests' threads: the answer to /quit
    # is written before the process ends.
    daemon_threads = False


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


server = make_server("127.0.0.1", 0, get_wsgi_application(), server_class=ThreadingWSGIServer,
                     handler_class=QuietHandler)
print("port=%d" % server.server_address[1], flush=True)
server.serve_forever()
server.server_close()
