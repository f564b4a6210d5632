"""The registry through which reporting adds to the case file without cases importing
it (``cases.extensions``, ADR 0007): the visibility a live referral grants, the
referrals and notices that keep a case open. Query counts stay those of before."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cases import extensions
from cases import services as case_services
from cases.models import Case
from reporting.extensions import live_referral_grant, open_reporting_problems

pytestmark = pytest.mark.django_db


def test_reporting_registers_its_grant_and_its_closure_check():
    assert live_referral_grant in extensions.visibility_grants()
    assert open_reporting_problems in extensions.closure_checks()


def test_registering_twice_adds_nothing():
    before = (extensions.visibility_grants(), extensions.closure_checks())

    extensions.register_visibility_grant(live_referral_grant)
    extensions.register_closure_check(open_reporting_problems)

    assert (extensions.visibility_grants(), extensions.closure_checks()) == before


def test_without_the_grant_a_liaison_sees_nothing_and_the_school_everything(
    referral_a, case_a, police, lead_a, monkeypatch
):
    assert list(Case.objects.visible_to(police)) == [case_a]

    monkeypatch.setattr(extensions, "_visibility_grants", [])

    assert list(Case.objects.visible_to(police)) == []
    assert list(Case.objects.visible_to(lead_a)) == [case_a]


def test_the_grant_costs_no_query_of_its_own(
    referral_a, case_a, police, lead_a, django_assert_num_queries
):
    # 1. the reader's memberships  2. the cases (the referral is a subquery)
    with django_assert_num_queries(2):
        assert list(Case.objects.visible_to(police)) == [case_a]
    with django_assert_num_queries(2):
        assert list(Case.objects.visible_to(lead_a)) == [case_a]


def test_an_open_referral_and_an_active_plan_both_keep_the_case_open(
    referral_a, case_a, lead_a, django_assert_num_queries
):
    victim = case_a.participants.get(role="victim").person
    case_services.support_plan_create(case=case_a, victim=victim, owner=lead_a, actor=lead_a)

    # As before the registry: savepoint, lock the case row, COUNT open referrals, COUNT
    # open notices, COUNT active plans, rollback to and release the savepoint.
    with django_assert_num_queries(7), pytest.raises(ValidationError) as refused:
        case_services.case_close(case=case_a, actor=lead_a, reason="done")

    assert refused.value.message_dict["status"] == [
        "1 derivación(es) todavía abierta(s).",
        "1 plan(es) de apoyo todavía activo(s).",
    ]
