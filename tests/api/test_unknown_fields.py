"""A key an input does not declare is a 400 on that key, in the user's language, and
nothing is written (DRF alone drops it and answers 201: a misspelt optional field,
``"adult_involvd": true``, would look recorded)."""

from __future__ import annotations

import inspect

import pytest
from rest_framework import serializers

import api.serializers_case_parts
import api.serializers_cases
import api.serializers_intake
import api.serializers_people
import api.serializers_reporting
import api.views_auth
from api.fields import InputSerializer
from cases.models import CaseEvent, Participant, Person
from tests.api.test_bad_input import client_for, person_of
from tests.conftest import nothing_written

pytestmark = pytest.mark.django_db

INPUT_MODULES = (
    api.serializers_case_parts,
    api.serializers_cases,
    api.serializers_intake,
    api.serializers_people,
    api.serializers_reporting,
    api.views_auth,
)


def test_an_unknown_key_is_refused_and_nothing_is_written(lead_a, case_a):
    person = person_of(case_a)
    with nothing_written(Participant, CaseEvent):
        response = client_for(lead_a, "es").post(
            f"/api/v1/cases/{case_a.pk}/participants/",
            {"person": person.pk, "role": "witness", "bogus": 1},
            format="json",
        )
    assert response.status_code == 400
    assert list(response.json()) == ["bogus"]
    assert "no se ha guardado nada" in response.json()["bogus"][0].lower()


def test_a_misspelt_flag_on_opening_a_case_is_refused(lead_a, school_a):
    body = {"school": school_a.pk, "title": "T", "category": "sextortion", "adult_involvd": True}
    response = client_for(lead_a).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 400
    assert "adult_involvd" in response.json()


def test_declared_keys_still_pass(lead_a, case_a):
    person = person_of(case_a)
    response = client_for(lead_a).post(
        f"/api/v1/cases/{case_a.pk}/participants/",
        {"person": person.pk, "role": "witness"},
        format="json",
    )
    assert response.status_code == 201
    assert Person.objects.filter(pk=person.pk).exists()


def test_every_input_serializer_refuses_unknown_keys():
    inputs = [
        cls
        for module in INPUT_MODULES
        for name, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, serializers.Serializer)
        and cls.__module__ == module.__name__
        and (name.endswith("InputSerializer") or name == "EvidenceUploadSerializer")
    ]
    assert len(inputs) > 20
    assert [cls.__name__ for cls in inputs if not issubclass(cls, InputSerializer)] == []
