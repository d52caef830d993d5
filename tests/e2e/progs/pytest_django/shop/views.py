# SPDX-License-Identifier: MIT
"""The shop's views: the book list (an N+1 unless SHOP_FIXED=1) and one
book."""
import os

from django.http import HttpResponse

from shop.models import Book


def book_list(request):
    books = Book.objects.order_by("id")
    if os.environ.get("SHOP_FIXED") == "1":
        books = books.select_related("author")
    lines = ["%s by %s" % (b.title, b.author.name) for b in books]
    return HttpResponse("\n".join(lines))


def book_detail(request, pk):
    book = Book.objects.select_related("author").get(pk=pk)
    return HttpResponse("%s by %s" % (book.title, book.author.name))
