"""Celery tasks called directly as functions (the e2e suite runs them in a real
worker), and the delivery service behind them: the referral notice e-mail is sent
exactly once, in the recipient's language, and never names a child; the beat sweep
marks overdue notices and re-queues undelivered referral notices (check-in reminders
are tests/test_check_in_reminders.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from reporting import delivery, tasks
from reporting import services as reporting_services
from reporting.models import LegalBasis, Platform, Referral
from reporting.tasks import deadline_sweep, referral_notify

pytestmark = pytest.mark.django_db


def test_referral_notify_sends_exactly_one_email_to_the_units_liaison(
    referral_a, police, mailoutbox
):
    assert referral_notify(referral_a.pk) is True

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [police.email]
    assert referral_a.case.reference in message.subject
    link = settings.SITE_URL.rstrip("/") + reverse("web:referral", args=[referral_a.pk])
    assert link in message.body
    referral_a.refresh_from_db()
    assert referral_a.notified_at is not None


def test_referral_email_never_carries_a_childs_name_or_case_details(referral_a, case_a, mailoutbox):
    referral_notify(referral_a.pk)

    message = mailoutbox[0]
    victim = case_a.participants.get(role="victim").person
    text = f"{message.subject}\n{message.body}"
    for secret in (victim.given_name, victim.family_name, case_a.title, referral_a.summary):
        assert secret not in text
    assert not message.attachments


def test_a_second_run_sends_nothing(referral_a, mailoutbox):
    assert referral_notify(referral_a.pk) is True
    assert referral_notify(referral_a.pk) is False

    assert len(mailoutbox) == 1


def test_the_task_finding_notified_at_set_sends_nothing(referral_a, mailoutbox):
    Referral.objects.filter(pk=referral_a.pk).update(notified_at=timezone.now())

    assert referral_notify(referral_a.pk) is False
    assert mailoutbox == []


def test_nothing_is_sent_for_drafts_withdrawn_or_missing_referrals(
    case_a, lead_a, police_unit, police, mailoutbox
):
    draft = reporting_services.referral_create(
        case=case_a,
        actor=lead_a,
        destination=police_unit,
        summary="s",
        legal_basis="consent",
        shared_sections=["evidence"],
    )
    assert referral_notify(draft.pk) is False
    reporting_services.referral_withdraw(referral=draft, actor=lead_a, reason="error")
    assert referral_notify(draft.pk) is False
    assert referral_notify(987654321) is False

    assert mailoutbox == []


def test_without_a_liaison_the_units_address_is_used(case_a, lead_a, police_unit, mailoutbox):
    police_unit.email = "guardia@example.org"
    police_unit.save(update_fields=["email"])
    referral = reporting_services.referral_create(
        case=case_a,
        actor=lead_a,
        destination=police_unit,
        summary="s",
        legal_basis="consent",
        shared_sections=["evidence"],
    )
    reporting_services.referral_send(referral=referral, actor=lead_a)

    assert referral_notify(referral.pk) is True
    assert mailoutbox[0].to == ["guardia@example.org"]


def test_the_sweep_marks_overdue_notices_and_requeues_undelivered_referrals(
    referral_a, case_a, lead_a, monkeypatch
):
    queued: list[int] = []
    monkeypatch.setattr(tasks.referral_notify, "delay", queued.append)
    Referral.objects.filter(pk=referral_a.pk).update(
        sent_at=timezone.now() - tasks.RENOTIFY_AFTER - timedelta(minutes=1)
    )
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
    assert result["requeued"] == [referral_a.pk]
    assert queued == [referral_a.pk]
    notice.refresh_from_db()
    assert notice.status == "overdue"
    # A second sweep finds the notice already overdue.
    assert deadline_sweep()["overdue"] == []


def test_delivery_is_a_service_a_shell_can_call_without_celery(referral_a, police, mailoutbox):
    assert delivery.referral_notice_deliver(referral_id=referral_a.pk) is True
    assert delivery.referral_notice_deliver(referral_id=referral_a.pk) is False

    assert [m.to for m in mailoutbox] == [[police.email]]
    assert mailoutbox[0].extra_headers["X-Salvaguarda-Kind"] == "referral-notice"


def test_the_notice_is_written_in_the_recipients_language(referral_a, settings, mailoutbox):
    # Users have no language preference yet: each recipient gets LANGUAGE_CODE.
    settings.LANGUAGE_CODE = "en"
    referral_notify(referral_a.pk)
    Referral.objects.filter(pk=referral_a.pk).update(notified_at=None)
    settings.LANGUAGE_CODE = "es"
    referral_notify(referral_a.pk)

    english, spanish = mailoutbox
    assert english.subject.startswith("New referral ")
    assert "Open it here (sign-in required)" in english.body
    assert spanish.subject.startswith("Nueva derivación ")
    assert "Ábrala aquí" in spanish.body


def test_the_email_text_is_not_html_escaped(referral_a, school_a, mailoutbox):
    school_a.name = "IES Ríos & Vegas"
    school_a.save(update_fields=["name"])

    referral_notify(referral_a.pk)

    assert "IES Ríos & Vegas" in mailoutbox[0].subject
    assert "&amp;" not in mailoutbox[0].subject + mailoutbox[0].body


def test_the_link_paths_in_settings_are_the_web_pages(settings):
    # Domain apps build e-mail links from settings, never from web's URL names
    # (ADR 0007): these must follow web/urls.py.
    assert settings.EMAIL_LINK_PATHS["referral"].format(id=42) == reverse("web:referral", args=[42])
    assert settings.EMAIL_LINK_PATHS["check_ins"] == reverse("web:dashboard")


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
