"""API views of a case's routing advice and of the victims' own removal routes ledger.

- ``GET /api/v1/cases/{id}/routing/``: where the case should go, and why (the school's
  lead or deputy only: an internal section; a police liaison gets 404).
- ``POST /api/v1/routing/{id}/accept/`` and ``dismiss/``: the lead's decision.
- ``GET/POST /api/v1/cases/{id}/removal-reports/``: what the victims told the school of
  their own reports (evidence section: a liaison it is shared with may read it).
- ``PATCH /api/v1/cases/{id}/removal-reports/{report_id}/``: update one line.

The rules of ``api.views_cases`` hold here: reads audited (``AccessAction.CASE_ROUTING``
and ``CASE_REMOVAL_REPORTS``), writes through ``reporting.services`` with the request's
audit context, errors mapped by ``api/exceptions.py`` (400, 404, 409).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from api import serializers_routing as s
from api.base import audit_context, mark_case_data
from api.views_case_parts import CaseSubresourceApi
from api.views_cases import CaseFileApi
from api.views_reporting import ERRORS
from cases.permissions import CASE_SECTION_EVIDENCE, CASE_SECTION_INTERNAL
from cases.verbs import AccessAction
from config.http import AuthenticatedRequest
from reporting import services
from reporting.models import RoutingSuggestion
from reporting.routing_selectors import (
    case_removal_reports,
    case_routing_rows,
    removal_report_get_for_editor,
    routing_suggestion_get_for_editor,
)

ROUTING_TAG = ["routing"]


class CaseRoutingApi(CaseSubresourceApi):
    section = CASE_SECTION_INTERNAL

    @extend_schema(tags=ROUTING_TAG, responses=s.RoutingSuggestionOutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest, case_id: int) -> Response:
        """Where the case should go (LAW.md §3): every suggestion (newest first) with
        its urgency, destination or victim's route, reason and sources in your language,
        status and the decision taken on it (who, when, note). Computed when the case
        opens or changes. Paginated. The school's lead or deputy only (404 for others)."""
        case = self.readable_case(request, case_id)
        return self.read_list(
            request,
            case=case,
            queryset=case_routing_rows(case=case),
            serializer_class=s.RoutingSuggestionOutputSerializer,
            action=AccessAction.CASE_ROUTING,
        )


class RoutingDecisionApi(CaseFileApi):
    """Base of the accept/dismiss actions: the suggestion through the editor's door."""

    def suggestion(self, request: AuthenticatedRequest, suggestion_id: int) -> RoutingSuggestion:
        return routing_suggestion_get_for_editor(user=request.user, suggestion_id=suggestion_id)


class RoutingAcceptApi(RoutingDecisionApi):
    @extend_schema(
        tags=ROUTING_TAG,
        request=s.RoutingAcceptInputSerializer,
        responses={200: s.RoutingSuggestionOutputSerializer, **ERRORS},
    )
    def post(self, request: AuthenticatedRequest, suggestion_id: int) -> Response:
        """Accept an open suggestion, with an optional ``note`` of what was done.
        Recorded with who and when. 409 if it was already decided or lapsed."""
        suggestion = self.suggestion(request, suggestion_id)
        serializer = s.RoutingAcceptInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.routing_accept(
            suggestion=suggestion,
            actor=request.user,
            note=serializer.validated_data["note"],
            context=audit_context(request),
        )
        mark_case_data(request)
        return Response(s.RoutingSuggestionOutputSerializer(suggestion).data)


class RoutingDismissApi(RoutingDecisionApi):
    @extend_schema(
        tags=ROUTING_TAG,
        request=s.RoutingDismissInputSerializer,
        responses={200: s.RoutingSuggestionOutputSerializer, **ERRORS},
    )
    def post(self, request: AuthenticatedRequest, suggestion_id: int) -> Response:
        """Dismiss an open suggestion; ``reason`` is required (400 without it, nothing
        written). Recorded with who and when. 409 if already decided or lapsed."""
        suggestion = self.suggestion(request, suggestion_id)
        serializer = s.RoutingDismissInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.routing_dismiss(
            suggestion=suggestion,
            actor=request.user,
            reason=serializer.validated_data["reason"],
            context=audit_context(request),
        )
        mark_case_data(request)
        return Response(s.RoutingSuggestionOutputSerializer(suggestion).data)


class CaseRemovalReportsApi(CaseSubresourceApi):
    section = CASE_SECTION_EVIDENCE

    @extend_schema(tags=ROUTING_TAG, responses=s.RemovalReportOutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest, case_id: int) -> Response:
        """What the victims told the school of their own removal reports (Take It Down,
        StopNCII, the AEPD Canal Prioritario…): route, case number, date, status. The
        school never reports on their behalf (LAW.md §3). Paginated."""
        case = self.readable_case(request, case_id)
        return self.read_list(
            request,
            case=case,
            queryset=case_removal_reports(case=case),
            serializer_class=s.RemovalReportOutputSerializer,
            action=AccessAction.CASE_REMOVAL_REPORTS,
        )

    @extend_schema(
        tags=ROUTING_TAG,
        request=s.RemovalReportRecordInputSerializer,
        responses={201: s.RemovalReportOutputSerializer, **ERRORS},
    )
    def post(self, request: AuthenticatedRequest, case_id: int) -> Response:
        """Record a victim's own report as they shared it: ``victim`` (a victim of the
        case), ``route`` (its code; one open to the victim by age and place),
        ``reported_on`` (not in the future), optional ``case_number`` and ``status``."""
        case = self.writable_case(request, case_id)
        serializer = s.RemovalReportRecordInputSerializer(
            data=request.data, context=self.person_scope(request, case)
        )
        serializer.is_valid(raise_exception=True)
        report = services.removal_report_record(
            case=case,
            actor=request.user,
            context=audit_context(request),
            **serializer.validated_data,
        )
        mark_case_data(request)
        return Response(
            s.RemovalReportOutputSerializer(report).data, status=status.HTTP_201_CREATED
        )


class RemovalReportDetailApi(CaseFileApi):
    @extend_schema(
        tags=ROUTING_TAG,
        request=s.RemovalReportUpdateInputSerializer,
        responses={200: s.RemovalReportOutputSerializer, **ERRORS},
    )
    def patch(self, request: AuthenticatedRequest, case_id: int, report_id: int) -> Response:
        """Update a victim's report as they tell more: ``case_number``, ``reported_on``
        or ``status`` (at least one). 404 unless you own the case's school."""
        report = removal_report_get_for_editor(
            user=request.user, report_id=report_id, case_id=case_id
        )
        serializer = s.RemovalReportUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.removal_report_update(
            report=report,
            actor=request.user,
            context=audit_context(request),
            **serializer.validated_data,
        )
        mark_case_data(request)
        return Response(s.RemovalReportOutputSerializer(report).data)
