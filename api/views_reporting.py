"""API views for the directory, referrals, takedown notices and clusters.

One view per action (HackSoft style): parse with an input serializer, fetch through
``reporting.selectors`` (visibility, 404), check who may act (403 for someone who may
see but not act), call one service in ``reporting.services`` with the request's
``AuditContext``, answer with an output serializer. Errors from services map through
``api/exceptions.py``: ``ValidationError`` 400, ``NotFound`` 404, ``Conflict`` 409.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from api import serializers_reporting as s
from api.base import Api, audit_context, mark_case_data, record_read
from api.fields import zoned_context
from api.filters import ReferralFilter, TakedownFilter, filter_list
from api.pagination import StableCursorPagination
from cases.models import Organisation, User
from cases.selectors import can_edit_case, schools_of
from cases.verbs import AccessAction
from config.http import AuthenticatedRequest
from reporting import services
from reporting.directory_selectors import destinations_for, legal_bases_for, removal_routes_for
from reporting.models import (
    LegalBasis,
    Platform,
    Referral,
    RemovalRoute,
    TakedownRequest,
)
from reporting.selectors import (
    can_act_for_destination,
    can_act_for_school,
    case_clusters_for_user,
    case_data_visible,
    referral_get_for_user,
    referral_list_for_user,
    referral_people_for_user,
    takedown_get_for_user,
    takedown_list_for_user,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

NOT_404 = {404: OpenApiResponse(description=_("Not found, or not visible to you."))}
ERRORS = {
    400: OpenApiResponse(description=_("Invalid input; nothing was written.")),
    403: OpenApiResponse(description=_("You may see this but not do this.")),
    **NOT_404,
    409: OpenApiResponse(description=_("Not allowed from the current status, or lost a race.")),
}

SCHOOL_ONLY = _("Only the school's safeguarding lead or deputy can do this.")
DESTINATION_ONLY = _("Only a liaison of the receiving unit can do this.")


# --- Directory ----------------------------------------------------------------------


class OrganisationListApi(Api):
    """Referral destinations, regulators, hotlines and services, plus the user's own
    schools (never other schools). ``?kind=`` filters; ``?serves_my_school=true`` keeps
    only the organisations whose jurisdiction covers one of the user's schools
    (``reporting.directory_selectors.destinations_for``: Spain's national units and
    Extremadura's child-protection service for a school in Badajoz, not CEOP).
    Paginated (cursor). The directory is reference data: not audited."""

    pagination_class = StableCursorPagination

    @extend_schema(
        tags=["directory"],
        parameters=[s.OrganisationFilterSerializer],
        responses={200: s.OrganisationOutputSerializer(many=True), 400: ERRORS[400]},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        filters = s.OrganisationFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        own = schools_of(request.user)
        qs = Organisation.objects.filter(~Q(kind=Organisation.Kind.SCHOOL) | Q(pk__in=own))
        if "kind" in filters.validated_data:
            qs = qs.filter(kind=filters.validated_data["kind"])
        if filters.validated_data["serves_my_school"]:
            kinds = [kind for kind in Organisation.Kind.values if kind != Organisation.Kind.SCHOOL]
            serving = {
                organisation.pk
                for school in Organisation.objects.filter(pk__in=own)
                for organisation in destinations_for(school=school, kinds=kinds)
            }
            qs = qs.filter(Q(pk__in=own) | Q(pk__in=serving))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        out = s.OrganisationOutputSerializer(page, many=True)
        return paginator.get_paginated_response(out.data)


class PlatformListApi(Api):
    """Platforms, how to report to each, who runs them and the removal duties they
    answer under (a short fixed directory: not paginated)."""

    @extend_schema(tags=["directory"], responses=s.PlatformOutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        platforms = Platform.objects.prefetch_related("legal_bases")
        return Response(s.PlatformOutputSerializer(platforms, many=True).data)


class LegalBasisListApi(Api):
    """Legal bases: the platforms' removal duties with their clocks (hours from
    submission) and the offences cited, with names and citations in the request's
    language and in both, their status (in force; enacted, commencement not yet
    confirmed; draft, never offered) and their source. ``?platform=<slug>`` keeps what a
    notice to that platform from one of the user's schools may rest on
    (``reporting.directory_selectors.legal_bases_for``: enabled removal duties whose
    jurisdiction covers the school's); ``?purpose=`` filters. Not paginated."""

    @extend_schema(
        tags=["directory"],
        parameters=[s.LegalBasisFilterSerializer],
        responses={200: s.LegalBasisOutputSerializer(many=True), 400: ERRORS[400]},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        filters = s.LegalBasisFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        platform = filters.validated_data.get("platform")
        bases: list[LegalBasis]
        if platform is None:
            bases = list(LegalBasis.objects.all())
        else:
            found = {
                basis.pk: basis
                for school in Organisation.objects.filter(pk__in=schools_of(request.user))
                for basis in legal_bases_for(platform=platform, school=school)
            }
            bases = sorted(found.values(), key=lambda basis: basis.code)
        if "purpose" in filters.validated_data:
            bases = [b for b in bases if b.purpose == filters.validated_data["purpose"]]
        return Response(s.LegalBasisOutputSerializer(bases, many=True).data)


class RemovalRouteListApi(Api):
    """The victims' own removal routes (Take It Down, Report Remove, StopNCII, the AEPD
    Canal Prioritario, INCIBE 017), signposted to the victim and never used on their
    behalf (LAW.md §3), with names and descriptions in the request's language.
    ``?age=`` (years) keeps the routes open to a person of that age; ``?serves_my_school
    =true`` those open where the user's schools are
    (``reporting.directory_selectors.removal_routes_for``). Not paginated."""

    @extend_schema(
        tags=["directory"],
        parameters=[s.RemovalRouteFilterSerializer],
        responses={200: s.RemovalRouteOutputSerializer(many=True), 400: ERRORS[400]},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        filters = s.RemovalRouteFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        age = filters.validated_data.get("age")
        if filters.validated_data["serves_my_school"]:
            found = {
                route.pk: route
                for school in Organisation.objects.filter(pk__in=schools_of(request.user))
                for route in removal_routes_for(school=school, age=age)
            }
            routes = sorted(found.values(), key=lambda route: route.code)
        else:
            routes = [
                route
                for route in RemovalRoute.objects.select_related("organisation")
                if route.fits_age(age)
            ]
        return Response(s.RemovalRouteOutputSerializer(routes, many=True).data)


# --- Referrals ----------------------------------------------------------------------


def _referral_response(
    request: AuthenticatedRequest, referral: Referral, *, code: int = status.HTTP_200_OK
) -> Response:
    # Re-read through the selector: fresh status and the ``case_data_visible`` flag.
    referral = referral_get_for_user(user=request.user, referral_id=referral.pk)
    mark_case_data(request)
    return Response(_referral_out(request, [referral])[0], status=code)


def _referral_out(request: AuthenticatedRequest, referrals: list[Referral]) -> Any:
    # Who each referral is about (issue 10): one query for the page's victims.
    people = referral_people_for_user(user=request.user, referrals=referrals)
    return s.ReferralOutputSerializer(referrals, many=True, context={"people": people}).data


class ReferralListCreateApi(Api):
    """GET: referrals visible to you (school: your schools'; police: your unit's inbox,
    with case data only while live); ``?status=`` filters (an unknown value is 400).
    POST: draft a referral (school lead/deputy)."""

    pagination_class = StableCursorPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ReferralFilter
    queryset = Referral.objects.none()  # the filters' model, for the schema only

    @extend_schema(
        tags=["referrals"],
        responses={200: s.ReferralOutputSerializer(many=True), 400: ERRORS[400]},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        paginator = self.pagination_class()
        referrals = filter_list(request, referral_list_for_user(user=request.user), self)
        page = paginator.paginate_queryset(referrals, request, view=self)
        record_read(
            request,
            action=AccessAction.REFERRAL_LIST,
            case_ids=[r.case_id for r in page if case_data_visible(r)],
        )
        return paginator.get_paginated_response(_referral_out(request, list(page)))

    @extend_schema(
        tags=["referrals"],
        request=s.ReferralCreateInputSerializer,
        responses={201: s.ReferralOutputSerializer, 400: ERRORS[400]},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = s.ReferralCreateInputSerializer(
            data=request.data, context=zoned_context(request, school=None)
        )
        data.is_valid(raise_exception=True)
        v = data.validated_data
        referral = services.referral_create(
            case=v["case"],
            actor=request.user,
            destination=v["destination"],
            summary=v["summary"],
            legal_basis=v["legal_basis"],
            shared_sections=v["shared_sections"],
            legal_basis_note=v.get("legal_basis_note", ""),
            complainant=v.get("complainant"),
            guardians=v.get("guardians", ""),
            guardians_note=v.get("guardians_note", ""),
            phoned_at=v.get("phoned_at"),
            phoned_to=v.get("phoned_to", ""),
            context=audit_context(request),
        )
        return _referral_response(request, referral, code=status.HTTP_201_CREATED)


class ReferralDetailApi(Api):
    """One referral visible to you; 404 otherwise."""

    @extend_schema(tags=["referrals"], responses={200: s.ReferralOutputSerializer, **NOT_404})
    def get(self, request: AuthenticatedRequest, referral_id: int) -> Response:
        referral = referral_get_for_user(user=request.user, referral_id=referral_id)
        record_read(
            request,
            action=AccessAction.REFERRAL_DETAIL,
            case_ids=[referral.case_id] if case_data_visible(referral) else [],
        )
        return Response(_referral_out(request, [referral])[0])


class ReferralActionApi(Api):
    """Base of the referral actions, ``POST referrals/{referral_id}/<action>/``: the
    referral through ``referral_get_for_user`` (404 if not visible), ``may_act`` (403
    for someone who sees it but may not act: the school acts on its drafts, the
    receiving unit on what it received), the input (``input_serializer``; 400), one
    service of ``reporting.services`` called with the validated fields as keyword
    arguments (409 from the transition table), the fresh referral as the answer.

    A subclass names these four and keeps its own docstring (the operation's
    description) and ``extend_schema_view`` (its request body)."""

    # (user, referral) -> bool; a ``reporting.selectors`` predicate.
    may_act: ClassVar[staticmethod[[User, Referral], bool]]
    refusal: ClassVar[StrOrPromise]  # a lazy translation
    input_serializer: ClassVar[type[serializers.Serializer] | None] = None
    # (referral=, actor=, context=, **validated fields) -> Referral.
    service: ClassVar[staticmethod[..., Referral]]

    def input_context(self, request: AuthenticatedRequest, referral: Referral) -> dict[str, Any]:
        return {}

    def post(self, request: AuthenticatedRequest, referral_id: int) -> Response:
        # No docstring here: drf-spectacular would show it instead of the subclass's.
        referral = referral_get_for_user(user=request.user, referral_id=referral_id)
        if not type(self).may_act(request.user, referral):
            raise exceptions.PermissionDenied(self.refusal)
        fields: dict[str, Any] = {}
        if self.input_serializer is not None:
            data = self.input_serializer(
                data=request.data, context=self.input_context(request, referral)
            )
            data.is_valid(raise_exception=True)
            fields = dict(data.validated_data)
        type(self).service(
            referral=referral, actor=request.user, context=audit_context(request), **fields
        )
        return _referral_response(request, referral)


def _referral_action_schema(input_serializer: type[serializers.Serializer] | None):
    return extend_schema_view(
        post=extend_schema(
            tags=["referrals"],
            request=input_serializer,
            responses={200: s.ReferralOutputSerializer, **ERRORS},
        )
    )


@_referral_action_schema(None)
class ReferralSendApi(ReferralActionApi):
    """Send a draft: status ``sent``; one notice e-mail (a link, no child's details)
    is queued to the destination's liaisons on commit. School lead/deputy only."""

    may_act = staticmethod(can_act_for_school)
    refusal = SCHOOL_ONLY
    service = staticmethod(services.referral_send)


@_referral_action_schema(s.ReferralReasonInputSerializer)
class ReferralWithdrawApi(ReferralActionApi):
    """Withdraw a draft or sent referral, with a reason; ends the unit's access to the
    case. School lead/deputy only."""

    may_act = staticmethod(can_act_for_school)
    refusal = SCHOOL_ONLY
    input_serializer = s.ReferralReasonInputSerializer
    service = staticmethod(services.referral_withdraw)


@_referral_action_schema(s.ReferralAcknowledgeInputSerializer)
class ReferralAcknowledgeApi(ReferralActionApi):
    """Acknowledge a sent referral with your reference (e.g. the atestado number).
    Police liaison of the destination only."""

    may_act = staticmethod(can_act_for_destination)
    refusal = DESTINATION_ONLY
    input_serializer = s.ReferralAcknowledgeInputSerializer
    service = staticmethod(services.referral_acknowledge)

    def input_context(self, request: AuthenticatedRequest, referral: Referral) -> dict[str, Any]:
        # The liaison acts across schools: a time without an offset is read in the
        # zone their request names, else their unit's (``cases.zones.input_zone``).
        return zoned_context(request, school=referral.case.school)


@_referral_action_schema(s.ReferralReasonInputSerializer)
class ReferralRejectApi(ReferralActionApi):
    """Decline a sent or acknowledged referral, with a reason; ends your access.
    Police liaison of the destination only."""

    may_act = staticmethod(can_act_for_destination)
    refusal = DESTINATION_ONLY
    input_serializer = s.ReferralReasonInputSerializer
    service = staticmethod(services.referral_reject)


@_referral_action_schema(s.ReferralCloseInputSerializer)
class ReferralCloseApi(ReferralActionApi):
    """Close an acknowledged referral with its outcome; ends the unit's access to the
    case. Police liaison of the destination only."""

    may_act = staticmethod(can_act_for_destination)
    refusal = DESTINATION_ONLY
    input_serializer = s.ReferralCloseInputSerializer
    service = staticmethod(services.referral_close)


# --- Takedown notices ---------------------------------------------------------------


def _takedown_for_school(request: AuthenticatedRequest, takedown_id: int) -> TakedownRequest:
    notice = takedown_get_for_user(user=request.user, takedown_id=takedown_id)
    if not can_edit_case(request.user, notice.case):
        raise exceptions.PermissionDenied(SCHOOL_ONLY)
    return notice


def _takedown_response(
    request: AuthenticatedRequest, notice: TakedownRequest, *, code: int = status.HTTP_200_OK
) -> Response:
    notice = takedown_get_for_user(user=request.user, takedown_id=notice.pk)
    mark_case_data(request)
    return Response(s.TakedownOutputSerializer(notice).data, status=code)


class TakedownListCreateApi(Api):
    """GET: takedown notices of cases visible to you (police: read-only, cases with a
    live referral to your unit that shares the evidence); ``?status=`` filters (an
    unknown value is 400). POST: draft a notice (school lead/deputy)."""

    pagination_class = StableCursorPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = TakedownFilter
    queryset = TakedownRequest.objects.none()  # the filters' model, for the schema only

    @extend_schema(
        tags=["takedowns"],
        responses={200: s.TakedownOutputSerializer(many=True), 400: ERRORS[400]},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        paginator = self.pagination_class()
        notices = filter_list(request, takedown_list_for_user(user=request.user), self)
        page = paginator.paginate_queryset(notices, request, view=self)
        record_read(request, action=AccessAction.TAKEDOWN_LIST, case_ids=[t.case_id for t in page])
        return paginator.get_paginated_response(s.TakedownOutputSerializer(page, many=True).data)

    @extend_schema(
        tags=["takedowns"],
        request=s.TakedownCreateInputSerializer,
        responses={201: s.TakedownOutputSerializer, 400: ERRORS[400]},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = s.TakedownCreateInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        notice = services.takedown_create(
            case=v["case"],
            actor=request.user,
            platform=v["platform"],
            legal_basis=v["legal_basis"],
            evidence_items=v["evidence_items"],
            channel=v.get("channel"),
            notes=v.get("notes", ""),
            **s.SignatureBlockInputSerializer.signature_of(v),
            report_email=v.get("report_email", ""),
            language=v.get("language"),
            context=audit_context(request),
        )
        return _takedown_response(request, notice, code=status.HTTP_201_CREATED)


class TakedownDetailApi(Api):
    """One takedown notice visible to you; 404 otherwise (for a police liaison, also
    when the live referral to their unit does not share the evidence)."""

    @extend_schema(tags=["takedowns"], responses={200: s.TakedownOutputSerializer, **NOT_404})
    def get(self, request: AuthenticatedRequest, takedown_id: int) -> Response:
        notice = takedown_get_for_user(user=request.user, takedown_id=takedown_id)
        record_read(request, action=AccessAction.TAKEDOWN_DETAIL, case_ids=[notice.case_id])
        return Response(s.TakedownOutputSerializer(notice).data)


class TakedownSubmitApi(Api):
    """Record that the notice was filed with the platform and start its clock:
    ``deadline_at = submitted_at + legal basis hours`` (48 h under the US TAKE IT DOWN
    Act, 47 U.S.C. §223a)."""

    @extend_schema(
        tags=["takedowns"],
        request=s.TakedownSubmitInputSerializer,
        responses={200: s.TakedownOutputSerializer, **ERRORS},
    )
    def post(self, request: AuthenticatedRequest, takedown_id: int) -> Response:
        notice = _takedown_for_school(request, takedown_id)
        data = s.TakedownSubmitInputSerializer(
            data=request.data, context=zoned_context(request, school=notice.case.school)
        )
        data.is_valid(raise_exception=True)
        services.takedown_submit(
            notice=notice,
            actor=request.user,
            submitted_at=data.validated_data.get("submitted_at"),
            platform_ticket=data.validated_data.get("platform_ticket", ""),
            context=audit_context(request),
        )
        return _takedown_response(request, notice)


class TakedownOutcomeApi(Api):
    """Record the platform's answer: acknowledged, removed or refused."""

    @extend_schema(
        tags=["takedowns"],
        request=s.TakedownOutcomeInputSerializer,
        responses={200: s.TakedownOutputSerializer, **ERRORS},
    )
    def post(self, request: AuthenticatedRequest, takedown_id: int) -> Response:
        notice = _takedown_for_school(request, takedown_id)
        data = s.TakedownOutcomeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.takedown_record_outcome(
            notice=notice,
            actor=request.user,
            status=data.validated_data["status"],
            platform_ticket=data.validated_data.get("platform_ticket", ""),
            expected_status=data.validated_data.get("expected_status"),
            context=audit_context(request),
        )
        return _takedown_response(request, notice)


class TakedownEscalateApi(Api):
    """Escalate an overdue or refused notice to a regulator or hotline (default: the
    legal basis's escalation body). Any other status: 409."""

    @extend_schema(
        tags=["takedowns"],
        request=s.TakedownEscalateInputSerializer,
        responses={200: s.TakedownOutputSerializer, **ERRORS},
    )
    def post(self, request: AuthenticatedRequest, takedown_id: int) -> Response:
        notice = _takedown_for_school(request, takedown_id)
        data = s.TakedownEscalateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.takedown_escalate(
            notice=notice,
            actor=request.user,
            escalated_to=data.validated_data.get("escalated_to"),
            reference=data.validated_data.get("reference", ""),
            context=audit_context(request),
        )
        return _takedown_response(request, notice)


# --- Clusters -----------------------------------------------------------------------


class ClusterListApi(Api):
    """Groups of cases visible to you linked by shared evidence: identical SHA-256, or
    PDQ within Hamming distance 31 with both qualities >= 50 (see
    ``reporting.selectors``). Not paginated: clusters are few."""

    @extend_schema(
        tags=["clusters"],
        responses=s.ClusterOutputSerializer(many=True),
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        clusters = case_clusters_for_user(user=request.user)
        record_read(
            request,
            action=AccessAction.CASE_CLUSTERS,
            case_ids=[case.pk for cluster in clusters for case in cluster.cases],
        )
        return Response(s.ClusterOutputSerializer(clusters, many=True).data)
