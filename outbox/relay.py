"""The relay: writes messages into the outbox and delivers them (ADR 0010).

Plain services, callable from a shell or a test without Celery; ``outbox.tasks`` only
passes ids and times. Every time is an aware UTC ``datetime``.

- :func:`enqueue` writes a row inside the caller's transaction and, once it commits,
  asks a worker to deliver it at once (a Celery message that may be lost: nothing
  depends on it).
- :func:`deliver` claims one row by compare-and-set, sends it and records the outcome.
- :func:`sweep` (beat, every ``OUTBOX_SWEEP_SECONDS``) delivers every row that is due:
  a retry whose back-off has passed, a row whose Celery message was lost, a row whose
  worker died while sending (its lease ran out).
- :func:`retry` puts a failed row back in the queue.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

from outbox import channels
from outbox.kinds import MessageKind
from outbox.models import Message, WebhookEndpoint
from outbox.signals import message_failed

logger = logging.getLogger(__name__)

MS = Message.State

# Returned by deliver(): what happened to the row in this call.
SENT = "sent"
RETRY = "retry"
FAILED = "failed"
SKIPPED = "skipped"  # not due, or claimed by someone else


@dataclass(frozen=True)
class Recipient:
    """Who a message goes to: exactly one of a user, an organisation's own address, a
    webhook endpoint, or a bare e-mail ``address`` (a platform's abuse address, which
    belongs to no user or organisation of ours: a takedown notice sent by e-mail);
    ``language`` is the code it is written in."""

    language: str
    user: Any = None  # cases.models.User (outbox sits below cases: no import)
    organisation: Any = None  # cases.models.Organisation
    endpoint: WebhookEndpoint | None = None
    address: str = ""


def enqueue(
    *,
    kind: MessageKind,
    recipient: Recipient,
    subject: str = "",
    body: str = "",
    payload: Mapping[str, Any] | None = None,
    school: Any = None,
    case: Any = None,
    about: models.Model | None = None,
    reply_to: str = "",
) -> Message:
    """Write one message to ``recipient`` in the current transaction and deliver it once
    the transaction commits (a rolled-back change sends nothing).

    An e-mail recipient (a user or an organisation) gets ``subject``/``body``; a webhook
    endpoint gets ``payload`` (a JSON object). ``school`` and ``case``: whose message
    it is (the leads who see it and may retry it); ``about``: the referral, notice,
    concern… it concerns; ``reply_to``: an e-mail's ``Reply-To`` (blank: none). Content
    must carry no child's name or details (DESIGN rule 1): a reference and a link.
    Returns the saved row (state ``pending``)."""
    channel = Message.Channel.WEBHOOK if recipient.endpoint is not None else Message.Channel.EMAIL
    message = Message.objects.create(
        kind=kind,
        channel=channel,
        school=school,
        case=case,
        about_type=ContentType.objects.get_for_model(about) if about is not None else None,
        about_id=about.pk if about is not None else None,
        recipient_user=recipient.user,
        recipient_organisation=recipient.organisation,
        endpoint=recipient.endpoint,
        # A bare address is kept on the row and used at each attempt (``_address``).
        address=recipient.address
        if recipient.user is None and recipient.organisation is None
        else "",
        language=recipient.language,
        subject=" ".join(subject.split())[:300],
        body=body,
        payload=dict(payload) if payload is not None else None,
        reply_to=reply_to,
    )
    transaction.on_commit(lambda: kick(message.pk), robust=True)
    return message


# time.monotonic() until which this process does not try the broker again after a
# publish failed (see kick()).
_broker_down_until = 0.0


def kick(message_id: int) -> None:
    """Ask a worker to deliver ``message_id`` now. Never raises and never waits long on
    a broker that is down or silent: one connection attempt, bounded by
    ``CELERY_BROKER_CONNECTION_TIMEOUT`` (config.settings), no publish retries. After a
    failure this process stops trying for ``OUTBOX_SWEEP_SECONDS`` (a request writing
    several rows waits once, not once per row). A row whose message is lost or never
    sent is delivered by the next :func:`sweep`, so a request that saved a change
    always succeeds (issue 9; tests/test_broker_down.py)."""
    global _broker_down_until
    from outbox.tasks import deliver_message  # the task module imports this one

    if time.monotonic() < _broker_down_until:
        logger.warning(
            "outbox: message %s not queued (broker down); the sweep will send it", message_id
        )
        return
    try:
        deliver_message.apply_async((message_id,), retry=False)
    except Exception as exc:  # any broker error: the sweep delivers it
        _broker_down_until = time.monotonic() + settings.OUTBOX_SWEEP_SECONDS
        logger.warning(
            "outbox: message %s not queued (broker unavailable: %s: %s); the sweep will send it",
            message_id,
            exc.__class__.__name__,
            exc,
        )


def due(now: datetime) -> Q:
    """Rows a relay may claim at ``now``: pending and past their back-off, or being sent
    by a relay whose lease has run out (the worker died)."""
    return Q(state=MS.PENDING, next_attempt_at__lte=now) | Q(
        state=MS.SENDING, claimed_until__lt=now
    )


def backoff(attempt: int) -> timedelta:
    """The wait after failed attempt number ``attempt`` (1-based): exponential from
    ``OUTBOX_RETRY_BASE_SECONDS``, capped at ``OUTBOX_RETRY_MAX_SECONDS``, with "equal
    jitter" (between half and all of it), so retries of many messages after an outage
    do not arrive together."""
    ceiling = min(
        settings.OUTBOX_RETRY_MAX_SECONDS,
        settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** (attempt - 1),
    )
    return timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311


def _address(message: Message) -> str:
    """The address to use now: the user's current e-mail (if the account is active),
    the organisation's, or the endpoint's URL (if active); ``""`` if there is none."""
    if message.endpoint is not None:
        return message.endpoint.url if message.endpoint.active else ""
    if message.recipient_user is not None:
        user = message.recipient_user
        return user.email if user.is_active else ""
    if message.recipient_organisation is not None:
        return message.recipient_organisation.email
    return message.address  # a bare address given at enqueue (``Recipient.address``)


def deliver(message_id: int, *, now: datetime | None = None) -> str:
    """Claim message ``message_id`` if it is due, send it, record the outcome; returns
    ``"sent"``, ``"retry"`` (failed, back in the queue after :func:`backoff`),
    ``"failed"`` (last attempt, or no address: the ``message_failed`` signal is sent in
    the same transaction) or ``"skipped"`` (not due, or another relay holds it).

    The claim is an ``UPDATE … WHERE`` the row is due, committed before anything is
    sent: two relays never send one message together. It holds the row for
    ``OUTBOX_LEASE_SECONDS``, longer than any send may take (mail and webhook timeouts
    are shorter). The outcome is recorded at once, and only under this claim's token.
    If the process dies after the receiver took the message and before that record,
    the lease runs out and the message is sent again with the same idempotency key: the
    one repeat we accept rather than a lost message (ADR 0010)."""
    now = now or timezone.now()
    token = uuid.uuid4()
    claimed = Message.objects.filter(due(now), pk=message_id).update(
        state=MS.SENDING,
        claim_token=token,
        claimed_until=now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS),
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return SKIPPED
    message = Message.objects.select_related(
        "recipient_user", "recipient_organisation", "endpoint"
    ).get(pk=message_id)
    address = _address(message)
    error: channels.DeliveryError | None = None
    if not address:
        error = channels.DeliveryError("no address", permanent=True)
    else:
        try:
            if message.endpoint is not None:
                channels.send_webhook(message, message.endpoint)
            else:
                channels.send_email(message, address)
        except channels.DeliveryError as exc:
            error = exc
    mine = Message.objects.filter(pk=message_id, claim_token=token)
    if error is None:
        recorded = mine.update(
            state=MS.SENT,
            sent_at=timezone.now(),
            address=address,
            claimed_until=None,
            last_error="",
        )
        if not recorded:  # our lease ran out and another relay took the row
            logger.warning("outbox: message %s sent after its lease ran out", message_id)
        return SENT
    last = error.permanent or message.attempts >= settings.OUTBOX_MAX_ATTEMPTS
    if not last:
        mine.update(
            state=MS.PENDING,
            next_attempt_at=timezone.now() + backoff(message.attempts),
            address=address,
            claimed_until=None,
            last_error=str(error)[:500],
        )
        logger.info("outbox: message %s attempt %d failed: %s", message_id, message.attempts, error)
        return RETRY
    with transaction.atomic():
        if not mine.update(
            state=MS.FAILED,
            failed_at=timezone.now(),
            address=address,
            claimed_until=None,
            last_error=str(error)[:500],
        ):
            return SKIPPED
        message.refresh_from_db()
        message_failed.send(sender=Message, message=message)
    logger.warning(
        "outbox: message %s failed after %d attempt(s): %s", message_id, message.attempts, error
    )
    return FAILED


def sweep(*, now: datetime | None = None, limit: int | None = None) -> dict[str, int]:
    """Deliver, in this process, up to ``limit`` (default ``OUTBOX_SWEEP_BATCH``) rows
    that are due: oldest due first. A pending row gets ``OUTBOX_SWEEP_GRACE_SECONDS``
    after its due time for its own task to take it first (both may try: the claim lets
    one send). Returns the count of each outcome.

    Each row is claimed at the time of its own claim (``now`` given: at ``now``, as a
    test with a clock of its own wants): a lease counted from the start of a long
    sweep would be shorter than ``OUTBOX_LEASE_SECONDS`` and could let another relay
    take a row this one is still sending."""
    at = now or timezone.now()
    grace = timedelta(seconds=settings.OUTBOX_SWEEP_GRACE_SECONDS)
    ids = list(
        Message.objects.filter(due(at - grace) | Q(state=MS.SENDING, claimed_until__lt=at))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[: limit or settings.OUTBOX_SWEEP_BATCH]
    )
    counts = {SENT: 0, RETRY: 0, FAILED: 0, SKIPPED: 0}
    for pk in ids:
        counts[deliver(pk, now=now)] += 1
    if ids:
        logger.info("outbox sweep: %s", counts)
    return counts


def retry(message_id: int, *, now: datetime | None = None) -> bool:
    """Put failed message ``message_id`` back in the queue with its attempts reset
    (a compare-and-set from ``failed``); it is delivered once the caller's transaction
    commits. The address is looked up again, so a fixed address is used. Returns
    ``False`` if the row is not failed (sent, or retried already)."""
    now = now or timezone.now()
    changed = Message.objects.filter(pk=message_id, state=MS.FAILED).update(
        state=MS.PENDING, attempts=0, next_attempt_at=now, failed_at=None, claim_token=None
    )
    if changed:
        transaction.on_commit(lambda: kick(message_id), robust=True)
    return bool(changed)
