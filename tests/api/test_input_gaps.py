"""The small input gaps of issue 7 ("Done when" 6): every API error is JSON (413 for a body
over the limit, in the user's language), numbers are ASCII digits only, and text that
names something must hold a visible character. Each refusal writes nothing."""

from __future__ import annotations

import inspect
from datetime import timedelta

import pytest
import requests
from django.conf import settings
from django.test import Client
from django.utils import timezone
from rest_framework import serializers

from api.fields import StrictIntegerField
from cases.models import Case, EvidenceItem, Person, SupportPlan
from cases.validators import has_visible_character
from tests.conftest import client_for as _client_for
from tests.conftest import nothing_written

CASES = "/api/v1/cases/"
MB = 1024 * 1024


def client_for(user, language: str = "en"):
    client = _client_for(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def in_past(**delta) -> str:
    return (timezone.now() - timedelta(**delta)).isoformat()


def big_json(size: int) -> bytes:
    return b'{"title": "' + b"x" * size + b'", "category": "ai_generated"}'


# --- Bodies over the limit: 413, JSON, translated -------------------------------------


@pytest.mark.parametrize(("language", "word"), [("en", "too large"), ("es", "demasiado grande")])
def test_a_25_mb_json_body_is_a_json_413_in_the_users_language(lead_a, language, word):
    with nothing_written(Case):
        response = client_for(lead_a, language).generic(
            "POST", CASES, big_json(25 * MB), content_type="application/json"
        )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert word in response.json()["detail"].lower()


def test_a_json_body_over_the_json_limit_is_a_413(lead_a):
    size = settings.API_JSON_MAX_BODY_BYTES + 1
    with nothing_written(Case):
        response = client_for(lead_a).generic(
            "POST", CASES, big_json(size), content_type="application/json; charset=utf-8"
        )
    assert response.status_code == 413
    assert "detail" in response.json()


@pytest.mark.parametrize("content_type", ["application/*", "*/*", "text/plain"])
def test_the_json_limit_holds_whatever_type_is_declared(lead_a, content_type):
    size = settings.API_JSON_MAX_BODY_BYTES + 1
    with nothing_written(Case):
        response = client_for(lead_a).generic(
            "POST", CASES, big_json(size), content_type=content_type
        )
    assert response.status_code == 413


def test_a_json_body_under_the_limit_reaches_the_view(lead_a):
    response = client_for(lead_a).generic(
        "POST", CASES, big_json(1000), content_type="application/json"
    )
    assert response.status_code == 400  # the title is too long: the view answered
    assert "title" in response.json()


def test_a_multipart_body_over_the_upload_limit_is_a_json_413(case_a, lead_a):
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    body = b"--b\r\nContent-Disposition: form-data; name=x\r\n\r\n" + b"x" * size + b"\r\n--b--\r\n"
    with nothing_written(EvidenceItem):
        response = client_for(lead_a).generic(
            "POST",
            f"{CASES}{case_a.pk}/evidence/upload/",
            body,
            content_type="multipart/form-data; boundary=b",
        )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"


def test_a_web_form_body_over_the_limit_is_a_413_page():
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    body = b"username=a&password=" + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.generic(
        "POST", "/login/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert "demasiado grande" in response.content.decode().lower()


def test_an_unknown_api_url_is_a_json_404(lead_a):
    response = client_for(lead_a, "es").get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "No encontrado."}


def test_too_many_fields_is_a_json_400_under_the_api(lead_a, case_a):
    body = "&".join(f"f{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 10))
    response = client_for(lead_a).generic(
        "POST",
        f"{CASES}{case_a.pk}/evidence/upload/",
        body.encode(),
        content_type="application/x-www-form-urlencoded",
    )
    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == "application/json"


@pytest.mark.django_db(transaction=True)
def test_a_big_body_over_a_real_socket_gets_the_answer_not_a_reset(live_server, directory):
    # The test server answers before the view reads; the body is drained, so the client
    # reads a 413 rather than a connection reset.
    response = requests.post(
        f"{live_server.url}{CASES}",
        data=big_json(25 * MB),
        headers={"Content-Type": "application/json", "Accept-Language": "en"},
        timeout=60,
    )
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/json"


# --- Numbers are ASCII digits ---------------------------------------------------------

NON_ASCII_NUMBERS = ["١٢", "１２", "٧", "१२", True]


@pytest.mark.parametrize("value", NON_ASCII_NUMBERS)
def test_evidence_pdq_quality_takes_only_ascii_digits(case_a, lead_a, value):
    body = {
        "kind": "image",
        "platform": "whatsapp",
        "location": "https://chat.whatsapp.com/abc",
        "first_seen_at": in_past(days=1),
        "pdq": "f" * 64,
        "pdq_quality": value,
    }
    with nothing_written(EvidenceItem):
        response = client_for(lead_a).post(f"{CASES}{case_a.pk}/evidence/", body, format="json")
    assert response.status_code == 400
    assert "pdq_quality" in response.json()


@pytest.mark.parametrize("value", NON_ASCII_NUMBERS)
def test_a_support_plan_check_in_interval_takes_only_ascii_digits(case_a, lead_a, value):
    victim = case_a.participants.get().person
    body = {"victim": victim.pk, "summary": "Plan", "check_in_every_days": value}
    with nothing_written(SupportPlan):
        response = client_for(lead_a).post(
            f"{CASES}{case_a.pk}/support-plans/", body, format="json"
        )
    assert response.status_code == 400
    assert "check_in_every_days" in response.json()


def test_ascii_numbers_as_strings_and_integers_still_work(case_a, lead_a):
    victim = case_a.participants.get().person
    for value in (7, "7", " 14 "):
        response = client_for(lead_a).post(
            f"{CASES}{case_a.pk}/support-plans/",
            {"victim": victim.pk, "summary": f"Plan {value}", "check_in_every_days": value},
            format="json",
        )
        assert response.status_code == 201, response.json()
        SupportPlan.objects.filter(pk=response.json()["id"]).delete()


def test_the_statistics_school_filter_takes_only_ascii_digits(lead_a, school_a):
    client = client_for(lead_a)
    assert client.get(f"/api/v1/statistics/?school={school_a.pk}").status_code == 200
    arabic = str(school_a.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert client.get(f"/api/v1/statistics/?school={arabic}").status_code == 400


def test_web_number_fields_take_only_ascii_digits(case_a, lead_a):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(lead_a)
    victim = case_a.participants.get().person
    with nothing_written(SupportPlan):
        response = client.post(
            f"/cases/{case_a.pk}/support-plans/new/",
            {"victim": victim.pk, "summary": "Plan", "check_in_every_days": "١٢"},
        )
    assert response.status_code == 400
    assert "whole number" in response.content.decode()


def _input_serializers():
    import api.serializers_case_parts
    import api.serializers_cases
    import api.serializers_intake
    import api.serializers_people
    import api.serializers_reporting
    import api.views_statistics

    for module in (
        api.serializers_case_parts,
        api.serializers_cases,
        api.serializers_intake,
        api.serializers_people,
        api.serializers_reporting,
        api.views_statistics,
    ):
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, serializers.Serializer) and cls.__module__ == module.__name__:
                yield cls


def test_every_number_an_api_client_sends_goes_through_the_strict_field():
    loose = [
        f"{cls.__name__}.{name}"
        for cls in _input_serializers()
        for name, field in cls._declared_fields.items()
        if isinstance(field, serializers.IntegerField)
        and not field.read_only
        and not isinstance(field, StrictIntegerField)
        and "Output" not in cls.__name__
        and "Serializer" in cls.__name__
        and ("Input" in cls.__name__ or "Query" in cls.__name__ or "Upload" in cls.__name__)
    ]
    assert loose == []


# --- Names need a visible character ---------------------------------------------------

INVISIBLE = ["\u200b", "\u200b\u200d\u2060", " \u3164 ", "\u202e\u202c", "\u00ad", "\u0301"]


@pytest.mark.parametrize("name", INVISIBLE)
def test_a_person_named_only_with_invisible_characters_is_refused(lead_a, school_a, name):
    with nothing_written(Person):
        response = client_for(lead_a, "es").post(
            "/api/v1/people/", {"kind": "pupil", "given_name": name}, format="json"
        )
    assert response.status_code == 400
    assert "visible" in str(response.json()["given_name"])


@pytest.mark.parametrize("name", INVISIBLE)
def test_a_case_titled_only_with_invisible_characters_is_refused(lead_a, name):
    with nothing_written(Case):
        response = client_for(lead_a).post(
            CASES, {"title": name, "category": "ai_generated"}, format="json"
        )
    assert response.status_code == 400
    assert "title" in response.json()


def test_a_web_form_refuses_an_invisible_name(lead_a):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(lead_a)
    with nothing_written(Case):
        response = client.post(
            "/cases/new/",
            {"title": "\u200b\u200b", "category": "ai_generated", "risk_level": "medium"},
        )
    assert response.status_code == 400
    assert "visible character" in response.content.decode()


@pytest.mark.parametrize(
    ("text", "visible"),
    [
        ("Lucía", True),
        ("José\u200d", True),
        ("李", True),
        ("😀", True),
        ("·", True),
        ("", False),
        ("\t\n", False),
        ("\ufeff", False),
        ("\u2800", False),
    ],
)
def test_visible_means_something_that_draws(text, visible):
    assert has_visible_character(text) is visible


def test_web_record_choices_take_only_ascii_digit_ids(case_a, lead_a, school_a):
    from cases.models import Participant

    witness = Person.objects.create(school=school_a, kind="pupil", given_name="Ana")
    arabic = str(witness.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(lead_a)
    url = f"/cases/{case_a.pk}/people/new/"
    with nothing_written(Participant):
        refused = client.post(url, {"person": arabic, "role": "witness"})
    assert refused.status_code == 400
    assert client.post(url, {"person": str(witness.pk), "role": "witness"}).status_code == 302


def test_every_web_record_choice_is_strict():
    from django import forms as django_forms

    from web import forms as web_forms

    loose = [
        f"{name}.{field_name}"
        for name, form in vars(web_forms).items()
        if isinstance(form, type) and issubclass(form, django_forms.BaseForm)
        for field_name, field in form.base_fields.items()
        if isinstance(field, django_forms.ModelChoiceField)
        and not isinstance(
            field, web_forms.StrictModelChoiceField | web_forms.StrictModelMultipleChoiceField
        )
    ]
    assert loose == []
