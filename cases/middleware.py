"""Per-request context for the audit: request id and client address."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse


class RequestContextMiddleware:
    """Give every request an id (``X-Request-ID`` is echoed back) for the audit rows.

    The client address is ``REMOTE_ADDR``: behind a proxy the proxy must set it (no
    trust in a client-supplied ``X-Forwarded-For``; see issue 3).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        if getattr(request, "has_case_data", False):
            response["Cache-Control"] = "no-store"
        return response
