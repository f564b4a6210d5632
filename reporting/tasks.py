"""Celery tasks: take ids, re-read rows, call services, idempotent (STYLE.md)."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases.models import CheckIn, Role, SupportPlan
from reporting.models import Referral
from reporting.services import takedowns_mark_overdue

logger = logging.getLogger(__name__)

# A sent referral whose notice e-mail has not gone out after this long is queued again
# by the sweep (the first message may have been lost with a broker restart).
RENOTIFY_AFTER = timedelta(minutes=10)
# Check-ins due within this window are reminded to the plan owner.
CHECK_IN_REMIND_AHEAD = timedelta(hours=24)


def _send(subject: str, body: str, recipients: list[str], *, kind: str) -> None:
    """Send one plain-text e-mail; ``X-Salvaguarda-Kind`` lets mail rules (and tests)
    tell notices from reminders without reading them."""
    EmailMessage(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        recipients,
        headers={"X-Salvaguarda-Kind": kind},
    ).send()


def _referral_recipients(referral: Referral) -> list[str]:
    liaisons = (
        referral.destination.memberships.filter(role=Role.POLICE_LIAISON, user__is_active=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    recipients = sorted(set(liaisons))
    if not recipients and referral.destination.email:
        recipients = [referral.destination.email]
    return recipients


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def referral_notify(referral_id: int) -> bool:
    """E-mail the destination's liaisons that a referral awaits them; exactly one e-mail
    per referral under normal failure.

    The referral row is locked and ``notified_at`` checked and set in one transaction
    around the send: a duplicate or retried task finds it set and does nothing. If the
    worker dies after the mail server accepted the message but before commit, the task
    is redelivered (``acks_late``) and the mail is sent again: we prefer a rare
    duplicate notice to a lost one (ADR 0003). The e-mail carries a link and the case
    reference only, never a child's name or details. Returns ``True`` if sent now.
    """
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("destination", "case__school")
            .filter(pk=referral_id)
            .first()
        )
        if referral is None or referral.notified_at is not None:
            return False
        if referral.status not in {Referral.Status.SENT, Referral.Status.ACKNOWLEDGED}:
            return False
        recipients = _referral_recipients(referral)
        if not recipients:
            logger.warning("referral %s: destination has no liaison e-mail", referral.pk)
            return False
        link = settings.SITE_URL.rstrip("/") + reverse("web:referral", args=[referral.pk])
        with translation.override("es"):
            subject = _("New referral %(reference)s from %(school)s") % {
                "reference": referral.case.reference,
                "school": referral.case.school.name,
            }
            body = _(
                "A school has sent a referral to %(unit)s through Salvaguarda.\n\n"
                "Reference: %(reference)s\nOpen it here (sign-in required): %(link)s\n\n"
                "This message contains no details of the children involved."
            ) % {
                "unit": referral.destination.name,
                "reference": referral.case.reference,
                "link": link,
            }
        _send(subject, body, recipients, kind="referral-notice")
        Referral.objects.filter(pk=referral.pk).update(notified_at=timezone.now())
    logger.info("referral %s notified to %d recipient(s)", referral_id, len(recipients))
    return True


@shared_task(acks_late=True)
def deadline_sweep() -> dict[str, list[int]]:
    """Beat job (every ``CELERY_DEADLINE_SWEEP_SECONDS``): mark overdue takedown notices,
    re-queue referral notices not yet delivered, and remind owners of check-ins due in
    the next 24 h (each reminder claimed once through ``reminded_at``).
    Returns the ids acted on, by kind."""
    now = timezone.now()
    overdue = takedowns_mark_overdue(now=now)

    stale = list(
        Referral.objects.filter(
            status__in=[Referral.Status.SENT, Referral.Status.ACKNOWLEDGED],
            notified_at__isnull=True,
            sent_at__lt=now - RENOTIFY_AFTER,
        ).values_list("pk", flat=True)
    )
    for pk in stale:
        referral_notify.delay(pk)

    due = list(
        CheckIn.objects.filter(
            held_at__isnull=True,
            reminded_at__isnull=True,
            due_at__lte=now + CHECK_IN_REMIND_AHEAD,
            plan__status=SupportPlan.Status.ACTIVE,
        ).values_list("pk", "plan__owner__email")
    )
    reminded: list[int] = []
    by_owner: dict[str, int] = {}
    for pk, email in due:
        if CheckIn.objects.filter(pk=pk, reminded_at__isnull=True).update(reminded_at=now):
            reminded.append(pk)
            if email:
                by_owner[email] = by_owner.get(email, 0) + 1
    for email, count in by_owner.items():
        with translation.override("es"):
            _send(
                _("%(n)d support check-in(s) due") % {"n": count},
                _("You have %(n)d check-in(s) due in the next 24 hours: %(link)s")
                % {"n": count, "link": settings.SITE_URL.rstrip("/") + reverse("web:dashboard")},
                [email],
                kind="check-in-reminder",
            )
    if overdue or stale or reminded:
        logger.info(
            "sweep: %d overdue, %d re-queued, %d check-ins reminded",
            len(overdue),
            len(stale),
            len(reminded),
        )
    return {"overdue": overdue, "requeued": stale, "check_ins_reminded": reminded}
