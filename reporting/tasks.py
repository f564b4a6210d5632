"""Celery tasks: take ids, call services, idempotent (STYLE.md). The logic lives in
``reporting.services``, callable without Celery. (Messages are delivered by
``outbox.tasks``.)"""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from reporting.services import takedowns_mark_overdue

__all__ = ["deadline_sweep"]

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def deadline_sweep() -> dict[str, list[int]]:
    """Beat job (every ``CELERY_DEADLINE_SWEEP_SECONDS``): mark overdue takedown notices
    (each with its notice to the lead, in the same transaction). Returns the ids marked.
    (Check-in reminders are ``cases.tasks.check_in_reminders``, their own beat entry.)"""
    overdue = takedowns_mark_overdue(now=timezone.now())
    if overdue:
        logger.info("sweep: %d overdue", len(overdue))
    return {"overdue": overdue}
