"""Delivering the outbox inside a test, as the worker does (``outbox.relay.deliver`` on
each due row). In a test wrapped in a transaction, ``on_commit`` never fires, so the
Celery message a commit would send never leaves: call :func:`deliver_outbox` instead."""

from __future__ import annotations

from collections import Counter

from django.utils import timezone

from outbox import relay
from outbox.models import Message


def deliver_outbox() -> Counter[str]:
    """Deliver every row that is due now, once each (rows that fail and come back later
    wait for their back-off). Returns the count of each outcome."""
    due = Message.objects.filter(relay.due(timezone.now())).order_by("pk")
    return Counter(relay.deliver(pk) for pk in due.values_list("pk", flat=True))
