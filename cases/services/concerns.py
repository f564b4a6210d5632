"""Concerns: the first report of what happened, before (or without) a case. A new
concern is told at once to the school's safeguarding leads and deputies, through the
outbox, in the transaction that logs it."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.audit import SYSTEM, AuditContext, record_case_event
from cases.models import Concern, Organisation, Person, User
from cases.notifications import notify, school_leads, site_link
from cases.services._common import clean, not_in_future
from cases.verbs import CaseVerb
from outbox.kinds import MessageKind


@transaction.atomic
def concern_log(
    *,
    school: Organisation,
    logged_by: User | None,
    source: str,
    summary: str,
    childs_own_words: str = "",
    occurred_at: datetime | None = None,
    subject: Person | None = None,
    logged_at: datetime | None = None,
    context: AuditContext = SYSTEM,
) -> tuple[Concern, str | None]:
    """Log a concern: the first report, in the child's own words where given.

    ``logged_by`` is ``None`` only for an anonymous pupil report; then a tracking code is
    generated and returned once (only its SHA-256 is stored). ``logged_at`` (UTC,
    default now, not in the future) records a concern written down earlier, e.g. on paper.
    The school's leads and deputies (:func:`cases.notifications.school_leads`) are told
    at once, in this transaction (:func:`concern_new_notify`).
    Returns ``(concern, tracking_code_or_None)``. Raises ``ValidationError``.
    """
    if subject is not None and subject.school_id != school.pk:
        raise ValidationError({"subject": _("This person is not of this school.")})
    not_in_future(occurred_at, "occurred_at")
    not_in_future(logged_at, "logged_at")
    tracking_code = None
    concern = Concern(
        school=school,
        logged_by=logged_by,
        source=source,
        summary=summary,
        childs_own_words=childs_own_words,
        occurred_at=occurred_at,
        subject=subject,
        logged_at=logged_at or timezone.now(),
    )
    if logged_by is None:
        if source != Concern.Source.PUPIL_ANONYMOUS:
            raise ValidationError({"source": _("Only anonymous pupil reports have no author.")})
        tracking_code = secrets.token_urlsafe(9)
        concern.tracking_code_sha256 = hashlib.sha256(tracking_code.encode()).hexdigest()
    clean(concern)
    concern.save()
    record_case_event(
        school=school,
        case=None,
        actor=logged_by,
        verb=CaseVerb.CONCERN_LOGGED,
        obj=concern,
        context=context,
        data={"source": source},
    )
    concern_new_notify(concern)
    return concern, tracking_code


def concern_new_notify(concern: Concern) -> None:
    """Tell the leads and deputies of ``concern``'s school that it was logged: one e-mail
    each, in their language (``cases/email/concern_new_*.txt``), written into the outbox
    in the caller's transaction and sent at once (issue 9: "new concern → the school's
    leads"). It names the school and the source (staff, pupil, anonymous…) and links to
    the dashboard's list of new concerns; never the summary, the child's words or who
    it is about (DESIGN rule 1). The person who logged it is not told, even if a lead
    (they know; the others need it).

    There is no "immediate risk" mark on a concern yet (triage is issue 11): every new
    concern is told at once, all alike."""
    leads = [lead for lead in school_leads(concern.school) if lead.pk != concern.logged_by_id]
    notify(
        MessageKind.CONCERN_NEW,
        leads,
        "cases/email/concern_new",
        {
            "school": concern.school.name,
            "source": Concern.Source(concern.source).label,
            "link": site_link("concerns"),
        },
        school=concern.school,
        about=concern,
    )
