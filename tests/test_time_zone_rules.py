"""The time-zone rule holds everywhere, including for inputs added later (issue 7).

- Every time input of every serializer and form is the zone-aware field type, and is
  tried by the matrix of ``tests/test_time_zones.py`` (a new one fails here until it is
  added there).
- Every time the API returns carries an offset (every GET route, walked).
- The OpenAPI schema documents the rule on each such field and the ``Time-Zone`` header
  on each operation that takes one.
- ``cases.zones``: which zone, which names; the admin accepts only real zone names.
- The web pages show a school's times on the school's clock.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django import forms
from django.test import Client
from django.urls import reverse
from django.utils import formats, translation
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

from api.fields import SchoolDateTimeField, ZonedInputSerializer
from api.serializers_cases import (
    CaseCloseInputSerializer,
    CaseStatusInputSerializer,
    CaseUpdateInputSerializer,
)
from cases import services as case_services
from cases.admin import OrganisationForm
from cases.models import Membership, Organisation, Role
from cases.zones import input_zone, zone_named
from reporting import services as reporting_services
from tests.access_world import KWARG_OBJECTS, build_world
from tests.conftest import client_for, make_user
from tests.test_access_matrix import kwargs_of, project_patterns
from tests.test_time_zones import TIME_INPUTS
from web import forms as web_forms

PACKAGES = ("api", "cases", "reporting", "web", "config")


def _import_project() -> None:
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            importlib.import_module(info.name)


def _subclasses(base: type) -> list[type]:
    _import_project()
    found, todo = [], [base]
    while todo:
        for cls in todo.pop().__subclasses__():
            todo.append(cls)
            if cls.__module__.split(".")[0] in PACKAGES:
                found.append(cls)
    return sorted(set(found), key=lambda c: f"{c.__module__}.{c.__qualname__}")


# --- Every time input is zone-aware, and in the matrix --------------------------------


def serializer_time_inputs(classes) -> list[tuple[type, str, serializers.Field]]:
    """``(serializer class, field name, field)`` for every writable date-time field."""
    found = []
    for cls in classes:
        if issubclass(cls, serializers.ListSerializer):
            continue
        if issubclass(cls, serializers.ModelSerializer) and not hasattr(cls, "Meta"):
            continue  # an abstract base
        for name, field in cls().fields.items():
            if isinstance(field, serializers.DateTimeField) and not field.read_only:
                found.append((cls, name, field))
    return found


def form_time_inputs(classes) -> list[tuple[type, str, forms.Field]]:
    return [
        (cls, name, field)
        for cls in classes
        for name, field in cls.base_fields.items()
        if isinstance(field, forms.DateTimeField | forms.SplitDateTimeField)
    ]


def unzoned(inputs, field_type: type, form_type: type) -> list[str]:
    return [
        f"{cls.__module__}.{cls.__qualname__}.{name}"
        for cls, name, field in inputs
        if not (isinstance(field, field_type) and issubclass(cls, form_type))
    ]


SERIALIZERS = _subclasses(serializers.Serializer)
FORMS = _subclasses(forms.BaseForm)
# Tried by their own tests: tests/test_time_zones.py ("The version a case PATCH
# echoes") and tests/test_case_version.py (close and reopen on the version read).
TESTED_ELSEWHERE = {
    (CaseUpdateInputSerializer, "expected_updated_at"),
    (CaseCloseInputSerializer, "expected_updated_at"),
    (CaseStatusInputSerializer, "expected_updated_at"),
}


def test_the_walk_finds_the_serializers_and_forms_that_take_times():
    assert len(serializer_time_inputs(SERIALIZERS)) >= 10
    assert len(form_time_inputs(FORMS)) >= 8


def test_every_time_input_of_the_api_reads_times_on_the_records_clock():
    assert (
        unzoned(serializer_time_inputs(SERIALIZERS), SchoolDateTimeField, ZonedInputSerializer)
        == []
    )


def test_every_time_input_of_the_web_reads_times_on_the_records_clock():
    assert (
        unzoned(form_time_inputs(FORMS), web_forms.SchoolDateTimeField, web_forms.ZonedForm) == []
    )


def test_the_walk_would_catch_a_plain_date_time_field():
    class Sneaky(serializers.Serializer):
        when = serializers.DateTimeField()

    class SneakyForm(forms.Form):
        when = forms.DateTimeField()

    assert unzoned(serializer_time_inputs([Sneaky]), SchoolDateTimeField, ZonedInputSerializer)
    assert unzoned(
        form_time_inputs([SneakyForm]), web_forms.SchoolDateTimeField, web_forms.ZonedForm
    )


def test_a_zone_aware_field_outside_a_zoned_serializer_fails_loudly():
    class Misplaced(serializers.Serializer):
        when = SchoolDateTimeField()

    with pytest.raises(Exception, match="ZonedInputSerializer"):
        Misplaced().fields  # noqa: B018 - binding the fields is the check


@pytest.mark.parametrize(
    "inputs", [serializer_time_inputs(SERIALIZERS), form_time_inputs(FORMS)], ids=["api", "web"]
)
def test_every_time_input_is_in_the_time_zone_matrix(inputs):
    tried = {(spec.declared_in, spec.field) for spec in TIME_INPUTS} | TESTED_ELSEWHERE

    def is_tried(cls: type, name: str) -> bool:
        # A base class is tried through the subclass the endpoint uses.
        return any(issubclass(used, cls) and name == field for used, field in tried)

    missing = [f"{cls.__qualname__}.{name}" for cls, name, _ in inputs if not is_tried(cls, name)]
    assert missing == [], "add them to API_INPUTS / WEB_INPUTS in tests/test_time_zones.py"


# --- Every time the API returns carries an offset -------------------------------------

DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _times(value, key: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _times(v, k)]
    if isinstance(value, list):
        return [t for v in value for t in _times(v, key)]
    if isinstance(value, str) and DATETIME.match(value):
        return [(key, value)]
    return []


def test_every_time_the_api_returns_carries_an_offset(db):
    world = build_world()
    world.schools["A"].org.time_zone = "Asia/Dubai"
    world.schools["A"].org.save()
    seen: dict[str, str] = {}
    for name, route in project_patterns():
        if not name.startswith("api:"):
            continue
        values = {kw: world.obj("A", KWARG_OBJECTS[kw]).pk for kw in kwargs_of(route)}
        for persona in ("lead_a", "police", "head_a"):
            response = client_for(world.users[persona]).get(reverse(name, kwargs=values))
            # A document that is not JSON (the referral packet's PDF) has no keys to read.
            if response.status_code != 200 or response["Content-Type"] != "application/json":
                continue
            for key, value in _times(response.json()):
                seen[f"{name} {key}"] = value
    without_offset = {
        where: value
        for where, value in seen.items()
        if datetime.fromisoformat(value).tzinfo is None
    }
    assert without_offset == {}
    keys = {where.split()[-1] for where in seen}
    assert keys >= {
        "opened_at",
        "updated_at",
        "logged_at",
        "first_seen_at",
        "recorded_at",
        "created_at",
        "sent_at",
        "due_at",
        "held_at",
        "contacted_at",
        "occurred_at",
        "added_at",
        "generated_at",
    }, keys


# --- The OpenAPI schema says it -------------------------------------------------------


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_the_schema_documents_the_rule_on_every_time_input():
    with translation.override("en"):
        schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = 0
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {})
            times = {
                name: prop
                for media in body.values()
                for name, prop in _resolve(schema, media["schema"]).get("properties", {}).items()
                if prop.get("format") == "date-time" and not prop.get("readOnly")
            }
            headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
            where = f"{method.upper()} {path}"
            assert ("Time-Zone" in headers) == bool(times), where
            for name, prop in times.items():
                assert "Time-Zone header" in prop.get("description", ""), f"{where} {name}"
            operations += bool(times)
    assert operations >= 11


# --- cases.zones ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Europe/London", "UTC", "America/Argentina/Buenos_Aires"])
def test_a_tz_database_name_is_a_zone(name):
    assert zone_named(name) == ZoneInfo(name)


@pytest.mark.parametrize(
    "name",
    ["", "Mars/Olympus", "../../../etc/passwd", "/etc/localtime", "europe/london", "x" * 300],
)
def test_anything_else_is_not(name):
    assert zone_named(name) is None


@pytest.fixture
def orgs(db):
    def org(code: str, zone: str, kind: str = "school") -> Organisation:
        return Organisation.objects.create(
            name=code, kind=kind, code=code, jurisdiction="ES-BA", time_zone=zone
        )

    return org


def test_a_member_of_the_school_gets_its_zone_whatever_they_ask(orgs):
    school = orgs("DXB", "Asia/Dubai")
    staff = make_user("s", school, Role.STAFF)
    asked = ZoneInfo("Europe/London")
    assert input_zone(user=staff, school=school, requested=asked) == ZoneInfo("Asia/Dubai")


def test_someone_outside_the_school_gets_the_zone_asked_then_their_own(orgs, settings):
    school = orgs("DXB", "Asia/Dubai")
    liaison = make_user("p", orgs("MET", "Europe/London", "police_unit"), Role.POLICE_LIAISON)
    asked = ZoneInfo("America/New_York")
    assert input_zone(user=liaison, school=school, requested=asked) == asked
    assert input_zone(user=liaison, school=school) == ZoneInfo("Europe/London")

    # Two organisations on different clocks: neither is "their own" zone.
    Membership.objects.create(
        user=liaison,
        organisation=orgs("NYPD", "America/New_York", "police_unit"),
        role="police_liaison",
    )
    settings.TIME_ZONE = "Europe/Madrid"
    assert input_zone(user=liaison, school=school) == ZoneInfo("Europe/Madrid")
    nobody = make_user("n", None, None)
    assert input_zone(user=nobody, school=school) == ZoneInfo("Europe/Madrid")


@pytest.mark.parametrize(
    "value, valid", [("Asia/Dubai", True), ("Asia/Dubay", False), ("+04", False)]
)
def test_the_admin_accepts_only_real_zone_names(db, value, valid):
    form = OrganisationForm(
        data={
            "name": "X",
            "kind": "school",
            "code": "XX",
            "jurisdiction": "AE-DU",
            "time_zone": value,
        }
    )
    assert form.is_valid() == valid, form.errors
    assert ("time_zone" in form.errors) != valid


# --- The web shows a school's times on its clock --------------------------------------

# 2027-03-14 09:00 UTC: 05:00 EDT in New York (clocks went forward at 07:00 UTC), 10:00
# CET in Madrid (the server's zone).
NOW = datetime(2027, 3, 14, 9, 0, tzinfo=UTC)


def _shown(instant: datetime, zone: str) -> str:
    local = instant.astimezone(ZoneInfo(zone))
    return f"{formats.date_format(local, 'SHORT_DATETIME_FORMAT')} {local.tzname()}"


@pytest.fixture
def new_york(orgs):
    """A New York school's case with a concern, evidence, a check-in and a referral."""
    with time_machine.travel(NOW, tick=False):
        school = orgs("NYC", "America/New_York")
        unit = orgs("UNIT", "Europe/Madrid", "police_unit")
        lead = make_user("lead.ny", school, Role.SAFEGUARDING_LEAD)
        police = make_user("police.ny", unit, Role.POLICE_LIAISON)
        case = case_services.case_open(school=school, actor=lead, title="T", category="sextortion")
        case_services.concern_log(school=school, logged_by=lead, source="staff", summary="S")
        case_services.evidence_record(
            case=case,
            actor=lead,
            kind="image",
            first_seen_at=NOW - timedelta(hours=4),
            location="https://t.me/c/1",
        )
        referral = reporting_services.referral_create(
            case=case,
            actor=lead,
            destination=unit,
            summary="D",
            legal_basis="legal_obligation",
            shared_sections=["chronology"],
        )
        reporting_services.referral_send(referral=referral, actor=lead)
        yield case, lead, police, referral


def _page(user, url: str) -> str:
    client = Client()
    client.force_login(user)
    with translation.override("en"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def test_the_web_shows_a_schools_times_on_the_schools_clock(new_york):
    case, lead, police, referral = new_york
    with translation.override("en"):
        now_ny, now_madrid = _shown(NOW, "America/New_York"), _shown(NOW, "Europe/Madrid")
        four_hours_ago_ny = _shown(NOW - timedelta(hours=4), "America/New_York")
    assert "EDT" in now_ny and "EST" in four_hours_ago_ny  # across the clock change

    case_page = _page(lead, reverse("web:case_detail", args=[case.pk]))
    assert now_ny in case_page  # opened, chronology
    assert four_hours_ago_ny in case_page  # evidence first seen
    assert now_madrid not in case_page

    # The list shows dates: a case opened at 02:00 UTC on the 14th was opened on the
    # 13th in New York (21:00 EST), on the 14th in Madrid.
    late = case_services.case_open(
        school=case.school,
        actor=lead,
        title="Late",
        category="sextortion",
        opened_at=datetime(2027, 3, 14, 2, 0, tzinfo=UTC),
    )
    with translation.override("en"):
        the_13th = formats.date_format(datetime(2027, 3, 13), "SHORT_DATE_FORMAT")
    case_list = _page(lead, reverse("web:case_list"))
    row = case_list[case_list.index(late.reference) :]
    assert the_13th in row[: row.index("</tr>")]

    dashboard = _page(lead, reverse("web:dashboard"))
    assert now_ny in dashboard and now_madrid not in dashboard  # the new concern

    # The liaison in Madrid sees the school's times too: they are the school's record.
    for url in (reverse("web:referral_inbox"), reverse("web:referral", args=[referral.pk])):
        page = _page(police, url)
        assert now_ny in page and now_madrid not in page, url


def test_a_form_says_which_clock_its_times_are_on(new_york):
    case, lead, police, referral = new_york
    with translation.override("en"):
        form = _page(lead, reverse("web:evidence_new", args=[case.pk]))
        assert "in the school&#x27;s time zone (America/New_York)" in form
        ack = _page(police, reverse("web:referral", args=[referral.pk]))
        assert "in your time zone (Europe/Madrid)" in ack
        reason_only = _page(lead, reverse("web:case_close", args=[case.pk]))
        assert "time zone" not in reason_only
