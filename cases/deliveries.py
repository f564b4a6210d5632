"""What the case file does with the outbox's deliveries (``outbox``, ADR 0010): a message
that failed is recorded in its case's chronology and reported to the school's leads; a
lead may send a failed message again.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.audit import SYSTEM, AuditContext, record_case_event
from cases.exceptions import Conflict
from cases.models import Case, User
from cases.notifications import case_leads, notify, school_leads, site_link
from cases.verbs import CaseVerb
from outbox import relay
from outbox.kinds import MessageKind
from outbox.models import Message

logger = logging.getLogger(__name__)

NO_ADDRESS = gettext_lazy("there is no e-mail address for this recipient")
REFUSED = gettext_lazy("the receiving server refused it or did not answer")


def delivery_failed(sender: Any, *, message: Message, **kwargs: Any) -> None:
    """Receiver of ``outbox.signals.message_failed`` (inside the relay's transaction):
    a ``delivery.failed`` line in the case's chronology (if the message belongs to a
    case) and a notice to the case's lead, or the school's leads and deputies
    (``cases/email/delivery_failed_*.txt``: what it was, to whom, why, a link to the
    dashboard; never a child's details). A failed notice of a failure is only logged:
    no loop. Messages that belong to no school are only logged."""
    if message.school_id is None:
        logger.error("outbox: message %s failed and belongs to no school", message.pk)
        return
    case = Case.objects.filter(pk=message.case_id).first() if message.case_id else None
    if case is not None:
        record_case_event(
            school=message.school_id,
            case=case,
            actor=None,
            verb=CaseVerb.DELIVERY_FAILED,
            obj=message,
            data={"kind": message.kind, "message": message.pk, "attempts": message.attempts},
        )
    if message.kind == MessageKind.DELIVERY_FAILED:
        logger.error("outbox: the failure notice %s itself failed", message.pk)
        return
    recipients = case_leads(case) if case is not None else school_leads(message.school_id)
    notify(
        MessageKind.DELIVERY_FAILED,
        recipients,
        "cases/email/delivery_failed",
        {
            "kind": MessageKind(message.kind).label,
            "recipient": message.recipient_label,
            "attempts": message.attempts,
            "error": NO_ADDRESS if message.last_error == "no address" else REFUSED,
            "reference": case.reference if case is not None else "",
            "link": site_link("dashboard"),
        },
        school=message.school_id,
        case=case,
        about=message,
    )


@transaction.atomic
def delivery_retry(*, message: Message, actor: User, context: AuditContext = SYSTEM) -> Message:
    """Send failed ``message`` again (a lead's choice, after fixing an address): its
    attempts start again and it is delivered once this transaction commits; a
    ``delivery.retried`` line goes in the case's chronology. The caller has checked that
    ``actor`` may manage the message's school (``cases.selectors``). Raises ``Conflict``
    if the message is not ``failed`` (already sent, or retried by someone else)."""
    if not relay.retry(message.pk):
        current = Message.objects.filter(pk=message.pk).values_list("state", flat=True).first()
        raise Conflict(_("This message is not failed any more."), current_status=current)
    message.refresh_from_db()
    record_case_event(
        school=message.school_id,
        case=message.case,
        actor=actor,
        verb=CaseVerb.DELIVERY_RETRIED,
        obj=message,
        context=context,
        data={"kind": message.kind, "message": message.pk},
    )
    return message
