"""How the web pages reach case data: through the visibility selectors only, with a read
audit row for every page that shows case data (DESIGN rules 2 and 3)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from casefile.selectors import CaseView, case_view_for_user
from cases.audit import AuditContext, record_access
from cases.exceptions import NotFound
from cases.models import Case, User
from cases.selectors import can_edit_case, case_get_for_user
from cases.verbs import AccessAction
from config.http import mark_case_data, signed_in_user
from reporting.models import Referral
from reporting.selectors import referral_get_for_user


def web_context(request: HttpRequest) -> AuditContext:
    return AuditContext.from_request(request, channel="web")


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def record_read(request: HttpRequest, action: AccessAction, case_ids: Iterable[int]) -> None:
    """Write the read-audit row for a page that shows case data (DESIGN rule 3,
    ``cases.audit.record_access``) and mark the response as not cacheable
    (``config.http.mark_case_data``: ``Cache-Control: no-store``). The web's one
    record-a-read helper; the API's is ``api.base.record_read``. ``PermissionDenied``
    (403) for a request without a signed-in user (``config.http.signed_in_user``)."""
    actor = signed_in_user(request)
    mark_case_data(request)
    record_access(actor=actor, action=action, case_ids=list(case_ids), context=web_context(request))


def whole_number(value: str | None) -> int | None:
    """``value`` (request input) as an id if it is 1–18 ASCII digits, else ``None``.

    Never ``value.isdigit()`` then ``int(value)``: ``"²".isdigit()`` is true but
    ``int("²")`` raises ``ValueError`` (a 500), and ``int`` reads ``"١٢"`` as 12. 18 digits
    stay inside PostgreSQL's ``bigint``."""
    if value and len(value) <= 18 and value.isascii() and value.isdecimal():
        return int(value)
    return None


def case_or_404(user: User, case_id: int | str) -> Case:
    """The case if ``user`` may see it; ``Http404`` otherwise (never a hint it exists)."""
    try:
        return case_get_for_user(user=user, case_id=case_id)
    except NotFound:
        raise Http404 from None


def case_view_or_404(user: User, case_id: int | str) -> CaseView:
    """What ``user`` may see of the case (``casefile.selectors.case_view_for_user``);
    ``Http404`` if they may not see it."""
    try:
        return case_view_for_user(user=user, case_id=case_id)
    except NotFound:
        raise Http404 from None


def editable_case_or_error(user: User, case_id: int | str) -> Case:
    """A case ``user`` may write to: 404 if they cannot see it, 403 if they can see it
    but only read it (a police liaison)."""
    case = case_or_404(user, case_id)
    if not can_edit_case(user, case):
        raise PermissionDenied
    return case


def referral_or_404(user: User, referral_id: int | str) -> Referral:
    """The referral if ``user`` may see it (``reporting.selectors.referral_get_for_user``,
    which annotates ``case_data_visible``); ``Http404`` otherwise."""
    try:
        return referral_get_for_user(user=user, referral_id=referral_id)
    except NotFound:
        raise Http404 from None
