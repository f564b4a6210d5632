"""``api.permissions.IsVerifiedWhenRequired`` on its own, with ``OTPRequiredMiddleware``
out of the way (issue 7, point 7).

The middleware refuses a password-only session's API calls before DRF runs, so with it
in place nothing tells whether the permission class works, or whether a view applies
it at all. Here the class is called directly on requests built with DRF's request
factory, and the API is called over HTTP with the middleware removed from the
settings: every API endpoint that needs a signed-in user must still refuse a session
that has not passed the second factor.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware
from knox.models import AuthToken
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from api.permissions import IsVerifiedWhenRequired
from cases.models import AccessEvent, User
from tests.second_factor import phone_of
from tests.test_access_matrix import kwargs_of, project_patterns

WITHOUT_OTP_MIDDLEWARE = [
    m for m in settings.MIDDLEWARE if m != "accounts.middleware.OTPRequiredMiddleware"
]
MISSING_ID = 2_147_483_000
SECOND_FACTOR_MESSAGE = str(IsVerifiedWhenRequired.message)


def drf_request(user: User, *, device=None, auth=None) -> Request:
    """A DRF request by ``user`` through a session that passed the second factor with
    ``device`` (``None``: password only), as django-otp's middleware leaves it."""
    django_request = APIRequestFactory().get("/api/v1/cases/")
    django_request.session = {DEVICE_ID_SESSION_KEY: device.persistent_id} if device else {}
    django_request.user = user
    OTPMiddleware(lambda request: HttpResponse())(django_request)
    request = Request(django_request)
    request.user = django_request.user
    request.auth = auth
    return request


def allows(request: Request) -> bool:
    return IsVerifiedWhenRequired().has_permission(request, None)


# --- The class on its own ------------------------------------------------------------


def test_it_refuses_a_password_only_session_of_a_lead(secure, lead_a):
    assert allows(drf_request(lead_a)) is False


def test_it_refuses_a_password_only_session_of_a_police_liaison(secure, police):
    assert allows(drf_request(police)) is False


def test_it_refuses_a_password_only_session_of_a_superuser(secure, db):
    root = User.objects.create_superuser("root", "root@example.org", "x-password-x")
    assert allows(drf_request(root)) is False


def test_it_lets_through_a_session_that_passed_the_second_factor(secure, lead_a):
    assert allows(drf_request(lead_a, device=phone_of(lead_a))) is True


def test_it_lets_through_a_token(secure, lead_a):
    """A token is only issued after the second factor (``POST /api/v1/auth/token/``)."""
    token, _key = AuthToken.objects.create(user=lead_a)
    assert allows(drf_request(lead_a, auth=token)) is True


def test_it_lets_through_staff_who_need_only_a_password(secure, staff_a):
    assert allows(drf_request(staff_a)) is True


def test_it_lets_everyone_through_when_the_second_factor_is_off(lead_a):
    assert settings.OTP_REQUIRED is False
    assert allows(drf_request(lead_a)) is True


# --- Every API view applies it ---------------------------------------------------------


def api_views() -> list[tuple[str, str, type]]:
    """``(name, route, view class)`` of every DRF view under ``/api/``."""
    from django.urls import resolve

    found = []
    for name, route in project_patterns():
        if not route.startswith("api/"):
            continue
        kwargs = dict.fromkeys(kwargs_of(route), MISSING_ID)
        view = resolve(reverse(name, kwargs=kwargs)).func
        found.append((name, route, view.cls))
    return found


def is_open(view_class: type) -> bool:
    """Views anyone may call: the token endpoint (it asks for the code itself), the
    schema and its docs."""
    view = view_class()
    view.request = APIRequestFactory().get("/")
    return any(isinstance(p, AllowAny) for p in view.get_permissions())


OPEN_VIEWS = {"api:auth-token", "schema", "api-docs"}


def test_the_open_api_views_are_the_expected_ones():
    assert {name for name, _route, cls in api_views() if is_open(cls)} == OPEN_VIEWS


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_every_api_view_checks_the_second_factor(method):
    """A view that sets ``permission_classes`` replaces DRF's default stack; it must
    keep the second-factor check (STYLE.md: extend the default, never replace it)."""
    missing = []
    for name, _route, cls in api_views():
        if is_open(cls):
            continue
        view = cls()
        view.request = APIRequestFactory().generic(method, "/")
        if not any(isinstance(p, IsVerifiedWhenRequired) for p in view.get_permissions()):
            missing.append(name)
    assert missing == []


# --- Over HTTP, without the middleware ---------------------------------------------------


def password_only_session(user: User) -> Client:
    client = Client()
    client.force_login(user)  # signed in, no device verified
    return client


def verified_session(user: User) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = phone_of(user).persistent_id
    session.save()
    return client


@pytest.mark.parametrize("method", ["get", "post"])
def test_without_the_middleware_a_password_only_session_gets_403_everywhere(
    method, secure, settings, lead_a, case_a, referral_a
):
    settings.MIDDLEWARE = WITHOUT_OTP_MIDDLEWARE
    client = password_only_session(lead_a)
    reads = AccessEvent.objects.count()
    let_through = []
    for name, route, cls in api_views():
        if is_open(cls):
            continue
        # The case and referral of school A, which the lead may otherwise read.
        values = {"case_id": case_a.pk, "referral_id": referral_a.pk}
        kwargs = {k: values.get(k, MISSING_ID) for k in kwargs_of(route)}
        response = getattr(client, method)(
            reverse(name, kwargs=kwargs), {}, content_type="application/json"
        )
        if response.status_code != 403 or SECOND_FACTOR_MESSAGE not in response.content.decode():
            let_through.append(f"{name}: {response.status_code}")
    assert let_through == []
    assert AccessEvent.objects.count() == reads


def test_without_the_middleware_a_verified_session_reads_the_case(secure, settings, lead_a, case_a):
    settings.MIDDLEWARE = WITHOUT_OTP_MIDDLEWARE
    client = verified_session(lead_a)
    assert client.get(reverse("api:cases")).status_code == 200
    assert client.get(reverse("api:case-detail", args=[case_a.pk])).status_code == 200
    assert client.get(reverse("api:case-events", args=[case_a.pk])).status_code == 200


def test_without_the_middleware_a_token_reads_the_case(secure, settings, lead_a, case_a):
    settings.MIDDLEWARE = WITHOUT_OTP_MIDDLEWARE
    _instance, key = AuthToken.objects.create(user=lead_a)
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(reverse("api:case-detail", args=[case_a.pk])).status_code == 200


def test_without_the_middleware_staff_need_only_a_password(secure, settings, staff_a):
    settings.MIDDLEWARE = WITHOUT_OTP_MIDDLEWARE
    assert password_only_session(staff_a).get(reverse("api:concerns")).status_code == 200
