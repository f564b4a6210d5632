"""One way to see a case: everything a reader may see of it, already cut to them.

``case_view_for_user`` is what every face reads to show a case: the API's case detail
(``api.views_cases.CaseDetailApi``), the web case page (``web.views.case_page_context``)
and the admin's case page (``casefile.admin.CaseAdmin``); the referral packet and the
exports of later issues will read it too. Which part of a case belongs to which section
is declared once, in ``cases.permissions.CASE_PARTS``; which sections a reader is granted
is ``cases.selectors.case_sections_for_user`` (DESIGN rule 2, need to know).

Reading a case is audited by the face that shows it (DESIGN rule 3): each writes one
``AccessEvent`` per page read, on its own channel (``api``, ``web``, ``admin``). This
module only reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from casefile.deliveries import case_deliveries_for_user
from cases.models import (
    Action,
    Case,
    CaseEvent,
    Concern,
    EvidenceItem,
    GuardianContact,
    Participant,
    SupportPlan,
    User,
)
from cases.permissions import case_parts_granted, event_section
from cases.selectors import (
    can_edit_case,
    case_actions,
    case_concerns,
    case_events_for_user,
    case_evidence,
    case_get_for_user,
    case_guardian_contacts,
    case_participants,
    case_referrals_for_user,
    case_sections_for_user,
    case_support_plans,
)
from outbox.models import Message
from reporting.models import (
    AuthorityReport,
    Referral,
    RemovalRouteReport,
    RoutingSuggestion,
    TakedownRequest,
)
from reporting.routing_selectors import case_removal_reports, case_routing

T = TypeVar("T")


@dataclass(frozen=True)
class CaseView:
    """A case as one reader may see it. Built only by :func:`case_view_for_user`.

    ``sections``: the sections granted (``case_sections_for_user``); ``parts``: the
    names of the parts of ``cases.permissions.CASE_PARTS`` shown to this reader. Every
    part the reader may not see is empty (``()`` or ``""``) and was never read from the
    database. ``case`` carries the header (``CASE_HEADER_FIELDS``); do not read a
    restricted field (``summary``, ``closure_reason``) or a relation from it: read the
    view's attribute of the same name.
    """

    case: Case
    sections: frozenset[str]
    parts: frozenset[str]
    # The reader may write to the case (its school's lead or deputy).
    can_edit: bool
    summary: str
    closure_reason: str
    participants: tuple[Participant, ...]
    evidence: tuple[EvidenceItem, ...]
    referrals: tuple[Referral, ...]
    takedowns: tuple[TakedownRequest, ...]
    # Where the case should go (``reporting.routing``): every suggestion, open first.
    routing: tuple[RoutingSuggestion, ...]
    # The victims' own removal reports, as they told the school (LAW.md §3).
    removal_reports: tuple[RemovalRouteReport, ...]
    # Reports to regulators and hotlines: escalations of notices, the AEPD's two routes,
    # the CyberTipline submission (``reporting.models.AuthorityReport``).
    authority_reports: tuple[AuthorityReport, ...]
    support_plans: tuple[SupportPlan, ...]
    events: tuple[CaseEvent, ...]
    actions: tuple[Action, ...]
    guardian_contacts: tuple[GuardianContact, ...]
    concerns: tuple[Concern, ...]
    # The messages sent about the case that the reader may see
    # (``casefile.deliveries.deliveries_visible_to``), newest first.
    deliveries: tuple[Message, ...]

    def shows(self, part: str) -> bool:
        """Whether the reader sees ``part`` (a name of ``CASE_PARTS``)."""
        return part in self.parts


def case_view_for_user(
    *, user: User, case_id: int | str, within: frozenset[str] | None = None
) -> CaseView:
    """Everything ``user`` may see of case ``case_id``, cut to their sections.

    ``within``: cut further to these sections (a document made for one referral, e.g.
    its packet, ``casefile.packets``: the referral's ``shared_sections``, whoever reads
    it — the school's lead sees every section, the packet only what it shares). The
    view's sections are those ``user`` is granted *and* ``within``; the chronology is
    cut to them too (``cases.permissions.event_section``).

    Through the guarded door (``case_get_for_user``): ``cases.exceptions.NotFound``
    when the case does not exist or ``user`` may not see it (the same answer). Then
    each part of ``CASE_PARTS`` whose section ``user`` is granted is read with its
    selector, in a constant number of queries whatever the case holds (one or two per
    part shown, none for a part not shown); referrals are cut to the reader's
    (``case_referrals_for_user``), the messages sent to those the reader may see
    (``casefile.deliveries.case_deliveries_for_user``) and the chronology to their
    sections (``case_events_for_user``). Times are UTC. Writes nothing: the caller records
    the read.
    """
    case = case_get_for_user(user=user, case_id=case_id)
    # Every reader's sections and referrals come from the case's referrals: one query.
    prefetch_related_objects(
        [case],
        Prefetch(
            "referrals", queryset=Referral.objects.select_related("destination", "complainant")
        ),
    )
    sections = case_sections_for_user(user=user, case=case)
    if within is not None:
        sections = sections & within
    parts = case_parts_granted(sections)

    def shown(part: str, read: Callable[[], Iterable[T]]) -> tuple[T, ...]:
        # Read only what is shown: a part not granted costs no query.
        return tuple(read()) if part in parts else ()

    return CaseView(
        case=case,
        sections=sections,
        parts=parts,
        can_edit=can_edit_case(user, case),
        summary=case.summary if "summary" in parts else "",
        closure_reason=case.closure_reason if "closure_reason" in parts else "",
        participants=shown("participants", lambda: case_participants(case=case)),
        evidence=shown("evidence", lambda: case_evidence(case=case)),
        referrals=shown("referrals", lambda: case_referrals_for_user(user=user, case=case)),
        takedowns=shown("takedowns", lambda: _case_takedowns(case)),
        routing=shown("routing", lambda: case_routing(case=case)),
        removal_reports=shown("removal_reports", lambda: case_removal_reports(case=case)),
        authority_reports=shown("authority_reports", lambda: _case_authority_reports(case)),
        support_plans=shown("support_plans", lambda: case_support_plans(case=case)),
        events=shown("events", lambda: _events(user, case, within=within, sections=sections)),
        actions=shown("actions", lambda: case_actions(case=case)),
        guardian_contacts=shown("guardian_contacts", lambda: case_guardian_contacts(case=case)),
        concerns=shown("concerns", lambda: case_concerns(case=case)),
        deliveries=shown("deliveries", lambda: case_deliveries_for_user(user=user, case=case)),
    )


def _events(
    user: User, case: Case, *, within: frozenset[str] | None, sections: frozenset[str]
) -> Iterable[CaseEvent]:
    events = case_events_for_user(user=user, case=case)
    if within is None:
        return events
    # Cut to the view's sections: the reader's own grant may be wider (the school's lead
    # reads every line; a liaison those of every live referral to their unit).
    return [event for event in events if event_section(event.verb) in sections]


def _case_authority_reports(case: Case) -> QuerySet[AuthorityReport]:
    # Granted with the evidence section, as the notices they escalate.
    return AuthorityReport.objects.filter(case=case).select_related(
        "authority", "takedown__platform"
    )


def _case_takedowns(case: Case) -> QuerySet[TakedownRequest]:
    # The section is already granted by the view (``evidence``): no second visibility
    # check, so no second read of the memberships.
    return (
        TakedownRequest.objects.filter(case=case)
        .select_related("platform", "legal_basis", "escalated_to")
        .prefetch_related("evidence_items")
    )
