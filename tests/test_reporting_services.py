"""reporting.services and reporting.selectors without HTTP: the deadline clock, the
overdue sweep, and who sees which referral."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases import services as case_services
from cases.exceptions import Conflict, NotFound
from cases.models import CaseEvent
from reporting import services
from reporting.models import LegalBasis, Platform, TakedownRequest
from reporting.selectors import referral_get_for_user, referral_list_for_user

pytestmark = pytest.mark.django_db


def make_notice(case, lead, *, basis="us-take-it-down") -> TakedownRequest:
    item = case_services.evidence_record(
        case=case,
        actor=lead,
        kind="image",
        first_seen_at=timezone.now() - timedelta(days=3),
        location="https://t.me/example/1",
        sha256="e" * 64,
    )
    return services.takedown_create(
        case=case,
        actor=lead,
        platform=Platform.objects.get(slug="telegram"),
        legal_basis=LegalBasis.objects.get(code=basis),
        evidence_items=[item],
    )


def submitted(case, lead, *, hours_ago: float, basis="us-take-it-down") -> TakedownRequest:
    notice = make_notice(case, lead, basis=basis)
    return services.takedown_submit(
        notice=notice, actor=lead, submitted_at=timezone.now() - timedelta(hours=hours_ago)
    )


def test_submit_sets_the_deadline_from_the_legal_basis(case_a, lead_a):
    notice = make_notice(case_a, lead_a)
    at = timezone.now() - timedelta(minutes=5)

    services.takedown_submit(notice=notice, actor=lead_a, submitted_at=at)

    notice.refresh_from_db()
    assert notice.status == "submitted"
    assert notice.deadline_at == at + timedelta(hours=48)  # 47 U.S.C. §223a


def test_the_clock_is_configurable_per_legal_basis(case_a, lead_a):
    LegalBasis.objects.filter(code="eu-dsa-art16").update(deadline_hours=24)
    notice = make_notice(case_a, lead_a, basis="eu-dsa-art16")
    at = timezone.now()

    services.takedown_submit(notice=notice, actor=lead_a, submitted_at=at)

    assert notice.deadline_at == at + timedelta(hours=24)


def test_the_submitted_event_records_the_deadline_that_was_written(case_a, lead_a):
    # A submitted notice always has a clock (the basis's hours are required; the
    # takedown_submitted_has_clock constraint): the chronology states the same instant.
    notice = make_notice(case_a, lead_a)
    at = timezone.now() - timedelta(hours=1)

    services.takedown_submit(notice=notice, actor=lead_a, submitted_at=at)

    notice.refresh_from_db()
    event = CaseEvent.objects.get(verb="takedown.submitted", object_id=notice.pk)
    assert event.data["deadline_at"] == notice.deadline_at.isoformat()
    assert notice.deadline_at == at + timedelta(hours=48)


def test_mark_overdue_marks_only_notices_past_their_deadline(case_a, lead_a):
    late = submitted(case_a, lead_a, hours_ago=49)
    late_acknowledged = submitted(case_a, lead_a, hours_ago=50)
    services.takedown_record_outcome(notice=late_acknowledged, actor=lead_a, status="acknowledged")
    on_time = submitted(case_a, lead_a, hours_ago=47)
    removed = submitted(case_a, lead_a, hours_ago=60)
    services.takedown_record_outcome(notice=removed, actor=lead_a, status="removed")
    draft = make_notice(case_a, lead_a)

    marked = services.takedowns_mark_overdue()

    assert sorted(marked) == sorted([late.pk, late_acknowledged.pk])
    statuses = dict(TakedownRequest.objects.values_list("pk", "status"))
    assert statuses == {
        late.pk: "overdue",
        late_acknowledged.pk: "overdue",
        on_time.pk: "submitted",
        removed.pk: "removed",
        draft.pk: "draft",
    }
    assert CaseEvent.objects.filter(verb="takedown.overdue").count() == 2


def test_mark_overdue_is_idempotent(case_a, lead_a):
    late = submitted(case_a, lead_a, hours_ago=49)

    assert services.takedowns_mark_overdue() == [late.pk]
    assert services.takedowns_mark_overdue() == []
    assert CaseEvent.objects.filter(verb="takedown.overdue", object_id=late.pk).count() == 1


def test_mark_overdue_uses_the_given_time(case_a, lead_a):
    notice = submitted(case_a, lead_a, hours_ago=1)

    assert services.takedowns_mark_overdue(now=timezone.now()) == []
    assert services.takedowns_mark_overdue(now=timezone.now() + timedelta(hours=48)) == [notice.pk]


def test_escalate_from_submitted_is_a_conflict(case_a, lead_a):
    notice = submitted(case_a, lead_a, hours_ago=1)

    with pytest.raises(Conflict):
        services.takedown_escalate(notice=notice, actor=lead_a)
    notice.refresh_from_db()
    assert notice.status == "submitted"


def test_police_never_see_drafts_and_lose_case_data_when_not_live(
    case_a, lead_a, police_unit, police
):
    draft = services.referral_create(
        case=case_a,
        actor=lead_a,
        destination=police_unit,
        summary="s",
        legal_basis="consent",
        shared_sections=["evidence"],
    )
    assert not referral_list_for_user(user=police).exists()
    with pytest.raises(NotFound):
        referral_get_for_user(user=police, referral_id=draft.pk)

    services.referral_send(referral=draft, actor=lead_a)
    assert referral_get_for_user(user=police, referral_id=draft.pk).case_data_visible

    services.referral_withdraw(referral=draft, actor=lead_a, reason="error")
    assert not referral_get_for_user(user=police, referral_id=draft.pk).case_data_visible
    assert referral_get_for_user(user=lead_a, referral_id=draft.pk).case_data_visible


def test_a_draft_withdrawn_before_sending_never_reaches_the_inbox(
    case_a, lead_a, police_unit, police
):
    draft = services.referral_create(
        case=case_a,
        actor=lead_a,
        destination=police_unit,
        summary="s",
        legal_basis="consent",
        shared_sections=["evidence"],
    )
    services.referral_withdraw(referral=draft, actor=lead_a, reason="no procede")

    assert not referral_list_for_user(user=police).exists()


@pytest.mark.parametrize("bad_id", ["abc", None, "1.5", -1])
def test_referral_get_treats_malformed_ids_as_not_found(lead_a, bad_id):
    with pytest.raises(NotFound):
        referral_get_for_user(user=lead_a, referral_id=bad_id)
