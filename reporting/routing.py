"""Where a case should go, and why: the routing rules of LAW.md §3, each with its
urgency, its reason (a translatable sentence) and its source.

This module only computes (``advise``); ``reporting.services.routing_refresh`` writes
the advice as ``RoutingSuggestion`` rows and keeps them in step with the case. No HTTP.

The rules:

- **Police, at once** (UKCIS, "Sharing nudes and semi-nudes: advice for education
  settings", March 2024, which covers AI-generated imagery): an adult is involved
  (``Case.adult_involved``, or an alleged perpetrator 18 or older at the date of the
  act); coercion, blackmail or extortion (``Case.coercion_or_extortion``, or the
  category sextortion); a child under 13 is involved (``Case.under_13``, or a victim
  or alleged perpetrator under 13 at the date of the act); immediate risk of harm
  (until issue 11 adds an explicit flag, ``Case.risk_level == critical`` stands for
  it). UKCIS's fifth ground, acts atypical or violent for the child's age, is a
  professional judgment the case file does not record: no rule can detect it, so the
  lead decides it (and refers by hand). The UKCIS grounds are the project's baseline
  wherever the school is. Destination: each police unit serving the school.
- **Spain, signs of a crime** (LOPIVI, LO 8/2021, art. 15 general duty and art. 16
  qualified duty of school staff to communicate at once; art. 35 the coordinator for
  wellbeing and protection): every case the product holds (sexual imagery of a minor:
  CP arts. 189 and 173.1) is such a sign, so a Spanish school is advised to tell the
  police or the Fiscalía; the police suggestion carries this ground.
- **Spain, age of criminal responsibility** (LO 5/2000, arts. 1 and 3): an alleged
  perpetrator **14–17 at the date of the act** goes to the Fiscalía de Menores (each
  prosecutor's office serving the school); **under 14** to the regional
  child-protection service (``Organisation.Kind.CHILD_PROTECTION``, or social services
  where the directory has none), never the Fiscalía; 18 or over is an adult (police,
  above). An alleged perpetrator whose date of birth is unknown gets an ``advised``
  suggestion to record it (no destination is guessed: the wrong one, the Fiscalía for
  a child under 14, would be an error that cannot be undone).
- **Spain, a minor's image processed unlawfully** (AEPD; LOPDGDD): when a victim is a
  minor (under 18 at the date of the act, or of unknown age: victims are pupils), two
  separate suggestions: the Canal Prioritario for urgent removal (``AEPDCP``), and the
  ordinary complaint (*reclamación*) that can end in a sanction (``AEPDREC``).
- **The victim's own removal routes**, signposted to each victim by age (today) and
  the school's jurisdiction (``directory_selectors.removal_routes_for``): Take It Down
  (under 18), Report Remove (UK, under 18), StopNCII (18+), the AEPD Canal Prioritario
  (Spain; 14+ themselves, younger through their family), INCIBE 017 (Spain). Urgency
  ``signpost``: the school tells the victim; it never reports for them.

Every piece of advice has a ``key`` unique within its case (``police:<unit>``,
``fiscalia:<office>:<person>``, ``route:<route>:<person>``…), so recomputing never
duplicates one.

The date of the act (:func:`act_date`): the participant's ``act_on``; else the case's
earliest concern ``occurred_at``; else its earliest evidence ``first_seen_at``; else
its ``opened_at`` (each as a date in the school's time zone).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Min, OuterRef, Subquery
from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_noop

from cases.models import Case, Concern, EvidenceItem, Organisation, Participant, Person
from reporting.jurisdictions import covers
from reporting.models import RemovalRoute, RoutingSuggestion

U = RoutingSuggestion.Urgency
K = Organisation.Kind

UKCIS = gettext_noop(
    "UKCIS, “Sharing nudes and semi-nudes: advice for education settings working with "
    "children and young people” (March 2024)"
)
LOPIVI = gettext_noop(
    "LOPIVI (Organic Law 8/2021), arts. 15 and 16 (duty to communicate at once) and 35 "
    "(coordinator for wellbeing and protection)"
)
LO_5_2000 = gettext_noop(
    "Organic Law 5/2000 on the criminal responsibility of minors, arts. 1 and 3"
)
AEPD = gettext_noop(
    "AEPD (Spanish Data Protection Agency): Organic Law 3/2018 (LOPDGDD) and GDPR; "
    "Canal Prioritario and complaint procedure"
)
# The victims' own routes are signposted, never used on the child's behalf (LAW.md §3);
# the source a reader sees names the services themselves.
ROUTES = gettext_noop(
    "The services' own rules: NCMEC Take It Down (under 18), IWF/Childline Report Remove "
    "(UK, under 18), StopNCII.org (18+), AEPD Canal Prioritario (Spain; 14+ themselves), "
    "INCIBE 017 (Spain)"
)


@dataclass(frozen=True)
class Rule:
    """One routing rule: ``code`` (``RoutingSuggestion.rule``), ``urgency``
    (``RoutingSuggestion.Urgency``), ``reason`` (an English msgid with ``%(name)s``
    placeholders filled from the suggestion's ``params``) and ``source`` (the citation,
    an msgid)."""

    code: str
    urgency: str
    reason: str
    source: str


# Grounds for an immediate police referral; a police suggestion lists those that hold.
GROUND_ADULT = Rule(
    "ukcis_adult",
    U.IMMEDIATE,
    gettext_noop("An adult is involved: refer to the police at once."),
    UKCIS,
)
GROUND_COERCION = Rule(
    "ukcis_coercion",
    U.IMMEDIATE,
    gettext_noop(
        "There is coercion, blackmail or extortion (sextortion): refer to the police at once."
    ),
    UKCIS,
)
GROUND_UNDER_13 = Rule(
    "ukcis_under_13",
    U.IMMEDIATE,
    gettext_noop("A child under 13 is involved: refer to the police at once."),
    UKCIS,
)
GROUND_IMMEDIATE_RISK = Rule(
    "ukcis_immediate_risk",
    U.IMMEDIATE,
    gettext_noop(
        "The case's risk is critical (immediate risk of harm): refer to the police at once."
    ),
    UKCIS,
)
GROUND_LOPIVI = Rule(
    "lopivi",
    U.REQUIRED,
    gettext_noop(
        "There are signs of a crime against a minor: school staff must communicate them "
        "at once to the police or the public prosecutor."
    ),
    LOPIVI,
)
GROUNDS: dict[str, Rule] = {
    g.code: g
    for g in (GROUND_ADULT, GROUND_COERCION, GROUND_UNDER_13, GROUND_IMMEDIATE_RISK, GROUND_LOPIVI)
}

POLICE = Rule("police", U.IMMEDIATE, "", UKCIS)  # reason and source: its grounds'
FISCALIA = Rule(
    "fiscalia_menores",
    U.REQUIRED,
    gettext_noop(
        "An alleged perpetrator was %(age)s on the date of the act (%(act_on)s): aged "
        "14 to 17, the case goes to the Fiscalía de Menores (juvenile prosecutor)."
    ),
    LO_5_2000,
)
CHILD_PROTECTION = Rule(
    "child_protection",
    U.REQUIRED,
    gettext_noop(
        "An alleged perpetrator was %(age)s on the date of the act (%(act_on)s): under "
        "14, they cannot be prosecuted; the case goes to the regional child-protection "
        "service, not the Fiscalía."
    ),
    LO_5_2000,
)
AGE_UNKNOWN = Rule(
    "age_unknown",
    U.ADVISED,
    gettext_noop(
        "An alleged perpetrator's date of birth is not recorded: record it, since their "
        "age on the date of the act decides where the case goes (Fiscalía de Menores, "
        "child protection or police)."
    ),
    LO_5_2000,
)
AEPD_PRIORITY = Rule(
    "aepd_priority",
    U.IMMEDIATE,
    gettext_noop(
        "A minor's image is being processed unlawfully: ask the AEPD's Canal Prioritario "
        "for its urgent removal (try the platform first)."
    ),
    AEPD,
)
AEPD_COMPLAINT = Rule(
    "aepd_complaint",
    U.ADVISED,
    gettext_noop(
        "A minor's image was processed unlawfully: an ordinary complaint (reclamación) "
        "to the AEPD can end in a sanction, separately from the removal."
    ),
    AEPD,
)
VICTIM_ROUTE = Rule(
    "victim_route",
    U.SIGNPOST,
    gettext_noop(
        "Tell the victim (aged %(age)s) and their family about this route: they can use "
        "it themselves. The school never reports on their behalf; record only the case "
        "number, date and status they choose to share."
    ),
    ROUTES,
)
VICTIM_ROUTE_AGE_UNKNOWN = Rule(
    "victim_route",
    U.SIGNPOST,
    gettext_noop(
        "Tell the victim and their family about this route: they can use it themselves. "
        "The school never reports on their behalf; record only the case number, date and "
        "status they choose to share."
    ),
    ROUTES,
)
RULES: dict[str, Rule] = {
    r.code: r
    for r in (POLICE, FISCALIA, CHILD_PROTECTION, AGE_UNKNOWN, AEPD_PRIORITY, AEPD_COMPLAINT)
}
RULES[VICTIM_ROUTE.code] = VICTIM_ROUTE

# Ages of criminal responsibility in Spain (LO 5/2000 art. 1 and 3).
MINOR_RESPONSIBILITY_FROM = 14
ADULT_FROM = 18
UNDER_13 = 13

# The kinds of organisation routing may point to (one query for all).
DESTINATION_KINDS = (
    K.POLICE_UNIT,
    K.PROSECUTOR,
    K.CHILD_PROTECTION,
    K.SOCIAL_SERVICES,
    K.REGULATOR,
)
AEPD_PRIORITY_CODE = "AEPDCP"
AEPD_COMPLAINT_CODE = "AEPDREC"


@dataclass(frozen=True)
class Advice:
    """One piece of advice as computed; ``reporting.services.routing_refresh`` writes it
    as a ``RoutingSuggestion`` with the same fields."""

    key: str
    rule: str
    urgency: str
    destination: Organisation | None = None
    route: RemovalRoute | None = None
    person: Person | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def destination_kind(self) -> str:
        return self.destination.kind if self.destination is not None else ""


@dataclass
class CaseFacts:
    """What routing reads of a case, read once (``case_facts``)."""

    case: Case
    participants: list[Participant]
    first_concern_at: datetime | None
    first_evidence_at: datetime | None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.case.school.time_zone)

    def local_date(self, moment: datetime) -> date:
        return timezone.localtime(moment, timezone=self.zone).date()

    def today(self) -> date:
        return self.local_date(timezone.now())

    def of_role(self, role: str) -> list[Participant]:
        return [p for p in self.participants if p.role == role]


def _first_of(model: type[Concern] | type[EvidenceItem], field: str) -> Subquery:
    """The earliest ``field`` of ``model``'s rows of the outer case."""
    return Subquery(
        model.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(first=Min(field))
        .values("first")[:1]
    )


def case_facts(case: Case) -> CaseFacts:
    """Read what the rules need of ``case``: its participants with their people (one
    query) and the earliest concern and evidence times (one query)."""
    participants = list(
        Participant.objects.filter(case=case).select_related("person").order_by("id")
    )
    # Two subqueries (not a join of both tables, whose rows would multiply).
    firsts = (
        Case.objects.filter(pk=case.pk)
        .annotate(
            concern=_first_of(Concern, "occurred_at"),
            evidence=_first_of(EvidenceItem, "first_seen_at"),
        )
        .values("concern", "evidence")
        .get()
    )
    return CaseFacts(
        case=case,
        participants=participants,
        first_concern_at=firsts["concern"],
        first_evidence_at=firsts["evidence"],
    )


def act_date(facts: CaseFacts, participant: Participant | None = None) -> date:
    """The date of the act (LAW.md §2.3 and §3: an alleged perpetrator's age is taken
    on it): ``participant.act_on`` if recorded; else the date of the case's earliest
    concern ``occurred_at``; else of its earliest evidence ``first_seen_at``; else of
    the case's ``opened_at``. Dates of times are taken in the school's time zone."""
    if participant is not None and participant.act_on is not None:
        return participant.act_on
    for moment in (facts.first_concern_at, facts.first_evidence_at, facts.case.opened_at):
        if moment is not None:
            return facts.local_date(moment)
    return facts.today()  # pragma: no cover - opened_at is never null


def _spanish(school: Organisation) -> bool:
    return covers("ES", school.jurisdiction)


def police_grounds(facts: CaseFacts) -> list[str]:
    """The codes of the grounds (``GROUNDS``) for a police referral that hold, in the
    order of ``GROUNDS``. UKCIS (March 2024): adult involved, coercion or extortion,
    a child under 13, immediate risk; LOPIVI arts. 15–16 for a Spanish school."""
    case = facts.case
    grounds: list[str] = []
    perpetrators = facts.of_role(Participant.Role.ALLEGED_PERPETRATOR)
    victims = facts.of_role(Participant.Role.VICTIM)
    perpetrator_ages = [p.person.age_on(act_date(facts, p)) for p in perpetrators]
    case_day = act_date(facts)
    victim_ages = [p.person.age_on(case_day) for p in victims]
    if case.adult_involved or any(a is not None and a >= ADULT_FROM for a in perpetrator_ages):
        grounds.append(GROUND_ADULT.code)
    if case.coercion_or_extortion or case.category == Case.Category.SEXTORTION:
        grounds.append(GROUND_COERCION.code)
    if case.under_13 or any(
        a is not None and a < UNDER_13 for a in (*perpetrator_ages, *victim_ages)
    ):
        grounds.append(GROUND_UNDER_13.code)
    # Stand-in for "immediate risk of harm" until issue 11 adds an explicit flag.
    if case.risk_level == Case.Risk.CRITICAL:
        grounds.append(GROUND_IMMEDIATE_RISK.code)
    # UKCIS "acts atypical or violent for the age": a judgment the case file does not
    # record; not detectable, left to the lead.
    if _spanish(case.school):
        grounds.append(GROUND_LOPIVI.code)
    return grounds


def advise(
    case: Case,
    *,
    facts: CaseFacts | None = None,
    destinations: Sequence[Organisation] | None = None,
    routes: Sequence[RemovalRoute] | None = None,
) -> list[Advice]:
    """Every piece of advice that applies to ``case`` now, in a stable order.

    ``facts``, ``destinations`` (organisations of ``DESTINATION_KINDS``, any place) and
    ``routes`` (every removal route) are read when not given: at most four queries."""
    school = case.school
    facts = facts or case_facts(case)
    if destinations is None:
        destinations = list(
            Organisation.objects.filter(kind__in=DESTINATION_KINDS).order_by("name", "id")
        )
    serving = [d for d in destinations if covers(d.jurisdiction, school.jurisdiction)]

    def of_kind(kind: str) -> list[Organisation]:
        return [d for d in serving if d.kind == kind]

    advice: list[Advice] = []
    grounds = police_grounds(facts)
    if grounds:
        urgency = (
            U.IMMEDIATE if any(GROUNDS[g].urgency == U.IMMEDIATE for g in grounds) else U.REQUIRED
        )
        for unit in of_kind(K.POLICE_UNIT):
            advice.append(
                Advice(
                    key=f"police:{unit.pk}",
                    rule=POLICE.code,
                    urgency=urgency,
                    destination=unit,
                    params={"grounds": grounds},
                )
            )
    spanish = _spanish(school)
    if spanish:
        advice.extend(_perpetrator_advice(facts, of_kind))
        advice.extend(_aepd_advice(facts, serving))
    advice.extend(_victim_routes(facts, routes))
    return advice


def _perpetrator_advice(facts: CaseFacts, of_kind: Any) -> Iterable[Advice]:
    """LO 5/2000 arts. 1 and 3, each alleged perpetrator's age at the date of the act."""
    protection = of_kind(K.CHILD_PROTECTION) or of_kind(K.SOCIAL_SERVICES)
    for participant in facts.of_role(Participant.Role.ALLEGED_PERPETRATOR):
        person = participant.person
        day = act_date(facts, participant)
        age = person.age_on(day)
        params = {"age": age, "act_on": day.isoformat()}
        if age is None:
            yield Advice(
                key=f"age_unknown:{person.pk}",
                rule=AGE_UNKNOWN.code,
                urgency=AGE_UNKNOWN.urgency,
                person=person,
                params={"act_on": day.isoformat()},
            )
        elif age < MINOR_RESPONSIBILITY_FROM:
            for service in protection:
                yield Advice(
                    key=f"child_protection:{service.pk}:{person.pk}",
                    rule=CHILD_PROTECTION.code,
                    urgency=CHILD_PROTECTION.urgency,
                    destination=service,
                    person=person,
                    params=params,
                )
        elif age < ADULT_FROM:
            for office in of_kind(K.PROSECUTOR):
                yield Advice(
                    key=f"fiscalia:{office.pk}:{person.pk}",
                    rule=FISCALIA.code,
                    urgency=FISCALIA.urgency,
                    destination=office,
                    person=person,
                    params=params,
                )
        # 18 or over: an adult is involved, a ground of the police suggestion.


def _aepd_advice(facts: CaseFacts, serving: Sequence[Organisation]) -> Iterable[Advice]:
    """The AEPD's two routes when a victim is a minor (or of unknown age)."""
    day = act_date(facts)
    minors = [
        p
        for p in facts.of_role(Participant.Role.VICTIM)
        if (age := p.person.age_on(day)) is None or age < ADULT_FROM
    ]
    if not minors:
        return
    by_code = {d.code: d for d in serving}
    for code, rule in ((AEPD_PRIORITY_CODE, AEPD_PRIORITY), (AEPD_COMPLAINT_CODE, AEPD_COMPLAINT)):
        authority = by_code.get(code)
        if authority is not None:
            yield Advice(
                key=f"{rule.code}:{authority.pk}",
                rule=rule.code,
                urgency=rule.urgency,
                destination=authority,
            )


def _victim_routes(facts: CaseFacts, routes: Sequence[RemovalRoute] | None) -> Iterable[Advice]:
    """Each victim's own routes, by their age today and the school's place."""
    victims = facts.of_role(Participant.Role.VICTIM)
    if not victims:
        return
    if routes is None:
        routes = list(RemovalRoute.objects.select_related("organisation").order_by("code"))
    school = facts.case.school
    local = [r for r in routes if covers(r.jurisdiction, school.jurisdiction)]
    today = facts.today()
    seen: set[int] = set()
    for participant in victims:
        person = participant.person
        if person.pk in seen:
            continue
        seen.add(person.pk)
        age = person.age_on(today)
        for route in local:
            if route.fits_age(age):
                yield Advice(
                    key=f"route:{route.pk}:{person.pk}",
                    rule=VICTIM_ROUTE.code,
                    urgency=VICTIM_ROUTE.urgency,
                    destination=route.organisation,
                    route=route,
                    person=person,
                    params={"age": age},
                )


def routes_for_victim(
    *, case: Case, victim: Person, routes: Sequence[RemovalRoute] | None = None
) -> list[RemovalRoute]:
    """The removal routes ``victim`` may use now (age today in the school's zone, the
    school's place): what the ledger accepts (``removal_report_record``)."""
    school = case.school
    today = timezone.localtime(timezone=ZoneInfo(school.time_zone)).date()
    age = victim.age_on(today)
    if routes is None:
        routes = list(RemovalRoute.objects.select_related("organisation").order_by("code"))
    return [r for r in routes if covers(r.jurisdiction, school.jurisdiction) and r.fits_age(age)]


# --- in the reader's language -------------------------------------------------------


def _format_params(params: dict[str, Any]) -> dict[str, Any]:
    shown = dict(params)
    if isinstance(shown.get("act_on"), str):
        with contextlib.suppress(ValueError):
            shown["act_on"] = formats.date_format(date.fromisoformat(shown["act_on"]))
    return shown


def reason_of(suggestion: RoutingSuggestion | Advice) -> str:
    """The reason of ``suggestion`` in the active language, with its params (ages,
    the date of the act in the active locale's format)."""
    params = suggestion.params or {}
    if suggestion.rule == POLICE.code:
        return " ".join(
            gettext(GROUNDS[g].reason) for g in params.get("grounds", []) if g in GROUNDS
        )
    if suggestion.rule == VICTIM_ROUTE.code and params.get("age") is None:
        return gettext(VICTIM_ROUTE_AGE_UNKNOWN.reason)
    rule = RULES.get(suggestion.rule)
    if rule is None:
        return suggestion.rule
    return gettext(rule.reason) % _format_params(params)


def sources_of(suggestion: RoutingSuggestion | Advice) -> list[str]:
    """The sources (citations) of ``suggestion``, in the active language, without
    repeats; for a victim's route, the route's own source as well."""
    if suggestion.rule == POLICE.code:
        msgids = [GROUNDS[g].source for g in suggestion.params.get("grounds", []) if g in GROUNDS]
    else:
        rule = RULES.get(suggestion.rule)
        msgids = [rule.source] if rule is not None else []
    sources = list(dict.fromkeys(gettext(m) for m in msgids))
    route = suggestion.route
    if route is not None and route.source:
        sources.append(route.source)
    return sources


def source_of(suggestion: RoutingSuggestion | Advice) -> str:
    """``sources_of`` as one line."""
    return "; ".join(sources_of(suggestion))


__all__ = [
    "RULES",
    "Advice",
    "CaseFacts",
    "Rule",
    "act_date",
    "advise",
    "case_facts",
    "police_grounds",
    "reason_of",
    "routes_for_victim",
    "source_of",
    "sources_of",
]
