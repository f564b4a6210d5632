"""What other apps add to a case, without ``cases`` importing them (ADR 0007).

``cases`` sits below ``reporting``: it may not import it (an import-linter contract in
``make test`` checks). Two rules of the case file nevertheless depend on what reporting
holds, so reporting plugs them in here from ``ReportingConfig.ready()``:

- **visibility grants**: who else may open a case besides its school's safeguarding
  lead and deputies (a police liaison while a referral to their unit is live, DESIGN
  rule 2). ``Case.objects.visible_to`` ORs every grant's condition into its filter.
- **section grants**: which sections of a visible case a reader other than the
  school's leads may read (a police liaison: the sections the live referrals to their
  unit share), for one case and as a condition over cases. ``cases.selectors``
  (``case_sections_for_user``, ``cases_sharing_section_for_user``) reads them.
- **closure checks**: what still keeps a case from being closed (an open referral or
  takedown notice). ``cases.services.case_close`` refuses the close with every
  problem the checks report.
- **case-changed hooks**: what must follow a change of what a case is (reporting's
  routing advice, ``reporting.services.routing_refresh``). The ``cases`` services that
  change what routing reads call :func:`case_changed` at their end, inside their
  transaction and under the case row lock: ``case_open``, ``case_update_flags``,
  ``participant_add`` and ``evidence_record``.

Hooks are registered once at start-up (registering the same function again is a no-op)
and are called in registration order. With no app registered, a case is visible to its
school only and closes with only the case file's own checks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from django.db.models import Q

    from cases.audit import AuditContext
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

# ``(case, context) -> object``: called once ``case`` opened or changed (its flags,
# category, risk, participants or evidence), inside the changing service's transaction
# with the case row locked, after its chronology line. ``context`` is the change's audit
# context (pass it on to the lines the hook writes). Raising rolls the change back: a
# hook should not fail on a valid case. Keep it cheap (a handful of queries): every
# such write pays for it.
CaseChangedHook = Callable[["Case", "AuditContext"], object]


class SectionGrant(Protocol):
    """Sections of a case granted to a reader through their units (police units)."""

    def sections_of(self, case: Case, units: frozenset[int]) -> set[str]:
        """The sections of the visible ``case`` readable by a member of ``units``
        (organisation ids). May read ``case.referrals`` (prefetched by
        ``casefile.selectors.case_view_for_user``); no other query."""
        ...

    def cases_sharing(self, section: str, units: frozenset[int]) -> Q | None:
        """A condition on ``Case``: the cases whose ``section`` a member of ``units``
        may read; ``None`` for none. No query of its own (a subquery at most)."""
        ...


_visibility_grants: list[VisibilityGrant] = []
_section_grants: list[SectionGrant] = []
_closure_checks: list[ClosureCheck] = []
_case_changed_hooks: list[CaseChangedHook] = []


def register_visibility_grant(grant: VisibilityGrant) -> None:
    """Add ``grant`` to the conditions of ``Case.objects.visible_to`` (see
    :data:`VisibilityGrant`). Call from an ``AppConfig.ready()``; idempotent."""
    if grant not in _visibility_grants:
        _visibility_grants.append(grant)


def register_section_grant(grant: SectionGrant) -> None:
    """Add ``grant`` to the sections ``cases.selectors`` grants beyond the school's own
    leads (see :class:`SectionGrant`). Call from an ``AppConfig.ready()``; idempotent."""
    if grant not in _section_grants:
        _section_grants.append(grant)


def register_closure_check(check: ClosureCheck) -> None:
    """Add ``check`` to what ``case_close`` verifies (see :data:`ClosureCheck`). Call
    from an ``AppConfig.ready()``; idempotent."""
    if check not in _closure_checks:
        _closure_checks.append(check)


def register_case_changed(hook: CaseChangedHook) -> None:
    """Add ``hook`` to what :func:`case_changed` calls (see :data:`CaseChangedHook`).
    Call from an ``AppConfig.ready()``; idempotent."""
    if hook not in _case_changed_hooks:
        _case_changed_hooks.append(hook)


def visibility_grants() -> tuple[VisibilityGrant, ...]:
    """The registered visibility grants, in registration order."""
    return tuple(_visibility_grants)


def section_grants() -> tuple[SectionGrant, ...]:
    """The registered section grants, in registration order."""
    return tuple(_section_grants)


def closure_checks() -> tuple[ClosureCheck, ...]:
    """The registered closure checks, in registration order."""
    return tuple(_closure_checks)


def case_changed_hooks() -> tuple[CaseChangedHook, ...]:
    """The registered case-changed hooks, in registration order."""
    return tuple(_case_changed_hooks)


def case_changed(case: Case, context: AuditContext) -> None:
    """Call every case-changed hook with ``case`` and ``context``: from the ``cases``
    services that change what a case is, at their end (see the module docstring)."""
    for hook in _case_changed_hooks:
        hook(case, context)
