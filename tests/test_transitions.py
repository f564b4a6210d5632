"""``cases.transitions.transition``: the one compare-and-set for every status change
(DESIGN rule 6), on a real row. The messages are what a client is shown with its 400 or
409, so they are checked word for word (in English)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from cases.exceptions import Conflict
from cases.models import Case
from cases.services import CASE_TRANSITIONS
from cases.transitions import transition

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_an_allowed_move_writes_the_status_and_the_fields_in_one_update(case_a, now):
    transition(case_a, allowed=CASE_TRANSITIONS, to="closed", closed_at=now, risk_level="high")

    assert (case_a.status, case_a.closed_at, case_a.risk_level) == ("closed", now, "high")
    stored = Case.objects.values_list("status", "closed_at", "risk_level").get(pk=case_a.pk)
    assert stored == ("closed", now, "high")


def test_a_move_the_table_does_not_allow_is_a_conflict_naming_both_statuses(case_a):
    with pytest.raises(Conflict) as excinfo:
        transition(case_a, allowed=CASE_TRANSITIONS, to="open")

    assert excinfo.value.message == "Cannot change status from Open to Open."
    assert excinfo.value.current_status == "open"


def test_a_status_the_table_does_not_know_is_named_as_it_was_given(case_a):
    with pytest.raises(Conflict) as excinfo:
        transition(case_a, allowed=CASE_TRANSITIONS, to="archived")
    assert excinfo.value.message == "Cannot change status from Open to archived."


def test_a_status_missing_from_the_table_allows_nothing(case_a):
    with pytest.raises(Conflict):
        transition(case_a, allowed={}, to="closed")
    assert Case.objects.get(pk=case_a.pk).status == "open"


def test_an_unknown_expected_status_is_a_validation_error_on_that_field(case_a):
    with pytest.raises(ValidationError) as excinfo:
        transition(case_a, allowed=CASE_TRANSITIONS, to="closed", expected="x" * 50)

    assert excinfo.value.message_dict == {"expected_status": [f"Unknown status {'x' * 40}."]}
    assert Case.objects.get(pk=case_a.pk).status == "open"


def test_a_lost_race_is_a_conflict_that_says_the_status_now(case_a, now):
    # Someone else closes the case meanwhile.
    Case.objects.filter(pk=case_a.pk).update(status="closed", closed_at=now)

    with pytest.raises(Conflict) as excinfo:
        transition(case_a, allowed=CASE_TRANSITIONS, to="closed", closed_at=now)

    assert excinfo.value.message == "The record was changed by someone else (status is now Closed)."
    assert excinfo.value.current_status == "closed"
    assert case_a.status == "closed"  # re-read, so the caller shows what is there
