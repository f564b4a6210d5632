"""Notifications through the outbox (issue 9): each is written in the same transaction as
the change that causes it (one row per recipient; none for a change that rolls back),
delivered by the relay as the worker calls it (``tests.outbox.deliver_outbox``) to the
right addresses, in each recipient's language (Spanish by default, English when the
user chose it), with its link and without any of the child's details.

Kinds and their causes: a new concern → the school's leads and deputies; a referral
acknowledged, declined or closed → the case's lead; a sent referral withdrawn → the
unit's liaisons and webhooks; a takedown notice overdue or refused → the case's lead;
a delivery failed → the case's lead; check-ins due → the plan owner. The frozen-clock
test of issue 9's "Done when" 3 is here too; the real-worker test is
tests/e2e/test_notifications_e2e.py.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.exceptions import Conflict
from cases.models import CaseEvent, Concern, Role
from cases.reminders import check_in_reminders_send
from cases.verbs import CaseVerb
from outbox import channels
from outbox.models import Message, WebhookEndpoint
from reporting import services as reporting_services
from reporting.models import LegalBasis, Platform, TakedownRequest
from reporting.tasks import deadline_sweep
from tests.conftest import make_user
from tests.factories import EvidenceItemFactory, ReferralFactory
from tests.outbox import deliver_outbox

pytestmark = pytest.mark.django_db

# What must never leave in a notification: the pupil's name (tests/conftest.py: "Lucía
# Prueba"), the case title, and what people typed about the case.
CHILD = ("Lucía", "Prueba", "Imágenes manipuladas")


def link(name: str, *args: Any) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(f"web:{name}", args=args)


def rows(kind: str) -> list[Message]:
    return list(Message.objects.filter(kind=kind).order_by("pk"))


def by_address(mailoutbox: list[Any]) -> dict[str, Any]:
    assert all(len(mail.to) == 1 for mail in mailoutbox)
    return {mail.to[0]: mail for mail in mailoutbox}


def _zone(school: Any) -> ZoneInfo:
    return ZoneInfo(school.time_zone)


def assert_no_childs_details(mail: Any, *secrets: str) -> None:
    text = mail.subject + "\n" + mail.body
    for secret in (*CHILD, *secrets):
        assert secret not in text, secret


def english(user: Any) -> Any:
    user.language = "en"
    user.save(update_fields=["language"])
    return user


@pytest.fixture
def deputy_a(school_a):
    return make_user("deputy.a", school_a, Role.DEPUTY_LEAD)


# --- a new concern → the school's leads and deputies ------------------------------------


def _log(school, by, **kwargs):
    return case_services.concern_log(
        school=school,
        logged_by=by,
        source=kwargs.pop("source", Concern.Source.STAFF),
        summary="Lucía Prueba: fotos en el grupo",
        childs_own_words="Me da vergüenza",
        **kwargs,
    )[0]


def test_a_new_concern_is_told_at_once_to_each_lead_and_deputy_in_their_language(
    school_a, lead_a, deputy_a, staff_a, lead_b, mailoutbox
):
    english(deputy_a)
    concern = _log(school_a, staff_a)

    written = rows("concern-new")
    assert [(m.recipient_user, m.language, m.school_id) for m in written] == [
        (lead_a, "es", school_a.pk),
        (deputy_a, "en", school_a.pk),
    ]
    assert all(m.about_id == concern.pk and m.case_id is None for m in written)
    assert deliver_outbox() == {"sent": 2}

    mails = by_address(mailoutbox)
    assert set(mails) == {lead_a.email, deputy_a.email}
    spanish, english_mail = mails[lead_a.email], mails[deputy_a.email]
    assert spanish.subject == "Nuevo aviso registrado en IES Alfa"
    assert english_mail.subject == "New concern logged at IES Alfa"
    assert "Miembro del personal" in spanish.body
    assert "Staff member" in english_mail.body
    for mail in (spanish, english_mail):
        assert link("dashboard") in mail.body
        assert_no_childs_details(mail, "fotos en el grupo", "vergüenza")


def test_the_lead_who_logs_a_concern_is_not_told_but_the_other_leads_are(
    school_a, lead_a, deputy_a
):
    _log(school_a, lead_a)

    assert [m.recipient_user for m in rows("concern-new")] == [deputy_a]


def test_an_anonymous_pupils_report_is_told_to_every_lead(school_a, lead_a, deputy_a, mailoutbox):
    case_services.concern_log(
        school=school_a,
        logged_by=None,
        source=Concern.Source.PUPIL_ANONYMOUS,
        summary="Lucía Prueba",
    )

    assert [m.recipient_user for m in rows("concern-new")] == [lead_a, deputy_a]
    deliver_outbox()
    assert len(mailoutbox) == 2


def test_a_concern_that_rolls_back_tells_nobody(school_a, lead_a, staff_a):
    with pytest.raises(ValidationError), transaction.atomic():
        _log(school_a, staff_a)
        raise ValidationError("something later in the same request failed")

    assert Concern.objects.count() == 0
    assert Message.objects.count() == 0


# --- a referral acknowledged, declined or closed → the case's lead -----------------------

ANSWERS = {
    "acknowledged": (
        "Comisaría Uno ha acusado recibo de la derivación {ref}",
        "Referral {ref} acknowledged by Comisaría Uno",
    ),
    "rejected": (
        "Derivación {ref} rechazada por Comisaría Uno",
        "Referral {ref} declined by Comisaría Uno",
    ),
    "closed": (
        "Derivación {ref} a Comisaría Uno cerrada",
        "Referral {ref} to Comisaría Uno closed",
    ),
}


def _answer(referral, police, answer):
    if answer in {"acknowledged", "closed"}:
        reporting_services.referral_acknowledge(
            referral=referral, actor=police, external_reference="AT-2026/0042"
        )
    if answer == "closed":
        reporting_services.referral_close(
            referral=referral, actor=police, outcome="Lucía Prueba declaró el lunes"
        )
    if answer == "rejected":
        reporting_services.referral_reject(
            referral=referral, actor=police, reason="Lucía Prueba es de otra demarcación"
        )


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("answer", sorted(ANSWERS))
def test_each_answer_of_the_unit_is_told_to_the_lead(
    referral_a, case_a, lead_a, police, mailoutbox, answer, language
):
    lead_a.language = language
    lead_a.save(update_fields=["language"])
    Message.objects.all().delete()  # the referral notice to the unit

    _answer(referral_a, police, answer)

    written = rows("referral-answered")
    # Closing follows an acknowledgement: one message for each answer.
    assert [m.recipient_user for m in written] == [lead_a] * (2 if answer == "closed" else 1)
    assert all(m.case_id == case_a.pk and m.about_id == referral_a.pk for m in written)
    deliver_outbox()
    mail = mailoutbox[-1]
    assert mail.to == [lead_a.email]
    subject = ANSWERS[answer][language == "en"].format(ref=case_a.reference)
    assert mail.subject == subject
    assert link("referral", referral_a.pk) in mail.body
    assert ("AT-2026/0042" in mail.body) == (answer == "acknowledged")
    assert_no_childs_details(mail, "declaró", "demarcación")


def test_an_answer_that_rolls_back_or_conflicts_tells_nobody(referral_a, police):
    with pytest.raises(ValidationError), transaction.atomic():
        reporting_services.referral_acknowledge(
            referral=referral_a, actor=police, external_reference="AT-1"
        )
        raise ValidationError("later")
    assert rows("referral-answered") == []

    referral_a.refresh_from_db()
    reporting_services.referral_acknowledge(
        referral=referral_a, actor=police, external_reference="AT-1"
    )
    stale = type(referral_a).objects.get(pk=referral_a.pk)
    stale.status = "sent"  # what a second liaison saw before the first acknowledged
    with pytest.raises(Conflict):
        reporting_services.referral_acknowledge(
            referral=stale, actor=police, external_reference="AT-2"
        )
    assert len(rows("referral-answered")) == 1


def test_an_answer_goes_to_the_schools_leads_when_the_case_has_no_active_lead(
    referral_a, case_a, lead_a, deputy_a, police
):
    type(lead_a).objects.filter(pk=lead_a.pk).update(is_active=False)
    case_a.refresh_from_db()

    reporting_services.referral_reject(referral=referral_a, actor=police, reason="No")

    assert [m.recipient_user for m in rows("referral-answered")] == [deputy_a]


# --- a sent referral withdrawn → the unit's liaisons and its webhooks ---------------------


def test_withdrawing_a_sent_referral_tells_the_units_liaisons_and_its_system(
    referral_a, case_a, lead_a, police, police_unit, webhook_receiver, mailoutbox
):
    url, received = webhook_receiver.url, webhook_receiver.requests
    endpoint = WebhookEndpoint.objects.create(
        organisation=police_unit, url=url, key_id="pol1", secret="s3cret"
    )
    second = english(make_user("police.uno.bis", police_unit, Role.POLICE_LIAISON))
    deliver_outbox()  # the referral notice
    mailoutbox.clear()

    reporting_services.referral_withdraw(
        referral=referral_a, actor=lead_a, reason="Lucía Prueba ya no quiere seguir"
    )

    written = rows("referral-withdrawn")
    assert [(m.recipient_user, m.endpoint, m.language) for m in written] == [
        (police, None, "es"),
        (second, None, "en"),
        (None, endpoint, "es"),
    ]
    assert deliver_outbox() == {"sent": 3}
    mails = by_address(mailoutbox)
    assert set(mails) == {police.email, second.email}
    ref = case_a.reference
    assert mails[police.email].subject == f"Derivación {ref} de IES Alfa retirada"
    assert mails[second.email].subject == f"Referral {ref} from IES Alfa withdrawn"
    for mail in mails.values():
        assert link("referral", referral_a.pk) in mail.body
        assert_no_childs_details(mail, "quiere seguir")

    [(headers, body)] = received
    assert channels.verify("s3cret", headers, body)
    assert headers["Idempotency-Key"] == str(written[2].idempotency_key)
    data = json.loads(body)["data"]
    assert data["event"] == "referral.withdrawn" and data["case_reference"] == ref
    assert not any(secret in body.decode() for secret in (*CHILD, "quiere seguir"))


def test_a_unit_without_liaisons_is_told_at_its_own_address(case_a, lead_a, other_unit, mailoutbox):
    other_unit.email = "unidad@example.org"
    other_unit.save(update_fields=["email"])
    referral = ReferralFactory.create(case=case_a, actor=lead_a, destination=other_unit, sent=True)
    reporting_services.referral_withdraw(referral=referral, actor=lead_a, reason="r")

    [row] = rows("referral-withdrawn")
    assert row.recipient_organisation == other_unit
    deliver_outbox()
    assert [m.to for m in mailoutbox if "retirada" in m.subject] == [["unidad@example.org"]]


def test_withdrawing_a_draft_tells_nobody(case_a, lead_a, police_unit, police):
    referral = ReferralFactory.create(case=case_a, actor=lead_a, destination=police_unit)

    reporting_services.referral_withdraw(referral=referral, actor=lead_a, reason="r")

    assert Message.objects.count() == 0


def test_a_withdrawal_that_rolls_back_or_conflicts_tells_nobody(referral_a, lead_a, police):
    with pytest.raises(ValidationError), transaction.atomic():
        reporting_services.referral_withdraw(referral=referral_a, actor=lead_a, reason="r")
        raise ValidationError("later")
    assert rows("referral-withdrawn") == []

    referral_a.refresh_from_db()
    reporting_services.referral_acknowledge(
        referral=referral_a, actor=police, external_reference="AT-1"
    )
    referral_a.status = "sent"  # the lead's page, read before the acknowledgement
    with pytest.raises(Conflict):
        reporting_services.referral_withdraw(referral=referral_a, actor=lead_a, reason="r")
    assert rows("referral-withdrawn") == []


# --- a takedown notice overdue or refused → the case's lead -------------------------------


def _submitted_notice(case, lead, *, submitted_at=None, basis="us-take-it-down"):
    whatsapp = Platform.objects.get(slug="whatsapp")
    item = EvidenceItemFactory.create(case=case, actor=lead, platform=whatsapp)
    notice = reporting_services.takedown_create(
        case=case,
        actor=lead,
        platform=whatsapp,
        legal_basis=LegalBasis.objects.get(code=basis),
        evidence_items=[item],
        notes="Fotos de Lucía Prueba en el grupo",
    )
    return reporting_services.takedown_submit(
        notice=notice, actor=lead, submitted_at=submitted_at, platform_ticket="WA-77"
    )


def test_a_notice_past_its_48_hours_is_overdue_once_and_told_to_the_lead_once(
    case_a, lead_a, school_a, mailoutbox
):
    """Issue 9, "Done when" 3: with a frozen clock a notice passes 48 h; two sweeps."""
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        notice = _submitted_notice(case_a, lead_a)
    assert notice.deadline_at == start + timedelta(hours=48)

    with time_machine.travel(start + timedelta(hours=47, minutes=59), tick=False):
        assert deadline_sweep() == {"overdue": []}
    assert rows("takedown-overdue") == []

    with time_machine.travel(start + timedelta(hours=48, seconds=1), tick=False):
        assert deadline_sweep() == {"overdue": [notice.pk]}
        assert deadline_sweep() == {"overdue": []}
        assert deliver_outbox() == {"sent": 1}
        assert deliver_outbox() == {}

    notice.refresh_from_db()
    assert notice.status == "overdue"
    assert CaseEvent.objects.filter(verb=CaseVerb.TAKEDOWN_OVERDUE).count() == 1
    [row] = rows("takedown-overdue")
    assert (row.recipient_user, row.case_id, row.about_id) == (lead_a, case_a.pk, notice.pk)
    [mail] = mailoutbox
    assert mail.to == [lead_a.email]
    assert mail.subject == f"Solicitud de retirada a WhatsApp vencida ({case_a.reference})"
    # The deadline on the school's clock (Europe/Madrid), the law, what to do next.
    local = timezone.localtime(notice.deadline_at, _zone(school_a))
    assert f"{local:%H:%M} (Europe/Madrid)" in mail.body
    assert "TAKE IT DOWN" in mail.body and "223a" in mail.body
    assert "US Federal Trade Commission (https://takeitdown.ftc.gov/)" in mail.body
    assert "WA-77" in mail.body
    assert link("case_detail", case_a.pk) in mail.body
    assert_no_childs_details(mail, "Fotos de")


def test_the_overdue_notice_is_in_english_for_a_lead_who_chose_it(case_a, lead_a, mailoutbox):
    english(lead_a)
    notice = _submitted_notice(case_a, lead_a, submitted_at=timezone.now() - timedelta(hours=49))

    deadline_sweep()
    deliver_outbox()

    [mail] = mailoutbox
    assert mail.subject == f"Takedown notice to WhatsApp overdue ({case_a.reference})"
    assert "What to do next: escalate the notice to" in mail.body
    assert notice.deadline_at is not None
    local = timezone.localtime(notice.deadline_at, _zone(case_a.school))
    assert f"{local:%H:%M} (Europe/Madrid)" in mail.body
    assert link("case_detail", case_a.pk) in mail.body
    assert_no_childs_details(mail, "Fotos de")


def test_an_overdue_mark_that_rolls_back_tells_nobody(case_a, lead_a):
    notice = _submitted_notice(case_a, lead_a, submitted_at=timezone.now() - timedelta(hours=49))

    with pytest.raises(ValidationError), transaction.atomic():
        deadline_sweep()
        raise ValidationError("later")

    assert TakedownRequest.objects.get(pk=notice.pk).status == "submitted"
    assert rows("takedown-overdue") == []


@pytest.mark.parametrize("language", ["es", "en"])
def test_a_refused_notice_is_told_to_the_lead_with_the_next_step(
    case_a, lead_a, deputy_a, mailoutbox, language
):
    lead_a.language = language
    lead_a.save(update_fields=["language"])
    notice = _submitted_notice(case_a, lead_a)

    reporting_services.takedown_record_outcome(notice=notice, actor=deputy_a, status="refused")

    [row] = rows("takedown-refused")
    assert (row.recipient_user, row.about_id) == (lead_a, notice.pk)
    deliver_outbox()
    [mail] = mailoutbox
    ref = case_a.reference
    assert mail.subject == (
        f"Solicitud de retirada denegada por WhatsApp ({ref})"
        if language == "es"
        else f"Takedown notice refused by WhatsApp ({ref})"
    )
    assert "Federal Trade Commission" in mail.body and link("case_detail", case_a.pk) in mail.body
    assert_no_childs_details(mail, "Fotos de")


def test_the_lead_who_records_a_refusal_is_not_told_of_it(case_a, lead_a):
    notice = _submitted_notice(case_a, lead_a)

    reporting_services.takedown_record_outcome(notice=notice, actor=lead_a, status="refused")

    assert rows("takedown-refused") == []


def test_a_refusal_that_conflicts_tells_nobody(case_a, lead_a, deputy_a):
    notice = _submitted_notice(case_a, lead_a)
    reporting_services.takedown_record_outcome(notice=notice, actor=deputy_a, status="removed")

    with pytest.raises(Conflict):
        reporting_services.takedown_record_outcome(
            notice=notice, actor=deputy_a, status="refused", expected_status="submitted"
        )

    assert rows("takedown-refused") == []


# --- a delivery failed → the case's lead; check-ins due → the plan owner ------------------


@pytest.mark.parametrize("language", ["es", "en"])
def test_a_failed_delivery_is_told_to_the_lead_in_their_language(
    referral_a, case_a, lead_a, police, mailoutbox, language
):
    lead_a.language = language
    lead_a.save(update_fields=["language"])
    type(police).objects.filter(pk=police.pk).update(email="")  # the notice cannot leave

    assert deliver_outbox() == {"failed": 1}
    [row] = rows("delivery-failed")
    assert row.recipient_user == lead_a
    assert deliver_outbox() == {"sent": 1}

    [mail] = mailoutbox
    assert mail.to == [lead_a.email]
    if language == "es":
        assert mail.subject == (
            f"Un mensaje de Salvaguarda no se ha podido entregar ({case_a.reference})"
        )
        assert "no hay dirección de correo electrónico para este destinatario" in mail.body
    else:
        assert mail.subject == (
            f"A message from Salvaguarda could not be delivered ({case_a.reference})"
        )
        assert "there is no e-mail address for this recipient" in mail.body
    assert link("dashboard") in mail.body
    assert_no_childs_details(mail, "Denuncia")


@pytest.mark.parametrize("language", ["es", "en"])
def test_check_ins_due_are_told_to_the_plan_owner_in_their_language(
    case_a, lead_a, mailoutbox, language
):
    lead_a.language = language
    lead_a.save(update_fields=["language"])
    victim = case_a.participants.get(role="victim").person
    case_services.support_plan_create(
        case=case_a,
        victim=victim,
        owner=lead_a,
        actor=lead_a,
        first_check_in_at=timezone.now() + timedelta(hours=2),
    )

    check_in_reminders_send(now=timezone.now())
    [row] = rows("check-in-reminder")
    assert row.recipient_user == lead_a
    deliver_outbox()

    [mail] = mailoutbox
    assert mail.subject == (
        "1 seguimiento(s) de apoyo pendiente(s)"
        if language == "es"
        else "1 support check-in(s) due"
    )
    assert link("dashboard") in mail.body
    assert_no_childs_details(mail)


# --- two sweeps at once (real connections) ------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_mark_each_notice_overdue_once_and_tell_the_lead_once(
    directory, case_a, lead_a, mailoutbox
):
    """Two threads, each with its own database connection, sweep together: for each
    notice the second conditional UPDATE waits on the first one's row lock and then
    matches nothing, so each notice is marked and told once, by one of them."""
    past = timezone.now() - timedelta(hours=49)
    notices = [_submitted_notice(case_a, lead_a, submitted_at=past).pk for _ in range(12)]
    barrier = threading.Barrier(2)
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(deadline_sweep()["overdue"])
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    first, second = results
    assert sorted(first + second) == sorted(notices)  # each marked by exactly one
    events = CaseEvent.objects.filter(verb=CaseVerb.TAKEDOWN_OVERDUE)
    assert sorted(events.values_list("object_id", flat=True)) == sorted(notices)
    written = rows("takedown-overdue")
    assert sorted(m.about_id for m in written) == sorted(notices)
    assert deliver_outbox() == {"sent": len(notices)}
    assert len(mailoutbox) == len(notices)
