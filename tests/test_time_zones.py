"""Times typed without an offset are read on the right clock (issue 7, "Time zones").

Every API endpoint and web form that takes a time is tried (``API_INPUTS``,
``WEB_INPUTS``; ``tests/test_time_zone_rules.py`` fails if a time input is missing
here) for a school in each of Europe/Madrid, Europe/London, America/New_York and
Asia/Dubai, with "now" frozen two hours after a clock change (``MOMENTS``): "30 minutes
ago" and "4 hours ago", typed as the school's wall time, are stored as exactly those
instants, although the offset changed between them; a wall time that the change
skipped or repeated is refused (400, naming the zone, nothing written); Dubai has no
change to refuse.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client
from django.urls import reverse

from api import serializers_case_parts as sparts
from api import serializers_cases as sc
from api import serializers_intake as si
from api import serializers_people as speople
from api import serializers_reporting as sr
from cases import services as case_services
from cases.models import (
    Action,
    Case,
    CheckIn,
    Concern,
    EvidenceItem,
    GuardianContact,
    Membership,
    Organisation,
    Person,
    Role,
    SupportPlan,
    User,
)
from cases.zones import is_skipped_or_repeated
from reporting import services as reporting_services
from reporting.models import AuthorityReport, LegalBasis, Platform, Referral, TakedownRequest
from tests.conftest import client_for, make_user, nothing_written
from tests.intake_files import png_bytes
from web import forms as web_forms
from web import views_notices as web_notices

API = "/api/v1/"


# --- Moments: "now", two hours after a clock change ----------------------------------


@dataclass(frozen=True)
class Moment:
    zone: str
    change: str  # "spring" (clocks go forward) or "fall" (clocks go back)
    now: datetime  # UTC
    # A wall time of that day: skipped (spring) or repeated (fall) where the zone has a
    # clock change; in Dubai, the one Madrid skips or repeats (an ordinary time there).
    odd_wall_time: str

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    @property
    def has_clock_change(self) -> bool:
        return self.zone != "Asia/Dubai"

    def wall(self, instant: datetime) -> str:
        """``instant`` as the wall time a person in the zone types (no offset)."""
        return instant.astimezone(self.tz).replace(tzinfo=None).isoformat(timespec="minutes")

    def __str__(self) -> str:
        return f"{self.zone}-{self.change}"


# EU and UK clocks change at 01:00 UTC on the last Sundays of March and October; the US
# ones at 02:00 local on the second Sunday of March and the first of November.
MOMENTS = [
    Moment("Europe/Madrid", "spring", datetime(2027, 3, 28, 3, tzinfo=UTC), "2027-03-28T02:30"),
    Moment("Europe/Madrid", "fall", datetime(2027, 10, 31, 3, tzinfo=UTC), "2027-10-31T02:30"),
    Moment("Europe/London", "spring", datetime(2027, 3, 28, 3, tzinfo=UTC), "2027-03-28T01:30"),
    Moment("Europe/London", "fall", datetime(2027, 10, 31, 3, tzinfo=UTC), "2027-10-31T01:30"),
    Moment("America/New_York", "spring", datetime(2027, 3, 14, 9, tzinfo=UTC), "2027-03-14T02:30"),
    Moment("America/New_York", "fall", datetime(2027, 11, 7, 8, tzinfo=UTC), "2027-11-07T01:30"),
    Moment("Asia/Dubai", "spring", datetime(2027, 3, 28, 3, tzinfo=UTC), "2027-03-28T02:30"),
    Moment("Asia/Dubai", "fall", datetime(2027, 10, 31, 3, tzinfo=UTC), "2027-10-31T02:30"),
]
WITH_CLOCK_CHANGE = [m for m in MOMENTS if m.has_clock_change]
WITHOUT_CLOCK_CHANGE = [m for m in MOMENTS if not m.has_clock_change]
AGO = [timedelta(minutes=30), timedelta(hours=4)]


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_the_moments_are_what_the_tests_assume(moment):
    """Guard of the premises: "4 hours ago" is on the other side of the clock change
    from "now", and the odd wall time is skipped or repeated exactly where there is a
    change."""
    before = (moment.now - timedelta(hours=4)).astimezone(moment.tz).utcoffset()
    after = moment.now.astimezone(moment.tz).utcoffset()
    assert (before != after) == moment.has_clock_change
    odd = datetime.fromisoformat(moment.odd_wall_time)
    assert is_skipped_or_repeated(odd, moment.tz) == moment.has_clock_change
    assert odd < moment.now.astimezone(moment.tz).replace(tzinfo=None)


@pytest.fixture
def moment(request):
    """The ``Moment`` a test is parametrized with, and the clock frozen at its "now"."""
    with time_machine.travel(request.param.now, tick=False):
        yield request.param


# --- A school in the moment's zone, with what the inputs act on ------------------------


@dataclass
class World:
    moment: Moment
    school: Organisation
    lead: User
    case: Case
    unit: Organisation
    police: User

    def victim(self) -> Person:
        pupil = case_services.person_create(
            school=self.school, actor=self.lead, kind="pupil", given_name="Lucía"
        )
        case_services.participant_add(case=self.case, person=pupil, role="victim", actor=self.lead)
        return pupil

    def guardian(self) -> Person:
        return case_services.person_create(
            school=self.school, actor=self.lead, kind="guardian", given_name="Rosa"
        )

    def plan(self) -> SupportPlan:
        return case_services.support_plan_create(
            case=self.case, victim=self.victim(), owner=self.lead, actor=self.lead
        )

    def evidence(self) -> EvidenceItem:
        return case_services.evidence_record(
            case=self.case,
            actor=self.lead,
            kind="image",
            first_seen_at=self.moment.now - timedelta(days=1),
            location="https://chat.whatsapp.com/x",
        )

    def draft_takedown(self) -> TakedownRequest:
        return reporting_services.takedown_create(
            case=self.case,
            actor=self.lead,
            platform=Platform.objects.get(slug="whatsapp"),
            legal_basis=LegalBasis.objects.get(code="eu-dsa-art16"),
            evidence_items=[self.evidence()],
        )

    def draft_authority_report(self) -> AuthorityReport:
        return reporting_services.authority_report_create(
            case=self.case, actor=self.lead, route="aepd_complaint"
        )

    def sent_referral(self) -> Referral:
        referral = reporting_services.referral_create(
            case=self.case,
            actor=self.lead,
            destination=self.unit,
            summary="Denuncia",
            legal_basis="legal_obligation",
            shared_sections=["chronology"],
        )
        return reporting_services.referral_send(
            referral=referral, actor=self.lead, sent_at=self.moment.now - timedelta(days=1)
        )


def build_world(moment: Moment, *, unit_zone: str | None = None) -> World:
    school = Organisation.objects.create(
        name="School", kind="school", code="SCH", jurisdiction="ES-BA", time_zone=moment.zone
    )
    # The police unit keeps the moment's zone unless a test needs it elsewhere.
    unit = Organisation.objects.create(
        name="Unit",
        kind="police_unit",
        code="UNIT",
        jurisdiction="ES-BA",
        time_zone=unit_zone or moment.zone,
    )
    lead = make_user("lead.z", school, Role.SAFEGUARDING_LEAD)
    police = make_user("police.z", unit, Role.POLICE_LIAISON)
    # Opened a day ago: an action may be due at any time since.
    case = case_services.case_open(
        school=school,
        actor=lead,
        title="Imágenes",
        category="ai_generated",
        opened_at=moment.now - timedelta(days=1),
    )
    return World(moment, school, lead, case, unit, police)


@pytest.fixture
def world(moment, db) -> World:
    return build_world(moment)


# --- The time inputs -----------------------------------------------------------------

Send = Callable[[str], Any]  # posts one wall time, returns the response


@dataclass(frozen=True)
class TimeInput:
    """One input field that takes a time, on one endpoint or form."""

    name: str
    field: str
    model: type[models.Model]  # where the time is stored (for ``nothing_written``)
    # Builds what the input acts on; returns the function that posts a wall time.
    prepare: Callable[[World], Send]
    # The stored instant after a successful post.
    stored: Callable[[World, Any], datetime]
    # The serializer or form class that declares the field.
    declared_in: type
    api: bool = True

    def __str__(self) -> str:
        return self.name


def api_client(user: User):
    """Signed in, asking for English (the messages the tests read)."""
    client = client_for(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def api_post(user: User, url: str, data: dict, *, fmt: str = "json", zone: str | None = None):
    client = api_client(user)
    if zone is not None:
        client.credentials(HTTP_TIME_ZONE=zone)
    return client.post(url, data, format=fmt)


def web_post(user: User, url: str, data: dict):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client.post(url, data)


def by_id(model: type[models.Model], field: str) -> Callable[[World, Any], datetime]:
    return lambda w, response: getattr(model.objects.get(pk=response.json()["id"]), field)


def newest(model: type[models.Model], field: str, **where) -> Callable[[World, Any], datetime]:
    def stored(w: World, response) -> datetime:
        return getattr(model.objects.filter(**where).latest("pk"), field)

    return stored


def _concern(field: str) -> TimeInput:
    return TimeInput(
        f"api concern {field}",
        field,
        Concern,
        lambda w: lambda t: api_post(w.lead, f"{API}concerns/", {"summary": "Fotos", field: t}),
        by_id(Concern, field),
        speople.ConcernLogInputSerializer,
    )


def _upload(w: World) -> Send:
    def send(t: str):
        upload = SimpleUploadedFile("e.png", png_bytes(), content_type="image/png")
        url = f"{API}cases/{w.case.pk}/evidence/upload/"
        return api_post(w.lead, url, {"file": upload, "first_seen_at": t}, fmt="multipart")

    return send


def _plan(w: World) -> Send:
    victim = w.victim()
    url = f"{API}cases/{w.case.pk}/support-plans/"
    return lambda t: api_post(w.lead, url, {"victim": victim.pk, "first_check_in_at": t})


def _first_check_in(w: World, response) -> datetime:
    return CheckIn.objects.get(plan_id=response.json()["id"]).due_at


def _submit(w: World) -> Send:
    url = f"{API}takedowns/{w.draft_takedown().pk}/submit/"
    return lambda t: api_post(w.lead, url, {"submitted_at": t})


def _api_authority_report_file(w: World) -> Send:
    url = f"{API}authority-reports/{w.draft_authority_report().pk}/file/"
    return lambda t: api_post(w.lead, url, {"reference": "AEPD-1", "filed_at": t})


def _acknowledge(*, header: bool) -> Callable[[World], Send]:
    def prepare(w: World) -> Send:
        if header:
            # The unit is elsewhere: only the header can make the moment's zone apply.
            w.unit.time_zone = "Pacific/Auckland"
            w.unit.save()
        url = f"{API}referrals/{w.sent_referral().pk}/acknowledge/"
        return lambda t: api_post(
            w.police,
            url,
            {"external_reference": "AT-1/2027", "acknowledged_at": t},
            zone=w.moment.zone if header else None,
        )

    return prepare


API_INPUTS = [
    _concern("occurred_at"),
    _concern("logged_at"),
    TimeInput(
        "api case opened_at",
        "opened_at",
        Case,
        lambda w: (
            lambda t: api_post(
                w.lead, f"{API}cases/", {"title": "T", "category": "sextortion", "opened_at": t}
            )
        ),
        by_id(Case, "opened_at"),
        sc.CaseOpenInputSerializer,
    ),
    TimeInput(
        "api evidence first_seen_at",
        "first_seen_at",
        EvidenceItem,
        lambda w: (
            lambda t: api_post(
                w.lead,
                f"{API}cases/{w.case.pk}/evidence/",
                {"kind": "image", "location": "https://t.me/c/1", "first_seen_at": t},
            )
        ),
        by_id(EvidenceItem, "first_seen_at"),
        sparts.EvidenceRecordInputSerializer,
    ),
    TimeInput(
        "api evidence upload first_seen_at",
        "first_seen_at",
        EvidenceItem,
        _upload,
        by_id(EvidenceItem, "first_seen_at"),
        si.EvidenceUploadSerializer,
    ),
    TimeInput(
        "api support plan first_check_in_at",
        "first_check_in_at",
        SupportPlan,
        _plan,
        _first_check_in,
        sparts.SupportPlanCreateInputSerializer,
    ),
    TimeInput(
        "api check-in held_at",
        "held_at",
        CheckIn,
        lambda w: (
            lambda plan: (
                lambda t: api_post(
                    w.lead, f"{API}support-plans/{plan.pk}/check-ins/", {"held_at": t}
                )
            )
        )(w.plan()),
        by_id(CheckIn, "held_at"),
        sparts.CheckInRecordInputSerializer,
    ),
    TimeInput(
        "api guardian contact contacted_at",
        "contacted_at",
        GuardianContact,
        lambda w: (
            lambda guardian: (
                lambda t: api_post(
                    w.lead,
                    f"{API}cases/{w.case.pk}/guardian-contacts/",
                    {"guardian": guardian.pk, "method": "phone", "contacted_at": t},
                )
            )
        )(w.guardian()),
        by_id(GuardianContact, "contacted_at"),
        sparts.GuardianContactRecordInputSerializer,
    ),
    TimeInput(
        "api action due_at",
        "due_at",
        Action,
        lambda w: (
            lambda t: api_post(
                w.lead, f"{API}cases/{w.case.pk}/actions/", {"title": "Llamar", "due_at": t}
            )
        ),
        by_id(Action, "due_at"),
        sparts.ActionCreateInputSerializer,
    ),
    TimeInput(
        "api takedown submit submitted_at",
        "submitted_at",
        TakedownRequest,
        _submit,
        by_id(TakedownRequest, "submitted_at"),
        sr.TakedownSubmitInputSerializer,
    ),
    TimeInput(
        "api referral acknowledged_at, liaison's unit zone",
        "acknowledged_at",
        Referral,
        _acknowledge(header=False),
        by_id(Referral, "acknowledged_at"),
        sr.ReferralAcknowledgeInputSerializer,
    ),
    TimeInput(
        "api referral acknowledged_at, Time-Zone header",
        "acknowledged_at",
        Referral,
        _acknowledge(header=True),
        by_id(Referral, "acknowledged_at"),
        sr.ReferralAcknowledgeInputSerializer,
    ),
    TimeInput(
        "api referral phoned_at",
        "phoned_at",
        Referral,
        lambda w: (
            lambda t: api_post(
                w.lead,
                f"{API}referrals/",
                {
                    "case": w.case.pk,
                    "destination": w.unit.pk,
                    "summary": "Llamada urgente",
                    "legal_basis": "vital_interests",
                    "shared_sections": ["chronology"],
                    "phoned_to": "Agente",
                    "phoned_at": t,
                },
            )
        ),
        by_id(Referral, "phoned_at"),
        sr.ReferralCreateInputSerializer,
    ),
    TimeInput(
        "api authority report filed_at",
        "filed_at",
        AuthorityReport,
        _api_authority_report_file,
        newest(AuthorityReport, "filed_at", filed_at__isnull=False),
        sr.AuthorityReportFileInputSerializer,
    ),
    TimeInput(
        "api cybertipline filed_at",
        "filed_at",
        AuthorityReport,
        lambda w: (
            lambda t: api_post(
                w.lead,
                f"{API}cases/{w.case.pk}/cybertipline/filed/",
                # NCMEC's numbers are unique: one per submission tried here.
                {"reference": f"9{next(_TIPLINE_NUMBERS)}", "filed_at": t},
            )
        ),
        by_id(AuthorityReport, "filed_at"),
        sr.CyberTiplineFiledInputSerializer,
    ),
]


_TIPLINE_NUMBERS = itertools.count(100000)


def _web(name: str, field: str, model, url: Callable[[World], str], data, stored, form):
    """A web form: ``data(world)`` builds the other fields (and what they name)."""

    def prepare(w: World) -> Send:
        other_fields = data(w)
        return lambda t: web_post(w.lead, url(w), {**other_fields, field: t})

    return TimeInput(f"web {name} {field}", field, model, prepare, stored, form, api=False)


def _web_authority_report_file(w: World) -> Send:
    url = reverse("web:authority_report_file", args=[w.case.pk, w.draft_authority_report().pk])
    return lambda t: web_post(w.lead, url, {"reference": "AEPD-1", "filed_at": t})


def _web_takedown_submit(w: World) -> Send:
    url = reverse("web:takedown_submit", args=[w.case.pk, w.draft_takedown().pk])
    return lambda t: web_post(w.lead, url, {"submitted_at": t})


def _web_acknowledge(w: World) -> Send:
    url = reverse("web:referral_acknowledge", args=[w.sent_referral().pk])
    return lambda t: web_post(w.police, url, {"external_reference": "AT-1", "acknowledged_at": t})


def _web_check_in(w: World) -> Send:
    url = reverse("web:check_in_new", args=[w.case.pk, w.plan().pk])
    return lambda t: web_post(w.lead, url, {"held_at": t})


def _case_url(name: str) -> Callable[[World], str]:
    return lambda w: reverse(f"web:{name}", args=[w.case.pk])


WEB_INPUTS = [
    _web(
        "concern",
        "occurred_at",
        Concern,
        lambda w: reverse("web:concern_new"),
        lambda w: {"source": "staff", "summary": "Fotos"},
        newest(Concern, "occurred_at"),
        web_forms.ConcernForm,
    ),
    _web(
        "evidence",
        "first_seen_at",
        EvidenceItem,
        _case_url("evidence_new"),
        lambda w: {"kind": "image", "location": "https://t.me/c/1"},
        newest(EvidenceItem, "first_seen_at"),
        web_forms.EvidenceForm,
    ),
    _web(
        "takedown (submitted now)",
        "submitted_at",
        TakedownRequest,
        _case_url("takedown_new"),
        lambda w: {
            "platform": "whatsapp",
            "legal_basis": "eu-dsa-art16",
            "evidence_items": [w.evidence().pk],
            "submit_now": "on",
        },
        newest(TakedownRequest, "submitted_at"),
        web_forms.TakedownForm,
    ),
    TimeInput(
        "web authority report filed_at",
        "filed_at",
        AuthorityReport,
        _web_authority_report_file,
        newest(AuthorityReport, "filed_at", filed_at__isnull=False),
        web_notices.AuthorityReportFileForm,
        api=False,
    ),
    TimeInput(
        "web takedown submit submitted_at",
        "submitted_at",
        TakedownRequest,
        _web_takedown_submit,
        newest(TakedownRequest, "submitted_at", submitted_at__isnull=False),
        web_forms.TakedownSubmitForm,
        api=False,
    ),
    _web(
        "support plan",
        "first_check_in_at",
        SupportPlan,
        _case_url("plan_new"),
        lambda w: {"victim": w.victim().pk, "check_in_every_days": "7"},
        newest(CheckIn, "due_at"),
        web_forms.SupportPlanForm,
    ),
    TimeInput(
        "web check-in held_at",
        "held_at",
        CheckIn,
        _web_check_in,
        newest(CheckIn, "held_at", held_at__isnull=False),
        web_forms.CheckInForm,
        api=False,
    ),
    _web(
        "guardian contact",
        "contacted_at",
        GuardianContact,
        _case_url("guardian_contact_new"),
        lambda w: {"guardian": w.guardian().pk, "method": "phone"},
        newest(GuardianContact, "contacted_at"),
        web_forms.GuardianContactForm,
    ),
    TimeInput(
        "web referral acknowledge acknowledged_at",
        "acknowledged_at",
        Referral,
        _web_acknowledge,
        newest(Referral, "acknowledged_at", acknowledged_at__isnull=False),
        web_forms.AcknowledgeForm,
        api=False,
    ),
    _web(
        "referral",
        "phoned_at",
        Referral,
        _case_url("referral_new"),
        lambda w: {
            "destination": w.unit.pk,
            "summary": "Llamada urgente",
            "shared_sections": ["chronology"],
            "legal_basis": "vital_interests",
            "guardians": "informed",
            "phoned_to": "Agente",
        },
        newest(Referral, "phoned_at", phoned_at__isnull=False),
        web_forms.ReferralForm,
    ),
    _web(
        "cybertipline",
        "filed_at",
        AuthorityReport,
        _case_url("cybertipline_filed"),
        lambda w: {"reference": f"8{next(_TIPLINE_NUMBERS)}"},
        newest(AuthorityReport, "filed_at", filed_at__isnull=False),
        web_forms.CyberTiplineFiledForm,
    ),
]
TIME_INPUTS = API_INPUTS + WEB_INPUTS


def succeeded(spec: TimeInput, response) -> bool:
    return response.status_code in ((200, 201) if spec.api else (302,))


def field_errors(spec: TimeInput, response) -> list[str]:
    assert response.status_code == 400, response.content[:500]
    if spec.api:
        return response.json().get(spec.field, [])
    return response.context["form"].errors.get(spec.field, [])


# --- The matrix ------------------------------------------------------------------------


@pytest.mark.parametrize("spec", TIME_INPUTS, ids=str)
@pytest.mark.parametrize("moment", MOMENTS, ids=str, indirect=True)
def test_a_wall_time_is_stored_as_that_instant_on_the_schools_clock(moment, world, spec):
    for ago in AGO:
        send = spec.prepare(world)
        instant = moment.now - ago
        response = send(moment.wall(instant))
        assert succeeded(spec, response), (ago, response.status_code, response.content[:500])
        assert spec.stored(world, response) == instant, ago


@pytest.mark.parametrize("spec", TIME_INPUTS, ids=str)
@pytest.mark.parametrize("moment", WITH_CLOCK_CHANGE, ids=str, indirect=True)
def test_a_wall_time_the_clock_change_skipped_or_repeated_is_refused(moment, world, spec):
    send = spec.prepare(world)
    with nothing_written(spec.model):
        response = send(moment.odd_wall_time)
    errors = field_errors(spec, response)
    assert any(moment.zone in str(error) for error in errors), errors


@pytest.mark.parametrize("spec", TIME_INPUTS, ids=str)
@pytest.mark.parametrize("moment", WITHOUT_CLOCK_CHANGE, ids=str, indirect=True)
def test_where_the_clocks_never_change_no_wall_time_is_refused(moment, world, spec):
    send = spec.prepare(world)
    response = send(moment.odd_wall_time)
    assert succeeded(spec, response), response.content[:500]
    expected = datetime.fromisoformat(moment.odd_wall_time).replace(tzinfo=moment.tz)
    assert spec.stored(world, response) == expected


@pytest.mark.parametrize("spec", [s for s in TIME_INPUTS if s.api], ids=str)
# One skipped and one repeated wall time are enough: an offset makes any zone moot.
@pytest.mark.parametrize("moment", [MOMENTS[0], MOMENTS[5]], ids=str, indirect=True)
def test_the_odd_wall_time_with_either_offset_is_exact(moment, world, spec):
    odd = datetime.fromisoformat(moment.odd_wall_time)
    for fold in (0, 1):
        offset = odd.replace(tzinfo=moment.tz, fold=fold).utcoffset()
        instant = odd.replace(tzinfo=timezone(offset))
        response = spec.prepare(world)(instant.isoformat())
        assert succeeded(spec, response), (instant, response.content[:500])
        assert spec.stored(world, response) == instant


# --- The version a case PATCH echoes back ----------------------------------------------


@pytest.mark.parametrize("moment", MOMENTS, ids=str, indirect=True)
def test_a_case_patch_echoing_updated_at_as_returned_or_as_school_wall_time_is_accepted(
    moment, world
):
    client = api_client(world.lead)
    url = f"{API}cases/{world.case.pk}/"
    returned = client.get(url).json()["updated_at"]
    assert datetime.fromisoformat(returned).utcoffset() is not None, returned

    response = client.patch(url, {"risk_level": "high", "expected_updated_at": returned})
    assert response.status_code == 200, response.content

    # Naive: the school's wall time of the same instant (the clock is frozen).
    updated_at = Case.objects.get(pk=world.case.pk).updated_at
    naive = updated_at.astimezone(moment.tz).replace(tzinfo=None).isoformat()
    response = client.patch(url, {"risk_level": "low", "expected_updated_at": naive})
    assert response.status_code == 200, response.content
    assert Case.objects.get(pk=world.case.pk).risk_level == "low"


def test_a_case_patch_with_a_stale_version_in_any_zone_is_a_conflict(case_a, lead_a):
    """The real clock runs here: each write moves ``updated_at``."""
    case_a.school.time_zone = "America/New_York"
    case_a.school.save()
    client = api_client(lead_a)
    url = f"{API}cases/{case_a.pk}/"
    returned = client.get(url).json()["updated_at"]
    # The same instant written in another zone is the same version...
    in_dubai = datetime.fromisoformat(returned).astimezone(ZoneInfo("Asia/Dubai")).isoformat()
    assert client.patch(url, {"title": "A", "expected_updated_at": in_dubai}).status_code == 200
    # ...and the version read before that change is stale.
    with nothing_written(Case):
        response = client.patch(url, {"title": "B", "expected_updated_at": returned})
    assert response.status_code == 409
    assert Case.objects.get(pk=case_a.pk).title == "A"


# --- Acting across schools: the zone the request names ---------------------------------

DUBAI_SPRING = MOMENTS[6]


@pytest.fixture
def dubai(db):
    with time_machine.travel(DUBAI_SPRING.now, tick=False):
        yield build_world(DUBAI_SPRING, unit_zone="Europe/London")


def _acknowledge_at(w: World, wall_time: str, **headers):
    referral = w.sent_referral()
    client = api_client(w.police)
    client.credentials(**headers)
    response = client.post(
        f"{API}referrals/{referral.pk}/acknowledge/",
        {"external_reference": "AT-9", "acknowledged_at": wall_time},
    )
    return referral, response


def test_a_liaison_without_a_header_types_on_their_units_clock(dubai):
    """Not the school's (Dubai) nor the server's (Madrid): the unit's (London)."""
    # London skips 01:00-02:00 that day; Dubai and Madrid do not skip 01:30.
    referral, response = _acknowledge_at(dubai, "2027-03-28T01:30")
    assert response.status_code == 400
    assert "Europe/London" in response.json()["acknowledged_at"][0]

    referral, response = _acknowledge_at(dubai, "2027-03-28T00:30")  # GMT
    assert response.status_code == 200, response.content
    referral.refresh_from_db()
    assert referral.acknowledged_at == datetime(2027, 3, 28, 0, 30, tzinfo=UTC)


def test_a_liaison_naming_a_zone_types_on_that_clock(dubai):
    referral, response = _acknowledge_at(
        dubai, "2027-03-27T20:00", HTTP_TIME_ZONE="America/New_York"
    )
    assert response.status_code == 200, response.content
    referral.refresh_from_db()
    assert referral.acknowledged_at == datetime(2027, 3, 28, 0, 0, tzinfo=UTC)  # EDT, UTC-4


@pytest.mark.parametrize(
    "value", ["Mars/Olympus_Mons", "../../etc/passwd", "/usr/share/zoneinfo/UTC", "+04:00", " "]
)
def test_a_time_zone_header_that_names_no_zone_is_refused(dubai, value):
    referral = dubai.sent_referral()
    client = api_client(dubai.police)
    client.credentials(HTTP_TIME_ZONE=value)
    with nothing_written(Referral):
        response = client.post(
            f"{API}referrals/{referral.pk}/acknowledge/", {"external_reference": "AT-9"}
        )
    assert response.status_code == 400
    assert "is not a time zone name" in response.json()["Time-Zone"][0]
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT


def test_a_header_does_not_move_a_schools_own_people_off_the_schools_clock(dubai):
    client = api_client(dubai.lead)
    client.credentials(HTTP_TIME_ZONE="America/New_York")
    response = client.post(
        f"{API}cases/{dubai.case.pk}/actions/", {"title": "Llamar", "due_at": "2027-03-28T06:00"}
    )
    assert response.status_code == 201, response.content
    assert Action.objects.get().due_at == datetime(2027, 3, 28, 2, 0, tzinfo=UTC)  # +04


def test_an_acknowledgement_before_the_referral_was_sent_is_refused(dubai):
    referral = dubai.sent_referral()  # sent a day ago
    client = api_client(dubai.police)
    before = (referral.sent_at - timedelta(minutes=1)).isoformat()
    with nothing_written(Referral):
        response = client.post(
            f"{API}referrals/{referral.pk}/acknowledge/",
            {"external_reference": "AT-9", "acknowledged_at": before},
        )
    assert response.status_code == 400
    assert "acknowledged_at" in response.json()


# --- A user of several schools: the clock of the school chosen ------------------------


@pytest.fixture
def two_schools(db):
    """A lead of a school in Dubai and of one in New York, at the Dubai spring moment."""
    with time_machine.travel(DUBAI_SPRING.now, tick=False):
        dubai = Organisation.objects.create(
            name="Dubai", kind="school", code="DXB", jurisdiction="AE-DU", time_zone="Asia/Dubai"
        )
        new_york = Organisation.objects.create(
            name="NY",
            kind="school",
            code="NYC",
            jurisdiction="US-NY",
            time_zone="America/New_York",
        )
        lead = make_user("lead.two", dubai, Role.SAFEGUARDING_LEAD)
        Membership.objects.create(user=lead, organisation=new_york, role=Role.SAFEGUARDING_LEAD)
        yield lead, dubai, new_york


# 2027-03-28 03:00 UTC: 07:00 in Dubai, 23:00 (27th, EDT) in New York; 4 hours ago.
FOUR_HOURS_AGO = datetime(2027, 3, 27, 23, 0, tzinfo=UTC)
WALL = {"Asia/Dubai": "2027-03-28T03:00", "America/New_York": "2027-03-27T19:00"}


@pytest.mark.parametrize("chosen", ["Asia/Dubai", "America/New_York"])
def test_an_api_concern_is_read_on_the_clock_of_the_school_chosen(two_schools, chosen):
    lead, *schools = two_schools
    school = next(s for s in schools if s.time_zone == chosen)
    response = api_client(lead).post(
        f"{API}concerns/", {"school": school.pk, "summary": "Fotos", "occurred_at": WALL[chosen]}
    )
    assert response.status_code == 201, response.content
    assert Concern.objects.get().occurred_at == FOUR_HOURS_AGO


@pytest.mark.parametrize("chosen", ["Asia/Dubai", "America/New_York"])
def test_a_web_concern_is_read_on_the_clock_of_the_school_chosen(two_schools, chosen):
    lead, *schools = two_schools
    school = next(s for s in schools if s.time_zone == chosen)
    response = web_post(
        lead,
        reverse("web:concern_new"),
        {"school": school.pk, "source": "staff", "summary": "Fotos", "occurred_at": WALL[chosen]},
    )
    assert response.status_code == 302, response.content[:500]
    assert Concern.objects.get().occurred_at == FOUR_HOURS_AGO


def test_a_school_not_chosen_is_reported_on_the_school_field(two_schools):
    lead, *_ = two_schools
    with nothing_written(Concern):
        api = api_client(lead).post(
            f"{API}concerns/", {"summary": "Fotos", "occurred_at": "2027-03-28T03:00"}
        )
        web = web_post(
            lead,
            reverse("web:concern_new"),
            {"source": "staff", "summary": "Fotos", "occurred_at": "2027-03-28T03:00"},
        )
    assert api.status_code == 400 and "school" in api.json()
    assert web.status_code == 400 and "school" in web.context["form"].errors
    assert "time zone of the school you choose" in web.content.decode()
