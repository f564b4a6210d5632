"""The outbox relay (``outbox.relay``, ADR 0010) against real receivers: a mail server
that refuses connections (a closed port), and an HTTP server in a thread standing for a
police system's webhook. No mocks: the database and the network are real."""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from cases.deliveries import delivery_retry
from cases.exceptions import Conflict
from cases.models import Organisation
from outbox import channels, relay
from outbox.kinds import MessageKind
from outbox.models import Message, WebhookEndpoint
from tests.factories import ReferralFactory
from tests.outbox import deliver_outbox

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def refusing_mail_server(settings):
    """Django's SMTP backend pointed at a port that refuses connections: every send
    fails with a connection error, as when the mail server is down."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _closed_port()
    settings.EMAIL_TIMEOUT = 2


@pytest.fixture
def endpoint(police_unit, webhook_receiver) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        organisation=police_unit, url=webhook_receiver.url, key_id="pol1-2026", secret="s3cr3t-" * 6
    )


def _test_message(case, lead) -> Message:
    return relay.enqueue(
        kind=MessageKind.TEST,
        recipient=relay.Recipient(language="es", user=lead),
        subject="Prueba",
        body="Cuerpo",
        school=case.school,
        case=case,
    )


def test_a_change_that_rolls_back_leaves_no_message(case_a, lead_a):
    with pytest.raises(RuntimeError), transaction.atomic():
        _test_message(case_a, lead_a)
        raise RuntimeError("the change failed")

    assert not Message.objects.exists()


def test_a_message_is_claimed_once(case_a, lead_a, mailoutbox):
    message = _test_message(case_a, lead_a)
    # Another relay holds it (claimed, lease running): this one does nothing.
    Message.objects.filter(pk=message.pk).update(
        state="sending", claimed_until=timezone.now() + timedelta(minutes=1), attempts=1
    )
    assert relay.deliver(message.pk) == relay.SKIPPED
    assert mailoutbox == []


def test_a_row_left_sending_by_a_dead_worker_is_sent_again_with_the_same_key(
    case_a, lead_a, mailoutbox
):
    message = _test_message(case_a, lead_a)
    # The worker died after its claim (and perhaps after the send): the lease ran out.
    Message.objects.filter(pk=message.pk).update(
        state="sending", claimed_until=timezone.now() - timedelta(seconds=1), attempts=1
    )

    assert relay.sweep(now=timezone.now()) == {"sent": 1, "retry": 0, "failed": 0, "skipped": 0}
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("sent", 2)
    assert mailoutbox[0].extra_headers["Message-ID"] == message.message_id


def test_the_sweep_leaves_fresh_rows_to_their_own_task_for_a_grace_period(case_a, lead_a, settings):
    message = _test_message(case_a, lead_a)

    assert relay.sweep(now=message.next_attempt_at)["sent"] == 0
    later = message.next_attempt_at + timedelta(seconds=settings.OUTBOX_SWEEP_GRACE_SECONDS + 1)
    assert relay.sweep(now=later)["sent"] == 1


def test_a_failed_attempt_backs_off_then_the_last_one_fails_and_the_lead_is_told(
    case_a, lead_a, settings, refusing_mail_server
):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    message = _test_message(case_a, lead_a)

    before = timezone.now()
    assert relay.deliver(message.pk) == relay.RETRY
    message.refresh_from_db()
    wait = (message.next_attempt_at - before).total_seconds()
    base = settings.OUTBOX_RETRY_BASE_SECONDS
    assert (message.state, message.attempts) == ("pending", 1)
    assert base / 2 - 1 <= wait <= base + 1
    assert "ConnectionRefusedError" in message.last_error
    # Not due before its back-off.
    assert relay.deliver(message.pk) == relay.SKIPPED

    assert relay.deliver(message.pk, now=message.next_attempt_at) == relay.RETRY
    message.refresh_from_db()
    assert relay.deliver(message.pk, now=message.next_attempt_at) == relay.FAILED
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("failed", 3)
    assert message.failed_at is not None
    # The lead's notice is written with the failure (and, the mail server being down,
    # waits in the outbox like everything else).
    told = Message.objects.get(kind=MessageKind.DELIVERY_FAILED)
    assert (told.recipient_user, told.case_id, told.about_id) == (lead_a, case_a.pk, message.pk)
    assert case_a.events.filter(verb="delivery.failed", object_id=message.pk).count() == 1


def test_backoff_grows_is_capped_and_jittered(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    settings.OUTBOX_RETRY_MAX_SECONDS = 3600
    for attempt, ceiling in [(1, 30), (2, 60), (5, 480), (8, 3600), (30, 3600)]:
        waits = {relay.backoff(attempt).total_seconds() for _ in range(50)}
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert len(waits) > 1  # jittered


def test_a_lead_sends_a_failed_message_again(case_a, lead_a, police_unit, mailoutbox):
    message = relay.enqueue(
        kind=MessageKind.TEST,
        recipient=relay.Recipient(language="es", organisation=police_unit),
        subject="Prueba",
        body="Cuerpo",
        school=case_a.school,
        case=case_a,
    )
    assert relay.deliver(message.pk) == relay.FAILED  # the unit has no address
    Organisation.objects.filter(pk=police_unit.pk).update(email="guardia@example.org")

    delivery_retry(message=message, actor=lead_a)
    assert relay.deliver(message.pk) == relay.SENT
    assert "guardia@example.org" in {m.to[0] for m in mailoutbox}
    retried = case_a.events.get(verb="delivery.retried")
    assert (retried.actor, retried.object_id) == (lead_a, message.pk)
    # A second retry of a sent message is a conflict and changes nothing.
    with pytest.raises(Conflict):
        delivery_retry(message=message, actor=lead_a)
    assert case_a.events.filter(verb="delivery.retried").count() == 1


def test_webhooks_are_signed_and_carry_the_idempotency_key(
    case_a, lead_a, police_unit, endpoint, webhook_receiver
):
    message = relay.enqueue(
        kind=MessageKind.TEST,
        recipient=relay.Recipient(language="es", endpoint=endpoint),
        payload={"event": "test", "case_reference": case_a.reference},
        school=case_a.school,
        case=case_a,
    )
    assert relay.deliver(message.pk) == relay.SENT

    [(headers, body)] = webhook_receiver.requests
    assert headers["Idempotency-Key"] == str(message.idempotency_key)
    assert headers["X-Salvaguarda-Key-Id"] == "pol1-2026"
    assert channels.verify(endpoint.secret, headers, body)
    assert not channels.verify("another secret", headers, body)
    assert not channels.verify(endpoint.secret, headers, body + b" ")
    document = json.loads(body)
    assert document["id"] == str(message.idempotency_key)
    assert document["data"] == {"event": "test", "case_reference": case_a.reference}


def test_a_webhook_answering_5xx_is_retried_and_4xx_fails(
    case_a, lead_a, endpoint, webhook_receiver
):
    webhook_receiver.answers = [503, 410]
    message = relay.enqueue(
        kind=MessageKind.TEST,
        recipient=relay.Recipient(language="es", endpoint=endpoint),
        payload={"event": "test"},
        school=case_a.school,
        case=case_a,
    )
    assert relay.deliver(message.pk) == relay.RETRY
    message.refresh_from_db()
    assert relay.deliver(message.pk, now=message.next_attempt_at) == relay.FAILED
    message.refresh_from_db()
    assert message.last_error == "webhook answered 410"
    # The same key both times: the receiver can tell a repeat from a new message.
    keys = {headers["Idempotency-Key"] for headers, _ in webhook_receiver.requests}
    assert keys == {str(message.idempotency_key)}


def test_a_referral_sent_to_a_unit_with_a_webhook_reaches_it_too(
    referral_a, police, endpoint, webhook_receiver, mailoutbox
):
    # referral_a was sent before the endpoint existed: send another one.

    referral = ReferralFactory.create(
        case=referral_a.case,
        actor=referral_a.created_by,
        destination=referral_a.destination,
        sent=True,
    )
    deliver_outbox()

    posted = [json.loads(body)["data"] for _, body in webhook_receiver.requests]
    assert posted == [
        {
            "event": "referral.sent",
            "referral": referral.pk,
            "case_reference": referral.case.reference,
            "school": referral.case.school.name,
            "destination": referral.destination.name,
            "link": posted[0]["link"],
        }
    ]
    assert posted[0]["link"].endswith(f"/referrals/{referral.pk}/")


def test_a_webhook_address_must_be_https_in_production(police_unit, settings):
    from django.core.exceptions import ValidationError

    settings.OUTBOX_WEBHOOK_REQUIRE_HTTPS = True
    endpoint = WebhookEndpoint(
        organisation=police_unit, url="http://example.org/hook", key_id="k1", secret="x" * 40
    )
    with pytest.raises(ValidationError) as caught:
        endpoint.full_clean()
    assert "url" in caught.value.message_dict
    endpoint.url = "https://example.org/hook"
    endpoint.full_clean()
