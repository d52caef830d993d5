# SPDX-License-Identifier: MIT
from django.urls import path

from shop import views

urlpatterns = [
    path("books/", views.book_list),
    path("books/<int:pk>/", views.book_detail),
]
