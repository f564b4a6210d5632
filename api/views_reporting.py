"""API views for token auth, the directory, referrals, takedown notices and clusters.

One view per action (HackSoft style): parse with an input serializer, fetch through
``reporting.selectors`` (visibility, 404), check who may act (403 for someone who may
see but not act), call one service in ``reporting.services`` with the request's
``AuditContext``, answer with an output serializer. Errors from services map through
``api/exceptions.py``: ``ValidationError`` 400, ``NotFound`` 404, ``Conflict`` 409.
"""

from __future__ import annotations

from django.contrib.auth import authenticate, user_logged_in, user_logged_out
from django.contrib.auth import logout as session_logout
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.lockout import lockout_message, record_second_factor_failure, sign_in_completed
from accounts.second_factor import requires_second_factor, verify_code
from api import serializers_reporting as s
from api.fields import zoned_context
from api.filters import ReferralFilter, TakedownFilter, filter_list
from api.pagination import StableCursorPagination
from api.throttling import SignInRateThrottle
from cases.audit import AuditContext, record_access
from cases.models import Organisation
from cases.selectors import can_edit_case, schools_of
from reporting import services
from reporting.models import LegalBasis, Platform, Referral, TakedownRequest
from reporting.selectors import (
    can_act_for_destination,
    can_act_for_school,
    case_clusters_for_user,
    referral_get_for_user,
    referral_list_for_user,
    takedown_get_for_user,
    takedown_list_for_user,
)

NOT_404 = {404: OpenApiResponse(description=_("Not found, or not visible to you."))}
ERRORS = {
    400: OpenApiResponse(description=_("Invalid input; nothing was written.")),
    403: OpenApiResponse(description=_("You may see this but not do this.")),
    **NOT_404,
    409: OpenApiResponse(description=_("Not allowed from the current status, or lost a race.")),
}

SCHOOL_ONLY = _("Only the school's safeguarding lead or deputy can do this.")
DESTINATION_ONLY = _("Only a liaison of the receiving unit can do this.")
# One answer for a wrong username, password or second-factor code (never says which).
SIGN_IN_FAILED = _("Unable to sign in with these credentials.")


def _context(request: Request) -> AuditContext:
    return AuditContext.from_request(request, channel="api")


def _record_read(request: Request, *, action: str, case_ids: list[int]) -> None:
    """Read audit (DESIGN rule 3): one ``AccessEvent`` for the case data in this
    response; ``no-store`` caching for it (``RequestContextMiddleware``)."""
    record_access(actor=request.user, action=action, case_ids=case_ids, context=_context(request))
    request._request.has_case_data = True


# --- Token auth ---------------------------------------------------------------------


class TokenCreateApi(APIView):
    """Exchange a username, password and (for the roles that need it) a second-factor
    code for an expiring API token (django-rest-knox; only a digest is stored). Send it as
    ``Authorization: Token <token>``.

    Errors: 400 with one message whether the password or the code was wrong (it never
    says which, nor whether the account exists); 429 when the username is locked after 6
    failures (30 minutes, django-axes) or over the sign-in rate; 403 with too many live
    tokens. Rule source: issue 3, "Login" (``cases/otp.py``).
    """

    # No session or token needed (and no CSRF from a stale session cookie).
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (SignInRateThrottle,)

    @extend_schema(
        tags=["auth"],
        request=s.TokenCreateInputSerializer,
        responses={
            200: s.TokenOutputSerializer,
            400: OpenApiResponse(description=_("Wrong username, password or code.")),
            403: OpenApiResponse(description=_("Too many active tokens.")),
            429: OpenApiResponse(description=_("Locked after too many failed attempts.")),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = s.TokenCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        username = data.validated_data["username"]
        # The request goes to authenticate() so django-axes counts failures and refuses a
        # locked username. ModelBackend refuses inactive users: same message as a wrong
        # password, so the answer never says whether an account exists.
        user = authenticate(
            request._request, username=username, password=data.validated_data["password"]
        )
        if getattr(request._request, "axes_locked_out", False):
            return Response({"detail": lockout_message()}, status=429)
        if user is not None and user.is_active and requires_second_factor(user):
            device = verify_code(user, data.validated_data.get("otp_code"))
            if device is None:
                record_second_factor_failure(request._request, username)
                if getattr(request._request, "axes_locked_out", False):
                    return Response({"detail": lockout_message()}, status=429)
                user = None
        if user is None or not user.is_active:
            raise exceptions.ValidationError({"non_field_errors": [SIGN_IN_FAILED]})
        limit = knox_settings.TOKEN_LIMIT_PER_USER
        if limit is not None:
            live = AuthToken.objects.filter(user=user).filter(
                Q(expiry__isnull=True) | Q(expiry__gt=timezone.now())
            )
            if live.count() >= limit:
                raise exceptions.PermissionDenied(
                    _("Too many active tokens; sign out from another client first.")
                )
        instance, token = AuthToken.objects.create(user)
        sign_in_completed(user)
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        out = s.TokenOutputSerializer({"token": token, "expiry": instance.expiry})
        return Response(out.data)


class TokenLogoutApi(APIView):
    """Revoke the token used for this request (or end the session)."""

    @extend_schema(tags=["auth"], request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, AuthToken):
            request.auth.delete()
            user_logged_out.send(
                sender=request.user.__class__, request=request._request, user=request.user
            )
        else:
            session_logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Directory ----------------------------------------------------------------------


class OrganisationListApi(APIView):
    """Referral destinations, regulators, hotlines and services, plus the user's own
    schools (never other schools). ``?kind=`` filters. Paginated (cursor)."""

    pagination_class = StableCursorPagination

    @extend_schema(
        tags=["directory"],
        parameters=[s.OrganisationFilterSerializer],
        responses={200: s.OrganisationOutputSerializer(many=True), 400: ERRORS[400]},
    )
    def get(self, request: Request) -> Response:
        filters = s.OrganisationFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = Organisation.objects.filter(
            ~Q(kind=Organisation.Kind.SCHOOL) | Q(pk__in=schools_of(request.user))
        )
        if "kind" in filters.validated_data:
            qs = qs.filter(kind=filters.validated_data["kind"])
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        out = s.OrganisationOutputSerializer(page, many=True)
        return paginator.get_paginated_response(out.data)


class PlatformListApi(APIView):
    """Platforms and how to report to each (a short fixed directory: not paginated)."""

    @extend_schema(tags=["directory"], responses=s.PlatformOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(s.PlatformOutputSerializer(Platform.objects.all(), many=True).data)


class LegalBasisListApi(APIView):
    """Legal bases for takedown notices and their clocks (hours from submission)."""

    @extend_schema(tags=["directory"], responses=s.LegalBasisOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        out = s.LegalBasisOutputSerializer(LegalBasis.objects.all(), many=True)
        return Response(out.data)


# --- Referrals ----------------------------------------------------------------------


def _referral_response(
    request: Request, referral: Referral, *, code: int = status.HTTP_200_OK
) -> Response:
    # Re-read through the selector: fresh status and the ``case_data_visible`` flag.
    referral = referral_get_for_user(user=request.user, referral_id=referral.pk)
    request._request.has_case_data = True
    return Response(s.ReferralOutputSerializer(referral).data, status=code)


class ReferralListCreateApi(APIView):
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
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        referrals = filter_list(request, referral_list_for_user(user=request.user), self)
        page = paginator.paginate_queryset(referrals, request, view=self)
        _record_read(
            request,
            action="referral.list",
            case_ids=[r.case_id for r in page if r.case_data_visible],
        )
        return paginator.get_paginated_response(s.ReferralOutputSerializer(page, many=True).data)

    @extend_schema(
        tags=["referrals"],
        request=s.ReferralCreateInputSerializer,
        responses={201: s.ReferralOutputSerializer, 400: ERRORS[400]},
    )
    def post(self, request: Request) -> Response:
        data = s.ReferralCreateInputSerializer(data=request.data, context={"request": request})
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
            context=_context(request),
        )
        return _referral_response(request, referral, code=status.HTTP_201_CREATED)


class ReferralDetailApi(APIView):
    """One referral visible to you; 404 otherwise."""

    @extend_schema(tags=["referrals"], responses={200: s.ReferralOutputSerializer, **NOT_404})
    def get(self, request: Request, referral_id: int) -> Response:
        referral = referral_get_for_user(user=request.user, referral_id=referral_id)
        _record_read(
            request,
            action="referral.detail",
            case_ids=[referral.case_id] if referral.case_data_visible else [],
        )
        return Response(s.ReferralOutputSerializer(referral).data)


class ReferralSendApi(APIView):
    """Send a draft: status ``sent``; one notice e-mail (a link, no child's details)
    is queued to the destination's liaisons on commit. School lead/deputy only."""

    @extend_schema(
        tags=["referrals"], request=None, responses={200: s.ReferralOutputSerializer, **ERRORS}
    )
    def post(self, request: Request, referral_id: int) -> Response:
        referral = referral_get_for_user(user=request.user, referral_id=referral_id)
        if not can_act_for_school(request.user, referral):
            raise exceptions.PermissionDenied(SCHOOL_ONLY)
        services.referral_send(referral=referral, actor=request.user, context=_context(request))
        return _referral_response(request, referral)


class ReferralWithdrawApi(APIView):
    """Withdraw a draft or sent referral, with a reason; ends the unit's access to the
    case. School lead/deputy only."""

    @extend_schema(
        tags=["referrals"],
        request=s.ReferralReasonInputSerializer,
        responses={200: s.ReferralOutputSerializer, **ERRORS},
    )
    def post(self, request: Request, referral_id: int) -> Response:
        referral = referral_get_for_user(user=request.user, referral_id=referral_id)
        if not can_act_for_school(request.user, referral):
            raise exceptions.PermissionDenied(SCHOOL_ONLY)
        data = s.ReferralReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.referral_withdraw(
            referral=referral,
            actor=request.user,
            reason=data.validated_data["reason"],
            context=_context(request),
        )
        return _referral_response(request, referral)


class ReferralAcknowledgeApi(APIView):
    """Acknowledge a sent referral with your reference (e.g. the atestado number).
    Police liaison of the destination only."""

    @extend_schema(
        tags=["referrals"],
        request=s.ReferralAcknowledgeInputSerializer,
        responses={200: s.ReferralOutputSerializer, **ERRORS},
    )
    def post(self, request: Request, referral_id: int) -> Response:
        referral = referral_get_for_user(user=request.user, referral_id=referral_id)
        if not can_act_for_destination(request.user, referral):
            raise exceptions.PermissionDenied(DESTINATION_ONLY)
        # The liaison acts across schools: a time without an offset is read in the
        # zone their request names, else their unit's (``cases.zones.input_zone``).
        data = s.ReferralAcknowledgeInputSerializer(
            data=request.data, context=zoned_context(request, school=referral.case.school)
        )
        data.is_valid(raise_exception=True)
        services.referral_acknowledge(
            referral=referral,
            actor=request.user,
            external_reference=data.validated_data["external_reference"],
            acknowledged_at=data.validated_data["acknowledged_at"],
            context=_context(request),
        )
        return _referral_response(request, referral)


class ReferralRejectApi(APIView):
    """Decline a sent or acknowledged referral, with a reason; ends your access.
    Police liaison of the destination only."""

    @extend_schema(
        tags=["referrals"],
        request=s.ReferralReasonInputSerializer,
        responses={200: s.ReferralOutputSerializer, **ERRORS},
    )
    def post(self, request: Request, referral_id: int) -> Response:
        referral = referral_get_for_user(user=request.user, referral_id=referral_id)
        if not can_act_for_destination(request.user, referral):
            raise exceptions.PermissionDenied(DESTINATION_ONLY)
        data = s.ReferralReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.referral_reject(
            referral=referral,
            actor=request.user,
            reason=data.validated_data["reason"],
            context=_context(request),
        )
        return _referral_response(request, referral)


class ReferralCloseApi(APIView):
    """Close an acknowledged referral with its outcome; ends the unit's access to the
    case. Police liaison of the destination only."""

    @extend_schema(
        tags=["referrals"],
        request=s.ReferralCloseInputSerializer,
        responses={200: s.ReferralOutputSerializer, **ERRORS},
    )
    def post(self, request: Request, referral_id: int) -> Response:
        referral = referral_get_for_user(user=request.user, referral_id=referral_id)
        if not can_act_for_destination(request.user, referral):
            raise exceptions.PermissionDenied(DESTINATION_ONLY)
        data = s.ReferralCloseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.referral_close(
            referral=referral,
            actor=request.user,
            outcome=data.validated_data["outcome"],
            context=_context(request),
        )
        return _referral_response(request, referral)


# --- Takedown notices ---------------------------------------------------------------


def _takedown_for_school(request: Request, takedown_id: int) -> TakedownRequest:
    notice = takedown_get_for_user(user=request.user, takedown_id=takedown_id)
    if not can_edit_case(request.user, notice.case):
        raise exceptions.PermissionDenied(SCHOOL_ONLY)
    return notice


def _takedown_response(
    request: Request, notice: TakedownRequest, *, code: int = status.HTTP_200_OK
) -> Response:
    notice = takedown_get_for_user(user=request.user, takedown_id=notice.pk)
    request._request.has_case_data = True
    return Response(s.TakedownOutputSerializer(notice).data, status=code)


class TakedownListCreateApi(APIView):
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
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        notices = filter_list(request, takedown_list_for_user(user=request.user), self)
        page = paginator.paginate_queryset(notices, request, view=self)
        _record_read(request, action="takedown.list", case_ids=[t.case_id for t in page])
        return paginator.get_paginated_response(s.TakedownOutputSerializer(page, many=True).data)

    @extend_schema(
        tags=["takedowns"],
        request=s.TakedownCreateInputSerializer,
        responses={201: s.TakedownOutputSerializer, 400: ERRORS[400]},
    )
    def post(self, request: Request) -> Response:
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
            context=_context(request),
        )
        return _takedown_response(request, notice, code=status.HTTP_201_CREATED)


class TakedownDetailApi(APIView):
    """One takedown notice visible to you; 404 otherwise (for a police liaison, also
    when the live referral to their unit does not share the evidence)."""

    @extend_schema(tags=["takedowns"], responses={200: s.TakedownOutputSerializer, **NOT_404})
    def get(self, request: Request, takedown_id: int) -> Response:
        notice = takedown_get_for_user(user=request.user, takedown_id=takedown_id)
        _record_read(request, action="takedown.detail", case_ids=[notice.case_id])
        return Response(s.TakedownOutputSerializer(notice).data)


class TakedownSubmitApi(APIView):
    """Record that the notice was filed with the platform and start its clock:
    ``deadline_at = submitted_at + legal basis hours`` (48 h under the US TAKE IT DOWN
    Act, 47 U.S.C. §223a)."""

    @extend_schema(
        tags=["takedowns"],
        request=s.TakedownSubmitInputSerializer,
        responses={200: s.TakedownOutputSerializer, **ERRORS},
    )
    def post(self, request: Request, takedown_id: int) -> Response:
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
            context=_context(request),
        )
        return _takedown_response(request, notice)


class TakedownOutcomeApi(APIView):
    """Record the platform's answer: acknowledged, removed or refused."""

    @extend_schema(
        tags=["takedowns"],
        request=s.TakedownOutcomeInputSerializer,
        responses={200: s.TakedownOutputSerializer, **ERRORS},
    )
    def post(self, request: Request, takedown_id: int) -> Response:
        notice = _takedown_for_school(request, takedown_id)
        data = s.TakedownOutcomeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.takedown_record_outcome(
            notice=notice,
            actor=request.user,
            status=data.validated_data["status"],
            platform_ticket=data.validated_data.get("platform_ticket", ""),
            expected_status=data.validated_data.get("expected_status"),
            context=_context(request),
        )
        return _takedown_response(request, notice)


class TakedownEscalateApi(APIView):
    """Escalate an overdue or refused notice to a regulator or hotline (default: the
    legal basis's escalation body). Any other status: 409."""

    @extend_schema(
        tags=["takedowns"],
        request=s.TakedownEscalateInputSerializer,
        responses={200: s.TakedownOutputSerializer, **ERRORS},
    )
    def post(self, request: Request, takedown_id: int) -> Response:
        notice = _takedown_for_school(request, takedown_id)
        data = s.TakedownEscalateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.takedown_escalate(
            notice=notice,
            actor=request.user,
            escalated_to=data.validated_data.get("escalated_to"),
            reference=data.validated_data.get("reference", ""),
            context=_context(request),
        )
        return _takedown_response(request, notice)


# --- Clusters -----------------------------------------------------------------------


class ClusterListApi(APIView):
    """Groups of cases visible to you linked by shared evidence: identical SHA-256, or
    PDQ within Hamming distance 31 with both qualities >= 50 (see
    ``reporting.selectors``). Not paginated: clusters are few."""

    @extend_schema(
        tags=["clusters"],
        responses=s.ClusterOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        clusters = case_clusters_for_user(user=request.user)
        _record_read(
            request,
            action="case.clusters",
            case_ids=[case.pk for cluster in clusters for case in cluster.cases],
        )
        return Response(s.ClusterOutputSerializer(clusters, many=True).data)
