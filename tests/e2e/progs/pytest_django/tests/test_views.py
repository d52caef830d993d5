# SPDX-License-Identifier: MIT
"""The shop's tests: each makes the same 30 books, then asks a view."""
import pytest

from shop.models import Author, Book

BOOKS = 30


@pytest.fixture
def books(db):
    Author.objects.bulk_create([Author(id=i, name="Author %d" % i) for i in range(1, BOOKS + 1)])
    Book.objects.bulk_create(
        [Book(id=i, title="Book %d" % i, author_id=i) for i in range(1, BOOKS + 1)])


def test_book_list(client, books):
    response = client.get("/books/")
    assert response.status_code == 200
    assert response.content.decode().count("\n") == BOOKS - 1


def test_book_detail(client, books):
    response = client.get("/books/7/")
    assert response.content == b"Book 7 by Author 7"
