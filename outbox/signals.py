"""Signals of the outbox. Receivers run inside the transaction that changed the
message, so what they write (a notice to the school's leads) commits with it or not at
all."""

from __future__ import annotations

from django.dispatch import Signal

# Sent with ``message=`` (an ``outbox.models.Message`` now ``failed``) once, when its
# last attempt failed or it had no address. ``cases`` connects the receiver that tells
# the school's leads (``cases.deliveries``).
message_failed = Signal()
