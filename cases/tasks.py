"""Celery tasks of the case file: take ids or times, call services (STYLE.md)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from cases.reminders import check_in_reminders_send


@shared_task(acks_late=True)
def check_in_reminders() -> list[int]:
    """Beat job (every ``CELERY_CHECK_IN_REMINDER_SECONDS``): remind owners of the
    check-ins due in the next 24 h (:func:`cases.reminders.check_in_reminders_send`,
    each claimed once). Returns the check-in ids reminded."""
    return check_in_reminders_send(now=timezone.now())
