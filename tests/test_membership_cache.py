"""Issue 8, "Sizes and names": the reader's memberships are read once per request
(``cases.memberships``), and a role granted or revoked between two requests, or during
one, is seen at once, even by the same ``User`` instance."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.memberships import request_scope, user_memberships
from cases.models import Membership
from cases.permissions import Role
from cases.selectors import schools_owned_by, units_of
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def membership_reads(queries: CaptureQueriesContext) -> int:
    return sum('FROM "cases_membership"' in q["sql"] for q in queries.captured_queries)


def test_a_request_reads_the_memberships_once(lead_a, case_a):
    client = client_for(lead_a)
    client.get(f"/api/v1/cases/{case_a.pk}/")  # warm Django's own caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/cases/{case_a.pk}/")
    assert response.status_code == 200
    assert membership_reads(queries) == 1


def test_the_same_user_object_sees_a_role_change_between_requests(lead_a, case_a):
    # force_authenticate hands the same instance to every request, as a long-lived
    # object would: a cache on the instance would go stale here.
    client = client_for(lead_a)
    url = f"/api/v1/cases/{case_a.pk}/"
    assert client.get(url).status_code == 200

    Membership.objects.filter(user=lead_a).delete()
    assert client.get(url).status_code == 404

    Membership.objects.create(user=lead_a, organisation=case_a.school, role=Role.DEPUTY_LEAD)
    assert client.get(url).status_code == 200


def test_a_change_during_the_request_is_read_back(lead_a, school_a, police_unit):
    with request_scope():
        assert units_of(lead_a) == []
        membership = Membership.objects.create(
            user=lead_a, organisation=police_unit, role=Role.POLICE_LIAISON
        )
        assert units_of(lead_a) == [police_unit.pk]
        membership.delete()
        assert units_of(lead_a) == []
        assert schools_owned_by(lead_a) == [school_a.pk]


def test_within_a_request_one_query_serves_every_role_check(lead_a, school_a):
    with request_scope(), CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert schools_owned_by(lead_a) == [school_a.pk]
            assert units_of(lead_a) == []
            assert [m.organisation.kind for m in user_memberships(lead_a)] == ["school"]
    assert len(queries.captured_queries) == 1


def test_outside_a_request_nothing_is_cached(lead_a, school_a):
    # Tasks, the shell and tests that call a selector read the database every time.
    assert schools_owned_by(lead_a) == [school_a.pk]
    Membership.objects.filter(user=lead_a).update(role=Role.STAFF)  # no signal sent
    assert schools_owned_by(lead_a) == []


def test_anonymous_users_have_no_memberships():
    with CaptureQueriesContext(connection) as queries:
        assert user_memberships(AnonymousUser()) == ()
    assert not queries.captured_queries
