"""The HTTP side of sign-in: the URL prefixes the account middleware tells apart and the
lockout's answer. Names templates and the API prefix, so domain apps (``cases``,
``reporting``) never import it (import-linter contract); they use
``accounts.second_factor``, ``accounts.lockout`` and ``accounts.services``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from accounts.lockout import lockout_message

API_PREFIX = "/api/v1/"
ADMIN_PREFIX = "/admin/"
# No case data behind these: static files and the language switch.
OPEN_PREFIXES = ("/static/", "/i18n/")


def is_api(request: HttpRequest) -> bool:
    """The request is for the API (``/api/v1/…``)."""
    return request.path_info.startswith(API_PREFIX)


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: 429 with a message in the request's language; JSON for
    the API, the sign-in page for the web."""
    message = lockout_message()
    if is_api(request):
        return JsonResponse({"detail": message}, status=429)
    context = {"form": AuthenticationForm(request), "next": "", "lockout_message": message}
    return render(request, "web/login.html", context, status=429)
