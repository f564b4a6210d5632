"""Token auth over HTTP: POST /api/v1/auth/token/ and /api/v1/auth/logout/ (knox)."""

from __future__ import annotations

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"
LOGOUT_URL = "/api/v1/auth/logout/"
PROBE_URL = "/api/v1/platforms/"

pytestmark = pytest.mark.django_db


def _token_for(user, password=PASSWORD):
    return APIClient().post(TOKEN_URL, {"username": user.username, "password": password})


def test_it_issues_an_expiring_token_that_authenticates(lead_a):
    response = _token_for(lead_a)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expiry"}
    assert body["expiry"] is not None
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert client.get(PROBE_URL).status_code == 200
    # Only a digest is stored, never the token itself.
    assert not AuthToken.objects.filter(digest=body["token"]).exists()
    assert AuthToken.objects.filter(user=lead_a).count() == 1


def test_it_refuses_a_wrong_password_with_400_and_no_token(lead_a):
    response = _token_for(lead_a, password="not-the-password")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert not AuthToken.objects.exists()


def test_it_refuses_an_unknown_user_with_the_same_message(lead_a):
    wrong_password = _token_for(lead_a, password="not-the-password").json()
    unknown = APIClient().post(TOKEN_URL, {"username": "nobody", "password": PASSWORD})

    assert unknown.status_code == 400
    assert unknown.json() == wrong_password


def test_it_refuses_an_inactive_user(lead_a):
    lead_a.is_active = False
    lead_a.save(update_fields=["is_active"])

    response = _token_for(lead_a)

    assert response.status_code == 400
    assert not AuthToken.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [{}, {"username": "lead.a"}, {"password": PASSWORD}, {"username": "x" * 151, "password": "y"}],
)
def test_it_gives_field_errors_for_missing_or_overlong_fields(lead_a, payload):
    response = APIClient().post(TOKEN_URL, payload)

    assert response.status_code == 400
    assert not AuthToken.objects.exists()


def test_it_answers_malformed_json_with_400(lead_a):
    response = APIClient().post(
        TOKEN_URL, data='{"username": "lead.a", ', content_type="application/json"
    )

    assert response.status_code == 400


def test_logout_revokes_the_token(lead_a):
    token = _token_for(lead_a).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert client.post(LOGOUT_URL).status_code == 204
    assert client.get(PROBE_URL).status_code == 401
    assert not AuthToken.objects.filter(user=lead_a).exists()


def test_logout_revokes_only_the_token_used(lead_a):
    first = _token_for(lead_a).json()["token"]
    second = _token_for(lead_a).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    client.post(LOGOUT_URL)

    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert other.get(PROBE_URL).status_code == 200


def test_anonymous_requests_get_401(db):
    assert APIClient().get("/api/v1/referrals/").status_code == 401
    assert APIClient().post(LOGOUT_URL).status_code == 401


def test_it_limits_active_tokens_per_user(lead_a, settings):
    from django.core.cache import cache
    from knox.settings import knox_settings

    limit = knox_settings.TOKEN_LIMIT_PER_USER
    for _ in range(limit):
        assert _token_for(lead_a).status_code == 200
        cache.clear()  # this test is about the token limit, not the sign-in rate limit

    response = _token_for(lead_a)

    assert response.status_code == 403
    assert AuthToken.objects.filter(user=lead_a).count() == limit
