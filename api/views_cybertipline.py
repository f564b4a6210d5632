"""``GET /api/v1/cases/{case_id}/cybertipline/``: the case as an NCMEC CyberTipline
report (XML validating against NCMEC's CyberTipline Reporting API schema, ``<report>``;
``casefile.cybertipline``), for the school's safeguarding lead or deputy to submit
through NCMEC's public form or a provider partner (LAW.md §4).

Every download is recorded (DESIGN rule 3): a ``GeneratedDocument`` with the SHA-256 of
the bytes sent, its chronology line and an ``AccessEvent`` (``case.cybertipline``), in
one transaction (``casefile.cybertipline.cybertipline_export``).
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import Api, audit_context, mark_case_data
from api.fields import zoned_context
from api.serializers_reporting import (
    CyberTiplineFiledInputSerializer,
    CyberTiplineFiledOutputSerializer,
)
from api.views_reporting import SCHOOL_ONLY
from casefile.cybertipline import cybertipline_export
from cases.selectors import can_edit_case, case_get_for_user
from config.http import AuthenticatedRequest
from reporting import services

XML = "application/xml"


class CaseCyberTiplineApi(Api):
    """The case as a CyberTipline report (XML)."""

    def perform_content_negotiation(
        self, request: Request, force: bool = False
    ) -> tuple[BaseRenderer, str]:
        # The report is sent as built (an ``HttpResponse``, application/xml) whatever
        # the client accepts; an error is DRF's usual JSON. A client sending ``Accept:
        # application/xml`` therefore gets the report, not a 406.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=["cases"],
        operation_id="case_cybertipline",
        summary=_("Download the case as an NCMEC CyberTipline report (XML)"),
        description=_(
            "An XML document whose root is <report>, valid against NCMEC's CyberTipline "
            "Reporting API schema (cyber_tipline.xsd): incidentSummary (incidentType, "
            "platform, reportAnnotations such as sextortion and minorToMinorInteraction, "
            "incidentDateTime), internetDetails (where the material was), lawEnforcement "
            "(the police unit the case was referred to), reporter (the downloading lead "
            "and the school), personOrUserReported and victim (ages only) and "
            "additionalInfo (the narrative: AI-generated where so, and every evidence "
            "item's SHA-256, MD5 and PDQ hashes; never a file or an image). Only the "
            "school's safeguarding lead or deputy; anyone else gets 404. Each download "
            "is recorded with the SHA-256 of the bytes sent."
        ),
        responses={
            (200, XML): OpenApiResponse(
                response=OpenApiTypes.STR, description=_("The report (XML, UTF-8).")
            ),
            404: OpenApiResponse(description=_("Not found, or not visible to you.")),
        },
    )
    def get(self, request: AuthenticatedRequest, case_id: int) -> HttpResponse:
        report, document = cybertipline_export(
            user=request.user, case_id=case_id, context=audit_context(request)
        )
        mark_case_data(request)
        response = HttpResponse(report.content, content_type=f"{XML}; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="cybertipline-{document.case.reference}.xml"'
        )
        response["X-Content-SHA256"] = document.sha256
        return response


class CaseCyberTiplineFiledApi(Api):
    """Record that the school submitted the case's CyberTipline report to NCMEC, with the
    report number NCMEC gave (``reporting.services.cybertipline_filed``)."""

    @extend_schema(
        tags=["cases"],
        operation_id="case_cybertipline_filed",
        request=CyberTiplineFiledInputSerializer,
        responses={
            201: CyberTiplineFiledOutputSerializer,
            400: OpenApiResponse(description=_("Invalid input; nothing was written.")),
            403: OpenApiResponse(description=_("You may see this but not do this.")),
            404: OpenApiResponse(description=_("Not found, or not visible to you.")),
            409: OpenApiResponse(description=_("The case is closed.")),
        },
    )
    def post(self, request: AuthenticatedRequest, case_id: int) -> Response:
        case = case_get_for_user(user=request.user, case_id=case_id)
        if not can_edit_case(request.user, case):
            raise exceptions.PermissionDenied(SCHOOL_ONLY)
        data = CyberTiplineFiledInputSerializer(
            data=request.data, context=zoned_context(request, school=case.school)
        )
        data.is_valid(raise_exception=True)
        report = services.cybertipline_filed(
            case=case,
            actor=request.user,
            reference=data.validated_data["reference"],
            filed_at=data.validated_data.get("filed_at"),
            context=audit_context(request),
        )
        mark_case_data(request)
        return Response(
            CyberTiplineFiledOutputSerializer(report).data, status=status.HTTP_201_CREATED
        )
