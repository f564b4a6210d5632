"""The referral notice (``reporting.delivery``, through the outbox) and the beat tasks
called directly as functions (the e2e suite runs them in a real worker): the notice is
written with the send, delivered exactly once, in the recipient's language, and never
names a child; the deadline sweep marks overdue notices (check-in reminders are
tests/test_check_in_reminders.py, the relay itself tests/test_outbox.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.models import Membership
from outbox.models import Message
from reporting import services as reporting_services
from reporting.models import LegalBasis, Platform
from reporting.tasks import deadline_sweep
from tests.factories import ReferralFactory
from tests.outbox import deliver_outbox

pytestmark = pytest.mark.django_db


def test_sending_writes_one_notice_that_is_delivered_once_to_the_units_liaison(
    referral_a, police, mailoutbox
):
    row = Message.objects.get(about_id=referral_a.pk, kind="referral-notice")
    assert (row.state, row.recipient_user, row.case_id) == ("pending", police, referral_a.case_id)

    assert deliver_outbox() == {"sent": 1}
    assert deliver_outbox() == {}

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [police.email]
    assert referral_a.case.reference in message.subject
    link = settings.SITE_URL.rstrip("/") + reverse("web:referral", args=[referral_a.pk])
    assert link in message.body
    row.refresh_from_db()
    assert row.state == "sent" and row.sent_at is not None and row.address == police.email
    assert message.extra_headers["Message-ID"] == f"<{row.idempotency_key}@salvaguarda.invalid>"
    assert message.extra_headers["X-Salvaguarda-Kind"] == "referral-notice"


def test_referral_email_never_carries_a_childs_name_or_case_details(referral_a, case_a, mailoutbox):
    deliver_outbox()

    message = mailoutbox[0]
    victim = case_a.participants.get(role="victim").person
    text = f"{message.subject}\n{message.body}"
    for secret in (victim.given_name, victim.family_name, case_a.title, referral_a.summary):
        assert secret not in text
    assert not message.attachments


def test_nothing_is_written_for_drafts_or_withdrawn_referrals(
    case_a, lead_a, police_unit, police, mailoutbox
):
    draft = ReferralFactory.create(case=case_a, actor=lead_a, destination=police_unit)
    reporting_services.referral_withdraw(referral=draft, actor=lead_a, reason="error")

    assert not Message.objects.filter(kind="referral-notice").exists()
    deliver_outbox()
    assert mailoutbox == []


def test_without_a_liaison_the_units_address_is_used(case_a, lead_a, police_unit, mailoutbox):
    police_unit.email = "guardia@example.org"
    police_unit.save(update_fields=["email"])
    ReferralFactory.create(case=case_a, actor=lead_a, destination=police_unit, sent=True)

    assert deliver_outbox() == {"sent": 1}
    assert mailoutbox[0].to == ["guardia@example.org"]


def test_a_unit_with_no_address_at_all_is_a_visible_failure_told_to_the_lead(
    case_a, lead_a, police_unit, mailoutbox
):
    ReferralFactory.create(case=case_a, actor=lead_a, destination=police_unit, sent=True)

    assert deliver_outbox() == {"failed": 1}
    notice = Message.objects.get(kind="referral-notice")
    assert (notice.state, notice.last_error, notice.attempts) == ("failed", "no address", 1)
    assert deliver_outbox() == {"sent": 1}  # the lead's notice of the failure
    assert deliver_outbox() == {}  # not a loop: nothing more is due
    assert [m.to for m in mailoutbox] == [[lead_a.email]]
    assert case_a.reference in mailoutbox[0].subject
    assert case_a.events.filter(verb="delivery.failed").count() == 1


def test_the_sweep_marks_overdue_notices(case_a, lead_a):
    item = case_services.evidence_record(
        case=case_a,
        actor=lead_a,
        kind="image",
        first_seen_at=timezone.now() - timedelta(days=3),
        location="https://t.me/example/1",
    )
    notice = reporting_services.takedown_create(
        case=case_a,
        actor=lead_a,
        platform=Platform.objects.get(slug="telegram"),
        legal_basis=LegalBasis.objects.get(code="us-take-it-down"),
        evidence_items=[item],
    )
    reporting_services.takedown_submit(
        notice=notice, actor=lead_a, submitted_at=timezone.now() - timedelta(hours=49)
    )

    result = deadline_sweep()

    assert result["overdue"] == [notice.pk]
    notice.refresh_from_db()
    assert notice.status == "overdue"
    # A second sweep finds the notice already overdue.
    assert deadline_sweep()["overdue"] == []


def test_the_notice_is_written_in_each_recipients_language(
    case_a, lead_a, police_unit, police, other_police, mailoutbox
):
    Membership.objects.create(user=other_police, organisation=police_unit, role="police_liaison")
    type(police).objects.filter(pk=other_police.pk).update(language="en")
    ReferralFactory.create(case=case_a, actor=lead_a, destination=police_unit, sent=True)
    deliver_outbox()

    by_address = {m.to[0]: m for m in mailoutbox}
    spanish, english = by_address[police.email], by_address[other_police.email]
    assert english.subject.startswith("New referral ")
    assert "Open it here (sign-in required)" in english.body
    assert english.extra_headers["Content-Language"] == "en"
    assert spanish.subject.startswith("Nueva derivación ")
    assert "Ábrala aquí" in spanish.body


def test_the_email_text_is_not_html_escaped(case_a, lead_a, police_unit, police, mailoutbox):
    school = case_a.school
    school.name = "IES Ríos & Vegas"
    school.save(update_fields=["name"])
    ReferralFactory.create(case=case_a, actor=lead_a, destination=police_unit, sent=True)

    deliver_outbox()

    assert "IES Ríos & Vegas" in mailoutbox[0].subject
    assert "&amp;" not in mailoutbox[0].subject + mailoutbox[0].body


def test_the_link_paths_in_settings_are_the_web_pages(settings):
    # Domain apps build e-mail links from settings, never from web's URL names
    # (ADR 0007): these must follow web/urls.py.
    assert settings.EMAIL_LINK_PATHS["referral"].format(id=42) == reverse("web:referral", args=[42])
    assert settings.EMAIL_LINK_PATHS["check_ins"] == reverse("web:dashboard")
    assert settings.EMAIL_LINK_PATHS["dashboard"] == reverse("web:dashboard")
    # New concerns are listed on the dashboard (web has no page for one concern).
    assert settings.EMAIL_LINK_PATHS["concerns"] == reverse("web:dashboard")
    assert settings.EMAIL_LINK_PATHS["case"].format(id=42) == reverse("web:case_detail", args=[42])
    # Every path is one of these: a new one must be added here too.
    assert set(settings.EMAIL_LINK_PATHS) == {
        "referral",
        "check_ins",
        "dashboard",
        "concerns",
        "case",
    }


def test_the_sweep_no_longer_sends_check_in_reminders(case_a, lead_a, mailoutbox):
    victim = case_a.participants.get(role="victim").person
    case_services.support_plan_create(
        case=case_a,
        victim=victim,
        owner=lead_a,
        actor=lead_a,
        first_check_in_at=timezone.now() + timedelta(hours=2),
    )

    assert "check_ins_reminded" not in deadline_sweep()
    assert mailoutbox == []


def test_check_in_reminders_have_their_own_beat_entry(settings):
    entries = {e["task"]: e for e in settings.CELERY_BEAT_SCHEDULE.values()}

    assert "cases.tasks.check_in_reminders" in entries
    assert "reporting.tasks.deadline_sweep" in entries
    assert entries["cases.tasks.check_in_reminders"]["schedule"] > 0
