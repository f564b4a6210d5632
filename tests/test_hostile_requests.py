"""Hostile requests found by a penetration test and the hunt after it: each is a clear
4xx in the user's language (or, for a bad cookie, no session at all) and changes
nothing; never a 500. Over HTTP, for the web pages and the API, anonymous and signed in.

- JSON nested a thousand levels deep (``RecursionError``), lone surrogates, a ``charset``
  that is not a text encoding: ``api/parsers.py``;
- NUL or non-UTF-8 bytes in ``Authorization: Token …``: ``api/authentication.py``;
- NUL in the ``sessionid`` cookie: ``accounts/sessions.py``;
- ``?concern=²`` (``"²".isdigit()`` but ``int("²")`` fails): ``web.access.whole_number``;
- NUL in a platform or legal-basis slug, deep or NUL-bearing JSON in the upload's
  ``identifiers``: ``api/fields.py``, ``api/serializers_intake.py``;
- ``?next=-1`` on the second-factor page (taken for a view name): ``web/otp.py``.
"""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override
from knox.models import AuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.test import APIClient
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from cases import services as case_services
from cases.models import Case, Concern, EvidenceItem, Participant
from reporting.models import Platform, TakedownRequest
from tests.conftest import client_for, nothing_written
from tests.intake_files import png_bytes

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases/"
TOKEN = "/api/v1/auth/token/"
LOGOUT = "/api/v1/auth/logout/"
MESSAGES = {
    "es": {
        "too_deep": "Error al leer el JSON: anidado a más de 32 niveles de profundidad.",
        "surrogate": "Error al leer el JSON: No se admiten caracteres sustitutos: U+D800.",
        "charset": 'Codificación "zlib" no admitida en la cabecera Content-Type.',
        "invalid_token": "Token inválido.",
    },
    "en": {
        "too_deep": "JSON parse error: nested more than 32 levels deep.",
        "surrogate": "JSON parse error: Surrogate characters are not allowed: U+D800.",
        "charset": 'Unsupported charset "zlib" in the Content-Type header.',
        "invalid_token": "Invalid token.",
    },
}


def anonymous() -> APIClient:
    return APIClient(raise_request_exception=False)


def signed_in(user) -> APIClient:
    client = client_for(user)
    client.raise_request_exception = False
    return client


# --- a. Deeply nested JSON ------------------------------------------------------------

DEEP_BODIES = {
    "1000 arrays": "[" * 1000 + "]" * 1000,
    "1000 objects": '{"a": ' * 1000 + "1" + "}" * 1000,
    "100000 open arrays": "[" * 100_000,
    "33 levels": "[" * 33 + "]" * 33,
    "33 levels in a field": '{"title": "x", "category": "other", "extra": '
    + "[" * 32
    + "]" * 32
    + "}",
}


@pytest.mark.parametrize("body", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
@pytest.mark.parametrize("language", ["es", "en"])
def test_json_nested_too_deep_is_a_translated_parse_error(lead_a, body, language):
    for client, url in ((anonymous(), TOKEN), (signed_in(lead_a), CASES)):
        with nothing_written(Case):
            response = client.post(
                url, data=body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
            )
        assert response.status_code == 400, (url, response.content[:300])
        assert response.json() == {"detail": MESSAGES[language]["too_deep"]}


def test_json_nested_32_levels_still_parses(lead_a):
    # Parsed: the answer is the serializer's, on the undeclared key that holds the
    # nesting (api.fields.InputSerializer), not the parser's "too deep".
    body = '{"title": "Anidado", "category": "other", "extra": ' + "[" * 31 + "]" * 31 + "}"
    response = signed_in(lead_a).post(CASES, data=body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["extra"]


def test_every_json_endpoint_refuses_deep_nesting(lead_a, case_a):
    """Not only the two above: every write under /api/v1/ parses with the same parser."""
    body = "[" * 1000 + "]" * 1000
    client = signed_in(lead_a)
    for url in (
        "/api/v1/people/",
        "/api/v1/concerns/",
        f"{CASES}{case_a.pk}/participants/",
        f"{CASES}{case_a.pk}/evidence/",
        f"{CASES}{case_a.pk}/close/",
        "/api/v1/referrals/",
        "/api/v1/takedowns/",
    ):
        response = client.post(url, data=body, content_type="application/json")
        assert response.status_code == 400, (url, response.content[:300])
        assert response.json() == {"detail": MESSAGES["es"]["too_deep"]}, url


# --- Lone surrogates and charsets in JSON ------------------------------------------------


SURROGATE_BODIES = {
    "in a text field": '{"title": "\\ud800", "category": "other"}',
    "in a choice": '{"title": "x", "category": "\\ud800"}',
    "in a key": '{"\\ud800": 1, "title": "x", "category": "other"}',
    "in a list": '{"title": "x", "category": "other", "tags": ["\\ud800"]}',
}


@pytest.mark.parametrize("body", SURROGATE_BODIES.values(), ids=SURROGATE_BODIES.keys())
@pytest.mark.parametrize("language", ["es", "en"])
def test_a_lone_surrogate_anywhere_in_json_is_a_translated_400(lead_a, body, language):
    """A surrogate echoed in a choice error broke the JSON renderer (500)."""
    with nothing_written(Case):
        response = signed_in(lead_a).post(
            CASES, data=body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
        )
    assert response.status_code == 400, response.content[:300]
    assert response.json() == {"detail": MESSAGES[language]["surrogate"]}


def test_a_surrogate_pair_is_one_character_and_accepted(lead_a):
    body = '{"title": "Emoji \\ud83d\\ude00", "category": "other"}'
    response = signed_in(lead_a).post(CASES, data=body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert Case.objects.get(pk=response.json()["id"]).title == "Emoji \U0001f600"


def test_drfs_own_surrogate_message_is_spanish_from_our_catalogue():
    """DRF's Spanish catalogue lacks the message; ours provides it for DRF's validator too."""
    with override("es"), pytest.raises(ValidationError) as error:
        ProhibitSurrogateCharactersValidator()("a\ud800")
    assert error.value.detail == ["No se admiten caracteres sustitutos: U+D800."]


@pytest.mark.parametrize("charset", ["zlib", "rot13", "bz2"])
def test_a_charset_that_is_not_text_is_a_translated_400(lead_a, charset):
    for client, url in ((anonymous(), TOKEN), (signed_in(lead_a), CASES)):
        with nothing_written(Case):
            response = client.generic(
                "POST",
                url,
                b'{"title": "x", "category": "other"}',
                content_type=f"application/json; charset={charset}",
                HTTP_ACCEPT_LANGUAGE="es",
            )
        assert response.status_code == 400, (url, response.content[:300])
        expected = MESSAGES["es"]["charset"].replace("zlib", charset)
        assert response.json() == {"detail": expected}


# --- b. Malformed API tokens ----------------------------------------------------------

MALFORMED_TOKENS = {
    "NUL": "\x00",
    "NUL inside": "a\x00b",
    "NUL at full length": "0" * 63 + "\x00",
    "not UTF-8": "\xe9",
    "encoded surrogate": "\xed\xa0\x80",
    "upper case": "A" * 64,
    "too short": "0" * 63,
    "too long": "0" * 65,
    "not hex": "g" * 64,
}


@pytest.mark.parametrize("token", MALFORMED_TOKENS.values(), ids=MALFORMED_TOKENS.keys())
@pytest.mark.parametrize("language", ["es", "en"])
def test_a_malformed_token_is_401_like_any_invalid_token_before_any_lookup(lead_a, token, language):
    AuthToken.objects.create(user=lead_a)  # a token exists; none can match
    for method, url in (("get", CASES), ("post", LOGOUT), ("get", "/api/v1/dashboard/")):
        with CaptureQueriesContext(connection) as queries:
            response = getattr(anonymous(), method)(
                url, HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT_LANGUAGE=language
            )
        assert response.status_code == 401, (url, response.content[:300])
        assert response.json() == {"detail": MESSAGES[language]["invalid_token"]}
        assert not [q for q in queries.captured_queries if "knox_authtoken" in q["sql"]]


def test_a_well_formed_unknown_token_gets_the_same_answer(lead_a):
    response = anonymous().get(CASES, HTTP_AUTHORIZATION="Token " + "0" * 64)
    assert response.status_code == 401
    assert response.json() == {"detail": MESSAGES["es"]["invalid_token"]}


def test_a_real_token_still_signs_in_and_out(lead_a):
    _row, token = AuthToken.objects.create(user=lead_a)
    client = anonymous()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(CASES).status_code == 200
    assert client.post(LOGOUT).status_code == 204
    assert client.get(CASES).status_code == 401


# --- c. Session and CSRF cookies -------------------------------------------------------

NUL_SESSION = 'sessionid="abcdefghij\\000klmnop"'


def test_a_session_cookie_with_nul_is_no_session(lead_a):
    web = Client(raise_request_exception=False)
    login = web.get("/login/", HTTP_COOKIE=NUL_SESSION)
    assert login.status_code == 200
    assert login.cookies["sessionid"].value == ""  # the bad cookie is cleared
    dashboard = web.get("/", HTTP_COOKIE=NUL_SESSION)
    assert dashboard.status_code == 302
    assert dashboard["Location"].startswith("/login/")
    api = anonymous().get(CASES, HTTP_COOKIE=NUL_SESSION)
    assert api.status_code in (401, 403)
    token = anonymous().post(
        TOKEN,
        {"username": "lead.a", "password": "wrong"},
        format="json",
        HTTP_COOKIE=NUL_SESSION,
    )
    assert token.status_code == 400


@pytest.mark.parametrize(
    "key", ["abcdefghij\x00klmnop", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", "a" * 41, "abcd-efgh-ijkl"]
)
def test_a_session_key_django_cannot_have_made_never_reaches_the_database(key):
    web = Client(raise_request_exception=False)
    web.cookies["sessionid"] = key
    with CaptureQueriesContext(connection) as queries:
        response = web.get("/login/")
    assert response.status_code == 200
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"]]


def test_a_well_formed_session_key_is_still_looked_up(lead_a):
    web = Client()
    web.force_login(lead_a)
    with CaptureQueriesContext(connection) as queries:
        response = web.get("/")
    assert response.status_code == 200
    assert [q for q in queries.captured_queries if "django_session" in q["sql"]]


def test_a_csrf_cookie_with_nul_is_a_403_not_a_500():
    web = Client(raise_request_exception=False, enforce_csrf_checks=True)
    cookie = 'csrftoken="abcdefghij\\000klmnop"'
    assert web.get("/login/", HTTP_COOKIE=cookie).status_code == 200
    response = web.post("/login/", {"username": "lead.a", "password": "x"}, HTTP_COOKIE=cookie)
    assert response.status_code == 403


# --- d. Numbers in query strings --------------------------------------------------------


@pytest.mark.parametrize("value", ["²", "١٢", "1²", "9" * 30, "9" * 5000, " 1", "-1"])
def test_a_concern_id_that_is_not_ascii_digits_is_404(lead_a, value):
    web = Client(raise_request_exception=False)
    web.force_login(lead_a)
    with nothing_written(Case, Concern):
        response = web.get(reverse("web:case_new"), {"concern": value})
    assert response.status_code == 404


def test_a_victim_id_that_is_not_ascii_digits_is_ignored(lead_a, case_a):
    web = Client(raise_request_exception=False)
    web.force_login(lead_a)
    victim = case_a.participants.get().person
    url = reverse("web:plan_new", args=[case_a.pk])
    response = web.get(url, {"victim": "²"})
    assert response.status_code == 200
    assert f'value="{victim.pk}" selected' not in response.content.decode()
    response = web.get(url, {"victim": str(victim.pk)})
    assert f'value="{victim.pk}" selected' in response.content.decode()


def test_a_person_id_in_non_ascii_digits_is_refused_not_read_as_that_id(case_a, lead_a):
    person = case_services.person_create(
        school=case_a.school, actor=lead_a, kind="pupil", given_name="Eva"
    )
    arabic = str(person.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    with nothing_written(Participant):
        response = signed_in(lead_a).post(
            f"{CASES}{case_a.pk}/participants/",
            {"person": arabic, "role": "witness"},
            format="json",
        )
    assert response.status_code == 400
    assert "person" in response.json()


@pytest.mark.parametrize("value", ["-1", "dashboard"])
def test_a_next_that_is_not_a_path_goes_to_the_dashboard_not_a_500(staff_a, value):
    """``redirect()`` would take ``next`` for a view name (NoReverseMatch); a relative
    ``-1`` would lead to a 404. Only a path starting with "/" is followed."""
    web = Client(raise_request_exception=False)
    web.force_login(staff_a)  # needs no second factor: straight on to ``next``
    response = web.get(reverse("web:otp_verify"), {"next": value})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert web.get(reverse("web:otp_verify"), {"next": "/cases/"})["Location"] == "/cases/"


# --- NUL in slugs and in the upload's identifiers ----------------------------------------


@pytest.fixture
def evidence_a(case_a, lead_a) -> EvidenceItem:
    return case_services.evidence_record(
        case=case_a,
        actor=lead_a,
        kind="image",
        first_seen_at=timezone.now() - timedelta(days=1),
        platform=Platform.objects.get(slug="whatsapp"),
        location="https://chat.whatsapp.com/invite/abc",
        sha256="a" * 64,
    )


@pytest.mark.parametrize("field", ["platform", "legal_basis"])
def test_a_slug_with_nul_does_not_exist(case_a, lead_a, evidence_a, field):
    payload = {
        "case": case_a.pk,
        "platform": "whatsapp",
        "legal_basis": "us-take-it-down",
        "evidence_items": [evidence_a.pk],
        field: "whats\x00app",
    }
    with nothing_written(TakedownRequest):
        response = signed_in(lead_a).post("/api/v1/takedowns/", payload, format="json")
    assert response.status_code == 400, response.content[:300]
    assert list(response.json()) == [field]


def test_a_platform_with_nul_does_not_exist_on_evidence(case_a, lead_a):
    payload = {
        "kind": "image",
        "platform": "a\x00b",
        "first_seen_at": (timezone.now() - timedelta(days=1)).isoformat(),
    }
    with nothing_written(EvidenceItem):
        json_response = signed_in(lead_a).post(
            f"{CASES}{case_a.pk}/evidence/", payload, format="json"
        )
        upload = signed_in(lead_a).post(
            f"{CASES}{case_a.pk}/evidence/upload/",
            {"file": _png(), **payload},
            format="multipart",
        )
    for response in (json_response, upload):
        assert response.status_code == 400, response.content[:300]
        assert list(response.json()) == ["platform"]


def _png() -> BytesIO:
    upload = BytesIO(png_bytes())
    upload.name = "evidencia.png"
    return upload


@pytest.mark.parametrize(
    "identifiers",
    [
        "[" * 5000,
        '{"a": ' * 2000,
        '{"enlace": "a\\u0000b"}',
        '{"a\\u0000": "b"}',
        '{"enlace": "\\ud800"}',
        '{"enlace": ' + "[" * 40 + "]" * 40 + "}",
    ],
)
def test_hostile_json_in_the_upload_identifiers_is_a_field_error(case_a, lead_a, identifiers):
    with nothing_written(EvidenceItem):
        response = signed_in(lead_a).post(
            f"{CASES}{case_a.pk}/evidence/upload/",
            {
                "file": _png(),
                "identifiers": identifiers,
                "first_seen_at": "2023-09-18T08:30:00+02:00",
            },
            format="multipart",
            HTTP_ACCEPT_LANGUAGE="es",
        )
    assert response.status_code == 400, response.content[:300]
    assert list(response.json()) == ["identifiers"]
