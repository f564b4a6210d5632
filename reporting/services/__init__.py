"""Writes for everything that leaves the school: referrals and takedown notices.

Each service is one transaction with its ``CaseEvent``; e-mails are queued with
``delay_on_commit`` so nothing is sent for a write that rolled back. Status changes go
through the tables of each module and a compare-and-set UPDATE (a lost race is
``Conflict``, 409).

Import from here (``from reporting import services``), not from the modules:

- ``referrals``: draft, send, acknowledge, close, withdraw and reject a referral
- ``takedowns``: draft and submit a takedown notice (one or all of an incident's),
  record the platform's answer, escalate it, and mark notices overdue (the beat's sweep)
- ``authority_reports``: reports to the FTC, Ofcom and the AEPD: drafted once when a
  notice escalates (``escalation_drafts``) or by hand, filed, answered
- ``routing``: the routing advice of a case (refresh, accept, dismiss) and the
  victim's own removal routes ledger
- ``cybertipline``: record that the school submitted its CyberTipline report to NCMEC
"""

from reporting.services.authority_reports import (
    AUTHORITY_REPORT_TRANSITIONS,
    authority_report_create,
    authority_report_file,
    authority_report_record_answer,
)
from reporting.services.cybertipline import cybertipline_filed
from reporting.services.escalation_drafts import escalation_draft_for_notice
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
    default_notice_language,
    takedown_create,
    takedown_escalate,
    takedown_record_outcome,
    takedown_submit,
    takedowns_draft_for_case,
    takedowns_mark_overdue,
    validate_basis_applies,
    validate_signature,
)

__all__ = [
    "AUTHORITY_REPORT_TRANSITIONS",
    "REFERRAL_DESTINATION_KINDS",
    "REFERRAL_TRANSITIONS",
    "ROUTING_TRANSITIONS",
    "TAKEDOWN_OUTCOMES",
    "TAKEDOWN_TRANSITIONS",
    "authority_report_create",
    "authority_report_file",
    "authority_report_record_answer",
    "cybertipline_filed",
    "default_notice_language",
    "escalation_draft_for_notice",
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
    "takedowns_draft_for_case",
    "takedowns_mark_overdue",
    "validate_basis_applies",
    "validate_signature",
]
