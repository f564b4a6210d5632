"""The typed request helpers (``config.http``): the flags they set and read are the ones
the middleware and django-axes use, on Django's request and on DRF's wrapper alike."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory
from rest_framework.request import Request

from cases.models import User
from config.http import axes_locked_out, has_case_data, mark_case_data, signed_in_user
from config.middleware import RequestContextMiddleware


def test_signed_in_user_is_the_requests_user():
    user = User(username="lead.norte")
    request = RequestFactory().get("/")
    request.user = user
    assert signed_in_user(request) is user
    drf_request = Request(RequestFactory().get("/"))
    drf_request.user = user  # as DRF's authenticators do
    assert signed_in_user(drf_request) is user


def test_an_anonymous_user_is_refused_not_passed_on():
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with pytest.raises(PermissionDenied):
        signed_in_user(request)


@pytest.mark.parametrize("wrap", [False, True], ids=["django", "drf"])
def test_a_request_marked_with_case_data_is_not_cached(wrap):
    def view(request):
        assert not has_case_data(request)
        mark_case_data(Request(request) if wrap else request)
        assert has_case_data(request)
        assert has_case_data(Request(request))
        return HttpResponse("case data")

    request = RequestFactory().get("/a-page/")
    request.user = AnonymousUser()
    response = RequestContextMiddleware(view)(request)
    assert response["Cache-Control"] == "no-store"


def test_the_old_attribute_is_the_same_flag():
    # Views that still set the attribute themselves and the helper agree.
    request = RequestFactory().get("/")
    request.has_case_data = True
    assert has_case_data(request)


def test_axes_locked_out_reads_the_flag_axes_sets():
    request = RequestFactory().post("/login/")
    assert not axes_locked_out(request)
    request.axes_locked_out = True
    assert axes_locked_out(request)
    assert axes_locked_out(Request(request))
