"""Issue 3, audit: append-only, hash-chained audit rows, ``verify_audit``, and the
access log of a case (API and web page)."""

from __future__ import annotations

import hashlib
import itertools
import threading
from datetime import datetime, timedelta, timezone

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction
from django.test import Client
from django.urls import reverse

from cases import services as case_services
from cases.audit import SYSTEM, AuditContext, record_access, record_case_event
from cases.audit_chain import (
    FIELDS_BY_TABLE,
    GENESIS,
    canonical_json,
    compute_hash,
    verify_table,
)
from cases.models import AccessEvent, AppendOnlyError, CaseEvent
from cases.verbs import CaseVerb
from tests.conftest import client_for

CONTEXT = AuditContext(ip="203.0.113.7", request_id="req-1", channel="api")


def access_log_url(case) -> str:
    return reverse("api:case-access-log", args=[case.pk])


def verify() -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def tamper(table: str, sql: str, params: list) -> None:
    """Run ``sql`` (``{table}`` in it stands for ``table``) on ``table`` with its
    append-only trigger disabled for the moment, as only a superuser can (the test role
    is one). Deferred foreign-key checks are run first: PostgreSQL refuses ALTER TABLE
    with pending trigger events."""
    trigger = f"{table}_append_only"
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        cursor.execute(sql.format(table=table), params)
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def assert_chain_ok() -> None:
    for model in (CaseEvent, AccessEvent):
        _, broken = verify_table(model)
        assert broken is None, broken


# --- The chain ----------------------------------------------------------------------


def test_a_write_and_a_read_leave_chained_rows(case_a, lead_a):
    events_before = CaseEvent.objects.count()
    case_services.case_update_flags(case=case_a, actor=lead_a, risk_level="high")
    response = client_for(lead_a).get(reverse("api:case-detail", args=[case_a.pk]))
    assert response.status_code == 200

    assert CaseEvent.objects.count() == events_before + 1
    rows = list(CaseEvent.objects.order_by("id"))
    assert rows[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.row_hash
    access = AccessEvent.objects.get(action="case.detail")
    assert access.prev_hash == GENESIS and len(access.row_hash) == 64
    assert access.organisation_id == case_a.school_id
    assert_chain_ok()
    assert verify() == (
        f"OK: {CaseEvent.objects.count()} case events, 1 access events, 0 denied accesses\n"
    )


def test_ip_and_json_round_trip_keep_the_hash(school_a, lead_a):
    record_case_event(
        school=school_a,
        case=None,
        actor=lead_a,
        verb=CaseVerb.CASE_UPDATED,
        obj=None,
        context=AuditContext(ip="2001:0db8:0000::0001", request_id="r"),
        data={"b": (1, 2), "a": "ñ"},
    )
    record_access(actor=lead_a, action="case.list", case_ids=["3", 1, 3], context=CONTEXT)
    assert AccessEvent.objects.get().case_ids == [1, 3]
    assert_chain_ok()


def test_verify_audit_names_a_row_changed_with_raw_sql(case_a, lead_a):
    record_access(actor=lead_a, action="case.detail", case_ids=[case_a.pk], context=CONTEXT)
    target = record_access(
        actor=lead_a, action="case.detail", case_ids=[case_a.pk], context=CONTEXT
    )
    record_access(actor=lead_a, action="case.detail", case_ids=[case_a.pk], context=CONTEXT)
    assert "OK:" in verify()

    tamper(
        "cases_accessevent",
        "UPDATE cases_accessevent SET ip = '198.51.100.1' WHERE id = %s",
        [target.pk],
    )

    with pytest.raises(CommandError) as excinfo:
        verify()
    message = str(excinfo.value)
    assert f"cases_accessevent id={target.pk}" in message
    assert f"stored {target.row_hash}" in message
    assert excinfo.value.returncode == 1


def test_verify_audit_names_a_deleted_link(school_a, lead_a):
    rows = [
        record_case_event(
            school=school_a, case=None, actor=lead_a, verb=CaseVerb.CASE_UPDATED, obj=None
        )
        for _ in range(3)
    ]
    tamper("cases_caseevent", "DELETE FROM cases_caseevent WHERE id = %s", [rows[1].pk])
    with pytest.raises(CommandError, match=f"cases_caseevent id={rows[2].pk}: prev_hash"):
        verify()


# --- Tampering by someone with write access to the database ---------------------------
# Each attack below is what a database superuser who has read ``cases.audit_chain`` can
# do: disable the append-only trigger, change rows, recompute the hashes of the rows
# they touched and point the next row at them. Only the next row's own hash, which
# covers the previous row's hash, gives it away; ``verify_audit`` must name that row.


# Distinct verbs, so that rows moved by an attacker can be told apart.
VERBS = list(CaseVerb)


def chain(model, count: int, school, user) -> list:
    """``count`` fresh rows of ``model``'s chain, in id order."""
    if model is CaseEvent:
        return [
            record_case_event(school=school, case=None, actor=user, verb=VERBS[i], obj=None)
            for i in range(count)
        ]
    return [
        record_access(actor=user, action="case.detail", case_ids=[i + 1], context=CONTEXT)
        for i in range(count)
    ]


def broken_link() -> str:
    with pytest.raises(CommandError) as excinfo:
        verify()
    assert excinfo.value.returncode == 1
    return str(excinfo.value)


def test_a_rows_hash_covers_the_previous_rows_hash(school_a, lead_a):
    row = record_case_event(
        school=school_a, case=None, actor=lead_a, verb=CaseVerb.CASE_UPDATED, obj=None
    )
    fields = FIELDS_BY_TABLE["cases_caseevent"]

    assert compute_hash(GENESIS, row, fields) != compute_hash("f" * 64, row, fields)
    assert row.row_hash == compute_hash(row.prev_hash, row, fields)


def test_the_canonical_form_of_a_row_never_changes():
    """Stored chains verify only while every row is written out exactly as when it was
    hashed (cases/audit_chain.py): sorted keys, no spaces, UTF-8 kept as is, times in
    UTC with microseconds. Pinned on a row that exercises each."""
    row = CaseEvent(
        id=7,
        case_id=3,
        school_id=2,
        actor_id=5,
        actor_role="safeguarding_lead",
        verb="referral.sent",
        object_type="referral",
        object_id=11,
        data={"to": "Comisaría Uno", "b": [1, 2]},
        occurred_at=datetime(2026, 3, 2, 9, 30, 0, 123456, tzinfo=timezone(timedelta(hours=1))),
        ip="203.0.113.7",
        request_id="req-1",
    )
    expected = (
        '{"actor_id":5,"actor_role":"safeguarding_lead","case_id":3,'
        '"data":{"b":[1,2],"to":"Comisaría Uno"},"id":7,"ip":"203.0.113.7",'
        '"object_id":11,"object_type":"referral",'
        '"occurred_at":"2026-03-02T08:30:00.123456+00:00","request_id":"req-1",'
        '"school_id":2,"verb":"referral.sent"}'
    )
    fields = FIELDS_BY_TABLE["cases_caseevent"]

    assert canonical_json(row, fields) == expected
    assert (
        compute_hash(GENESIS, row, fields)
        == hashlib.sha256((GENESIS + expected).encode("utf-8")).hexdigest()
    )


@pytest.mark.parametrize("model", [CaseEvent, AccessEvent], ids=["case_event", "access_event"])
def test_verify_audit_names_the_row_after_a_deleted_one_even_when_relinked(model, school_a, lead_a):
    rows = chain(model, 4, school_a, lead_a)
    table = model._meta.db_table
    gone, after = rows[1], rows[2]

    tamper(table, "DELETE FROM {table} WHERE id = %s", [gone.pk])
    tamper(table, "UPDATE {table} SET prev_hash = %s WHERE id = %s", [rows[0].row_hash, after.pk])

    # The links now read as whole: only the hash of the re-pointed row can tell.
    assert model.objects.get(pk=after.pk).prev_hash == rows[0].row_hash
    assert f"{table} id={after.pk}: row_hash expected" in broken_link()


def test_verify_audit_names_the_row_after_a_relinked_first_row(school_a, lead_a):
    rows = chain(CaseEvent, 3, school_a, lead_a)
    table = "cases_caseevent"

    tamper(table, "DELETE FROM {table} WHERE id = %s", [rows[0].pk])
    tamper(table, "UPDATE {table} SET prev_hash = %s WHERE id = %s", [GENESIS, rows[1].pk])

    assert f"{table} id={rows[1].pk}: row_hash expected" in broken_link()


def test_verify_audit_names_the_row_after_two_swapped_rows(school_a, lead_a):
    """Two rows change places (their ids are exchanged, so the chain's id order puts
    the later event first); the attacker recomputes both rows' hashes and re-points the
    row after them."""
    rows = chain(CaseEvent, 5, school_a, lead_a)
    table = "cases_caseevent"
    first, second, after = rows[1], rows[2], rows[3]
    fields = FIELDS_BY_TABLE[table]

    swap = "UPDATE {table} SET id = %s WHERE id = %s"
    tamper(table, swap, [-1, first.pk])
    tamper(table, swap, [first.pk, second.pk])
    tamper(table, swap, [second.pk, -1])
    # Recompute the two moved rows in their new places, as the code would have.
    moved_first = CaseEvent.objects.get(pk=first.pk)  # holds the second event now
    moved_second = CaseEvent.objects.get(pk=second.pk)
    assert (moved_first.verb, moved_second.verb) == (VERBS[2], VERBS[1])
    new_first_hash = compute_hash(rows[0].row_hash, moved_first, fields)
    new_second_hash = compute_hash(new_first_hash, moved_second, fields)
    rewrite = "UPDATE {table} SET prev_hash = %s, row_hash = %s WHERE id = %s"
    # Placeholders first: both hash columns are unique.
    tamper(table, rewrite, ["1" * 64, "2" * 64, first.pk])
    tamper(table, rewrite, ["3" * 64, "4" * 64, second.pk])
    tamper(table, rewrite, [rows[0].row_hash, new_first_hash, first.pk])
    tamper(table, rewrite, [new_first_hash, new_second_hash, second.pk])
    tamper(table, "UPDATE {table} SET prev_hash = %s WHERE id = %s", [new_second_hash, after.pk])

    _, broken = verify_table(CaseEvent)
    assert broken is not None and broken.startswith(f"{table} id={after.pk}: row_hash")
    assert f"{table} id={after.pk}: row_hash expected" in broken_link()


def test_verify_audit_names_the_row_after_a_forged_row(school_a, lead_a):
    """A row is slipped into the gap a rolled-back write left in the ids, with a hash
    computed as the code computes it, and the next row is re-pointed at it."""
    before = record_case_event(
        school=school_a, case=None, actor=lead_a, verb=CaseVerb.CASE_OPENED, obj=None
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        gap = record_case_event(
            school=school_a, case=None, actor=lead_a, verb=CaseVerb.CASE_UPDATED, obj=None
        )
        raise RuntimeError
    after = record_case_event(
        school=school_a, case=None, actor=lead_a, verb=CaseVerb.CASE_REOPENED, obj=None
    )
    assert before.pk < gap.pk < after.pk
    table = "cases_caseevent"
    forged = CaseEvent(
        id=gap.pk,
        school_id=school_a.pk,
        actor_id=lead_a.pk,
        actor_role="safeguarding_lead",
        verb="case.closed",
        object_type="case",
        data={},
        occurred_at=before.occurred_at,
        request_id="",
        prev_hash=before.row_hash,
    )
    forged.row_hash = compute_hash(before.row_hash, forged, FIELDS_BY_TABLE[table])

    tamper(table, "UPDATE {table} SET prev_hash = %s WHERE id = %s", [forged.row_hash, after.pk])
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cases_caseevent (id, school_id, actor_id, actor_role, verb, object_type,"
            " data, occurred_at, request_id, prev_hash, row_hash)"
            " VALUES (%s, %s, %s, %s, %s, %s, '{}', %s, '', %s, %s)",
            [
                forged.id,
                school_a.pk,
                lead_a.pk,
                forged.actor_role,
                forged.verb,
                forged.object_type,
                forged.occurred_at,
                forged.prev_hash,
                forged.row_hash,
            ],
        )

    # The forged row itself verifies; the row after it does not.
    assert CaseEvent.objects.get(pk=gap.pk).verb == "case.closed"
    assert f"{table} id={after.pk}: row_hash expected" in broken_link()


# --- Append-only ----------------------------------------------------------------------


@pytest.mark.parametrize("table", ["cases_caseevent", "cases_accessevent"])
@pytest.mark.parametrize(
    "statement",
    ["UPDATE {table} SET request_id = 'forged' WHERE id = %s", "DELETE FROM {table} WHERE id = %s"],
)
def test_the_database_refuses_update_and_delete(table, statement, school_a, lead_a):
    if table == "cases_caseevent":
        row = record_case_event(
            school=school_a, case=None, actor=lead_a, verb=CaseVerb.CASE_UPDATED, obj=None
        )
    else:
        row = record_access(actor=lead_a, action="case.list", case_ids=[1], context=CONTEXT)
    with (
        pytest.raises(DatabaseError, match="audit rows are append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(table=table), [row.pk])
    row.refresh_from_db()
    assert row.request_id != "forged"


def test_the_models_refuse_changes_too(school_a, lead_a):
    row = record_case_event(
        school=school_a, case=None, actor=lead_a, verb=CaseVerb.CASE_UPDATED, obj=None
    )
    row.verb = "forged"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        CaseEvent.objects.filter(pk=row.pk).update(verb="forged")
    with pytest.raises(AppendOnlyError):
        AccessEvent.objects.all().delete()
    assert CaseEvent.objects.get(pk=row.pk).verb == "case.updated"


def test_a_rolled_back_write_leaves_no_gap_in_the_chain(school_a, lead_a):
    record_case_event(school=school_a, case=None, actor=lead_a, verb=CaseVerb.CASE_OPENED, obj=None)
    with pytest.raises(RuntimeError), transaction.atomic():
        record_case_event(
            school=school_a, case=None, actor=lead_a, verb=CaseVerb.CASE_UPDATED, obj=None
        )
        raise RuntimeError
    record_case_event(
        school=school_a, case=None, actor=lead_a, verb=CaseVerb.CASE_REOPENED, obj=None
    )
    assert list(CaseEvent.objects.order_by("id").values_list("verb", flat=True))[-2:] == [
        "case.opened",
        "case.reopened",
    ]
    assert_chain_ok()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_produce_one_chain(directory):
    from cases.models import Organisation
    from tests.conftest import make_user

    school = Organisation.objects.create(name="IES C", kind="school", code="CCC")
    user = make_user("lead.c", school, "safeguarding_lead")
    per_thread = 15
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer(kind: str) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                with transaction.atomic():
                    if kind == "write":
                        record_case_event(
                            school=school,
                            case=None,
                            actor=user,
                            verb=CaseVerb.CASE_UPDATED,
                            obj=None,
                        )
                    else:
                        record_access(actor=user, action="case.list", case_ids=[i], context=SYSTEM)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=writer, args=(k,)) for k in ("write", "write", "read", "read")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert CaseEvent.objects.filter(actor=user).count() == 2 * per_thread
    assert AccessEvent.objects.count() == 2 * per_thread
    assert_chain_ok()
    assert verify().startswith("OK:")


# --- The access log -------------------------------------------------------------------


def test_the_lead_reads_the_access_log_newest_first(case_a, lead_a, staff_a, case_b, lead_b):
    client_for(lead_a).get(reverse("api:case-detail", args=[case_a.pk]))
    client_for(lead_b).get(reverse("api:case-detail", args=[case_b.pk]))
    record_access(
        actor=lead_b, action="case.list", case_ids=[case_a.pk, case_b.pk], context=CONTEXT
    )

    response = client_for(lead_a).get(access_log_url(case_a))

    assert response.status_code == 200
    assert (
        response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    )
    body = response.json()
    actions = [row["action"] for row in body["results"]]
    assert actions == ["case.list", "case.detail"]
    assert body["results"][0]["actor"]["username"] == "lead.b"
    assert body["results"][0]["ip"] == "203.0.113.7"
    assert "case_ids" not in body["results"][0]
    # Reading the log is itself a read.
    logged = AccessEvent.objects.order_by("-id").first()
    assert (logged.action, logged.case_ids, logged.actor) == (
        "case.access_log",
        [case_a.pk],
        lead_a,
    )
    second = client_for(lead_a).get(access_log_url(case_a)).json()
    assert second["results"][0]["action"] == "case.access_log"


def test_the_access_log_is_cursor_paginated(case_a, lead_a):
    for _ in range(5):
        record_access(actor=lead_a, action="case.detail", case_ids=[case_a.pk], context=CONTEXT)
    client = client_for(lead_a)
    first = client.get(access_log_url(case_a), {"page_size": 3}).json()
    assert len(first["results"]) == 3 and first["next"]
    second = client.get(first["next"]).json()
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids) >= 5


@pytest.mark.parametrize("persona", ["staff_a", "head_a", "lead_b", "police", "other_police"])
def test_only_the_lead_sees_the_access_log(persona, request, case_a, referral_a):
    user = request.getfixturevalue(persona)
    before = AccessEvent.objects.count()
    assert client_for(user).get(access_log_url(case_a)).status_code == 404
    assert client_for(user).get(reverse("api:case-access-log", args=[999999])).status_code == 404
    assert AccessEvent.objects.count() == before


def test_anonymous_cannot_read_the_access_log(case_a):
    assert client_for(None).get(access_log_url(case_a)).status_code in (401, 403)


def test_the_case_page_shows_the_access_log_to_the_lead_only(case_a, lead_a, police, referral_a):
    record_access(actor=police, action="case.detail", case_ids=[case_a.pk], context=CONTEXT)
    lead = Client()
    lead.force_login(lead_a)
    page = lead.get(reverse("web:case_detail", args=[case_a.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="access-log"' in html and "police.one" in html
    assert AccessEvent.objects.filter(actor=lead_a, action="case.access_log").exists()
    # Roles by name in the reader's language, not as codes.
    assert "<td>Enlace policial</td>" in html or "<td>Police liaison</td>" in html
    assert "<td>police_liaison</td>" not in html

    liaison = Client()
    liaison.force_login(police)
    html = liaison.get(reverse("web:case_detail", args=[case_a.pk])).content.decode()
    assert 'id="access-log"' not in html
    assert not AccessEvent.objects.filter(actor=police, action="case.access_log").exists()
