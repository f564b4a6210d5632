"""API views for the text of takedown notices, drafting an incident's notices in one
step, and reports to authorities (escalations to the FTC, Ofcom, the AEPD).

As ``api.views_reporting``: fetch through the guarded selectors (404 for absent and
not-yours alike), 403 for someone who may see but not act, one service call with the
request's ``AuditContext``. A download of a notice is recorded twice in one
transaction: the document and its SHA-256 (``GeneratedDocument``, a chronology line)
and the read (``AccessEvent`` ``takedown.notice``). LAW.md §1.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from api import serializers_reporting as s
from api.base import Api, audit_context, mark_case_data, record_read
from api.fields import zoned_context
from api.pagination import StableCursorPagination
from api.serializers_case_parts import AuthorityReportOutputSerializer
from api.views_reporting import ERRORS, NOT_404, SCHOOL_ONLY
from cases.models import Case
from cases.selectors import can_edit_case, case_get_for_user
from cases.verbs import AccessAction
from config.http import AuthenticatedRequest
from outbox.kinds import MessageKind
from outbox.models import Message
from reporting import services
from reporting.documents import sha256_hex
from reporting.models import AuthorityReport, Platform, TakedownRequest
from reporting.notices import NoticeDownload, notice_download
from reporting.selectors import (
    authority_report_get_for_user,
    authority_report_list_for_user,
    takedown_get_for_user,
)


def _editable_case(request: AuthenticatedRequest, case_id: int) -> Case:
    case = case_get_for_user(user=request.user, case_id=case_id)
    if not can_edit_case(request.user, case):
        raise exceptions.PermissionDenied(SCHOOL_ONLY)
    return case


def _download(
    request: AuthenticatedRequest, takedown_id: int, *, fmt: str
) -> tuple[TakedownRequest, NoticeDownload]:
    """The notice's text or PDF in ``?lang=`` (default its own), recorded: the
    document with its hash and the read, in one transaction."""
    notice = takedown_get_for_user(user=request.user, takedown_id=takedown_id)
    query = s.NoticeQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    with transaction.atomic():
        download = notice_download(
            notice=notice,
            actor=request.user,
            fmt=fmt,
            language=query.validated_data.get("lang"),
            context=audit_context(request),
        )
        record_read(request, action=AccessAction.TAKEDOWN_NOTICE_TEXT, case_ids=[notice.case_id])
    return notice, download


def _email_state(notice: TakedownRequest) -> str:
    """The state of the notice's e-mail to the platform in the outbox, or ``""``."""
    message = (
        Message.objects.filter(
            kind=MessageKind.TAKEDOWN_NOTICE, case_id=notice.case_id, about_id=notice.pk
        )
        .order_by("-pk")
        .first()
    )
    return message.state if message is not None else ""


class TakedownNoticeApi(Api):
    """The notice's text (subject and body) for its legal basis, with every element
    LAW.md §1 asks of it, in ``?lang=es|en`` (default the notice's language): to paste
    into the platform's form (``report_url``), or what is e-mailed to ``report_email``
    on submission. Each call is recorded (document hash and read)."""

    @extend_schema(
        tags=["takedowns"],
        parameters=[s.NoticeQuerySerializer],
        responses={200: s.NoticeOutputSerializer, 400: ERRORS[400], **NOT_404},
    )
    def get(self, request: AuthenticatedRequest, takedown_id: int) -> Response:
        notice, download = _download(request, takedown_id, fmt="txt")
        platform = notice.platform
        by_email = notice.channel == Platform.Channel.EMAIL
        document = download.document
        return Response(
            {
                "subject": document.subject,
                "body": document.body,
                "text": document.text,
                "language": document.language,
                "channel": notice.channel,
                "report_url": platform.report_url,
                "report_email": notice.email_address if by_email else "",
                "email_state": _email_state(notice),
                "sha256": sha256_hex(download.content),
            }
        )


class TakedownNoticePdfApi(Api):
    """The notice as a PDF (same text), ``?lang=es|en``. Each download is recorded."""

    @extend_schema(
        tags=["takedowns"],
        parameters=[s.NoticeQuerySerializer],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 400: ERRORS[400], **NOT_404},
    )
    def get(self, request: AuthenticatedRequest, takedown_id: int) -> HttpResponse:
        _notice, download = _download(request, takedown_id, fmt="pdf")
        response = HttpResponse(download.content, content_type=download.content_type)
        response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
        response["Cache-Control"] = "no-store"
        return response


class CaseTakedownsDraftAllApi(Api):
    """Draft in one step the notices of an incident: one per platform of the case's
    evidence and legal basis that applies to it and the school, each with its own
    clock; pairs that already have a draft or open notice are skipped (idempotent).
    Answers 201 with the notices drafted now (possibly none)."""

    @extend_schema(
        tags=["takedowns"],
        request=s.TakedownsDraftAllInputSerializer,
        responses={201: s.TakedownOutputSerializer(many=True), **ERRORS},
    )
    def post(self, request: AuthenticatedRequest, case_id: int) -> Response:
        case = _editable_case(request, case_id)
        data = s.TakedownsDraftAllInputSerializer(
            data=request.data, context={"request": request, "case": case}
        )
        data.is_valid(raise_exception=True)
        v = data.validated_data
        drafted = services.takedowns_draft_for_case(
            case=case,
            actor=request.user,
            **s.SignatureBlockInputSerializer.signature_of(v),
            language=v.get("language"),
            evidence_items=v.get("evidence_items"),
            context=audit_context(request),
        )
        mark_case_data(request)
        notices = [takedown_get_for_user(user=request.user, takedown_id=n.pk) for n in drafted]
        return Response(
            s.TakedownOutputSerializer(notices, many=True).data, status=status.HTTP_201_CREATED
        )


class AuthorityReportListApi(Api):
    """Reports to authorities you may see (the school's leads: their schools'; a police
    liaison: those of cases referred to their unit sharing the evidence), newest first,
    each with its draft text. Paginated (cursor)."""

    pagination_class = StableCursorPagination

    @extend_schema(tags=["authority-reports"], responses=AuthorityReportOutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            authority_report_list_for_user(user=request.user), request, view=self
        )
        record_read(
            request,
            action=AccessAction.AUTHORITY_REPORT_LIST,
            case_ids=sorted({r.case_id for r in page or []}),
        )
        return paginator.get_paginated_response(
            AuthorityReportOutputSerializer(page, many=True).data
        )


class AuthorityReportFileApi(Api):
    """GET: the report and its text. POST: record that it was filed with the authority
    (its reference, when), which also escalates the notice it is about."""

    @extend_schema(
        tags=["authority-reports"], responses={200: AuthorityReportOutputSerializer, **NOT_404}
    )
    def get(self, request: AuthenticatedRequest, authority_report_id: int) -> Response:
        report = authority_report_get_for_user(user=request.user, report_id=authority_report_id)
        record_read(request, action=AccessAction.AUTHORITY_REPORT_DETAIL, case_ids=[report.case_id])
        return Response(AuthorityReportOutputSerializer(report).data)

    @extend_schema(
        tags=["authority-reports"],
        request=s.AuthorityReportFileInputSerializer,
        responses={200: AuthorityReportOutputSerializer, **ERRORS},
    )
    def post(self, request: AuthenticatedRequest, authority_report_id: int) -> Response:
        report = authority_report_get_for_user(user=request.user, report_id=authority_report_id)
        if not can_edit_case(request.user, report.case):
            raise exceptions.PermissionDenied(SCHOOL_ONLY)
        data = s.AuthorityReportFileInputSerializer(
            data=request.data, context=zoned_context(request, school=report.case.school)
        )
        data.is_valid(raise_exception=True)
        services.authority_report_file(
            report=report,
            actor=request.user,
            reference=data.validated_data.get("reference", ""),
            filed_at=data.validated_data.get("filed_at"),
            context=audit_context(request),
        )
        mark_case_data(request)
        report = authority_report_get_for_user(user=request.user, report_id=report.pk)
        return Response(AuthorityReportOutputSerializer(report).data)


class AuthorityReportAnswerApi(Api):
    """Record the authority's answer to a filed report (409 if it is not filed)."""

    @extend_schema(
        tags=["authority-reports"],
        request=s.AuthorityReportAnswerInputSerializer,
        responses={200: AuthorityReportOutputSerializer, **ERRORS},
    )
    def post(self, request: AuthenticatedRequest, authority_report_id: int) -> Response:
        report = authority_report_get_for_user(user=request.user, report_id=authority_report_id)
        if not can_edit_case(request.user, report.case):
            raise exceptions.PermissionDenied(SCHOOL_ONLY)
        data = s.AuthorityReportAnswerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.authority_report_record_answer(
            report=report,
            actor=request.user,
            answer=data.validated_data["answer"],
            context=audit_context(request),
        )
        mark_case_data(request)
        report = authority_report_get_for_user(user=request.user, report_id=report.pk)
        return Response(AuthorityReportOutputSerializer(report).data)


class CaseAuthorityReportsApi(Api):
    """Draft by hand a report to the AEPD for the case: the Canal Prioritario (urgent
    removal) or an ordinary complaint (reclamación), with or without a notice of the
    case. One per notice and route: asking again answers the existing one."""

    @extend_schema(
        tags=["authority-reports"],
        request=s.AuthorityReportCreateInputSerializer,
        responses={201: AuthorityReportOutputSerializer, **ERRORS},
    )
    def post(self, request: AuthenticatedRequest, case_id: int) -> Response:
        case = _editable_case(request, case_id)
        data = s.AuthorityReportCreateInputSerializer(
            data=request.data, context={"request": request, "case": case}
        )
        data.is_valid(raise_exception=True)
        v = data.validated_data
        report: AuthorityReport = services.authority_report_create(
            case=case,
            actor=request.user,
            route=v["route"],
            takedown=v.get("takedown"),
            language=v.get("language")
            or ("es" if case.school.jurisdiction.startswith("ES") else "en"),
            context=audit_context(request),
        )
        mark_case_data(request)
        return Response(
            AuthorityReportOutputSerializer(report).data, status=status.HTTP_201_CREATED
        )
