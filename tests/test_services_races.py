"""A unique-constraint race lost to a concurrent request is a 400, never a 500."""

from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from cases import services
from cases.models import CaseEvent, Participant


def test_a_duplicate_participant_lost_to_a_race_is_a_validation_error(case_a, lead_a):
    victim = case_a.participants.get().person
    # Simulate the race: the pre-check passes (as it would before the other insert
    # commits), then the database's unique constraint refuses the row.
    with (
        mock.patch.object(Participant, "validate_unique"),
        mock.patch.object(Participant, "validate_constraints"),
    ):
        events = CaseEvent.objects.count()
        with pytest.raises(ValidationError) as caught:
            services.participant_add(case=case_a, person=victim, role="victim", actor=lead_a)
    assert "non_field_errors" in caught.value.message_dict
    assert Participant.objects.filter(case=case_a).count() == 1
    assert CaseEvent.objects.count() == events
