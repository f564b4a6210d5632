"""The shared factories (``tests/factories.py``) build valid objects with their defaults,
through the services: each case-file object comes with its chronology row."""

from __future__ import annotations

import pytest

from cases.models import CaseEvent, Membership, Person, Role
from tests import factories as f


@pytest.mark.django_db
def test_a_user_with_an_organisation_and_a_role_has_that_one_membership():
    school = f.SchoolFactory.create()
    user = f.UserFactory.create(organisation=school, role=Role.HEAD)
    assert list(Membership.objects.filter(user=user).values_list("organisation", "role")) == [
        (school.pk, Role.HEAD)
    ]
    assert user.check_password(f.PASSWORD)
    assert not f.UserFactory.create().memberships.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("factory_class", "verb"),
    [
        (f.PupilFactory, "person.created"),
        (f.GuardianFactory, "person.created"),
        (f.CaseFactory, "case.opened"),
        (f.ParticipantFactory, "participant.added"),
        (f.ConcernFactory, "concern.logged"),
        (f.EvidenceItemFactory, "evidence.recorded"),
        (f.SupportPlanFactory, "support_plan.created"),
        (f.SupportMeasureFactory, "support_measure.added"),
        (f.CheckInFactory, "check_in.recorded"),
        (f.GuardianContactFactory, "guardian.contacted"),
        (f.ActionFactory, "action.created"),
        (f.ReferralFactory, "referral.created"),
        (f.TakedownRequestFactory, "takedown.created"),
    ],
)
def test_each_factory_writes_through_its_service(factory_class, verb):
    obj = factory_class.create()
    assert obj.pk is not None
    assert CaseEvent.objects.filter(verb=verb, object_id=obj.pk).exists()


@pytest.mark.django_db
def test_the_optional_steps_send_the_referral_and_submit_the_notice():
    referral = f.ReferralFactory.create(sent=True)
    notice = f.TakedownRequestFactory.create(platform_ticket="T-1")
    assert referral.status == "sent"
    assert notice.deadline_at is not None
    assert notice.platform_ticket == "T-1"


@pytest.mark.django_db
def test_people_of_a_case_belong_to_its_school_and_guardians_have_no_birth_date():
    participant = f.ParticipantFactory.create()
    assert participant.person.school_id == participant.case.school_id
    guardian = f.GuardianFactory.create()
    assert (guardian.kind, guardian.date_of_birth, guardian.year_group) == (
        Person.Kind.GUARDIAN,
        None,
        "",
    )


@pytest.mark.django_db
def test_build_is_refused_for_objects_only_a_service_writes():
    school = f.SchoolFactory.create()
    lead = f.UserFactory.create(organisation=school, role=Role.SAFEGUARDING_LEAD)
    with pytest.raises(TypeError, match="only creates"):
        f.CaseFactory.build(school=school, actor=lead)
