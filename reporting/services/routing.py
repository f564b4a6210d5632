"""Routing advice and the victim's own removal routes ledger.

- ``routing_refresh`` writes the advice of ``reporting.routing`` for a case: new
  suggestions open, open ones whose rule no longer applies lapse, decided ones are never
  touched. Called when the case opens or changes (``cases.extensions`` case-changed
  hook, registered in ``ReportingConfig.ready``).
- ``routing_accept`` / ``routing_dismiss``: the lead's decision, with who and when
  (compare-and-set on the status: a lost race is ``Conflict``, 409).
- ``removal_report_record`` / ``removal_report_update``: what the victim chose to tell
  the school of their own report (LAW.md §3: signposted, never used on their behalf).
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.audit import SYSTEM, AuditContext, record_case_event
from cases.models import Case, Participant, Person, User
from cases.services import lock_open_case, validate_plausible
from cases.transitions import transition
from cases.verbs import CaseVerb
from reporting import routing
from reporting.models import RemovalRoute, RemovalRouteReport, RoutingSuggestion

RS = RoutingSuggestion.Status
ROUTING_TRANSITIONS: dict[str, frozenset[str]] = {
    RS.OPEN: frozenset({RS.ACCEPTED, RS.DISMISSED, RS.LAPSED}),
    # A rule that applies again reopens its lapsed suggestion (same key).
    RS.LAPSED: frozenset({RS.OPEN}),
    RS.ACCEPTED: frozenset(),
    RS.DISMISSED: frozenset(),
}
NOTE_MAX = 2000


@transaction.atomic
def routing_refresh(*, case: Case, context: AuditContext = SYSTEM) -> list[RoutingSuggestion]:
    """Compute the routing advice of ``case`` (``reporting.routing.advise``, LAW.md §3:
    UKCIS March 2024; LOPIVI arts. 15–16; LO 5/2000 arts. 1 and 3; AEPD) and bring its
    suggestions in step: advice not yet given is created ``open`` (one
    ``routing.suggested`` line listing them); an ``open`` suggestion whose rule no
    longer applies becomes ``lapsed`` (one ``routing.lapsed`` line); a ``lapsed`` one
    that applies again is reopened; an open one whose reason changed (the police
    grounds, an age) is updated in place. Accepted and dismissed suggestions are never
    touched. Idempotent: a second call with nothing changed writes nothing.

    Locks the case row (``FOR NO KEY UPDATE``) so two refreshes never race on a key. A
    closed case is left as it is (returns its open suggestions, writes nothing). Actor:
    the system (``None``). Returns the case's open suggestions, ordered."""
    status = (
        Case.objects.select_for_update(no_key=True)
        .filter(pk=case.pk)
        .values_list("status", flat=True)
        .get()
    )
    existing = {s.key: s for s in RoutingSuggestion.objects.filter(case=case)}
    if status == Case.Status.CLOSED:
        return [s for s in existing.values() if s.status == RS.OPEN]
    advice = {a.key: a for a in routing.advise(case)}
    created: list[RoutingSuggestion] = []
    reopened: list[RoutingSuggestion] = []
    lapsed: list[RoutingSuggestion] = []
    for key, item in advice.items():
        current = existing.get(key)
        if current is None:
            created.append(
                RoutingSuggestion(
                    case=case,
                    key=key,
                    rule=item.rule,
                    urgency=item.urgency,
                    destination=item.destination,
                    destination_kind=item.destination_kind,
                    route=item.route,
                    person=item.person,
                    params=item.params,
                )
            )
        elif current.status == RS.LAPSED:
            transition(
                current,
                allowed=ROUTING_TRANSITIONS,
                to=RS.OPEN,
                urgency=item.urgency,
                params=item.params,
            )
            reopened.append(current)
        elif current.status == RS.OPEN and (
            current.params != item.params or current.urgency != item.urgency
        ):
            RoutingSuggestion.objects.filter(pk=current.pk, status=RS.OPEN).update(
                params=item.params, urgency=item.urgency, updated_at=timezone.now()
            )
            current.params, current.urgency = item.params, item.urgency
    for key, current in existing.items():
        if key not in advice and current.status == RS.OPEN:
            transition(current, allowed=ROUTING_TRANSITIONS, to=RS.LAPSED)
            lapsed.append(current)
    if created:
        RoutingSuggestion.objects.bulk_create(created)
    suggested = created + reopened
    if suggested:
        record_case_event(
            school=case.school_id,
            case=case,
            actor=None,
            verb=CaseVerb.ROUTING_SUGGESTED,
            obj=suggested[0],
            context=context,
            data={"keys": [s.key for s in suggested], "rules": sorted({s.rule for s in suggested})},
        )
    if lapsed:
        record_case_event(
            school=case.school_id,
            case=case,
            actor=None,
            verb=CaseVerb.ROUTING_LAPSED,
            obj=lapsed[0],
            context=context,
            data={"keys": [s.key for s in lapsed], "rules": sorted({s.rule for s in lapsed})},
        )
    return sorted(
        [s for s in (*existing.values(), *created) if s.status == RS.OPEN],
        key=lambda s: (s.created_at, s.pk or 0),
    )


@transaction.atomic
def routing_accept(
    *,
    suggestion: RoutingSuggestion,
    actor: User,
    note: str = "",
    context: AuditContext = SYSTEM,
) -> RoutingSuggestion:
    """Accept an open suggestion: the lead will (or did) route the case there; ``note``
    (optional, up to 2,000 characters) says what was done. Records ``decided_by``,
    ``decided_at`` (now, UTC) and a ``routing.accepted`` line. A closed case is not
    changed. Raises ``Conflict`` (409: not open any more, a lost race, closed case) or
    ``ValidationError`` (note too long). Source: LAW.md §3 (the advice is the lead's
    to decide)."""
    return _decide(suggestion, actor, RS.ACCEPTED, note, context)


@transaction.atomic
def routing_dismiss(
    *,
    suggestion: RoutingSuggestion,
    actor: User,
    reason: str,
    context: AuditContext = SYSTEM,
) -> RoutingSuggestion:
    """Dismiss an open suggestion with ``reason`` (required: why the rule's advice is
    not followed, up to 2,000 characters; DB check ``routing_dismissal_has_reason``).
    Records who and when and a ``routing.dismissed`` line. Raises ``ValidationError``
    (no reason: nothing written) or ``Conflict`` (409). Source: LAW.md §3."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for dismissing this advice.")})
    return _decide(suggestion, actor, RS.DISMISSED, reason, context)


def _decide(
    suggestion: RoutingSuggestion, actor: User, to: str, note: str, context: AuditContext
) -> RoutingSuggestion:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(
            {"note" if to == RS.ACCEPTED else "reason": _("At most 2,000 characters.")}
        )
    lock_open_case(suggestion.case_id)
    transition(
        suggestion,
        allowed=ROUTING_TRANSITIONS,
        to=to,
        expected=RS.OPEN,
        decided_by=actor,
        decided_at=timezone.now(),
        decision_note=note,
    )
    record_case_event(
        school=suggestion.case.school_id,
        case=suggestion.case,
        actor=actor,
        verb=CaseVerb.ROUTING_ACCEPTED if to == RS.ACCEPTED else CaseVerb.ROUTING_DISMISSED,
        obj=suggestion,
        context=context,
        data={"key": suggestion.key, "rule": suggestion.rule},
    )
    return suggestion


def _validate_report(
    *,
    case: Case,
    victim: Person,
    route: RemovalRoute,
    reported_on: date,
    status: str,
) -> None:
    errors: dict[str, str] = {}
    if not Participant.objects.filter(
        case=case, person=victim, role=Participant.Role.VICTIM
    ).exists():
        errors["victim"] = _("This person is not a victim of this case.")
    elif route not in routing.routes_for_victim(case=case, victim=victim):
        errors["route"] = _("This route is not open to this victim (age or place).")
    if status not in RemovalRouteReport.Status.values:
        errors["status"] = _("Choose a status from the list.")
    if errors:
        raise ValidationError(errors)
    validate_plausible(reported_on, "reported_on")
    if reported_on > timezone.localdate():
        raise ValidationError({"reported_on": _("This date is in the future.")})


@transaction.atomic
def removal_report_record(
    *,
    case: Case,
    victim: Person,
    route: RemovalRoute,
    reported_on: date,
    actor: User,
    case_number: str = "",
    status: str = RemovalRouteReport.Status.REPORTED,
    context: AuditContext = SYSTEM,
) -> RemovalRouteReport:
    """Record what a victim chose to tell the school of their own report through
    ``route`` (LAW.md §3: signposted, never used on their behalf): the route's
    ``case_number`` (optional), the date they reported (``reported_on``, a local date,
    not in the future nor before 2000) and its ``status``. ``victim`` must be a victim
    of ``case`` and the route open to them (``reporting.routing.routes_for_victim``: age
    today, the school's place). Writes a ``removal_report.recorded`` line. Raises
    ``ValidationError`` (nothing written) or ``Conflict`` (closed case)."""
    lock_open_case(case.pk)
    _validate_report(case=case, victim=victim, route=route, reported_on=reported_on, status=status)
    report = RemovalRouteReport(
        case=case,
        victim=victim,
        route=route,
        case_number=case_number.strip(),
        reported_on=reported_on,
        status=status,
        recorded_by=actor,
    )
    report.full_clean()
    report.save()
    record_case_event(
        school=case.school_id,
        case=case,
        actor=actor,
        verb=CaseVerb.REMOVAL_REPORT_RECORDED,
        obj=report,
        context=context,
        data={"route": route.code, "status": status},
    )
    return report


@transaction.atomic
def removal_report_update(
    *,
    report: RemovalRouteReport,
    actor: User,
    case_number: str | None = None,
    reported_on: date | None = None,
    status: str | None = None,
    context: AuditContext = SYSTEM,
) -> RemovalRouteReport:
    """Update the ledger line ``report`` as the victim tells more: its ``case_number``,
    ``reported_on`` or ``status`` (``None``: unchanged; any status may follow any, as
    the victim reports it). Same validations as :func:`removal_report_record`. Writes a
    ``removal_report.updated`` line with the changed fields (not the case number). Raises
    ``ValidationError`` or ``Conflict`` (closed case). Source: LAW.md §3."""
    lock_open_case(report.case_id)
    new_status = status if status is not None else report.status
    new_date = reported_on if reported_on is not None else report.reported_on
    if status is not None and status not in RemovalRouteReport.Status.values:
        raise ValidationError({"status": _("Choose a status from the list.")})
    validate_plausible(new_date, "reported_on")
    if new_date > timezone.localdate():
        raise ValidationError({"reported_on": _("This date is in the future.")})
    changes: dict[str, list[str]] = {}
    if new_status != report.status:
        changes["status"] = [report.status, new_status]
    if new_date != report.reported_on:
        changes["reported_on"] = [report.reported_on.isoformat(), new_date.isoformat()]
    if case_number is not None and case_number.strip() != report.case_number:
        changes["case_number"] = ["", ""]
        report.case_number = case_number.strip()
    report.status, report.reported_on = new_status, new_date
    report.full_clean()
    report.save()
    if changes:
        record_case_event(
            school=report.case.school_id,
            case=report.case,
            actor=actor,
            verb=CaseVerb.REMOVAL_REPORT_UPDATED,
            obj=report,
            context=context,
            data={"changed": sorted(changes), "status": new_status},
        )
    return report
