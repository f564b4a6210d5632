"""What a referral tells its destination, written into the outbox (``outbox``, ADR 0010)
in the transaction that sends the referral: nothing for a send that rolled back, always
a message for one that committed, delivered by the relay exactly once under normal
failure (ADR 0003's claim-once, now the outbox's claim).
"""

from __future__ import annotations

from cases.models import Organisation, User
from cases.notifications import notify, notify_webhooks, site_link
from cases.permissions import Role
from outbox.kinds import MessageKind
from outbox.models import Message
from reporting.models import Referral


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
    context = {
        "unit": referral.destination.name,
        "reference": referral.case.reference,
        "school": referral.case.school.name,
        "link": site_link("referral", id=referral.pk),
    }
    messages = notify(
        MessageKind.REFERRAL_NOTICE,
        referral_notice_recipients(referral),
        "reporting/email/referral_notice",
        context,
        school=referral.case.school_id,
        case=referral.case,
        about=referral,
    )
    payload = {
        "event": "referral.sent",
        "referral": referral.pk,
        "case_reference": referral.case.reference,
        "school": referral.case.school.name,
        "destination": referral.destination.name,
        "link": context["link"],
    }
    messages += notify_webhooks(
        MessageKind.REFERRAL_NOTICE,
        referral.destination_id,
        payload,
        school=referral.case.school_id,
        case=referral.case,
        about=referral,
    )
    return messages
