"""The referral packet over the API (issue 10, LAW.md §2):
``GET /api/v1/referrals/{id}/packet.pdf`` and ``GET /api/v1/referrals/{id}/packet.json``,
``?lang=es|en`` (default: the user's language).

Two endpoints rather than a ``format`` parameter: DRF reserves ``?format=`` for its own
renderer choice (``URL_FORMAT_OVERRIDE``). Both answer the document's bytes as they are
(a Django ``HttpResponse``, not re-rendered by DRF), so the SHA-256 recorded for the
download (``GeneratedDocument.sha256``) is the hash of exactly what the client got; it
is also sent in the ``X-Content-SHA256`` header. The JSON's shape is documented in
``docs/referral_packet.md``.

Who: the school's safeguarding lead or deputy, and the destination's liaison while the
referral is live; anyone else 404 (``reporting.selectors.referral_get_for_user``).
Each download is recorded in its transaction (``casefile.packets.referral_packet_document``:
a ``GeneratedDocument``, a chronology line and an ``AccessEvent``).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.renderers import BaseRenderer, JSONRenderer

from api.base import Api, audit_context, mark_case_data
from casefile.packets import (
    BadPacketRequest,
    packet_language,
    referral_packet_document,
)
from cases.exceptions import NotFound
from config.http import AuthenticatedRequest
from reporting.documents import DOCUMENT_LANGUAGES
from reporting.selectors import (
    can_act_for_destination,
    can_act_for_school,
    case_data_visible,
    referral_get_for_user,
)


class PdfRenderer(BaseRenderer):
    """Lets a client ask for ``Accept: application/pdf``; the view answers the PDF's
    bytes itself, and an error (a dict) is written as JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):
        if isinstance(data, bytes):
            return data
        return json.dumps(data, ensure_ascii=False).encode()


LANG = OpenApiParameter(
    "lang",
    str,
    enum=list(DOCUMENT_LANGUAGES),
    required=False,
    description=str(_("The packet's language; default: yours. Anything else is a 400.")),
)
ERRORS = {
    400: OpenApiResponse(description=_("A language not offered.")),
    404: OpenApiResponse(description=_("Not found, or not visible to you.")),
}


class _ReferralPacketApi(Api):
    fmt = ""

    def download(self, request: AuthenticatedRequest, referral_id: int) -> HttpResponse:
        referral = referral_get_for_user(user=request.user, referral_id=referral_id)
        live_for_unit = can_act_for_destination(request.user, referral) and case_data_visible(
            referral
        )
        if not (can_act_for_school(request.user, referral) or live_for_unit):
            raise NotFound
        try:
            language = packet_language(
                user=request.user, requested=request.query_params.get("lang")
            )
        except BadPacketRequest as error:
            raise exceptions.ValidationError({"lang": [str(error)]}) from None
        served = referral_packet_document(
            user=request.user,
            referral=referral,
            language=language,
            fmt=self.fmt,
            context=audit_context(request),
        )
        mark_case_data(request)
        response = HttpResponse(served.content, content_type=served.content_type)
        response["Content-Disposition"] = f'attachment; filename="{served.filename}"'
        response["X-Content-SHA256"] = served.document.sha256
        return response


class ReferralPacketPdfApi(_ReferralPacketApi):
    """The referral's packet as a PDF (A4, every element of LAW.md §2 that the referral
    shares). Each download is recorded with its SHA-256."""

    fmt = "pdf"
    renderer_classes = [JSONRenderer, PdfRenderer]

    @extend_schema(
        tags=["referrals"],
        operation_id="referral_packet_pdf",
        parameters=[LANG],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS},
    )
    def get(self, request: AuthenticatedRequest, referral_id: int) -> HttpResponse:
        return self.download(request, referral_id)


class ReferralPacketJsonApi(_ReferralPacketApi):
    """The referral's packet as JSON (``schema_version``; times ISO 8601 UTC with the
    school's ``time_zone``; sections the referral does not share are absent; see
    docs/referral_packet.md). Each download is recorded with its SHA-256."""

    fmt = "json"

    @extend_schema(
        tags=["referrals"],
        operation_id="referral_packet_json",
        parameters=[LANG],
        responses={(200, "application/json"): OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request: AuthenticatedRequest, referral_id: int) -> HttpResponse:
        return self.download(request, referral_id)
