"""Case-file API (``/api/v1/``): cases themselves (list, open, the case page, edit,
close, reopen), the dashboard, and ``CaseFileApi``, the base of every case-file view
(people and concerns: ``api.views_people``; what hangs off a case:
``api.views_case_parts``).

Each HTTP method is one action with its own input and output serializer; views only
validate input, call a service of ``cases.services`` (writes) or a selector of
``cases.selectors`` (reads), and serialize the result.

Rules every view here keeps:
- Cases come only from ``case_get_for_user``/``case_list_for_user`` (the case page from
  ``casefile.selectors.case_view_for_user``, which goes through the first): a
  case the user may not see is 404, exactly like one that does not exist (DESIGN
  rule 2). Writes then need ``IsCaseEditor`` (lead or deputy of the case's school);
  someone who may read but not write (a police liaison) gets 403.
- A police liaison reads only the sections that live referrals to their unit share
  (``case_sections_for_user``); other sub-resources are 404 for them.
- Every read of case data writes an ``AccessEvent`` with the case ids shown (DESIGN
  rule 3) and marks the response ``Cache-Control: no-store``.
- Errors: 400 with field errors (bad input; nothing written), 404, 409 (a status
  changed meanwhile). Messages follow ``Accept-Language`` (``es`` or ``en``).
All times are ISO 8601 and stored in UTC. Answers carry an offset. A time sent
without one is read on the clock of the school the record belongs to
(``api.fields.SchoolDateTimeField``; ``Time-Zone`` header for users outside it).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from api.base import GenericApi, audit_context, mark_case_data, record_read
from api.fields import zoned_context
from api.parsers import StrictJSONParser
from api.permissions import IsCaseEditor, IsSchoolCaseOwner
from api.serializers_cases import (
    CaseCloseInputSerializer,
    CaseDetailOutputSerializer,
    CaseListItemOutputSerializer,
    CaseOpenInputSerializer,
    CaseOutputSerializer,
    CaseStatusInputSerializer,
    CaseUpdateInputSerializer,
    DashboardOutputSerializer,
)
from casefile.selectors import case_view_for_user
from cases import selectors
from cases import services as case_services
from cases.models import Case, Organisation
from cases.verbs import AccessAction
from config.http import AuthenticatedRequest, signed_in_user
from reporting.selectors import dashboard_for_user

CASES_TAG = ["case file"]


class CaseFileApi(GenericApi):
    """Base: JSON only, no implicit filtering; cursor pagination from settings for the
    list actions. Authentication and permissions: ``api.base.Api``."""

    parser_classes = [StrictJSONParser]
    filter_backends: list = []

    def paginated(
        self, queryset: QuerySet[Any], serializer_class: type[BaseSerializer[Any]], **context: Any
    ) -> tuple[list[Any], Response]:
        """One page of ``queryset`` serialized, and the response carrying it."""
        page = self.paginate_queryset(queryset)
        if page is None:  # only without a pagination_class; every list here is paged
            raise ImproperlyConfigured(f"{type(self).__name__} lists without pagination.")
        data = serializer_class(page, many=True, context=context).data
        return page, self.get_paginated_response(data)


# --- People -------------------------------------------------------------------------


class CaseFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Case.Status.choices)
    category = django_filters.ChoiceFilter(choices=Case.Category.choices)
    risk_level = django_filters.ChoiceFilter(choices=Case.Risk.choices)

    class Meta:
        model = Case
        fields = ["status", "category", "risk_level"]


class CasesApi(CaseFileApi):
    write_permission_classes = (IsSchoolCaseOwner,)
    filter_backends = [DjangoFilterBackend]
    filterset_class = CaseFilter

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # schema generation only
            return Case.objects.none()
        return selectors.case_list_for_user(user=signed_in_user(self.request))

    @extend_schema(tags=CASES_TAG, responses=CaseListItemOutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        """Cases you may see, newest first (cursor pages). Filters: ``status``,
        ``category``, ``risk_level`` (an unknown value is 400)."""
        cases = self.filter_queryset(self.get_queryset())
        page, response = self.paginated(cases, CaseListItemOutputSerializer)
        record_read(request, action=AccessAction.CASE_LIST, case_ids=[case.pk for case in page])
        return response

    @extend_schema(
        tags=CASES_TAG, request=CaseOpenInputSerializer, responses={201: CaseOutputSerializer}
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        """Open a case in your school (lead or deputy) with the next reference
        ``CODE-YYYY-NNNN``; optionally following a new concern of the same school."""
        serializer = CaseOpenInputSerializer(
            data=request.data,
            context={
                "request": request,  # the school is chosen in the input
                "scopes": {
                    "school": Organisation.objects.filter(
                        pk__in=selectors.schools_owned_by(request.user)
                    ),
                    "concern": selectors.concerns_owned_by(user=request.user),
                },
            },
        )
        serializer.is_valid(raise_exception=True)
        case = case_services.case_open(
            actor=request.user, context=audit_context(request), **serializer.validated_data
        )
        mark_case_data(request)
        return Response(CaseOutputSerializer(case).data, status=status.HTTP_201_CREATED)


class CaseDetailApi(CaseFileApi):
    extra_permission_classes = (IsCaseEditor,)

    @extend_schema(tags=CASES_TAG, responses=CaseDetailOutputSerializer)
    def get(self, request: AuthenticatedRequest, case_id: int) -> Response:
        """A case with its participants, evidence, referrals, takedown notices, support
        plans (with check-ins) and chronology, in a constant number of queries.

        A police liaison sees only the sections that the live referrals to their unit
        share; other parts are empty and ``visible_sections`` lists what was shown."""
        view = case_view_for_user(user=request.user, case_id=case_id)
        record_read(request, action=AccessAction.CASE_DETAIL, case_ids=[view.case.pk])
        return Response(CaseDetailOutputSerializer(view, context={"reader": request.user}).data)

    @extend_schema(
        tags=CASES_TAG, request=CaseUpdateInputSerializer, responses=CaseOutputSerializer
    )
    def patch(self, request: AuthenticatedRequest, case_id: int) -> Response:
        """Change the title, summary, risk level or flags (lead or deputy)."""
        case = selectors.case_get_for_user(user=request.user, case_id=case_id)
        self.check_object_permissions(request, case)
        serializer = CaseUpdateInputSerializer(
            data=request.data, context=zoned_context(request, school=case.school)
        )
        serializer.is_valid(raise_exception=True)
        case = case_services.case_update_flags(
            case=case,
            actor=request.user,
            context=audit_context(request),
            **serializer.validated_data,
        )
        mark_case_data(request)
        return Response(CaseOutputSerializer(case).data)


class CaseCloseApi(CaseFileApi):
    extra_permission_classes = (IsCaseEditor,)

    @extend_schema(
        tags=CASES_TAG,
        request=CaseCloseInputSerializer,
        responses={200: CaseOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, case_id: int) -> Response:
        """Close a case with a reason. 400 while referrals or takedown notices are open
        or support plans active; 409 if its status changed since ``expected_status``."""
        case = selectors.case_get_for_user(user=request.user, case_id=case_id)
        self.check_object_permissions(request, case)
        serializer = CaseCloseInputSerializer(
            data=request.data, context=zoned_context(request, school=case.school)
        )
        serializer.is_valid(raise_exception=True)
        case = case_services.case_close(
            case=case,
            actor=request.user,
            context=audit_context(request),
            **serializer.validated_data,
        )
        mark_case_data(request)
        return Response(CaseOutputSerializer(case).data)


class CaseReopenApi(CaseFileApi):
    extra_permission_classes = (IsCaseEditor,)

    @extend_schema(
        tags=CASES_TAG,
        request=CaseStatusInputSerializer,
        responses={200: CaseOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, case_id: int) -> Response:
        """Reopen a closed case so that it can be changed again (lead or deputy). 409 if
        it is not closed, or changed since ``expected_status`` / ``expected_updated_at``."""
        case = selectors.case_get_for_user(user=request.user, case_id=case_id)
        self.check_object_permissions(request, case)
        serializer = CaseStatusInputSerializer(
            data=request.data, context=zoned_context(request, school=case.school)
        )
        serializer.is_valid(raise_exception=True)
        case = case_services.case_reopen(
            case=case,
            actor=request.user,
            context=audit_context(request),
            **serializer.validated_data,
        )
        mark_case_data(request)
        return Response(CaseOutputSerializer(case).data)


# --- What hangs off a case ----------------------------------------------------------


class DashboardApi(CaseFileApi):
    @extend_schema(tags=CASES_TAG, responses=DashboardOutputSerializer)
    def get(self, request: AuthenticatedRequest) -> Response:
        """Counts only: open cases you may see, overdue takedown notices and check-ins
        due within 7 days (late ones included) of the schools you own."""
        counts = dashboard_for_user(user=request.user)
        return Response(DashboardOutputSerializer(counts).data)
