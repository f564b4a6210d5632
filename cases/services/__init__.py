"""Writes to the case file. Each service is one transaction that writes its
``CaseEvent`` (chronology + write audit) and sends side effects on commit.

Errors: ``django.core.exceptions.ValidationError`` (bad input, HTTP 400, nothing
written), ``cases.exceptions.Conflict`` (status race or forbidden transition, 409).
Callers pass objects they obtained through the visibility selectors; services do not
re-check who may see what, they check what the domain allows.

One module per part of the case file; import from here (``from cases import services``,
``from cases.services import case_open``), not from the modules:

- ``cases``: open, edit, close and reopen a case; the case row lock (``lock_open_case``)
- ``concerns``: log a concern
- ``people``: people of a school, their roles in a case, contacts with guardians
- ``evidence``: where evidence is and its hashes
- ``support``: support plans, measures and check-ins
- ``actions``: tasks on a case
- ``_common``: validation and the plausibility of dates, shared by the above
"""

from cases.services._common import (
    ACTION_DUE_MAX_AHEAD,
    CHECK_IN_MAX_AHEAD,
    EARLIEST_PLAUSIBLE,
    MEASURE_START_MAX_AHEAD,
    validate_plausible,
)
from cases.services.actions import action_complete, action_create
from cases.services.cases import (
    CASE_TRANSITIONS,
    case_close,
    case_open,
    case_reopen,
    case_update_flags,
    lock_open_case,
)
from cases.services.concerns import concern_log
from cases.services.evidence import evidence_record
from cases.services.people import (
    PUPIL_MAX_AGE,
    PUPIL_MIN_AGE,
    ROLE_KINDS,
    guardian_contact_record,
    participant_add,
    person_create,
)
from cases.services.support import check_in_record, support_measure_add, support_plan_create

__all__ = [
    "ACTION_DUE_MAX_AHEAD",
    "CASE_TRANSITIONS",
    "CHECK_IN_MAX_AHEAD",
    "EARLIEST_PLAUSIBLE",
    "MEASURE_START_MAX_AHEAD",
    "PUPIL_MAX_AGE",
    "PUPIL_MIN_AGE",
    "ROLE_KINDS",
    "action_complete",
    "action_create",
    "case_close",
    "case_open",
    "case_reopen",
    "case_update_flags",
    "check_in_record",
    "concern_log",
    "evidence_record",
    "guardian_contact_record",
    "lock_open_case",
    "participant_add",
    "person_create",
    "support_measure_add",
    "support_plan_create",
    "validate_plausible",
]
