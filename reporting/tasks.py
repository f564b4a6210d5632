"""Celery tasks: take ids, call services, idempotent (STYLE.md). The logic lives in
``reporting.delivery`` and ``reporting.services``, callable without Celery."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from reporting.delivery import (
    RENOTIFY_AFTER,
    referral_notice_deliver,
    referral_notices_undelivered,
)
from reporting.services import takedowns_mark_overdue

__all__ = ["RENOTIFY_AFTER", "deadline_sweep", "referral_notify"]

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def referral_notify(referral_id: int) -> bool:
    """Deliver the notice of referral ``referral_id``
    (:func:`reporting.delivery.referral_notice_deliver`: exactly once under normal
    failure, ADR 0003). Retried on mail-server errors. Returns ``True`` if sent now."""
    return referral_notice_deliver(referral_id=referral_id)


@shared_task(acks_late=True)
def deadline_sweep() -> dict[str, list[int]]:
    """Beat job (every ``CELERY_DEADLINE_SWEEP_SECONDS``): mark overdue takedown notices
    and re-queue referral notices not yet delivered. Returns the ids acted on, by kind.
    (Check-in reminders are ``cases.tasks.check_in_reminders``, their own beat entry.)"""
    now = timezone.now()
    overdue = takedowns_mark_overdue(now=now)
    stale = referral_notices_undelivered(now=now)
    for pk in stale:
        referral_notify.delay(pk)
    if overdue or stale:
        logger.info("sweep: %d overdue, %d re-queued", len(overdue), len(stale))
    return {"overdue": overdue, "requeued": stale}
