"""Stable keyset (cursor) pagination: pages do not shift when rows are added."""

from rest_framework.pagination import CursorPagination


class StableCursorPagination(CursorPagination):
    """Cursor pagination ordered by ``-id`` (unique, so stable); ``?page_size=`` ≤ 200."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
