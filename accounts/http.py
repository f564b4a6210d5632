"""The HTTP side of sign-in: the URL prefixes the account middleware tells apart and the
lockout's answer. Names templates and the API prefix, so domain apps (``cases``,
``reporting``) never import it (import-linter contract); they use
``accounts.second_factor``, ``accounts.lockout`` and ``accounts.services``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import i18n

from accounts.lockout import lockout_message
from accounts.services import user_language_set
from cases.audit import AuditContext
from cases.models import User

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


def set_language(request: HttpRequest) -> HttpResponse:
    """The language switch (ES/EN on every page): Django's ``set_language`` (the
    language cookie, then back to ``next``), and for a signed-in user the choice kept on
    their account (``accounts.services.user_language_set``, audited), so that the
    e-mails Salvaguarda sends them are in it too. A code that is not one of
    ``settings.LANGUAGES`` changes nothing (Django's view ignores it as well)."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    user = getattr(request, "user", None)
    if (
        request.method == "POST"
        and user is not None
        and user.is_authenticated
        and language in dict(settings.LANGUAGES)
    ):
        user_language_set(
            user=User.objects.get(pk=user.pk),  # not the request's lazy wrapper
            language=language,
            context=AuditContext.from_request(request, "web"),
        )
    return response
