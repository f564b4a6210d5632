"""Every kind of notification of issue 9 delivered by a real worker on the real broker,
with a real beat (issue 9, "Done when" 4): changes made through the services write
their messages into the outbox; beat's deadline sweep and check-in reminders run in
the worker; the relay in the worker sends every message, in Spanish to some
recipients and in English to others. Then the messages the file backend wrote are read
(counted as messages, never files: tests/mailbox.py) and each is matched to its row by
its ``Message-ID``.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from cases import services as case_services
from cases.models import Concern, Role
from outbox import channels
from outbox.kinds import MessageKind
from outbox.models import Message, WebhookEndpoint
from reporting import services as reporting_services
from reporting.models import LegalBasis, Platform, TakedownRequest
from tests.conftest import make_user
from tests.e2e.conftest import wait_for
from tests.factories import EvidenceItemFactory, PoliceUnitFactory
from tests.mailbox import messages_in, text_of

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Never in a notification: the pupil (tests/conftest.py), the case titles, and what
# people typed about the case.
SECRETS = (
    "Lucía",
    "Prueba",
    "Imágenes manipuladas",
    "Chantaje a una alumna",
    "fotos en el grupo",
    "declaró",
    "otra demarcación",
    "ya no quiere",
)


def _subject(mail: Any) -> str:
    """The decoded subject on one line (a long encoded subject is folded)."""
    return " ".join(str(mail["Subject"]).split())


def _notice(case, actor, *, submitted_hours_ago: int):
    whatsapp = Platform.objects.get(slug="whatsapp")
    notice = reporting_services.takedown_create(
        case=case,
        actor=actor,
        platform=whatsapp,
        legal_basis=LegalBasis.objects.get(code="us-take-it-down"),
        evidence_items=[EvidenceItemFactory.create(case=case, actor=actor, platform=whatsapp)],
    )
    return reporting_services.takedown_submit(
        notice=notice,
        actor=actor,
        submitted_at=timezone.now() - timedelta(hours=submitted_hours_ago),
    )


def _referral(case, actor, unit):
    referral = reporting_services.referral_create(
        case=case,
        actor=actor,
        destination=unit,
        summary="Denuncia por las fotos de Lucía Prueba",
        legal_basis="legal_obligation",
        shared_sections=["chronology"],
    )
    return reporting_services.referral_send(referral=referral, actor=actor)


def test_every_notification_reaches_its_recipients_in_their_language(
    e2e_env,
    celery_beat_process,
    school_a,
    case_a,
    lead_a,
    staff_a,
    police_unit,
    police,
    webhook_receiver,
):
    url, received = webhook_receiver.url, webhook_receiver.requests
    WebhookEndpoint.objects.create(
        organisation=police_unit, url=url, key_id="pol1-e2e", secret="s3cret-e2e"
    )
    # English speakers: a deputy, who leads a second case, and a second liaison.
    deputy = make_user("deputy.a", school_a, Role.DEPUTY_LEAD)
    police_en = make_user("police.one.en", police_unit, Role.POLICE_LIAISON)
    for user in (deputy, police_en):
        user.language = "en"
        user.save(update_fields=["language"])
    case_en = case_services.case_open(
        school=school_a,
        actor=lead_a,
        lead=deputy,
        title="Chantaje a una alumna",
        category="sextortion",
    )
    victim = case_a.participants.get(role="victim").person
    case_services.participant_add(case=case_en, actor=lead_a, person=victim, role="victim")
    silent_unit = PoliceUnitFactory.create(name="Comisaría Sin Correo", email="")

    # A new concern → lead_a (es), deputy (en).
    case_services.concern_log(
        school=school_a,
        logged_by=staff_a,
        source=Concern.Source.STAFF,
        summary="Lucía Prueba: fotos en el grupo",
    )
    # Answers → the lead of each case.
    acknowledged = _referral(case_a, lead_a, police_unit)
    reporting_services.referral_acknowledge(
        referral=acknowledged, actor=police, external_reference="AT-2026/0042"
    )
    reporting_services.referral_close(
        referral=acknowledged, actor=police, outcome="Lucía Prueba declaró"
    )
    rejected = _referral(case_en, lead_a, police_unit)
    reporting_services.referral_reject(
        referral=rejected, actor=police, reason="Lucía Prueba es de otra demarcación"
    )
    # A withdrawal → both liaisons (es, en) and the unit's system.
    withdrawn = _referral(case_a, lead_a, police_unit)
    reporting_services.referral_withdraw(
        referral=withdrawn, actor=lead_a, reason="Lucía Prueba ya no quiere"
    )
    # A notice to a unit without any address fails → the lead of each case.
    for case in (case_a, case_en):
        _referral(case, lead_a, silent_unit)
    # Overdue (beat's sweep, in the worker) and refused → the lead of each case.
    overdue = [_notice(case_a, lead_a, submitted_hours_ago=49)]
    overdue.append(_notice(case_en, lead_a, submitted_hours_ago=49))
    for case, actor in ((case_a, deputy), (case_en, lead_a)):
        reporting_services.takedown_record_outcome(
            notice=_notice(case, lead_a, submitted_hours_ago=1), actor=actor, status="refused"
        )
    # Check-ins due (beat's reminders, in the worker) → each plan's owner.
    for case, owner in ((case_a, lead_a), (case_en, deputy)):
        case_services.support_plan_create(
            case=case,
            victim=victim,
            owner=owner,
            actor=lead_a,
            first_check_in_at=timezone.now() + timedelta(hours=2),
        )

    def settled() -> bool:
        overdue_done = TakedownRequest.objects.filter(
            pk__in=[n.pk for n in overdue], status="overdue"
        ).count() == len(overdue)
        kinds = set(Message.objects.values_list("kind", flat=True))
        waiting = Message.objects.exclude(state__in=["sent", "failed"]).exists()
        return overdue_done and {"takedown-overdue", "check-in-reminder"} <= kinds and not waiting

    wait_for(settled, timeout=45, what="every outbox row to be sent or failed")

    rows = {str(m.idempotency_key): m for m in Message.objects.select_related("recipient_user")}
    failed = [m for m in rows.values() if m.state == "failed"]
    assert (
        sorted((m.kind, m.recipient_organisation_id) for m in failed)
        == [("referral-notice", silent_unit.pk)] * 2
    )
    sent_emails = {k: m for k, m in rows.items() if m.state == "sent" and m.channel == "email"}

    mails = messages_in(e2e_env["mail_dir"])  # messages, not files
    assert len(mails) == len(sent_emails)
    seen: Counter[tuple[str, str]] = Counter()
    for mail in mails:
        key = mail["Message-ID"].removeprefix("<").removesuffix("@salvaguarda.invalid>")
        row = sent_emails.pop(key)  # each row once, and only rows
        assert mail["Message-ID"] == f"<{row.idempotency_key}@salvaguarda.invalid>"
        assert str(mail["To"]) == row.address
        assert _subject(mail) == row.subject
        assert mail["Content-Language"] == row.language
        expected_language = (row.recipient_user.language if row.recipient_user else "") or "es"
        assert row.language == expected_language
        text = text_of(mail)
        assert not any(secret in text for secret in SECRETS), text
        assert "http://" in text  # the link
        seen[(row.kind, row.language)] += 1
    assert sent_emails == {}

    notified = {
        MessageKind.CONCERN_NEW,
        MessageKind.REFERRAL_ANSWERED,
        MessageKind.REFERRAL_WITHDRAWN,
        MessageKind.TAKEDOWN_OVERDUE,
        MessageKind.TAKEDOWN_REFUSED,
        MessageKind.DELIVERY_FAILED,
        MessageKind.CHECK_IN_DUE,
    }
    for kind in notified:
        assert seen[(kind.value, "es")] >= 1 and seen[(kind.value, "en")] >= 1, (kind, seen)
    # Exactly the messages the changes call for, each once.
    assert seen == {
        ("concern-new", "es"): 1,
        ("concern-new", "en"): 1,
        ("referral-notice", "es"): 3,
        ("referral-notice", "en"): 3,
        ("referral-answered", "es"): 2,
        ("referral-answered", "en"): 1,
        ("referral-withdrawn", "es"): 1,
        ("referral-withdrawn", "en"): 1,
        ("takedown-overdue", "es"): 1,
        ("takedown-overdue", "en"): 1,
        ("takedown-refused", "es"): 1,
        ("takedown-refused", "en"): 1,
        ("delivery-failed", "es"): 1,
        ("delivery-failed", "en"): 1,
        ("check-in-reminder", "es"): 1,
        ("check-in-reminder", "en"): 1,
    }
    subjects = {_subject(m) for m in mails}
    assert "Nuevo aviso registrado en IES Alfa" in subjects
    assert "New concern logged at IES Alfa" in subjects
    assert f"Referral {case_en.reference} declined by Comisaría Uno" in subjects
    assert f"Derivación {case_a.reference} de IES Alfa retirada" in subjects
    assert f"Referral {case_a.reference} from IES Alfa withdrawn" in subjects

    # The unit's system: three notices and one withdrawal, each signed, each once.
    events = Counter()
    for headers, body in received:
        assert channels.verify("s3cret-e2e", headers, body)
        assert not any(secret in body.decode() for secret in SECRETS)
        events[json.loads(body)["data"]["event"]] += 1
    assert events == {"referral.sent": 3, "referral.withdrawn": 1}
