"""Issue 7, denials leave a trace: a refused access to a record that exists writes one
hash-chained ``DenialEvent`` (who, roles, what, when, IP, request id) while the client
gets exactly the 404 of a record that does not exist; a missing id writes none; the
lead of the school whose record was asked for sees the denials (API and web), nobody
else does; operators see a burst per user in the admin; the server log names the user.

Personas of ``tests/conftest.py``: ``lead_b`` probing school A's records, ``police``
(unit 1, holding A's live referral sharing chronology and evidence) and
``other_police`` (unit 2).
"""

from __future__ import annotations

import contextlib
import io
import logging
import logging.config
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import denials
from cases import services as case_services
from cases.admin import DenialEventAdmin
from cases.audit import AuditContext, record_denials
from cases.audit_chain import verify_table
from cases.exceptions import NotFound
from cases.models import (
    AccessEvent,
    Action,
    AppendOnlyError,
    Case,
    Concern,
    DenialEvent,
    EvidenceItem,
    Participant,
    Person,
    SupportPlan,
    User,
)
from cases.selectors import case_get_for_user
from reporting import services as reporting_services
from reporting.models import LegalBasis, Platform, Referral, TakedownRequest
from tests.conftest import PASSWORD, client_for, make_user, nothing_written
from tests.test_access_matrix import normalised
from tests.test_audit import tamper

pytestmark = pytest.mark.django_db

MISSING_ID = 2_147_483_000
DENIALS_API = reverse("api:denial-list")
DENIALS_PAGE = reverse("web:denials")
# What a 404 may differ in between two requests: nothing but its own request id.
PER_REQUEST_HEADERS = {"X-Request-ID"}


@pytest.fixture
def takedown_a(case_a, lead_a) -> TakedownRequest:
    evidence = case_services.evidence_record(
        case=case_a,
        actor=lead_a,
        kind="image",
        first_seen_at=timezone.now() - timedelta(days=1),
        platform=Platform.objects.get(slug="whatsapp"),
        location="https://chat.whatsapp.com/abc",
        sha256="a" * 64,
    )
    return reporting_services.takedown_create(
        case=case_a,
        actor=lead_a,
        platform=Platform.objects.get(slug="whatsapp"),
        legal_basis=LegalBasis.objects.get(code="eu-dsa-art16"),
        evidence_items=[evidence],
    )


def web_client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def answer(response) -> tuple:
    """Everything a client learns from a response but its own request id."""
    headers = {k: v for k, v in response.headers.items() if k not in PER_REQUEST_HEADERS}
    return response.status_code, headers, response.content


def assert_same_404(foreign, missing) -> None:
    assert foreign.status_code == 404
    assert answer(foreign) == answer(missing)


def denials_of(user: User) -> list[DenialEvent]:
    return list(DenialEvent.objects.filter(actor=user).order_by("id"))


# --- A foreign id writes one denial; a missing id none; the same 404 ----------------------


def test_a_foreign_case_id_writes_one_denial_with_who_what_when_and_where(
    case_a, lead_b, school_a, school_b
):
    client = client_for(lead_b)
    url = reverse("api:case-detail", args=[case_a.pk])
    before = timezone.now()
    foreign = client.get(url, REMOTE_ADDR="203.0.113.9")
    missing = client.get(reverse("api:case-detail", args=[MISSING_ID]), REMOTE_ADDR="203.0.113.9")

    assert_same_404(foreign, missing)
    [denial] = DenialEvent.objects.all()
    assert denial.actor == lead_b
    assert denial.actor_username == "lead.b"
    assert denial.actor_role == "safeguarding_lead"
    assert denial.actor_organisation == school_b
    assert denial.school == school_a  # whose record it was: A's leads see it
    assert (denial.object_type, denial.object_id) == ("case", case_a.pk)
    assert (denial.channel, denial.method, denial.path) == ("api", "GET", url)
    assert denial.ip == "203.0.113.9"
    assert denial.request_id == foreign["X-Request-ID"] != missing["X-Request-ID"]
    assert before <= denial.occurred_at <= timezone.now()
    assert denial.occurred_at.utcoffset() == timedelta(0)  # stored and read back in UTC


def test_a_missing_id_writes_no_denial(lead_b, case_a):
    for url in (
        reverse("api:case-detail", args=[MISSING_ID]),
        reverse("api:referral-detail", args=[MISSING_ID]),
        reverse("api:person-detail", args=[MISSING_ID]),
        reverse("web:case_detail", args=[MISSING_ID]),
    ):
        client = web_client(lead_b) if url.startswith("/cases/") else client_for(lead_b)
        assert client.get(url).status_code == 404
    assert not DenialEvent.objects.exists()


def test_a_record_of_ones_own_school_under_another_case_is_no_denial(case_a, lead_a, school_a):
    """A lead who puts their own school's support plan under the wrong case gets 404,
    but asked for nothing that is not theirs: no denial."""
    other = case_services.case_open(school=school_a, actor=lead_a, title="Otro", category="other")
    victim = Person.objects.filter(school=school_a).first()
    plan = case_services.support_plan_create(case=case_a, victim=victim, owner=lead_a, actor=lead_a)
    url = reverse("web:check_in_new", args=[other.pk, plan.pk])
    assert web_client(lead_a).get(url).status_code == 404
    assert not DenialEvent.objects.exists()


@pytest.fixture
def person_a(case_a) -> Person:
    return Person.objects.filter(school=case_a.school).first()


@pytest.fixture
def concern_a(school_a, staff_a) -> Concern:
    return case_services.concern_log(
        school=school_a, logged_by=staff_a, source="staff", summary="Lo vi en el grupo"
    )[0]


@pytest.fixture
def action_a(case_a, lead_a) -> Action:
    return case_services.action_create(
        case=case_a, actor=lead_a, title="Llamar", owner=lead_a, due_at=timezone.now()
    )


@pytest.fixture
def plan_a(case_a, lead_a, person_a) -> SupportPlan:
    return case_services.support_plan_create(
        case=case_a, victim=person_a, owner=lead_a, actor=lead_a
    )


@pytest.mark.parametrize(
    ("persona", "method", "route", "record", "object_type"),
    [
        ("lead_b", "get", "web:case_detail", "case_a", "case"),
        ("lead_b", "post", "web:case_close", "case_a", "case"),
        ("other_police", "get", "api:referral-detail", "referral_a", "referral"),
        ("other_police", "get", "web:referral", "referral_a", "referral"),
        ("lead_b", "get", "api:takedown-detail", "takedown_a", "takedownrequest"),
        ("other_police", "post", "api:takedown-submit", "takedown_a", "takedownrequest"),
        ("lead_b", "get", "api:person-detail", "person_a", "person"),
        ("lead_b", "get", "api:concern-detail", "concern_a", "concern"),
        ("lead_b", "post", "api:action-complete", "action_a", "action"),
        ("lead_b", "post", "api:support-plan-check-ins", "plan_a", "supportplan"),
        ("lead_b", "post", "api:case-close", "case_a", "case"),
        ("lead_b", "patch", "api:case-detail", "case_a", "case"),
        # The liaison sees the case, but not its participants (not shared by the
        # referral) nor its access log: a refusal on a record that exists.
        ("police", "get", "api:case-participants", "case_a", "case"),
        ("police", "get", "api:case-access-log", "case_a", "case"),
    ],
)
def test_each_kind_of_foreign_record_writes_one_denial_and_changes_nothing(
    request, persona, method, route, record, object_type, referral_a, takedown_a, school_a
):
    user = request.getfixturevalue(persona)
    obj = request.getfixturevalue(record)
    url = reverse(route, args=[obj.pk])
    missing_url = reverse(route, args=[MISSING_ID])
    channel = "api" if url.startswith("/api/") else "web"
    client = client_for(user) if channel == "api" else web_client(user)
    reads_before = AccessEvent.objects.count()

    with nothing_written(Case, Participant, EvidenceItem, SupportPlan, Action, Referral, Concern):
        foreign = getattr(client, method)(url)
        missing = getattr(client, method)(missing_url)

    # The client learns nothing: the answer of an id that does not exist (the path and
    # per-request tokens in a web page's body aside, as in the access matrix).
    assert foreign.status_code == missing.status_code == 404
    assert normalised(foreign, url) == normalised(missing, missing_url)
    ignored = PER_REQUEST_HEADERS | {"Content-Length"}
    assert {k: v for k, v in foreign.headers.items() if k not in ignored} == {
        k: v for k, v in missing.headers.items() if k not in ignored
    }
    [denial] = denials_of(user)
    assert (denial.object_type, denial.object_id, denial.school_id) == (
        object_type,
        obj.pk,
        school_a.pk,
    )
    assert (denial.channel, denial.method, denial.path) == (channel, method.upper(), url)
    assert AccessEvent.objects.count() == reads_before  # nothing was shown


def test_another_schools_statistics_write_a_denial(head_a, school_b, lead_b):
    response = client_for(head_a).get(reverse("api:statistics"), {"school": school_b.pk})
    assert response.status_code == 404
    [denial] = denials_of(head_a)
    assert (denial.object_type, denial.object_id, denial.school_id) == (
        "organisation",
        school_b.pk,
        school_b.pk,
    )


def test_a_foreign_id_in_the_admin_writes_a_denial_through_its_transaction(case_a, lead_b):
    """The admin's case page reads inside ``transaction.atomic`` and answers a foreign
    id with its "doesn't exist" redirect: the denial is still written, once (Django
    fetches the object more than once on some pages)."""
    lead_b.is_staff = True
    lead_b.save(update_fields=["is_staff"])
    response = web_client(lead_b).get(reverse("admin:cases_case_change", args=[case_a.pk]))
    assert response.status_code == 302
    [denial] = denials_of(lead_b)
    assert (denial.channel, denial.object_type, denial.object_id) == ("admin", "case", case_a.pk)


def test_a_denial_noted_inside_a_rolled_back_transaction_is_still_written(case_a, lead_b):
    """The selector notes, the transaction around it rolls back, the row is written
    after: the order the middleware keeps (``cases.denials``)."""
    with denials.collecting() as pending, pytest.raises(RuntimeError), transaction.atomic():
        try:
            case_get_for_user(user=lead_b, case_id=case_a.pk)
        except NotFound:
            raise RuntimeError("the request fails") from None
    assert not DenialEvent.objects.exists()
    record_denials(denials=pending, context=AuditContext(channel="api"), method="GET", path="/x/")
    assert [(d.object_type, d.object_id) for d in DenialEvent.objects.all()] == [
        ("case", case_a.pk)
    ]


def queries_of(call) -> int:
    with CaptureQueriesContext(connection) as queries, contextlib.suppress(NotFound):
        call()
    return len(queries)


def test_a_foreign_id_costs_the_same_queries_as_a_missing_one(case_a, lead_b):
    def foreign():
        case_get_for_user(user=lead_b, case_id=case_a.pk)

    def missing():
        case_get_for_user(user=lead_b, case_id=MISSING_ID)

    with denials.collecting() as pending:
        assert queries_of(foreign) == queries_of(missing)
    assert len(pending) == 1
    # Outside a request nothing is noted, and no look-up runs at all.
    assert queries_of(foreign) == queries_of(missing) < 3
    assert not DenialEvent.objects.exists()


def test_a_failed_denial_write_still_answers_404_and_logs_it(case_a, lead_b, monkeypatch, caplog):
    def failing(**kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr("accounts.middleware.record_denials", failing)
    with caplog.at_level(logging.ERROR, logger="salvaguarda.security"):
        response = client_for(lead_b).get(reverse("api:case-detail", args=[case_a.pk]))
    assert response.status_code == 404
    assert "denied access NOT recorded" in caplog.text
    assert not DenialEvent.objects.exists()


# --- Who sees the denials --------------------------------------------------------------


@pytest.fixture
def probed(case_a, lead_b):
    """``lead_b`` asked for A's case over the API."""
    assert client_for(lead_b).get(reverse("api:case-detail", args=[case_a.pk])).status_code == 404
    return DenialEvent.objects.get()


def test_the_victim_schools_lead_reads_the_denials_over_the_api(probed, lead_a, case_a):
    reads_before = AccessEvent.objects.filter(action="denial.list").count()
    response = client_for(lead_a).get(DENIALS_API)
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["id"] == probed.pk
    assert row["actor"]["username"] == row["actor_username"] == "lead.b"
    assert row["actor_role"] == "safeguarding_lead"
    assert row["actor_organisation"] == "IES Beta"
    assert row["school"] == "IES Alfa"
    assert (row["object_type"], row["object_id"]) == ("case", case_a.pk)
    assert (row["method"], row["path"], row["channel"]) == ("GET", probed.path, "api")
    assert row["request_id"] == probed.request_id
    assert datetime.fromisoformat(row["occurred_at"]) == probed.occurred_at  # with its offset
    assert response.json()["next"] is None  # cursor pagination
    assert (
        AccessEvent.objects.filter(action="denial.list", actor=lead_a).count() == reads_before + 1
    )


def test_the_denial_list_is_cursor_paginated_newest_first(case_a, lead_b, lead_a):
    client = client_for(lead_b)
    for _ in range(3):
        client.get(reverse("api:case-detail", args=[case_a.pk]))
    first = client_for(lead_a).get(DENIALS_API, {"page_size": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    second = client_for(lead_a).get(first["next"]).json()
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert ids == sorted(DenialEvent.objects.values_list("id", flat=True), reverse=True)


def test_the_victim_schools_lead_sees_the_denials_on_the_web(probed, lead_a, case_a):
    response = web_client(lead_a).get(DENIALS_PAGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "lead.b" in page and probed.path in page and probed.request_id in page
    assert response["Cache-Control"] == "no-store"
    assert AccessEvent.objects.filter(action="denial.list", channel="web", actor=lead_a).exists()
    # Linked from the lead's navigation and dashboard.
    assert DENIALS_PAGE in web_client(lead_a).get(reverse("web:dashboard")).content.decode()


def test_the_probers_own_lead_sees_nothing_of_it(probed, lead_b):
    assert client_for(lead_b).get(DENIALS_API).json()["results"] == []
    page = web_client(lead_b).get(DENIALS_PAGE)
    assert page.status_code == 200 and probed.request_id not in page.content.decode()


@pytest.mark.parametrize("persona", ["police", "staff_a", "head_a"])
def test_nobody_but_the_schools_leads_reads_its_denials(request, probed, persona):
    user = request.getfixturevalue(persona)
    api, web = client_for(user).get(DENIALS_API), web_client(user).get(DENIALS_PAGE)
    assert api.status_code == web.status_code == 404
    assert probed.request_id not in api.content.decode() + web.content.decode()
    assert DENIALS_PAGE not in web_client(user).get(reverse("web:dashboard")).content.decode()


def test_a_deputy_reads_the_denials_of_their_school(probed, school_a):
    deputy = make_user("deputy.a", school_a, "deputy_lead")
    assert [r["id"] for r in client_for(deputy).get(DENIALS_API).json()["results"]] == [probed.pk]


def test_anonymous_cannot_read_the_denials(probed):
    assert client_for(None).get(DENIALS_API).status_code in (401, 403)
    assert web_client(None).get(DENIALS_PAGE).status_code == 302


# --- Operators see a burst -------------------------------------------------------------


@pytest.fixture
def root(db) -> User:
    return User.objects.create_superuser(username="root", password=PASSWORD, email="r@example.org")


DENIAL_ADMIN = reverse("admin:cases_denialevent_changelist")


def test_operators_see_a_burst_of_denials_from_one_user(
    root, case_a, lead_b, other_police, referral_a, settings
):
    settings.DENIAL_BURST_THRESHOLD = 5
    prober = client_for(lead_b)
    for _ in range(5):
        prober.get(reverse("api:case-detail", args=[case_a.pk]))
    client_for(other_police).get(reverse("api:referral-detail", args=[referral_a.pk]))

    admin = web_client(root)
    everyone = admin.get(DENIAL_ADMIN)
    assert everyone.status_code == 200
    rows = {(d.actor_username, d.recent_denials) for d in everyone.context["cl"].result_list}
    assert rows == {("lead.b", 5), ("police.two", 1)}

    burst = admin.get(DENIAL_ADMIN, {"burst": "yes"})
    assert {d.actor_username for d in burst.context["cl"].result_list} == {"lead.b"}
    assert len(burst.context["cl"].result_list) == 5
    calm = admin.get(DENIAL_ADMIN, {"burst": "no"})
    assert {d.actor_username for d in calm.context["cl"].result_list} == {"police.two"}
    column = DenialEventAdmin.list_display.index("recent")
    by_count = admin.get(DENIAL_ADMIN, {"o": f"-{column}"})  # most denials in the window first
    assert by_count.context["cl"].result_list[0].actor_username == "lead.b"


def test_old_denials_leave_the_window(root, case_a, lead_b, settings, time_machine):
    window = timedelta(minutes=settings.DENIAL_BURST_WINDOW_MINUTES)
    start = timezone.now()
    time_machine.move_to(start - window - timedelta(seconds=1), tick=False)
    client_for(lead_b).get(reverse("api:case-detail", args=[case_a.pk]))
    time_machine.move_to(start, tick=False)
    client_for(lead_b).get(reverse("api:case-detail", args=[case_a.pk]))
    listed = web_client(root).get(DENIAL_ADMIN).context["cl"].result_list
    assert [d.recent_denials for d in listed] == [1, 1]  # per user: only the newer one


def test_the_denial_admin_is_read_only_and_for_operators_with_the_permission(root, probed, lead_a):
    admin = web_client(root)
    assert admin.get(reverse("admin:cases_denialevent_add")).status_code == 403
    change = reverse("admin:cases_denialevent_change", args=[probed.pk])
    assert admin.get(change).status_code == 200
    assert admin.post(change, {"path": "/changed/"}).status_code == 403
    delete = reverse("admin:cases_denialevent_delete", args=[probed.pk])
    assert admin.post(delete, {"post": "yes"}).status_code == 403
    assert DenialEvent.objects.get().path == probed.path
    # Staff without the permission (a school's lead made staff) do not see it.
    lead_a.is_staff = True
    lead_a.save(update_fields=["is_staff"])
    assert web_client(lead_a).get(DENIAL_ADMIN).status_code == 403


# --- The chain ---------------------------------------------------------------------------


def verify() -> str:
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def test_denials_are_chained_and_verify_audit_counts_them(case_a, lead_b, referral_a):
    client = client_for(lead_b)
    client.get(reverse("api:case-detail", args=[case_a.pk]))
    client.get(reverse("api:referral-detail", args=[referral_a.pk]))
    first, second = DenialEvent.objects.order_by("id")
    assert second.prev_hash == first.row_hash
    assert verify_table(DenialEvent) == (2, None)
    assert verify().endswith(", 2 denied accesses\n")


def test_verify_audit_names_a_changed_or_removed_denial(case_a, lead_b, referral_a):
    client = client_for(lead_b)
    for _ in range(3):
        client.get(reverse("api:case-detail", args=[case_a.pk]))
    _first, second, third = DenialEvent.objects.order_by("id")
    tamper(
        "cases_denialevent",
        "UPDATE cases_denialevent SET actor_username = 'someone.else' WHERE id = %s",
        [second.pk],
    )
    with pytest.raises(CommandError, match=f"cases_denialevent id={second.pk}: row_hash"):
        verify()
    tamper(
        "cases_denialevent",
        "UPDATE cases_denialevent SET actor_username = %s WHERE id = %s",
        [second.actor_username, second.pk],
    )
    assert verify_table(DenialEvent) == (3, None)
    tamper("cases_denialevent", "DELETE FROM cases_denialevent WHERE id = %s", [second.pk])
    with pytest.raises(CommandError, match=f"cases_denialevent id={third.pk}: prev_hash"):
        verify()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE cases_denialevent SET path = '/x/'",
        "DELETE FROM cases_denialevent",
    ],
)
def test_the_database_refuses_to_change_a_denial(probed, statement):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)


def test_the_model_refuses_to_change_a_denial(probed):
    with pytest.raises(AppendOnlyError):
        probed.save()
    with pytest.raises(AppendOnlyError):
        DenialEvent.objects.update(path="/x/")
    with pytest.raises(AppendOnlyError):
        probed.delete()


# --- The server log ----------------------------------------------------------------------


@pytest.fixture
def log_output():
    stream = io.StringIO()
    logging.config.dictConfig(settings.LOGGING)
    handler = next(h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler))
    old = handler.setStream(stream)
    yield stream
    handler.setStream(old)


def test_the_404_log_line_names_the_user_and_request_for_foreign_and_missing_ids(
    log_output, case_a, lead_b
):
    client = client_for(lead_b)
    foreign = client.get(reverse("api:case-detail", args=[case_a.pk]))
    missing = client.get(reverse("api:case-detail", args=[MISSING_ID]))
    web = web_client(lead_b).get(reverse("web:case_detail", args=[MISSING_ID]))
    lines = log_output.getvalue().splitlines()
    for response in (foreign, missing, web):
        [line] = [
            line for line in lines if "Not Found" in line and response["X-Request-ID"] in line
        ]
        assert f"user={lead_b.pk} (lead.b)" in line
    [security] = [line for line in lines if "denied access:" in line]
    assert f"user={lead_b.pk} (lead.b)" in security
    assert f"case {case_a.pk} of organisation {case_a.school_id}" in security
    assert foreign["X-Request-ID"] in security


def test_the_log_filter_keeps_a_message_without_arguments_as_it_was():
    from types import SimpleNamespace

    from config.log import NameTheUser

    record = logging.LogRecord("django.request", logging.WARNING, "", 0, "50% done", (), None)
    record.request = SimpleNamespace()  # never reached authentication nor the request id
    assert NameTheUser().filter(record)
    assert record.getMessage() == "50% done user=- request_id=-"
    NameTheUser().filter(record)  # a second handler: added once
    assert record.getMessage() == "50% done user=- request_id=-"
