"""A real worker process on the real broker delivers a referral notice exactly once
through the outbox, and a real beat process marks an overdue takedown notice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.services import evidence_record
from outbox.models import Message
from outbox.tasks import deliver_message
from reporting import services as reporting_services
from reporting.models import LegalBasis, Platform, TakedownRequest
from tests.e2e.conftest import wait_for
from tests.mailbox import messages_in, text_of

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_worker_emails_the_unit_once_without_the_childs_name(
    e2e_env, celery_worker_process, case_a, lead_a, police_unit, police
):
    referral = reporting_services.referral_create(
        case=case_a,
        actor=lead_a,
        destination=police_unit,
        summary="Denuncia de Lucía",
        legal_basis="legal_obligation",
        shared_sections=["chronology"],
    )
    reporting_services.referral_send(referral=referral, actor=lead_a)

    row = Message.objects.get(about_id=referral.pk, kind="referral-notice")
    wait_for(
        lambda: Message.objects.get(pk=row.pk).state == "sent",
        what="the worker to deliver the referral notice",
    )
    # A duplicate task (a redelivery after a crash) must not send a second e-mail.
    deliver_message.delay(row.pk)
    wait_for(
        lambda: "'skipped'" in (e2e_env["log_dir"] / "worker.log").read_text(),
        what="the duplicate task to run",
    )

    mails = messages_in(e2e_env["mail_dir"])  # messages, not files (tests/mailbox.py)
    assert len(mails) == 1
    assert police.email in str(mails[0]["To"])
    text = text_of(mails[0])
    assert case_a.reference in text
    assert "Lucía" not in mails[0].as_string() and "Lucía" not in text
    assert "Prueba" not in mails[0].as_string() and "Prueba" not in text


def test_beat_marks_a_notice_past_its_deadline_as_overdue(
    e2e_env, celery_beat_process, case_a, lead_a
):
    whatsapp = Platform.objects.get(slug="whatsapp")
    item = evidence_record(
        case=case_a,
        actor=lead_a,
        kind="group",
        platform=whatsapp,
        location="https://chat.whatsapp.com/EXAMPLE",
        first_seen_at=timezone.now() - timedelta(days=5),
    )
    notice = reporting_services.takedown_create(
        case=case_a,
        actor=lead_a,
        platform=whatsapp,
        legal_basis=LegalBasis.objects.get(code="us-take-it-down"),
        evidence_items=[item],
    )
    reporting_services.takedown_submit(
        notice=notice, actor=lead_a, submitted_at=timezone.now() - timedelta(hours=49)
    )
    wait_for(
        lambda: TakedownRequest.objects.get(pk=notice.pk).status == "overdue",
        timeout=90,
        what="beat's deadline sweep to mark the notice overdue",
    )
