"""Domain errors raised by services. The API maps them to HTTP status codes:
``django.core.exceptions.ValidationError`` → 400, ``NotFound`` → 404, ``Conflict`` → 409."""

from __future__ import annotations


class NotFound(Exception):
    """The object does not exist *or* the user may not know it exists (rule 2)."""


class Conflict(Exception):
    """A status change lost a race or is not allowed from the current status."""

    def __init__(self, message: str, *, current_status: str | None = None):
        super().__init__(message)
        self.message = message
        self.current_status = current_status
