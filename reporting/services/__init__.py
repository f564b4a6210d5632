"""Writes for everything that leaves the school: referrals and takedown notices.

Each service is one transaction with its ``CaseEvent``; e-mails are queued with
``delay_on_commit`` so nothing is sent for a write that rolled back. Status changes go
through the tables of each module and a compare-and-set UPDATE (a lost race is
``Conflict``, 409).

Import from here (``from reporting import services``), not from the modules:

- ``referrals``: draft, send, acknowledge, close, withdraw and reject a referral
- ``takedowns``: draft and submit a takedown notice, record the platform's answer,
  escalate it, and mark notices overdue (the beat's sweep)
- ``routing``: the routing advice of a case (refresh, accept, dismiss) and the
  victim's own removal routes ledger
- ``cybertipline``: record that the school submitted its CyberTipline report to NCMEC
"""

from reporting.services.cybertipline import cybertipline_filed
from reporting.services.referrals import (
    REFERRAL_DESTINATION_KINDS,
    REFERRAL_TRANSITIONS,
    referral_acknowledge,
    referral_close,
    referral_create,
    referral_reject,
    referral_send,
    referral_withdraw,
)
from reporting.services.routing import (
    ROUTING_TRANSITIONS,
    removal_report_record,
    removal_report_update,
    routing_accept,
    routing_dismiss,
    routing_refresh,
)
from reporting.services.takedowns import (
    TAKEDOWN_OUTCOMES,
    TAKEDOWN_TRANSITIONS,
    takedown_create,
    takedown_escalate,
    takedown_record_outcome,
    takedown_submit,
    takedowns_mark_overdue,
)

__all__ = [
    "REFERRAL_DESTINATION_KINDS",
    "REFERRAL_TRANSITIONS",
    "ROUTING_TRANSITIONS",
    "TAKEDOWN_OUTCOMES",
    "TAKEDOWN_TRANSITIONS",
    "cybertipline_filed",
    "referral_acknowledge",
    "referral_close",
    "referral_create",
    "referral_reject",
    "referral_send",
    "referral_withdraw",
    "removal_report_record",
    "removal_report_update",
    "routing_accept",
    "routing_dismiss",
    "routing_refresh",
    "takedown_create",
    "takedown_escalate",
    "takedown_record_outcome",
    "takedown_submit",
    "takedowns_mark_overdue",
]
