"""Case-file API (``/api/v1/``): what hangs off a case: participants, evidence, the
chronology, support plans with their check-ins and measures, guardian contacts and
actions. A police liaison reads only the sections the live referrals to their unit share
(``CaseSubresourceApi.section``); other sub-resources are 404 for them.

The rules of ``api.views_cases`` hold here.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from api.base import audit_context, mark_case_data, record_read
from api.fields import zoned_context
from api.permissions import IsCaseEditor
from api.serializers_case_parts import (
    ActionCreateInputSerializer,
    ActionOutputSerializer,
    CaseEventOutputSerializer,
    CheckInOutputSerializer,
    CheckInRecordInputSerializer,
    EvidenceItemOutputSerializer,
    EvidenceRecordInputSerializer,
    GuardianContactOutputSerializer,
    GuardianContactRecordInputSerializer,
    ParticipantAddInputSerializer,
    ParticipantOutputSerializer,
    SupportMeasureAddInputSerializer,
    SupportMeasureOutputSerializer,
    SupportPlanCreateInputSerializer,
    SupportPlanOutputSerializer,
)
from api.views_cases import CASES_TAG, CaseFileApi
from cases import selectors
from cases import services as case_services
from cases.models import Case
from cases.permissions import (
    CASE_SECTION_CHRONOLOGY,
    CASE_SECTION_EVIDENCE,
    CASE_SECTION_INTERNAL,
    CASE_SECTION_PARTICIPANTS,
    CASE_SECTION_SUPPORT,
)
from cases.verbs import AccessAction
from config.http import AuthenticatedRequest


class CaseSubresourceApi(CaseFileApi):
    """A list under ``cases/{case_id}/`` that belongs to one section of the case."""

    extra_permission_classes = (IsCaseEditor,)
    section: str = CASE_SECTION_INTERNAL

    def readable_case(self, request: AuthenticatedRequest, case_id: int) -> Case:
        """The case, if visible and its ``section`` is shared with the user; else 404."""
        return selectors.case_get_for_section(
            user=request.user, case_id=case_id, section=self.section
        )

    def writable_case(self, request: AuthenticatedRequest, case_id: int) -> Case:
        """The case, if visible (else 404) and the user may write to it (else 403)."""
        case = selectors.case_get_for_user(user=request.user, case_id=case_id)
        self.check_object_permissions(request, case)
        return case

    def read_list(
        self,
        request: AuthenticatedRequest,
        *,
        case: Case,
        queryset: QuerySet[Any],
        serializer_class: type[BaseSerializer[Any]],
        action: AccessAction,
    ) -> Response:
        _, response = self.paginated(queryset, serializer_class)
        record_read(request, action=action, case_ids=[case.pk])
        return response

    def person_scope(self, request: AuthenticatedRequest, case: Case) -> dict[str, Any]:
        """People a case's input may name: those of the case's school, as the user
        sees them (a foreign id is "does not exist")."""
        people = selectors.people_for_user(user=request.user).filter(school_id=case.school_id)
        return {"scopes": {"person": people}}


class CaseParticipantsApi(CaseSubresourceApi):
    section = CASE_SECTION_PARTICIPANTS

    @extend_schema(tags=CASES_TAG, responses=ParticipantOutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest, case_id: int) -> Response:
        """People and their roles in the case (rule 4: a role per case)."""
        case = self.readable_case(request, case_id)
        return self.read_list(
            request,
            case=case,
            queryset=selectors.case_participants(case=case),
            serializer_class=ParticipantOutputSerializer,
            action=AccessAction.CASE_PARTICIPANTS,
        )

    @extend_schema(
        tags=CASES_TAG,
        request=ParticipantAddInputSerializer,
        responses={201: ParticipantOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, case_id: int) -> Response:
        """Give a person of the case's school a role in the case."""
        case = self.writable_case(request, case_id)
        serializer = ParticipantAddInputSerializer(
            data=request.data, context=self.person_scope(request, case)
        )
        serializer.is_valid(raise_exception=True)
        participant = case_services.participant_add(
            case=case,
            actor=request.user,
            context=audit_context(request),
            **serializer.validated_data,
        )
        mark_case_data(request)
        data = ParticipantOutputSerializer(participant).data
        return Response(data, status=status.HTTP_201_CREATED)


class CaseEvidenceApi(CaseSubresourceApi):
    section = CASE_SECTION_EVIDENCE

    @extend_schema(tags=CASES_TAG, responses=EvidenceItemOutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest, case_id: int) -> Response:
        """Evidence of the case: where it is and its hashes, never content (rule 1)."""
        case = self.readable_case(request, case_id)
        return self.read_list(
            request,
            case=case,
            queryset=selectors.case_evidence(case=case),
            serializer_class=EvidenceItemOutputSerializer,
            action=AccessAction.CASE_EVIDENCE,
        )

    @extend_schema(
        tags=CASES_TAG,
        request=EvidenceRecordInputSerializer,
        responses={201: EvidenceItemOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, case_id: int) -> Response:
        """Record where a piece of evidence is and, if known, its hashes (SHA-256, MD5,
        PDQ with quality). ``first_seen_at`` may not be in the future. To hash a file
        use ``evidence/upload/``."""
        case = self.writable_case(request, case_id)
        serializer = EvidenceRecordInputSerializer(
            data=request.data, context=zoned_context(request, school=case.school)
        )
        serializer.is_valid(raise_exception=True)
        item = case_services.evidence_record(
            case=case,
            actor=request.user,
            context=audit_context(request),
            **serializer.validated_data,
        )
        mark_case_data(request)
        data = EvidenceItemOutputSerializer(item).data
        return Response(data, status=status.HTTP_201_CREATED)


class CaseEventsApi(CaseSubresourceApi):
    section = CASE_SECTION_CHRONOLOGY

    @extend_schema(tags=CASES_TAG, responses=CaseEventOutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest, case_id: int) -> Response:
        """The chronology: one row per write to the case (newest first). A police
        liaison sees only the events of the sections their live referrals share, and
        of the referral events only those about referrals to their own unit."""
        case = self.readable_case(request, case_id)
        return self.read_list(
            request,
            case=case,
            queryset=selectors.case_events_for_user(user=request.user, case=case),
            serializer_class=CaseEventOutputSerializer,
            action=AccessAction.CASE_EVENTS,
        )


class CaseSupportPlansApi(CaseSubresourceApi):
    section = CASE_SECTION_SUPPORT

    @extend_schema(tags=CASES_TAG, responses=SupportPlanOutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest, case_id: int) -> Response:
        """Support plans of the case's victims, with measures and check-ins."""
        case = self.readable_case(request, case_id)
        return self.read_list(
            request,
            case=case,
            queryset=selectors.case_support_plans(case=case),
            serializer_class=SupportPlanOutputSerializer,
            action=AccessAction.CASE_SUPPORT_PLANS,
        )

    @extend_schema(
        tags=CASES_TAG,
        request=SupportPlanCreateInputSerializer,
        responses={201: SupportPlanOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, case_id: int) -> Response:
        """Open a support plan for a victim of the case (you own it) and schedule the
        first check-in (default: ``check_in_every_days`` from now)."""
        case = self.writable_case(request, case_id)
        serializer = SupportPlanCreateInputSerializer(
            data=request.data,
            context=zoned_context(request, school=case.school, **self.person_scope(request, case)),
        )
        serializer.is_valid(raise_exception=True)
        plan = case_services.support_plan_create(
            case=case,
            owner=request.user,
            actor=request.user,
            context=audit_context(request),
            **serializer.validated_data,
        )
        mark_case_data(request)
        return Response(SupportPlanOutputSerializer(plan).data, status=status.HTTP_201_CREATED)


class CaseGuardianContactsApi(CaseSubresourceApi):
    section = CASE_SECTION_INTERNAL

    @extend_schema(tags=CASES_TAG, responses=GuardianContactOutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest, case_id: int) -> Response:
        """Contacts with parents or guardians about the case (school only)."""
        case = self.readable_case(request, case_id)
        return self.read_list(
            request,
            case=case,
            queryset=selectors.case_guardian_contacts(case=case),
            serializer_class=GuardianContactOutputSerializer,
            action=AccessAction.CASE_GUARDIAN_CONTACTS,
        )

    @extend_schema(
        tags=CASES_TAG,
        request=GuardianContactRecordInputSerializer,
        responses={201: GuardianContactOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, case_id: int) -> Response:
        """Record a contact with a guardian of the case's school (not in the future)."""
        case = self.writable_case(request, case_id)
        serializer = GuardianContactRecordInputSerializer(
            data=request.data,
            context=zoned_context(request, school=case.school, **self.person_scope(request, case)),
        )
        serializer.is_valid(raise_exception=True)
        contact = case_services.guardian_contact_record(
            case=case,
            actor=request.user,
            context=audit_context(request),
            **serializer.validated_data,
        )
        mark_case_data(request)
        data = GuardianContactOutputSerializer(contact).data
        return Response(data, status=status.HTTP_201_CREATED)


class CaseActionsApi(CaseSubresourceApi):
    section = CASE_SECTION_INTERNAL

    @extend_schema(tags=CASES_TAG, responses=ActionOutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest, case_id: int) -> Response:
        """Tasks on the case with their owner and due time (school only)."""
        case = self.readable_case(request, case_id)
        return self.read_list(
            request,
            case=case,
            queryset=selectors.case_actions(case=case),
            serializer_class=ActionOutputSerializer,
            action=AccessAction.CASE_ACTIONS,
        )

    @extend_schema(
        tags=CASES_TAG,
        request=ActionCreateInputSerializer,
        responses={201: ActionOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, case_id: int) -> Response:
        """Create a task; ``owner`` is a user of the case's school (default: you)."""
        case = self.writable_case(request, case_id)
        serializer = ActionCreateInputSerializer(
            data=request.data,
            context=zoned_context(
                request,
                school=case.school,
                scopes={"user": selectors.school_users(school_id=case.school_id)},
            ),
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["owner"] = data.get("owner") or request.user
        action = case_services.action_create(
            case=case, actor=request.user, context=audit_context(request), **data
        )
        mark_case_data(request)
        return Response(ActionOutputSerializer(action).data, status=status.HTTP_201_CREATED)


class ActionCompleteApi(CaseFileApi):
    @extend_schema(tags=CASES_TAG, request=None, responses=ActionOutputSerializer)
    def post(self, request: AuthenticatedRequest, action_id: int) -> Response:
        """Mark a task done (once; a second time is 400). 404 unless you own the
        case's school."""
        action = selectors.action_get_for_editor(user=request.user, action_id=action_id)
        action = case_services.action_complete(
            action=action, actor=request.user, context=audit_context(request)
        )
        mark_case_data(request)
        return Response(ActionOutputSerializer(action).data)


class CheckInRecordApi(CaseFileApi):
    @extend_schema(
        tags=CASES_TAG,
        request=CheckInRecordInputSerializer,
        responses={201: CheckInOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        """Record a check-in held with the victim (default now, not in the future;
        wellbeing 1–5) and schedule the next. 404 unless you own the case's school."""
        plan = selectors.support_plan_get_for_editor(user=request.user, plan_id=plan_id)
        serializer = CheckInRecordInputSerializer(
            data=request.data, context=zoned_context(request, school=plan.case.school)
        )
        serializer.is_valid(raise_exception=True)
        check_in = case_services.check_in_record(
            plan=plan,
            actor=request.user,
            context=audit_context(request),
            **serializer.validated_data,
        )
        mark_case_data(request)
        return Response(CheckInOutputSerializer(check_in).data, status=status.HTTP_201_CREATED)


class SupportMeasureAddApi(CaseFileApi):
    @extend_schema(
        tags=CASES_TAG,
        request=SupportMeasureAddInputSerializer,
        responses={201: SupportMeasureOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest, plan_id: int) -> Response:
        """Add a support measure (counselling, parents' group…) to a support plan.
        404 unless you own the case's school."""
        plan = selectors.support_plan_get_for_editor(user=request.user, plan_id=plan_id)
        serializer = SupportMeasureAddInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        measure = case_services.support_measure_add(
            plan=plan,
            actor=request.user,
            context=audit_context(request),
            **serializer.validated_data,
        )
        mark_case_data(request)
        data = SupportMeasureOutputSerializer(measure).data
        return Response(data, status=status.HTTP_201_CREATED)
