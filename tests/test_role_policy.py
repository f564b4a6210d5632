"""The role policy (``cases/permissions.py``) and what the product does agree.

``tests/access_expectations.py`` says, for every URL, persona and method, what the
access matrix must observe (``tests/test_access_matrix.py`` makes the requests). Here
each cell is derived again from ``cases.permissions.POLICY``: a persona gets through
exactly where its role has the URL's ability on the URL's resource, in a scope that
reaches the object. A rule changed in one place and not the other fails here.
"""

from __future__ import annotations

import pytest

from accounts.second_factor import requires_second_factor
from cases import permissions
from cases.models import Membership, Organisation, Role, User
from cases.permissions import POLICY, SECTION_OF, Ability, Resource, Scope
from tests.access_expectations import (
    CONCERN_LOGGED_BY,
    EXPECTATIONS,
    METHOD,
    OK,
    PERSONA_ROLES,
    POLICY_OF,
    REFERRAL_UNIT,
    SHARED_SECTIONS,
)


def reaches(persona: str, owner: str, resource: Resource, scope: Scope) -> bool:
    """Whether ``scope``, held by ``persona``, reaches ``resource`` of school ``owner``
    in the access world (the facts in ``tests/access_expectations.py``)."""
    where = PERSONA_ROLES[persona][1]
    if scope is Scope.SCHOOL:
        return where == owner
    if scope is Scope.LOGGED:
        return resource is Resource.CONCERN and CONCERN_LOGGED_BY[owner] == persona
    if scope is Scope.REFERRED:
        if REFERRAL_UNIT[owner] != where or resource not in SECTION_OF:
            return False
        section = SECTION_OF[resource]
        return section is None or section in SHARED_SECTIONS
    if scope is Scope.ADDRESSED:
        # The unit's inbox: its referrals, and the messages addressed to it about them.
        return resource in (Resource.REFERRAL, Resource.DELIVERY) and REFERRAL_UNIT[owner] == where
    return False  # AGGREGATE: counts, never an object


def granted(persona: str, owner: str, resource: Resource, ability: Ability) -> bool:
    scope = permissions.scope_of(PERSONA_ROLES[persona][0], resource, ability)
    if scope is None:
        return False
    if owner == "-":  # no object: the role has the ability somewhere
        return True
    return reaches(persona, owner, resource, scope)


def cells():
    for name, methods in POLICY_OF.items():
        for method, (resource, ability) in methods.items():
            for owner, personas in EXPECTATIONS[name][method].items():
                for persona in PERSONA_ROLES:
                    yield name, method, owner, persona, resource, ability, personas[persona]


def test_every_cell_of_the_access_matrix_follows_the_role_policy():
    wrong = [
        f"{persona} {method} {name} (object of {owner}): matrix says {outcome}, "
        f"policy {'grants' if want else 'refuses'} {ability.value} on {resource.value}"
        for name, method, owner, persona, resource, ability, outcome in cells()
        if (outcome == OK) != (want := granted(persona, owner, resource, ability))
    ]
    assert len(list(cells())) > 300
    assert not wrong, "\n".join(wrong)


def test_every_url_acting_on_an_object_names_its_resource_and_ability():
    """A new object URL must say what it does in the policy's terms, or the check above
    would silently skip it."""
    missing = [
        f"{name} {method}"
        for name, methods in EXPECTATIONS.items()
        for method, owners in methods.items()
        if "-" not in owners
        and any(o == OK for personas in owners.values() for o in personas.values())
        and method not in POLICY_OF.get(name, {})
    ]
    assert not missing, f"add to POLICY_OF in tests/access_expectations.py: {missing}"


def test_the_policy_names_every_role_and_only_known_scopes():
    assert set(POLICY) == set(Role)
    for grants in POLICY.values():
        for resource, abilities in grants.items():
            assert isinstance(resource, Resource)
            for ability, scope in abilities.items():
                assert isinstance(ability, Ability)
                assert isinstance(scope, Scope)
                if scope is Scope.REFERRED:
                    # A referral shares sections: a resource with no section cannot be
                    # reached through one.
                    assert resource in SECTION_OF, resource
                if scope is Scope.AGGREGATE:
                    assert resource is Resource.STATISTICS


def test_case_contents_stay_with_leads_deputies_and_referred_units():
    """DESIGN "Users": heads and authority admins see statistics, not case contents;
    staff see only the concerns they logged."""
    readers = {
        role
        for resource in Resource
        if resource not in (Resource.STATISTICS, Resource.CONCERN)
        for role in permissions.roles_with(resource, Ability.VIEW)
    }
    assert readers == {Role.SAFEGUARDING_LEAD, Role.DEPUTY_LEAD, Role.POLICE_LIAISON}
    assert permissions.roles_with(Resource.CONCERN, Ability.VIEW, Scope.SCHOOL) == {
        Role.SAFEGUARDING_LEAD,
        Role.DEPUTY_LEAD,
    }
    writers = {
        role
        for resource in Resource
        for ability in (Ability.CREATE, Ability.CHANGE)
        for role in permissions.roles_with(resource, ability)
        if resource is not Resource.CONCERN
    }
    assert writers == {Role.SAFEGUARDING_LEAD, Role.DEPUTY_LEAD}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_every_role_that_sees_case_data_or_statistics_needs_a_second_factor(role, settings):
    settings.OTP_REQUIRED = True
    org = Organisation.objects.create(
        name=f"Org {role}", kind="school", code="ORGX", jurisdiction="ES-BA"
    )
    user = User.objects.create_user(username=f"u.{role}")
    Membership.objects.create(user=user, organisation=org, role=role)
    sees_something = any(resource is not Resource.CONCERN for resource in POLICY[Role(role)])
    assert requires_second_factor(user) == sees_something


def test_the_table_shows_no_method_that_no_persona_can_reach_as_granted():
    """Sanity of the derivation: a method answered 405 to everyone is never tagged."""
    for name, methods in POLICY_OF.items():
        for method in methods:
            outcomes = {
                o for personas in EXPECTATIONS[name][method].values() for o in personas.values()
            }
            assert outcomes != {METHOD}, f"{name} {method}"
