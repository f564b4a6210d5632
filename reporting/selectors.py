"""Reads of referrals, takedown notices and case clusters, with the visibility rule.

Every function takes the requesting ``user`` and returns only what DESIGN rule 2
("need to know") lets them see. A row the user may not see raises
``cases.exceptions.NotFound``, exactly like a row that does not exist (through
``cases.denials.refused``, which notes the refusal when the row exists: issue 7).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from django.db import models
from django.db.models import BooleanField, Q, QuerySet, Value
from django.utils import timezone

from cases.denials import refused
from cases.exceptions import NotFound
from cases.models import Case, EvidenceItem, Participant, Person, User
from cases.permissions import CASE_SECTION_PARTICIPANTS
from cases.selectors import (
    CASE_SECTION_EVIDENCE,
    cases_sharing_section_for_user,
    check_ins_due_for_user,
    open_cases_for_user,
    schools_owned_by,
    units_of,
)
from reporting.models import (
    LIVE_REFERRAL_STATUSES,
    AuthorityReport,
    GeneratedDocument,
    Referral,
    TakedownRequest,
)

# PDQ matching thresholds (Meta's PDQ, 256-bit hashes):
# - two hashes match when their Hamming distance is <= 31 bits: the "confident match"
#   threshold of the PDQ reference implementation (ThreatExchange, python-threatexchange
#   ``PDQ_CONFIDENT_MATCH_THRESHOLD = 31``; hashing/hashing.pdf, "PDQ" section);
# - a hash is used only if its quality is >= 50: the PDQ paper and README advise
#   discarding lower-quality hashes (flat or featureless images give unreliable bits).
PDQ_MATCH_MAX_DISTANCE = 31
PDQ_MIN_QUALITY = 50


def _pk(value: int | str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound from None


def referral_list_for_user(*, user: User) -> QuerySet[Referral]:
    """Referrals ``user`` may see, each annotated with ``case_data_visible`` (bool).

    - safeguarding lead / deputy: every referral of their schools' cases, any status;
    - police liaison: referrals to their unit that were ever sent (the inbox keeps
      closed, rejected and withdrawn ones), never drafts. ``case_data_visible`` is true
      only while the referral is live (sent or acknowledged): DESIGN rule 2, "a police
      liaison sees only what was referred to their unit, while the referral is live";
    - anyone else: nothing.
    Constant number of queries: case, school and destination are joined.
    """
    owned = schools_owned_by(user)
    units = units_of(user)
    visible = Q(pk__in=[])
    if owned:
        visible |= Q(case__school_id__in=owned)
    if units:
        visible |= Q(destination_id__in=units, sent_at__isnull=False)
    case_data = Q(pk__in=[])
    if owned:
        case_data |= Q(case__school_id__in=owned)
    if units:
        case_data |= Q(destination_id__in=units, status__in=LIVE_REFERRAL_STATUSES)
    return (
        Referral.objects.filter(visible)
        .annotate(
            case_data_visible=models.Case(
                models.When(case_data, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .select_related("case__school", "destination", "complainant")
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class ReferralPeople:
    """Who a referral is about, as its reader may know it: ``shared`` is false when the
    reader may not see the case's people through this referral (a liaison of a
    referral that does not share "People and roles", or no longer live); then
    ``complainant`` is ``None`` and ``victims`` empty ("not shared", never a name)."""

    shared: bool
    complainant: Person | None = None
    victims: tuple[Person, ...] = ()


def referral_people_for_user(
    *, user: User, referrals: Iterable[Referral]
) -> dict[int, ReferralPeople]:
    """For each of ``referrals`` (from :func:`referral_list_for_user`, so annotated
    with ``case_data_visible``), the complainant and the victims of its case, keyed by
    referral id: for the school's lead or deputy always; for the destination's liaison
    only while the referral is live and shares ``participants`` (DESIGN rule 2). The
    inbox and the referral page show them (issue 10: "which victim each is about").
    One query for all the referrals' victims (the complainant is joined by the list)."""
    referrals = list(referrals)
    owned = set(schools_owned_by(user))
    shown = [
        r
        for r in referrals
        if case_data_visible(r)
        and (r.case.school_id in owned or CASE_SECTION_PARTICIPANTS in (r.shared_sections or []))
    ]
    victims: dict[int, list[Person]] = defaultdict(list)
    for participant in Participant.objects.filter(
        case_id__in={r.case_id for r in shown}, role=Participant.Role.VICTIM
    ).select_related("person"):
        victims[participant.case_id].append(participant.person)
    people = {r.pk: ReferralPeople(shared=False) for r in referrals}
    for r in shown:
        people[r.pk] = ReferralPeople(
            shared=True, complainant=r.complainant, victims=tuple(victims[r.case_id])
        )
    return people


def referral_documents(*, referral: Referral) -> QuerySet[GeneratedDocument]:
    """The documents generated from ``referral`` (its packets), newest first, each with
    its SHA-256 so a recipient can check a copy. ``referral`` must come from
    :func:`referral_get_for_user` and the reader be one who may download its packet."""
    return GeneratedDocument.objects.filter(referral=referral).order_by("-generated_at", "-id")


def referral_get_for_user(*, user: User, referral_id: int | str) -> Referral:
    """The referral ``referral_id`` if ``user`` may see it (see
    :func:`referral_list_for_user`), annotated with ``case_data_visible``; else
    ``NotFound`` (HTTP 404, never 403)."""
    pk = _pk(referral_id)
    referral = referral_list_for_user(user=user).filter(pk=pk).first()
    if referral is None:
        raise refused(
            user=user, records=Referral.objects, object_id=pk, school_field="case__school_id"
        )
    return referral


def case_data_visible(referral: Referral) -> bool:
    """Whether the reader may see ``referral``'s case data: the ``case_data_visible``
    annotation of :func:`referral_list_for_user` (the school always, the destination only
    while the referral is live; DESIGN rule 2). ``False`` for a referral read any other
    way. For every face (API, web, admin)."""
    # A query annotation, unknown to the model's type (the selectors return
    # ``QuerySet[Referral]``): read by name.
    return getattr(referral, "case_data_visible", False) is True


def can_act_for_school(user: User, referral: Referral) -> bool:
    """The school's safeguarding lead or deputy sends, withdraws and drafts referrals."""
    return referral.case.school_id in schools_owned_by(user)


def can_act_for_destination(user: User, referral: Referral) -> bool:
    """Only a police liaison of the destination acknowledges, rejects or closes."""
    return referral.destination_id in units_of(user)


def takedown_list_for_user(*, user: User) -> QuerySet[TakedownRequest]:
    """Takedown notices ``user`` may see. A notice lists evidence items and belongs to
    the ``evidence`` section of its case: a school's leads see their schools' notices;
    a police liaison sees, read-only, the notices of cases with a live referral to their
    unit that shares ``evidence`` (``cases_sharing_section_for_user``). Constant number
    of queries."""
    return (
        TakedownRequest.objects.filter(
            case__in=cases_sharing_section_for_user(user=user, section=CASE_SECTION_EVIDENCE)
        )
        .select_related("case__school", "platform", "legal_basis", "escalated_to")
        .prefetch_related("evidence_items")
        .order_by("-created_at", "-id")
    )


def takedown_get_for_user(*, user: User, takedown_id: int | str) -> TakedownRequest:
    """The notice ``takedown_id`` if ``user`` may see it; else ``NotFound`` (404)."""
    pk = _pk(takedown_id)
    notice = takedown_list_for_user(user=user).filter(pk=pk).first()
    if notice is None:
        raise refused(
            user=user, records=TakedownRequest.objects, object_id=pk, school_field="case__school_id"
        )
    return notice


def authority_report_list_for_user(*, user: User) -> QuerySet[AuthorityReport]:
    """Reports to authorities ``user`` may see: they escalate takedown notices and go
    with them in the ``evidence`` section of their case (``CASE_PARTS``), so the same
    rule as :func:`takedown_list_for_user`: a school's leads see their schools'; a
    police liaison sees, read-only, those of cases with a live referral to their unit
    sharing ``evidence``. Newest first. Constant number of queries."""
    return (
        AuthorityReport.objects.filter(
            case__in=cases_sharing_section_for_user(user=user, section=CASE_SECTION_EVIDENCE)
        )
        .select_related("case__school", "authority", "takedown__platform")
        .order_by("-created_at", "-id")
    )


def authority_report_get_for_user(*, user: User, report_id: int | str) -> AuthorityReport:
    """The report ``report_id`` if ``user`` may see it; else ``NotFound`` (404)."""
    pk = _pk(report_id)
    report = authority_report_list_for_user(user=user).filter(pk=pk).first()
    if report is None:
        raise refused(
            user=user, records=AuthorityReport.objects, object_id=pk, school_field="case__school_id"
        )
    return report


def overdue_takedowns_for_user(
    *, user: User, now: datetime | None = None
) -> QuerySet[TakedownRequest]:
    """Overdue takedown notices of the schools whose cases ``user`` owns (lead or
    deputy; anyone else: none), oldest deadline first. The one definition the API and
    web dashboards share.

    Overdue means the clock ran out and the platform has not resolved it: status
    ``overdue`` (marked by the beat job, DESIGN rule 5); ``submitted`` or
    ``acknowledged`` with ``deadline_at`` before ``now`` (UTC, default the current
    time; the beat job may not have run yet); or ``escalated`` with ``deadline_at``
    passed (escalating does not remove the content). Removed and refused notices are
    resolved; drafts have no clock.
    """
    now = now or timezone.now()
    owned = Case.objects.visible_to(user).filter(school_id__in=schools_owned_by(user))
    return (
        TakedownRequest.objects.filter(case__in=owned)
        .filter(
            Q(status=TakedownRequest.Status.OVERDUE)
            | Q(
                status__in=[
                    TakedownRequest.Status.SUBMITTED,
                    TakedownRequest.Status.ACKNOWLEDGED,
                    TakedownRequest.Status.ESCALATED,
                ],
                deadline_at__lt=now,
            )
        )
        .select_related("case__school", "platform", "legal_basis")
        .order_by("deadline_at", "id")
    )


def dashboard_for_user(*, user: User) -> dict[str, int]:
    """Counts for the API dashboard: open cases ``user`` may see
    (``cases.selectors.open_cases_for_user``, the web dashboard's count too), overdue
    takedown notices (:func:`overdue_takedowns_for_user`, the same list the web
    dashboard shows) and
    check-ins due within 7 days (including late ones) of the schools they own
    (``cases.selectors.check_ins_due_for_user``). Three ``COUNT`` queries after the
    reader's memberships.

    It lives here, above ``cases``, because it counts what both apps hold: ``cases``
    may not import reporting (ADR 0007)."""
    return {
        "open_cases": open_cases_for_user(user=user).count(),
        "overdue_takedowns": overdue_takedowns_for_user(user=user).count(),
        "check_ins_due_this_week": check_ins_due_for_user(user=user).count(),
    }


@dataclass
class CaseCluster:
    """Cases linked by shared evidence. ``match`` is ``"sha256"`` when identical
    SHA-256 hashes alone connect every case of the cluster, else ``"pdq"``; ``hashes``
    are the SHA-256 and PDQ values that formed the links (sorted)."""

    cases: list[Case]
    match: Literal["sha256", "pdq"]
    hashes: list[str] = field(default_factory=list)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def case_clusters_for_user(*, user: User) -> list[CaseCluster]:
    """Groups of >= 2 cases visible to ``user`` whose evidence shares an identical
    SHA-256, or PDQ hashes within Hamming distance ``PDQ_MATCH_MAX_DISTANCE`` (31) where
    both hashes have quality >= ``PDQ_MIN_QUALITY`` (50); see the constants' sources.

    Only cases whose evidence ``user`` may read take part
    (``cases_sharing_section_for_user(section="evidence")``), so a lead sees links
    within their school and a police liaison across the schools whose live referrals
    to their unit share the evidence (a referral sharing only the chronology adds
    nothing: its hashes are not the liaison's to compare).
    PDQ comparison is pairwise in Python over distinct hashes (O(n²), fine for hundreds
    of items; an index such as FAISS/MIH comes when volumes need it). Two queries.
    Clusters are ordered by their lowest case id; cases within by id.
    """
    items = EvidenceItem.objects.filter(
        case__in=cases_sharing_section_for_user(user=user, section=CASE_SECTION_EVIDENCE),
    ).filter(~Q(sha256="") | Q(~Q(pdq=""), pdq_quality__gte=PDQ_MIN_QUALITY))
    by_sha: dict[str, set[int]] = defaultdict(set)
    by_pdq: dict[str, set[int]] = defaultdict(set)
    for case_id, sha256, pdq, quality in items.values_list(
        "case_id", "sha256", "pdq", "pdq_quality"
    ):
        if sha256:
            by_sha[sha256].add(case_id)
        if pdq and quality is not None and quality >= PDQ_MIN_QUALITY:
            by_pdq[pdq].add(case_id)

    # Union-find twice: once over SHA-256 links only (to tell exact-copy clusters
    # apart), once over every link.
    exact, linked = _UnionFind(), _UnionFind()
    link_hashes: dict[int, set[str]] = defaultdict(set)  # first case id -> hashes
    for sha256, case_ids in by_sha.items():
        first, *rest = sorted(case_ids)
        for other in rest:
            exact.union(first, other)
            linked.union(first, other)
        if rest:
            link_hashes[first].add(sha256)

    pdq_groups = [(pdq, int(pdq, 16), sorted(ids)) for pdq, ids in by_pdq.items()]
    for pdq, _value, sorted_ids in pdq_groups:  # identical PDQ hash in several cases
        for other in sorted_ids[1:]:
            linked.union(sorted_ids[0], other)
        if len(sorted_ids) > 1:
            link_hashes[sorted_ids[0]].add(pdq)
    for i, (pdq_a, value_a, ids_a) in enumerate(pdq_groups):
        for pdq_b, value_b, ids_b in pdq_groups[i + 1 :]:
            if (value_a ^ value_b).bit_count() > PDQ_MATCH_MAX_DISTANCE:
                continue
            if ids_a == ids_b and len(ids_a) == 1:
                continue  # two near-identical images within one case link nothing
            linked.union(ids_a[0], ids_b[0])
            link_hashes[ids_a[0]].update((pdq_a, pdq_b))

    members: dict[int, set[int]] = defaultdict(set)
    for case_id in list(linked.parent):
        members[linked.find(case_id)].add(case_id)
    groups = {root: ids for root, ids in members.items() if len(ids) >= 2}
    if not groups:
        return []
    cases = Case.objects.select_related("school").in_bulk(
        [pk for ids in groups.values() for pk in ids]
    )
    clusters: list[CaseCluster] = []
    for root in sorted(groups):
        ids = sorted(groups[root])
        hashes: set[str] = set()
        for case_id in ids:
            hashes |= link_hashes.get(case_id, set())
        match: Literal["sha256", "pdq"] = (
            "sha256" if len({exact.find(pk) for pk in ids}) == 1 else "pdq"
        )
        clusters.append(
            CaseCluster(cases=[cases[pk] for pk in ids], match=match, hashes=sorted(hashes))
        )
    return clusters
