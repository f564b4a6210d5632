"""Celery tasks of the outbox: take ids, call ``outbox.relay`` (STYLE.md)."""

from __future__ import annotations

from celery import shared_task

from outbox import relay


# acks_late + reject_on_worker_lost: a worker killed mid-task gives the message back to
# the broker. Duplicates are harmless (the claim is a compare-and-set); a lost message
# is harmless too (the sweep finds the row).
@shared_task(acks_late=True, reject_on_worker_lost=True)
def deliver_message(message_id: int) -> str:
    """Deliver outbox message ``message_id`` if it is due
    (:func:`outbox.relay.deliver`); returns the outcome."""
    return relay.deliver(message_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sweep() -> dict[str, int]:
    """Beat job (every ``OUTBOX_SWEEP_SECONDS``): deliver every due message
    (:func:`outbox.relay.sweep`); returns the count of each outcome."""
    return relay.sweep()
