"""Case-file API (``/api/v1/``): the school's people and its concerns (first reports).

The rules of ``api.views_cases`` hold here (one guarded way in, a read audit for every
read of case data, 400/404/409 in the user's language).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from api.base import audit_context, mark_case_data, record_read
from api.filters import PersonFilter
from api.permissions import CanLogConcern, IsSchoolCaseOwner
from api.serializers_people import (
    ConcernLogInputSerializer,
    ConcernOutputSerializer,
    PersonCreateInputSerializer,
    PersonOutputSerializer,
)
from api.views_cases import CASES_TAG, CaseFileApi
from cases import selectors
from cases import services as case_services
from cases.models import Concern, Organisation, Person, User
from cases.verbs import AccessAction
from config.http import AuthenticatedRequest, signed_in_user


class PeopleApi(CaseFileApi):
    write_permission_classes = (IsSchoolCaseOwner,)
    filter_backends = [DjangoFilterBackend]
    filterset_class = PersonFilter

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # schema generation only
            return Person.objects.none()
        return selectors.people_for_user(user=signed_in_user(self.request)).select_related("school")

    @extend_schema(tags=CASES_TAG, responses=PersonOutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        """People of the schools whose cases you own (safeguarding lead or deputy).
        Filter: ``kind`` (an unknown value is 400)."""
        people = self.filter_queryset(self.get_queryset())
        _, response = self.paginated(people, PersonOutputSerializer)
        record_read(request, action=AccessAction.PERSON_LIST, case_ids=[])
        return response

    @extend_schema(
        tags=CASES_TAG,
        request=PersonCreateInputSerializer,
        responses={201: PersonOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        """Record a pupil, guardian, member of staff or external person of your school.
        A pupil's date of birth must make them 3 to 21 years old. 400 on bad input."""
        serializer = PersonCreateInputSerializer(
            data=request.data,
            context={
                "scopes": {
                    "school": Organisation.objects.filter(
                        pk__in=selectors.schools_owned_by(request.user)
                    )
                }
            },
        )
        serializer.is_valid(raise_exception=True)
        person = case_services.person_create(
            actor=request.user, context=audit_context(request), **serializer.validated_data
        )
        mark_case_data(request)
        return Response(PersonOutputSerializer(person).data, status=status.HTTP_201_CREATED)


class PersonDetailApi(CaseFileApi):
    @extend_schema(tags=CASES_TAG, responses=PersonOutputSerializer)
    def get(self, request: AuthenticatedRequest, person_id: int) -> Response:
        """One person of a school whose cases you own; 404 otherwise."""
        person = selectors.person_get_for_user(user=request.user, person_id=person_id)
        record_read(request, action=AccessAction.PERSON_DETAIL, case_ids=[])
        return Response(PersonOutputSerializer(person).data)


# --- Concerns -----------------------------------------------------------------------


def _concern_context(user: User) -> dict[str, Any]:
    return {"owned_schools": frozenset(selectors.schools_owned_by(user))}


def _concern_case_ids(concerns: Iterable[Concern], owned_schools: frozenset[int]) -> list[int]:
    return [c.case_id for c in concerns if c.case_id and c.school_id in owned_schools]


class ConcernsApi(CaseFileApi):
    write_permission_classes = (CanLogConcern,)

    @extend_schema(tags=CASES_TAG, responses=ConcernOutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        """Concerns: a lead or deputy sees all of their schools'; staff see only the
        ones they logged, and of those only the status (not the case it led to)."""
        context = _concern_context(request.user)
        concerns = selectors.concerns_for_user(user=request.user).select_related("subject")
        page, response = self.paginated(concerns, ConcernOutputSerializer, **context)
        record_read(
            request,
            action=AccessAction.CONCERN_LIST,
            case_ids=_concern_case_ids(page, context["owned_schools"]),
        )
        return response

    @extend_schema(
        tags=CASES_TAG,
        request=ConcernLogInputSerializer,
        responses={201: ConcernOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        """Log a concern (staff, heads, leads): what was reported, in the child's own
        words where given. ``occurred_at`` may not be in the future. 400 on bad input."""
        serializer = ConcernLogInputSerializer(
            data=request.data,
            context={
                "request": request,  # the school is chosen in the input
                "scopes": {
                    "school": Organisation.objects.filter(
                        pk__in=selectors.schools_for_concerns(request.user)
                    ),
                    "person": selectors.people_for_user(user=request.user),
                },
            },
        )
        serializer.is_valid(raise_exception=True)
        concern, _code = case_services.concern_log(
            logged_by=request.user, context=audit_context(request), **serializer.validated_data
        )
        mark_case_data(request)
        data = ConcernOutputSerializer(concern, context=_concern_context(request.user)).data
        return Response(data, status=status.HTTP_201_CREATED)


class ConcernDetailApi(CaseFileApi):
    @extend_schema(tags=CASES_TAG, responses=ConcernOutputSerializer)
    def get(self, request: AuthenticatedRequest, concern_id: int) -> Response:
        """One concern you may see (see the list); 404 otherwise."""
        concern = selectors.concern_get_for_user(user=request.user, concern_id=concern_id)
        context = _concern_context(request.user)
        record_read(
            request,
            action=AccessAction.CONCERN_DETAIL,
            case_ids=_concern_case_ids([concern], context["owned_schools"]),
        )
        return Response(ConcernOutputSerializer(concern, context=context).data)


# --- Cases --------------------------------------------------------------------------
