"""What reporting tells people, written into the outbox (``outbox``, ADR 0010) in the
transaction of the change that causes it: nothing for a change that rolled back, always
a message for one that committed, delivered by the relay exactly once under normal
failure (ADR 0003's claim-once, now the outbox's claim).

- a referral sent or withdrawn → the destination's liaisons (or its own address) and
  its webhooks;
- a referral acknowledged, declined or closed → the case's lead;
- a takedown notice overdue or refused → the case's lead, with the next step;
- a takedown notice submitted on the e-mail channel → the platform's abuse address: the
  notice's own text (``reporting.notices``), which names no child (the person depicted
  is described by age).

Every message carries references and a link, never a child's name or details (DESIGN
rule 1): no case title or summary, no free text typed about the case (a reason, an
outcome, notes), which may name a child.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cases.models import Organisation, User
from cases.notifications import case_leads, notify, notify_webhooks, site_link
from cases.permissions import Role
from cases.zones import zone_of
from outbox.kinds import MessageKind
from outbox.models import Message
from outbox.relay import Recipient, enqueue
from reporting.models import Referral, TakedownRequest
from reporting.notices import notice_text


def referral_notice_recipients(referral: Referral) -> list[User | Organisation]:
    """Who is told of ``referral``: the destination's active police liaisons with an
    e-mail address (by id); if it has none, the organisation itself (its own address,
    which may be empty: the message then fails visibly, "no address", and the school's
    leads are told). One query."""
    liaisons: list[User | Organisation] = list(
        User.objects.filter(
            memberships__organisation=referral.destination_id,
            memberships__role=Role.POLICE_LIAISON,
            is_active=True,
        )
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )
    return liaisons or [referral.destination]


def referral_notice_enqueue(referral: Referral) -> list[Message]:
    """Write the notice of a sent ``referral`` into the outbox: one e-mail per recipient
    (:func:`referral_notice_recipients`) in their language
    (``reporting/email/referral_notice_*.txt``), and one signed webhook message per
    endpoint the destination registered. Carries the case reference, the school, the
    destination and a link, never a child's name or details. Call inside the send's
    transaction. Returns the rows written."""
    return _tell_destination(
        referral, MessageKind.REFERRAL_NOTICE, "reporting/email/referral_notice", "referral.sent"
    )


def _except(users: Iterable[User], actor: User | None) -> list[User]:
    """``users`` without ``actor``: nobody is e-mailed about a change they made
    themselves (they know; the others still are)."""
    return [user for user in users if actor is None or user.pk != actor.pk]


def referral_withdrawn_enqueue(referral: Referral) -> list[Message]:
    """Tell the destination that the school withdrew ``referral`` after sending it: one
    e-mail to each of its active liaisons, or its own address if it has none
    (:func:`referral_notice_recipients`, as for the notice), in their language
    (``reporting/email/referral_withdrawn_*.txt``), and one signed webhook message
    (``"event": "referral.withdrawn"``) per endpoint the destination registered, so a
    police system can close its own record. The school's reason stays out (free
    text). Call inside the withdrawal's transaction, only for a referral that was sent
    (a draft was never seen by the destination). Returns the rows written."""
    return _tell_destination(
        referral,
        MessageKind.REFERRAL_WITHDRAWN,
        "reporting/email/referral_withdrawn",
        "referral.withdrawn",
    )


def _tell_destination(
    referral: Referral, kind: MessageKind, template: str, event: str
) -> list[Message]:
    """One e-mail per recipient of :func:`referral_notice_recipients` (``template``,
    in their language) and one signed webhook message (``{"event": event, …}``) per
    endpoint of the destination, about ``referral``: its case reference, school,
    destination and link, never a child's details. Returns the rows written."""
    case = referral.case
    context = {
        "unit": referral.destination.name,
        "reference": case.reference,
        "school": case.school.name,
        "link": site_link("referral", id=referral.pk),
    }
    common: dict[str, Any] = {"school": case.school_id, "case": case, "about": referral}
    messages = notify(kind, referral_notice_recipients(referral), template, context, **common)
    payload = {
        "event": event,
        "referral": referral.pk,
        "case_reference": case.reference,
        "school": case.school.name,
        "destination": referral.destination.name,
        "link": context["link"],
    }
    return messages + notify_webhooks(kind, referral.destination_id, payload, **common)


# The template telling the lead of each answer of the destination.
ANSWER_TEMPLATES = {
    Referral.Status.ACKNOWLEDGED: "reporting/email/referral_acknowledged",
    Referral.Status.REJECTED: "reporting/email/referral_rejected",
    Referral.Status.CLOSED: "reporting/email/referral_closed",
}


def referral_answer_enqueue(referral: Referral, *, actor: User | None) -> list[Message]:
    """Tell the case's lead (:func:`cases.notifications.case_leads`: the case's lead, or
    the school's leads and deputies) that the destination acknowledged, declined or
    closed ``referral`` (its current status): one e-mail each in their language
    (``reporting/email/referral_<status>_*.txt``) with the destination's name, the case
    reference, for an acknowledgement the destination's own reference (the atestado
    number: a police record number, not a child's detail) and a link to the referral.
    The reason or outcome typed by the destination stays out (free text, read on the
    page). ``actor`` (who recorded the answer) is not told. Call inside the answer's
    transaction. Raises ``KeyError`` for any other status. Returns the rows written."""
    case = referral.case
    return notify(
        MessageKind.REFERRAL_ANSWERED,
        _except(case_leads(case), actor),
        ANSWER_TEMPLATES[Referral.Status(referral.status)],
        {
            "unit": referral.destination.name,
            "reference": case.reference,
            "external_reference": referral.external_reference,
            "link": site_link("referral", id=referral.pk),
        },
        school=case.school_id,
        case=case,
        about=referral,
    )


def _named_with_address(org: Organisation) -> str:
    """``"FTC (https://…)"``: the name, and the reporting address when there is one."""
    return f"{org.name} ({org.report_url})" if org.report_url else org.name


def takedown_notice_context(notice: TakedownRequest) -> dict[str, object]:
    """What the lead is told of ``notice`` (no child's details): the platform, the legal
    basis (name and citation), the deadline (aware UTC ``datetime``; the templates show
    it in ``zone``, the school's time zone, ``cases.zones.zone_of``), the platform's
    ticket, the escalation body of the basis with its reporting address (DESIGN rule 5;
    LAW.md §1: e.g. the FTC for the US TAKE IT DOWN Act, Ofcom for the UK Online Safety
    Act, AEPD Canal Prioritario in Spain; empty if the basis names none), and a link to
    the case page, where the notice is escalated."""
    basis = notice.legal_basis
    escalation = basis.escalation_to
    return {
        "reference": notice.case.reference,
        "platform": notice.platform.name,
        "basis": basis.name,
        "citation": basis.citation,
        "deadline": notice.deadline_at,
        "zone": zone_of(notice.case.school).key,
        "ticket": notice.platform_ticket,
        "escalation": _named_with_address(escalation) if escalation is not None else "",
        "link": site_link("case", id=notice.case_id),
    }


def takedown_overdue_enqueue(notice: TakedownRequest) -> list[Message]:
    """Tell the case's lead (:func:`cases.notifications.case_leads`) that ``notice``
    passed its deadline without the platform's answer, and what to do next: escalate
    (``reporting/email/takedown_overdue_*.txt``, :func:`takedown_notice_context`).
    Call inside the transaction that marks it overdue. Returns the rows written."""
    return notify(
        MessageKind.TAKEDOWN_OVERDUE,
        case_leads(notice.case),
        "reporting/email/takedown_overdue",
        takedown_notice_context(notice),
        school=notice.case.school_id,
        case=notice.case,
        about=notice,
    )


def takedown_refused_enqueue(notice: TakedownRequest, *, actor: User | None) -> list[Message]:
    """Tell the case's lead (:func:`cases.notifications.case_leads`) that the platform
    refused ``notice``, and what to do next: escalate
    (``reporting/email/takedown_refused_*.txt``, :func:`takedown_notice_context`).
    ``actor`` (who recorded the refusal) is not told. Call inside the transaction that
    records it. Returns the rows written."""
    return notify(
        MessageKind.TAKEDOWN_REFUSED,
        _except(case_leads(notice.case), actor),
        "reporting/email/takedown_refused",
        takedown_notice_context(notice),
        school=notice.case.school_id,
        case=notice.case,
        about=notice,
    )


def takedown_notice_send_enqueue(notice: TakedownRequest, *, address: str) -> Message:
    """Write ``notice``'s text (:func:`reporting.notices.notice_text`, in the notice's
    language: subject and body) into the outbox as one e-mail to ``address``, the
    platform's abuse address (a bare address: the platform is no user or organisation
    of ours). Call inside the submission's transaction (``takedown_submit``): the
    notice leaves once, and never for a submission that rolled back. The text carries
    the signature block, the locations and the hashes, never an image nor the child's
    name (LAW.md §1; DESIGN rule 1); replies go to the signer's e-mail, else the
    school's. Returns the row written."""
    document = notice_text(notice)
    case = notice.case
    return enqueue(
        kind=MessageKind.TAKEDOWN_NOTICE,
        recipient=Recipient(language=document.language, address=address),
        subject=document.subject,
        body=document.body,
        school=case.school,
        case=case,
        about=notice,
        # The platform's acknowledgement and decision (DSA art. 16(4)–(5); TAKE IT DOWN
        # §223a(a)(1)(B)(iv)) go to whoever signed, else to the school's own address;
        # never to Salvaguarda's no-reply sender.
        reply_to=notice.requester_email or case.school.email,
    )
