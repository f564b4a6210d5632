"""One API idiom (issue 8): every ``/api/v1/`` view is an ``api.base.Api`` and carries
the second-factor check, except token creation.

The URL resolver is walked here on its own (``get_resolver()``, recursively through
every ``include``), so a view added under ``/api/v1/`` anywhere is checked without a
list to keep up to date. ``tests/api/test_verified_permission.py`` checks the same
over HTTP with ``OTPRequiredMiddleware`` out of the way.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.permissions import IsAuthenticated
from rest_framework.test import APIRequestFactory

from api.base import AnonymousApi, Api
from api.permissions import IsCaseEditor, IsVerifiedWhenRequired

API_PREFIX = "api/v1/"
# Token creation asks for the password and the second factor itself: the one view
# anyone may call.
OPEN = {"api:auth-token"}


def walk(patterns, prefix: str = "", namespace: str = ""):
    """``(route, name, view class)`` of every pattern below ``patterns``."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            callback = pattern.callback
            view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
            yield prefix + str(pattern.pattern), f"{namespace}{pattern.name}", view_class


def api_views() -> list[tuple[str, type]]:
    views = [
        (name, view_class)
        for route, name, view_class in walk(get_resolver().url_patterns)
        if route.startswith(API_PREFIX)
    ]
    assert len(views) > 30, "the walk found too few API views: is the prefix still api/v1/?"
    return views


def permissions_of(view_class: type, method: str) -> list:
    view = view_class()
    view.request = APIRequestFactory().generic(method, "/")
    return view.get_permissions()


def test_every_api_view_is_an_api():
    assert [name for name, cls in api_views() if not issubclass(cls, Api)] == []


def test_only_token_creation_is_open_to_anyone():
    assert {name for name, cls in api_views() if issubclass(cls, AnonymousApi)} == OPEN


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
def test_every_api_view_but_token_creation_checks_the_second_factor(method):
    """Removing ``IsVerifiedWhenRequired`` from ``Api.get_permissions`` (or from the
    default stack it adds to) makes this fail for every view."""
    missing = [
        name
        for name, cls in api_views()
        if name not in OPEN
        and not any(isinstance(p, IsVerifiedWhenRequired) for p in permissions_of(cls, method))
    ]
    assert missing == []


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_every_api_view_but_token_creation_needs_a_signed_in_user(method):
    missing = [
        name
        for name, cls in api_views()
        if name not in OPEN
        and not any(isinstance(p, IsAuthenticated) for p in permissions_of(cls, method))
    ]
    assert missing == []


def test_a_view_that_replaces_the_default_stack_is_refused():
    with pytest.raises(ImproperlyConfigured, match="permission_classes"):

        class ReplacesTheStack(Api):  # the class statement is what is refused
            permission_classes = (IsAuthenticated,)


def test_extra_permissions_come_after_the_default_stack():
    class Extra(Api):
        extra_permission_classes = (IsCaseEditor,)

    kinds = [type(p) for p in permissions_of(Extra, "GET")]
    assert kinds == [IsAuthenticated, IsVerifiedWhenRequired, IsCaseEditor]


def test_write_permissions_apply_to_writes_only():
    class Writes(Api):
        write_permission_classes = (IsCaseEditor,)

    assert IsCaseEditor not in [type(p) for p in permissions_of(Writes, "GET")]
    assert IsCaseEditor in [type(p) for p in permissions_of(Writes, "POST")]


# --- One record-a-read helper per face ----------------------------------------------

REPO = Path(__file__).resolve().parents[2]
# The modules allowed to write a read-audit row or the no-store flag themselves: the
# domain function, the HTTP flag, and each face's one helper.
READ_HELPERS = {
    "record_access(": {"cases/audit.py", "api/base.py", "web/access.py", "cases/admin_site.py"},
    "has_case_data": {"config/http.py", "config/middleware.py"},
}


@pytest.mark.parametrize("needle", sorted(READ_HELPERS))
def test_reads_are_recorded_only_through_the_helpers(needle):
    """``api.base.record_read`` / ``web.access.record_read`` (and the admin's
    ``CaseDataAdmin.record_read``) over ``cases.audit.record_access`` and
    ``config.http.mark_case_data``: no view writes the row or the flag itself."""
    found = {
        str(path.relative_to(REPO))
        for package in ("api", "web", "cases", "reporting", "accounts", "config")
        for path in (REPO / package).rglob("*.py")
        if needle in path.read_text(encoding="utf-8")
    }
    assert found <= READ_HELPERS[needle]
