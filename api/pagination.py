"""Stable keyset (cursor) pagination: pages do not shift when rows are added."""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist, ValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination


class StableCursorPagination(CursorPagination):
    """Cursor pagination ordered by ``-id`` (unique, so stable); ``?page_size=`` ≤ 200.

    A cursor is opaque but not signed, so a forged one is checked before it reaches
    the database: its position must be a valid value of the ordering field, else 404
    ("Invalid cursor"), never a 500.
    """

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        cursor = self.decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            field_name = self.get_ordering(request, queryset, view)[0].lstrip("-")
            try:
                queryset.model._meta.get_field(field_name).to_python(cursor.position)
            except (FieldDoesNotExist, ValidationError):
                raise NotFound(self.invalid_cursor_message) from None
        return super().paginate_queryset(queryset, request, view)
