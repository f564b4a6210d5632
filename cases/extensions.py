"""What other apps add to a case, without ``cases`` importing them (ADR 0007).

``cases`` sits below ``reporting``: it may not import it (an import-linter contract in
``make test`` checks). Two rules of the case file nevertheless depend on what reporting
holds, so reporting plugs them in here from ``ReportingConfig.ready()``:

- **visibility grants**: who else may open a case besides its school's safeguarding
  lead and deputies (a police liaison while a referral to their unit is live, DESIGN
  rule 2). ``Case.objects.visible_to`` ORs every grant's condition into its filter.
- **closure checks**: what still keeps a case from being closed (an open referral or
  takedown notice). ``cases.services.case_close`` refuses the close with every
  problem the checks report.

Hooks are registered once at start-up (registering the same function again is a no-op)
and are called in registration order. With no app registered, a case is visible to its
school only and closes with only the case file's own checks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.db.models import Q

    from cases.models import Case, Membership, User

# ``(user, memberships) -> Q | None``: the extra cases ``user`` may see, as a condition on
# ``Case``, or ``None`` for none. ``memberships`` are the user's memberships, already
# read by ``visible_to`` (pass them on rather than query again: the case list's query
# count is a quality bar). Called only for an authenticated, active user.
VisibilityGrant = Callable[["User", Sequence["Membership"]], "Q | None"]

# ``(case) -> list[str]``: the reasons, translated, why ``case`` may not be closed now;
# empty if nothing of this app stands in the way. Called inside ``case_close``'s
# transaction with the case row locked (``cases.services.lock_open_case``'s lock), so
# nothing can be added between the check and the close.
ClosureCheck = Callable[["Case"], list[str]]

_visibility_grants: list[VisibilityGrant] = []
_closure_checks: list[ClosureCheck] = []


def register_visibility_grant(grant: VisibilityGrant) -> None:
    """Add ``grant`` to the conditions of ``Case.objects.visible_to`` (see
    :data:`VisibilityGrant`). Call from an ``AppConfig.ready()``; idempotent."""
    if grant not in _visibility_grants:
        _visibility_grants.append(grant)


def register_closure_check(check: ClosureCheck) -> None:
    """Add ``check`` to what ``case_close`` verifies (see :data:`ClosureCheck`). Call
    from an ``AppConfig.ready()``; idempotent."""
    if check not in _closure_checks:
        _closure_checks.append(check)


def visibility_grants() -> tuple[VisibilityGrant, ...]:
    """The registered visibility grants, in registration order."""
    return tuple(_visibility_grants)


def closure_checks() -> tuple[ClosureCheck, ...]:
    """The registered closure checks, in registration order."""
    return tuple(_closure_checks)
