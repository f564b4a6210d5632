"""Headers on every response (issue 3): a strict Content-Security-Policy, no inline
script or style in our templates, ``Cache-Control: no-store`` and ``Vary`` on every
signed-in and API response; Argon2 password hashing and Django's validators."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
PRODUCTION_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


def directives(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    out = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        out[name] = value.strip()
    return out


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_strict_policy(response) -> None:
    policy = directives(response)
    for name, value in STRICT.items():
        assert policy.get(name) == value, (name, response["Content-Security-Policy"])
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


# --- Content-Security-Policy ----------------------------------------------------------


@pytest.mark.django_db
def test_the_sign_in_page_has_the_strict_policy():
    response = Client().get(reverse("web:login"))
    assert response.status_code == 200
    assert_strict_policy(response)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_case_pages_and_api_answers_have_the_strict_policy(case_a, lead_a):
    client = signed_in(lead_a)
    for url in (
        reverse("web:dashboard"),
        reverse("web:case_list"),
        reverse("web:case_detail", args=[case_a.pk]),
        reverse("api:organisation-list"),
    ):
        response = client.get(url)
        assert response.status_code in (200, 302, 403), url
        assert_strict_policy(response)


@pytest.mark.django_db
def test_errors_and_anonymous_api_answers_have_the_strict_policy():
    for url in ("/no-such-page/", reverse("api:cases")):
        response = Client().get(url)
        assert response.status_code in (302, 401, 403, 404)
        assert_strict_policy(response)


@pytest.mark.django_db
def test_the_swagger_page_alone_is_relaxed_and_never_calls_out():
    response = Client().get(reverse("api-docs"))
    assert response.status_code == 200
    policy = directives(response)
    assert "'unsafe-inline'" in policy["script-src"]
    # Relaxed only for inline code: still same-origin, never framed, no plugins.
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "http" not in response["Content-Security-Policy"]
    assert '"validatorUrl": null' in response.content.decode()


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> block"),
    (re.compile(r"\sstyle\s*=", re.I), "style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "on*= handler"),
    (re.compile(r"\shx-on", re.I), "hx-on handler (needs eval)"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_our_templates_have_no_inline_script_or_style():
    roots = [Path(settings.BASE_DIR) / "templates", Path(settings.BASE_DIR) / "web" / "templates"]
    checked = 0
    for root in roots:
        for template in root.rglob("*.html"):
            text = template.read_text()
            checked += 1
            for pattern, what in INLINE:
                assert not pattern.search(text), f"{what} in {template}"
    assert checked > 5


def test_rendered_pages_have_no_inline_script_or_style(case_a, lead_a):
    client = signed_in(lead_a)
    for url in (
        reverse("web:login"),
        reverse("web:dashboard"),
        reverse("web:case_list"),
        reverse("web:case_detail", args=[case_a.pk]),
    ):
        body = client.get(url, follow=True).content.decode()
        for pattern, what in INLINE:
            assert not pattern.search(body), f"{what} on {url}"
        # htmx must not inject its indicator <style> (CSP would block it anyway).
        assert '"includeIndicatorStyles": false' in body


# --- Caching ----------------------------------------------------------------------------


def test_every_signed_in_web_response_is_no_store(staff_a):
    client = signed_in(staff_a)
    response = client.get(reverse("web:dashboard"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    vary = {v.strip().lower() for v in response["Vary"].split(",")}
    assert {"cookie", "authorization"} <= vary


@pytest.mark.django_db
def test_every_api_response_is_no_store_even_anonymous():
    response = APIClient().get(reverse("api:cases"))
    assert response.status_code in (401, 403)
    assert response["Cache-Control"] == "no-store"
    assert "Authorization" in response["Vary"]


def test_token_authenticated_api_responses_are_no_store(lead_a):
    _, token = AuthToken.objects.create(lead_a)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get(reverse("api:organisation-list"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert "Authorization" in response["Vary"]


@pytest.mark.django_db
def test_the_anonymous_sign_in_page_still_varies_on_cookie():
    response = Client().get(reverse("web:login"))
    assert "Cookie" in response["Vary"]


# --- Passwords --------------------------------------------------------------------------


def test_argon2_first_and_pbkdf2_kept_for_upgrades():
    hashers = settings.PASSWORD_HASHERS
    # Under pytest a fast MD5 hasher is put first (test-only, config/settings.py).
    if settings.TESTING:
        assert hashers[0] == "django.contrib.auth.hashers.MD5PasswordHasher"
        hashers = hashers[1:]
    assert hashers == PRODUCTION_HASHERS


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_a_pbkdf2_hash_is_upgraded_to_argon2_on_sign_in(staff_a):
    staff_a.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    staff_a.save(update_fields=["password"])
    client = Client()
    response = client.post(
        reverse("web:login"), {"username": staff_a.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    staff_a.refresh_from_db()
    assert identify_hasher(staff_a.password).algorithm == "argon2"
    assert staff_a.password.startswith("argon2$argon2id$")
    assert check_password(PASSWORD, staff_a.password)


@pytest.mark.django_db
def test_django_password_validators_refuse_weak_passwords():
    for weak in ("short", "123456789012", "password1234"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("a long and unusual passphrase 73")
