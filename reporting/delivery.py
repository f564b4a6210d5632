"""Delivery of referral notices: the e-mail telling a police unit that a referral
awaits it. Plain services, callable from a shell or a test without Celery;
``reporting.tasks`` only loads ids and calls them.

(Issue 9 replaces the direct send with an outbox; the claim-once rule of ADR 0003 stays.)
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from cases.models import User
from cases.notifications import recipient_language, render_email, send_email, site_link
from cases.permissions import Role
from reporting.models import LIVE_REFERRAL_STATUSES, Referral

logger = logging.getLogger(__name__)

# A sent referral whose notice e-mail has not gone out after this long is queued again
# by the sweep (the first message may have been lost with a broker restart).
RENOTIFY_AFTER = timedelta(minutes=10)


def referral_notice_recipients(referral: Referral) -> dict[str, list[str]]:
    """Who is told of ``referral``, by language: ``{language code: [addresses]}``.

    The destination's active police liaisons with an e-mail address; if it has none,
    the organisation's own address (in ``settings.LANGUAGE_CODE``); else nobody
    (``{}``). Addresses sorted and unique. One query."""
    liaisons = (
        User.objects.filter(
            memberships__organisation=referral.destination_id,
            memberships__role=Role.POLICE_LIAISON,
            is_active=True,
        )
        .exclude(email="")
        .distinct()
    )
    by_language: dict[str, set[str]] = defaultdict(set)
    for user in liaisons:
        by_language[recipient_language(user)].add(user.email)
    if not by_language and referral.destination.email:
        by_language[recipient_language(None)].add(referral.destination.email)
    return {language: sorted(emails) for language, emails in sorted(by_language.items())}


def referral_notice_deliver(*, referral_id: int) -> bool:
    """E-mail the destination's liaisons that referral ``referral_id`` awaits them;
    exactly one e-mail per referral and language under normal failure (ADR 0003).

    The referral row is locked and ``notified_at`` checked and set in one transaction
    around the send: a duplicate or retried call finds it set and does nothing. If the
    process dies after the mail server accepted the message but before commit, the
    task is redelivered (``acks_late``) and the mail is sent again: we prefer a rare
    duplicate notice to a lost one. Nothing is sent for a missing referral, one not
    sent or acknowledged (a draft, withdrawn, rejected, closed), or a destination
    without any address (logged).

    The e-mail (``reporting/email/referral_notice_*.txt``, in each recipient's
    language) carries a link and the case reference only, never a child's name or
    details. Returns ``True`` if sent now. Mail-server errors propagate (the task
    retries)."""
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("destination", "case__school")
            .filter(pk=referral_id)
            .first()
        )
        if referral is None or referral.notified_at is not None:
            return False
        if referral.status not in LIVE_REFERRAL_STATUSES:
            return False
        recipients = referral_notice_recipients(referral)
        if not recipients:
            logger.warning("referral %s: destination has no liaison e-mail", referral.pk)
            return False
        context = {
            "unit": referral.destination.name,
            "reference": referral.case.reference,
            "school": referral.case.school.name,
            "link": site_link("referral", id=referral.pk),
        }
        for language, addresses in recipients.items():
            subject, body = render_email(
                "reporting/email/referral_notice", context, language=language
            )
            send_email(subject, body, addresses, kind="referral-notice")
        Referral.objects.filter(pk=referral.pk).update(notified_at=timezone.now())
    count = sum(len(addresses) for addresses in recipients.values())
    logger.info("referral %s notified to %d recipient(s)", referral_id, count)
    return True


def referral_notices_undelivered(*, now: datetime) -> list[int]:
    """Ids of live (sent or acknowledged) referrals whose notice has not gone out
    although they were sent more than ``RENOTIFY_AFTER`` before ``now`` (aware, UTC):
    the sweep queues their delivery again. Reads only."""
    return list(
        Referral.objects.filter(
            status__in=LIVE_REFERRAL_STATUSES,
            notified_at__isnull=True,
            sent_at__lt=now - RENOTIFY_AFTER,
        ).values_list("pk", flat=True)
    )
