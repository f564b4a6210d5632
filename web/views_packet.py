"""The referral packet's downloads (issue 10, LAW.md §2): ``/referrals/<id>/packet.pdf``
and ``/referrals/<id>/packet.json``, ``?lang=es|en`` (default: the reader's language).

For the school's safeguarding lead or deputy (any status: they check a draft before
sending it) and for the destination's liaison while the referral is live; anyone else,
and the liaison once it has ended, gets 404 (``reporting.selectors.referral_get_for_user``
and the case view behind the packet). Each download is recorded in its transaction: a
``GeneratedDocument`` with the SHA-256 of the bytes served, a chronology line and an
``AccessEvent`` (``casefile.packets.referral_packet_document``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.views.decorators.http import require_GET

from casefile.packets import (
    BadPacketRequest,
    packet_language,
    referral_packet_document,
)
from cases.exceptions import NotFound
from config.http import AuthenticatedHttpRequest, mark_case_data
from reporting.models import Referral
from reporting.selectors import (
    can_act_for_destination,
    can_act_for_school,
    case_data_visible,
    referral_documents,
    referral_people_for_user,
)
from web.access import referral_or_404, web_context


def may_download_packet(request: AuthenticatedHttpRequest, referral: Referral) -> bool:
    """The school's lead or deputy, or the destination's liaison while it is live."""
    if can_act_for_school(request.user, referral):
        return True
    return can_act_for_destination(request.user, referral) and case_data_visible(referral)


def packet_context(request: AuthenticatedHttpRequest, referral: Referral) -> dict[str, Any]:
    """What the referral page adds for issue 10: who the referral is about (the
    complainant and the victims, or "not shared"), whether the reader may download its
    packet, and the documents generated from it with their SHA-256."""
    may_download = may_download_packet(request, referral)
    people = referral_people_for_user(user=request.user, referrals=[referral])
    return {
        "people": people[referral.pk],
        "may_download_packet": may_download,
        "packet_documents": list(referral_documents(referral=referral)[:50])
        if may_download
        else [],
        "now": timezone.now(),
    }


def _download(request: AuthenticatedHttpRequest, referral_id: int, fmt: str) -> HttpResponse:
    referral = referral_or_404(request.user, referral_id)
    if not may_download_packet(request, referral):
        raise Http404
    try:
        language = packet_language(user=request.user, requested=request.GET.get("lang"))
    except BadPacketRequest as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    try:
        served = referral_packet_document(
            user=request.user,
            referral=referral,
            language=language,
            fmt=fmt,
            context=web_context(request),
        )
    except NotFound:
        raise Http404 from None
    mark_case_data(request)
    response = HttpResponse(served.content, content_type=served.content_type)
    response["Content-Disposition"] = f'attachment; filename="{served.filename}"'
    response["X-Content-SHA256"] = served.document.sha256
    return response


@login_required
@require_GET
def referral_packet_pdf(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponse:
    """The referral's packet as a PDF (A4)."""
    return _download(request, referral_id, "pdf")


@login_required
@require_GET
def referral_packet_json(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponse:
    """The referral's packet as JSON (``docs/referral_packet.md``)."""
    return _download(request, referral_id, "json")
