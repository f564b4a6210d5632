"""Routing advice (LAW.md §3, ``reporting.routing``) and the victim's own removal routes
ledger (``reporting.services.routing``): each rule, the date of the act, recomputing,
deciding, and the ledger's validations."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from cases import services as case_services
from cases.exceptions import Conflict
from cases.extensions import case_changed_hooks, register_case_changed
from cases.models import CaseEvent, Organisation, Participant, Person
from reporting import routing
from reporting import services as reporting_services
from reporting.extensions import refresh_routing
from reporting.models import RemovalRoute, RemovalRouteReport, RoutingSuggestion
from tests.conftest import nothing_written
from tests.factories import (
    CaseFactory,
    ConcernFactory,
    EvidenceItemFactory,
    OrganisationFactory,
    PupilFactory,
    SchoolFactory,
    StaffPersonFactory,
)

RS = RoutingSuggestion.Status
U = RoutingSuggestion.Urgency
MADRID = ZoneInfo("Europe/Madrid")


def years_ago(years: int, *, days: int = 0) -> date:
    """A date of birth ``years`` years before today (plus ``days`` later)."""
    today = timezone.localdate()
    try:
        born = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        born = today.replace(year=today.year - years, day=28)
    return born + timedelta(days=days)


def pupil(school: Organisation, born: date | None, kind: str = Person.Kind.PUPIL) -> Person:
    return Person.objects.create(school=school, kind=kind, given_name="Alex", date_of_birth=born)


def add(case, person, role=Participant.Role.VICTIM, act_on=None):
    return case_services.participant_add(
        case=case, person=person, role=role, actor=case.opened_by, act_on=act_on
    )


def open_of(case) -> dict[str, RoutingSuggestion]:
    return {s.key: s for s in RoutingSuggestion.objects.filter(case=case, status=RS.OPEN)}


def rules_of(case) -> set[str]:
    return {s.rule for s in open_of(case).values()}


@pytest.fixture
def fiscalia(db) -> Organisation:
    return OrganisationFactory.create(
        name="Fiscalía de Menores de Badajoz",
        code="FMBA",
        kind=Organisation.Kind.PROSECUTOR,
        jurisdiction="ES-BA",
    )


@pytest.fixture
def spain_school(db) -> Organisation:
    return SchoolFactory.create(name="IES Gamma", code="GAM", jurisdiction="ES-BA")


@pytest.fixture
def uk_school(db) -> Organisation:
    return SchoolFactory.create(
        name="Northfield Academy", code="NFA", jurisdiction="GB", time_zone="Europe/London"
    )


def police_suggestions(case) -> list[RoutingSuggestion]:
    return [s for s in open_of(case).values() if s.rule == "police"]


# --- UKCIS: immediate police referral ------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "ground"),
    [
        ({"adult_involved": True}, "ukcis_adult"),
        ({"coercion_or_extortion": True}, "ukcis_coercion"),
        ({"under_13": True}, "ukcis_under_13"),
        ({"risk_level": "critical"}, "ukcis_immediate_risk"),
    ],
)
def test_ukcis_grounds_advise_immediate_referral_to_the_units_serving_the_school(
    uk_school, flags, ground
):
    ceop = Organisation.objects.get(code="CEOP")
    case = CaseFactory.create(school=uk_school, category="non_consensual_sharing", **flags)
    [police] = police_suggestions(case)
    assert police.destination == ceop
    assert police.urgency == U.IMMEDIATE
    assert police.params["grounds"] == [ground]
    assert police.key == f"police:{ceop.pk}"


def test_sextortion_category_is_coercion(uk_school):
    case = CaseFactory.create(school=uk_school, category="sextortion")
    [police] = police_suggestions(case)
    assert "ukcis_coercion" in police.params["grounds"]


def test_a_uk_case_without_any_ground_goes_to_no_police(uk_school):
    case = CaseFactory.create(school=uk_school, category="non_consensual_sharing")
    assert police_suggestions(case) == []


def test_a_victim_under_13_on_the_date_of_the_act_is_a_ground(uk_school):
    case = CaseFactory.create(school=uk_school, category="non_consensual_sharing")
    add(case, pupil(uk_school, years_ago(12)))
    [police] = police_suggestions(case)
    assert police.params["grounds"] == ["ukcis_under_13"]


def test_spanish_police_units_serve_a_spanish_school_not_ceop(spain_school):
    case = CaseFactory.create(school=spain_school, adult_involved=True)
    units = {s.destination.code for s in police_suggestions(case)}
    assert {"PNCIBER", "GCEMUME"} <= units
    assert "CEOP" not in units


# --- Spain: LOPIVI, LO 5/2000, AEPD ----------------------------------------------------


def test_spain_signs_of_a_crime_are_communicated_to_the_police_as_required(spain_school):
    case = CaseFactory.create(school=spain_school, category="non_consensual_sharing")
    suggestions = police_suggestions(case)
    assert suggestions
    for police in suggestions:
        assert police.params["grounds"] == ["lopivi"]
        assert police.urgency == U.REQUIRED


def test_a_boy_13_at_the_act_and_14_today_goes_to_child_protection_not_the_fiscalia(
    spain_school, fiscalia
):
    case = CaseFactory.create(school=spain_school)
    boy = pupil(spain_school, years_ago(14, days=-30))
    act_on = timezone.localdate() - timedelta(days=60)  # before his 14th birthday
    add(case, boy, Participant.Role.ALLEGED_PERPETRATOR, act_on=act_on)
    suggestions = open_of(case)
    protection = Organisation.objects.get(code="SPMEX")
    key = f"child_protection:{protection.pk}:{boy.pk}"
    assert key in suggestions
    assert suggestions[key].params == {"age": 13, "act_on": act_on.isoformat()}
    assert not any(s.rule == "fiscalia_menores" for s in suggestions.values())


def test_a_boy_14_at_the_act_goes_to_the_fiscalia_de_menores(spain_school, fiscalia):
    case = CaseFactory.create(school=spain_school)
    boy = pupil(spain_school, years_ago(14, days=-30))
    act_on = timezone.localdate() - timedelta(days=10)  # after his 14th birthday
    add(case, boy, Participant.Role.ALLEGED_PERPETRATOR, act_on=act_on)
    suggestions = open_of(case)
    key = f"fiscalia:{fiscalia.pk}:{boy.pk}"
    assert suggestions[key].destination == fiscalia
    assert suggestions[key].urgency == U.REQUIRED
    assert suggestions[key].params["age"] == 14
    assert "child_protection" not in rules_of(case)


def test_under_14_falls_back_to_social_services_where_no_child_protection_serves(db):
    school = SchoolFactory.create(jurisdiction="ES-B")  # Barcelona: SPMEX does not cover
    social = OrganisationFactory.create(
        name="Serveis socials", code="SSB", kind="social_services", jurisdiction="ES-CT"
    )
    case = CaseFactory.create(school=school)
    boy = pupil(school, years_ago(12))
    add(case, boy, Participant.Role.ALLEGED_PERPETRATOR)
    [protection] = [s for s in open_of(case).values() if s.rule == "child_protection"]
    assert protection.destination == social


def test_an_adult_perpetrator_at_the_act_is_an_adult_involved(spain_school, fiscalia):
    case = CaseFactory.create(school=spain_school)
    adult = pupil(spain_school, years_ago(30), kind=Person.Kind.EXTERNAL)
    add(case, adult, Participant.Role.ALLEGED_PERPETRATOR)
    for police in police_suggestions(case):
        assert police.params["grounds"] == ["ukcis_adult", "lopivi"]
        assert police.urgency == U.IMMEDIATE
    assert "fiscalia_menores" not in rules_of(case)


def test_an_unknown_age_asks_the_lead_to_record_it(spain_school, fiscalia):
    case = CaseFactory.create(school=spain_school)
    unknown = pupil(spain_school, None, kind=Person.Kind.EXTERNAL)
    add(case, unknown, Participant.Role.ALLEGED_PERPETRATOR)
    suggestion = open_of(case)[f"age_unknown:{unknown.pk}"]
    assert suggestion.urgency == U.ADVISED
    assert suggestion.destination is None
    assert {"fiscalia_menores", "child_protection"}.isdisjoint(rules_of(case))


def test_a_minor_victim_in_spain_gets_the_two_aepd_routes_separately(spain_school):
    case = CaseFactory.create(school=spain_school)
    assert not {"aepd_priority", "aepd_complaint"} & rules_of(case)
    add(case, pupil(spain_school, years_ago(15)))
    suggestions = {s.rule: s for s in open_of(case).values()}
    assert suggestions["aepd_priority"].destination.code == "AEPDCP"
    assert suggestions["aepd_priority"].urgency == U.IMMEDIATE
    assert suggestions["aepd_complaint"].destination.code == "AEPDREC"
    assert suggestions["aepd_complaint"].urgency == U.ADVISED


def test_no_aepd_or_spanish_rules_for_a_uk_school(uk_school):
    case = CaseFactory.create(school=uk_school, category="non_consensual_sharing")
    add(case, pupil(uk_school, years_ago(15)))
    assert rules_of(case) == {"victim_route"}


# --- the victim's own routes --------------------------------------------------------------


def routes_signposted(case, person) -> set[str]:
    return {
        s.route.code
        for s in open_of(case).values()
        if s.rule == "victim_route" and s.person_id == person.pk
    }


def test_a_spanish_pupil_of_15_is_told_of_take_it_down_the_aepd_and_017(spain_school):
    case = CaseFactory.create(school=spain_school)
    girl = pupil(spain_school, years_ago(15))
    add(case, girl)
    assert routes_signposted(case, girl) == {
        "take-it-down",
        "aepd-canal-prioritario",
        "incibe-017",
    }
    signpost = next(s for s in open_of(case).values() if s.rule == "victim_route")
    assert signpost.urgency == U.SIGNPOST


def test_a_uk_pupil_is_told_of_report_remove_and_an_adult_of_stopncii(uk_school):
    case = CaseFactory.create(school=uk_school, category="non_consensual_sharing")
    child = pupil(uk_school, years_ago(15))
    adult = pupil(uk_school, years_ago(19))
    add(case, child)
    add(case, adult)
    assert routes_signposted(case, child) == {"take-it-down", "report-remove"}
    assert routes_signposted(case, adult) == {"stopncii"}


# --- the date of the act ------------------------------------------------------------------


def test_the_date_of_the_act_falls_back_from_act_on_to_concern_evidence_and_opening(
    spain_school,
):
    opened = datetime(2026, 3, 10, 23, 30, tzinfo=ZoneInfo("UTC"))  # 11 March in Madrid
    case = CaseFactory.create(school=spain_school, opened_at=opened)
    boy = pupil(spain_school, years_ago(15), kind=Person.Kind.EXTERNAL)
    participant = add(case, boy, Participant.Role.ALLEGED_PERPETRATOR)

    assert routing.act_date(routing.case_facts(case), participant) == date(2026, 3, 11)

    EvidenceItemFactory.create(case=case, first_seen_at=datetime(2026, 3, 5, 9, tzinfo=MADRID))
    assert routing.act_date(routing.case_facts(case), participant) == date(2026, 3, 5)

    concern = ConcernFactory.create(
        school=spain_school, occurred_at=datetime(2026, 3, 2, 0, 30, tzinfo=MADRID)
    )
    concern.case = case
    concern.save(update_fields=["case"])
    assert routing.act_date(routing.case_facts(case), participant) == date(2026, 3, 2)

    participant.act_on = date(2026, 2, 20)
    assert routing.act_date(routing.case_facts(case), participant) == date(2026, 2, 20)
    assert routing.act_date(routing.case_facts(case)) == date(2026, 3, 2)


def test_recording_earlier_evidence_moves_the_act_before_a_birthday(spain_school, fiscalia):
    case = CaseFactory.create(school=spain_school)
    boy = pupil(spain_school, years_ago(14, days=-30))
    add(case, boy, Participant.Role.ALLEGED_PERPETRATOR)  # act: today's opening, 14
    assert "fiscalia_menores" in rules_of(case)
    EvidenceItemFactory.create(case=case, first_seen_at=timezone.now() - timedelta(days=90))
    assert "fiscalia_menores" not in rules_of(case)  # lapsed: he was 13 then
    assert "child_protection" in rules_of(case)
    lapsed = RoutingSuggestion.objects.get(case=case, rule="fiscalia_menores")
    assert lapsed.status == RS.LAPSED


# --- recomputing -------------------------------------------------------------------------


def test_recomputing_is_idempotent(spain_school):
    case = CaseFactory.create(school=spain_school, adult_involved=True)
    add(case, pupil(spain_school, years_ago(15)))
    with nothing_written(RoutingSuggestion):
        again = reporting_services.routing_refresh(case=case)
    assert {s.key for s in again} == set(open_of(case))


def test_opening_a_case_writes_one_line_for_its_advice(spain_school):
    case = CaseFactory.create(school=spain_school, adult_involved=True)
    lines = CaseEvent.objects.filter(case=case, verb="routing.suggested")
    assert lines.count() == 1
    assert sorted(lines.get().data["keys"]) == sorted(open_of(case))


def test_clearing_a_flag_lapses_its_advice_and_setting_it_again_reopens_it(uk_school):
    case = CaseFactory.create(school=uk_school, adult_involved=True)
    [police] = police_suggestions(case)
    case = case_services.case_update_flags(case=case, actor=case.opened_by, adult_involved=False)
    police.refresh_from_db()
    assert police.status == RS.LAPSED
    assert CaseEvent.objects.filter(case=case, verb="routing.lapsed").count() == 1
    case_services.case_update_flags(case=case, actor=case.opened_by, adult_involved=True)
    police.refresh_from_db()
    assert police.status == RS.OPEN
    assert RoutingSuggestion.objects.filter(case=case).count() == 1


def test_a_decided_suggestion_is_never_revived_nor_lapsed(uk_school):
    case = CaseFactory.create(school=uk_school, adult_involved=True)
    [police] = police_suggestions(case)
    reporting_services.routing_accept(suggestion=police, actor=case.opened_by, note="Phoned")
    case = case_services.case_update_flags(case=case, actor=case.opened_by, adult_involved=False)
    case_services.case_update_flags(case=case, actor=case.opened_by, adult_involved=True)
    police.refresh_from_db()
    assert police.status == RS.ACCEPTED
    assert RoutingSuggestion.objects.filter(case=case).count() == 1


def test_a_new_ground_updates_the_open_police_advice_in_place(uk_school):
    case = CaseFactory.create(school=uk_school, adult_involved=True)
    case_services.case_update_flags(case=case, actor=case.opened_by, risk_level="critical")
    [police] = police_suggestions(case)
    assert police.params["grounds"] == ["ukcis_adult", "ukcis_immediate_risk"]


# --- deciding -----------------------------------------------------------------------------


def test_accepting_records_who_when_and_the_note(uk_school):
    case = CaseFactory.create(school=uk_school, adult_involved=True)
    [police] = police_suggestions(case)
    lead = case.opened_by
    reporting_services.routing_accept(suggestion=police, actor=lead, note="Referral sent")
    police.refresh_from_db()
    assert (police.status, police.decided_by, police.decision_note) == (
        RS.ACCEPTED,
        lead,
        "Referral sent",
    )
    assert police.decided_at is not None
    line = CaseEvent.objects.get(case=case, verb="routing.accepted")
    assert line.actor == lead


def test_dismissing_records_the_reason(uk_school):
    case = CaseFactory.create(school=uk_school, adult_involved=True)
    [police] = police_suggestions(case)
    reporting_services.routing_dismiss(
        suggestion=police, actor=case.opened_by, reason="Already reported by the family"
    )
    police.refresh_from_db()
    assert police.status == RS.DISMISSED
    assert police.decision_note == "Already reported by the family"
    assert CaseEvent.objects.filter(case=case, verb="routing.dismissed").count() == 1


def test_dismissing_without_a_reason_writes_nothing(uk_school):
    case = CaseFactory.create(school=uk_school, adult_involved=True)
    [police] = police_suggestions(case)
    with nothing_written(RoutingSuggestion), pytest.raises(ValidationError) as refused:
        reporting_services.routing_dismiss(suggestion=police, actor=case.opened_by, reason="  ")
    assert "reason" in refused.value.message_dict
    police.refresh_from_db()
    assert police.status == RS.OPEN


def test_a_second_decision_loses(uk_school):
    case = CaseFactory.create(school=uk_school, adult_involved=True)
    [police] = police_suggestions(case)
    stale = RoutingSuggestion.objects.get(pk=police.pk)
    reporting_services.routing_accept(suggestion=police, actor=case.opened_by)
    with pytest.raises(Conflict):
        reporting_services.routing_dismiss(suggestion=stale, actor=case.opened_by, reason="No")


# --- the ledger ---------------------------------------------------------------------------


@pytest.fixture
def victim_case(spain_school):
    case = CaseFactory.create(school=spain_school)
    girl = pupil(spain_school, years_ago(15))
    add(case, girl)
    return case, girl


def route(code: str) -> RemovalRoute:
    return RemovalRoute.objects.get(code=code)


def test_recording_and_updating_the_victims_own_report(victim_case):
    case, girl = victim_case
    report = reporting_services.removal_report_record(
        case=case,
        victim=girl,
        route=route("take-it-down"),
        reported_on=timezone.localdate(),
        case_number="TID-123",
        actor=case.opened_by,
    )
    assert report.status == RemovalRouteReport.Status.REPORTED
    reporting_services.removal_report_update(
        report=report, actor=case.opened_by, status=RemovalRouteReport.Status.REMOVED
    )
    report.refresh_from_db()
    assert report.status == "removed"
    assert report.case_number == "TID-123"
    verbs = list(
        CaseEvent.objects.filter(case=case, verb__startswith="removal_report").values_list(
            "verb", flat=True
        )
    )
    assert verbs == ["removal_report.recorded", "removal_report.updated"]


def test_the_ledger_refuses_someone_who_is_not_a_victim_of_the_case(victim_case, spain_school):
    case, _girl = victim_case
    stranger = pupil(spain_school, years_ago(15))
    with nothing_written(RemovalRouteReport), pytest.raises(ValidationError) as refused:
        reporting_services.removal_report_record(
            case=case,
            victim=stranger,
            route=route("take-it-down"),
            reported_on=timezone.localdate(),
            actor=case.opened_by,
        )
    assert "victim" in refused.value.message_dict


def test_the_ledger_refuses_a_route_that_does_not_fit_the_victim(victim_case):
    case, girl = victim_case
    for code in ("stopncii", "report-remove"):  # adults only; the UK only
        with nothing_written(RemovalRouteReport), pytest.raises(ValidationError) as refused:
            reporting_services.removal_report_record(
                case=case,
                victim=girl,
                route=route(code),
                reported_on=timezone.localdate(),
                actor=case.opened_by,
            )
        assert "route" in refused.value.message_dict


def test_the_ledger_refuses_a_date_in_the_future(victim_case):
    case, girl = victim_case
    with nothing_written(RemovalRouteReport), pytest.raises(ValidationError) as refused:
        reporting_services.removal_report_record(
            case=case,
            victim=girl,
            route=route("take-it-down"),
            reported_on=timezone.localdate() + timedelta(days=2),
            actor=case.opened_by,
        )
    assert "reported_on" in refused.value.message_dict


def test_a_staff_member_is_never_a_victim_here_but_an_adult_pupil_gets_stopncii(uk_school):
    # Victims are pupils (``ROLE_KINDS``); an adult pupil is offered StopNCII.
    case = CaseFactory.create(school=uk_school, category="non_consensual_sharing")
    staff = StaffPersonFactory.create(school=uk_school)
    with pytest.raises(ValidationError):
        add(case, staff)
    adult = PupilFactory.create(school=uk_school, age=19)
    add(case, adult)
    assert routes_signposted(case, adult) == {"stopncii"}


# --- the participant's date of the act ----------------------------------------------------


def test_only_an_alleged_perpetrator_has_a_date_of_the_act(spain_school):
    case = CaseFactory.create(school=spain_school)
    with pytest.raises(ValidationError) as refused:
        add(case, pupil(spain_school, years_ago(15)), act_on=timezone.localdate())
    assert "act_on" in refused.value.message_dict


# --- in the reader's language ---------------------------------------------------------


def test_the_reason_names_the_age_and_date_in_english_and_spanish(spain_school, fiscalia):
    case = CaseFactory.create(school=spain_school)
    boy = pupil(spain_school, years_ago(15), kind=Person.Kind.EXTERNAL)
    add(case, boy, Participant.Role.ALLEGED_PERPETRATOR, act_on=date(2026, 3, 2))
    suggestion = open_of(case)[f"fiscalia:{fiscalia.pk}:{boy.pk}"]
    with translation.override("en"):
        english = routing.reason_of(suggestion)
        assert "Organic Law 5/2000" in routing.source_of(suggestion)
    assert english.startswith("An alleged perpetrator was 14 on the date of the act")
    assert "Fiscalía de Menores" in english
    with translation.override("es"):
        spanish = routing.reason_of(suggestion)
        assert spanish.startswith("Un presunto autor tenía 14 años en la fecha de los hechos")
        assert "2 de marzo de 2026" in spanish


# --- the hook -------------------------------------------------------------------------


def test_routing_is_registered_once_as_a_case_changed_hook():
    register_case_changed(refresh_routing)  # again: a no-op
    assert case_changed_hooks().count(refresh_routing) == 1


def test_a_refresh_with_nothing_changed_costs_a_handful_of_queries(
    spain_school, django_assert_max_num_queries
):
    case = CaseFactory.create(school=spain_school, adult_involved=True)
    add(case, pupil(spain_school, years_ago(15)))
    # Lock, suggestions, participants, first dates, destinations, routes; and the
    # savepoint pair of its ``atomic`` inside the test's transaction.
    with django_assert_max_num_queries(8):
        reporting_services.routing_refresh(case=case)


def test_a_closed_case_is_left_as_it_is(uk_school):
    case = CaseFactory.create(school=uk_school, adult_involved=True)
    case_services.case_close(case=case, actor=case.opened_by, reason="Done")
    case.refresh_from_db()
    Organisation.objects.filter(code="CEOP").update(jurisdiction="US")  # would lapse it
    with nothing_written(RoutingSuggestion):
        reporting_services.routing_refresh(case=case)
    assert len(police_suggestions(case)) == 1


def test_a_date_of_the_act_in_the_future_is_refused(spain_school):
    case = CaseFactory.create(school=spain_school)
    boy = pupil(spain_school, years_ago(15), kind=Person.Kind.EXTERNAL)
    with pytest.raises(ValidationError) as refused:
        add(
            case,
            boy,
            Participant.Role.ALLEGED_PERPETRATOR,
            act_on=timezone.localdate() + timedelta(days=3),
        )
    assert "act_on" in refused.value.message_dict
