"""The visibility rule (DESIGN rule 2) at the selector level."""

import pytest

from cases.exceptions import NotFound
from cases.models import Case, Membership, Role
from cases.selectors import case_get_for_user, schools_of, schools_owned_by
from reporting import services as reporting_services


def test_it_shows_a_lead_only_their_schools_cases(case_a, case_b, lead_a):
    assert list(Case.objects.visible_to(lead_a)) == [case_a]


def test_it_hides_other_schools_cases_as_not_found(case_b, lead_a):
    with pytest.raises(NotFound):
        case_get_for_user(user=lead_a, case_id=case_b.pk)


def test_staff_and_heads_see_no_case_contents(case_a, staff_a, head_a):
    assert not Case.objects.visible_to(staff_a).exists()
    assert not Case.objects.visible_to(head_a).exists()


def test_police_see_only_cases_with_a_live_referral_to_their_unit(
    referral_a, case_a, case_b, police, other_police
):
    assert list(Case.objects.visible_to(police)) == [case_a]
    assert not Case.objects.visible_to(other_police).exists()


def test_case_references_are_unique_per_school_and_year(case_a, school_a, lead_a):
    from cases.services import case_open

    second = case_open(school=school_a, actor=lead_a, title="Otro", category="sextortion")
    assert case_a.reference.endswith("-0001")
    assert second.reference == case_a.reference[:-4] + "0002"
    assert second.coercion_or_extortion


def test_a_deactivated_lead_sees_nothing(case_a, lead_a):
    lead_a.is_active = False
    lead_a.save(update_fields=["is_active"])

    assert not Case.objects.visible_to(lead_a).exists()
    assert schools_owned_by(lead_a) == [] and schools_of(lead_a) == []
    with pytest.raises(NotFound):
        case_get_for_user(user=lead_a, case_id=case_a.pk)


def test_a_lead_who_is_also_a_police_liaison_sees_both_kinds_of_case(
    case_a, case_b, lead_a, lead_b, other_unit
):
    """Roles are held per organisation: one person may lead school A and be the
    liaison of a unit that school B refers a case to."""
    referral = reporting_services.referral_create(
        case=case_b,
        actor=lead_b,
        destination=other_unit,
        summary="Denuncia",
        legal_basis="legal_obligation",
        shared_sections=["chronology"],
    )
    reporting_services.referral_send(referral=referral, actor=lead_b)
    Membership.objects.create(user=lead_a, organisation=other_unit, role=Role.POLICE_LIAISON)

    assert set(Case.objects.visible_to(lead_a)) == {case_a, case_b}
