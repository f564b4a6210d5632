"""The visibility rule (DESIGN rule 2) at the selector level."""

import pytest

from cases.exceptions import NotFound
from cases.models import Case
from cases.selectors import case_get_for_user


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
