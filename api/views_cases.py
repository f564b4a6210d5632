"""Case-file API (``/api/v1/``): people, concerns, cases and what hangs off a case.

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

from collections.abc import Iterable
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
from api.filters import PersonFilter
from api.parsers import StrictJSONParser
from api.permissions import CanLogConcern, IsCaseEditor, IsSchoolCaseOwner
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
from api.serializers_people import (
    ConcernLogInputSerializer,
    ConcernOutputSerializer,
    PersonCreateInputSerializer,
    PersonOutputSerializer,
)
from casefile.selectors import case_view_for_user
from cases import selectors
from cases import services as case_services
from cases.models import Case, Concern, Organisation, Person, User
from cases.permissions import (
    CASE_SECTION_CHRONOLOGY,
    CASE_SECTION_EVIDENCE,
    CASE_SECTION_INTERNAL,
    CASE_SECTION_PARTICIPANTS,
    CASE_SECTION_SUPPORT,
)
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
        return Response(CaseDetailOutputSerializer(view).data)

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


class DashboardApi(CaseFileApi):
    @extend_schema(tags=CASES_TAG, responses=DashboardOutputSerializer)
    def get(self, request: AuthenticatedRequest) -> Response:
        """Counts only: open cases you may see, overdue takedown notices and check-ins
        due within 7 days (late ones included) of the schools you own."""
        counts = dashboard_for_user(user=request.user)
        return Response(DashboardOutputSerializer(counts).data)
