"""Actions: tasks on a case with an owner and a due time."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.audit import SYSTEM, AuditContext, record_case_event
from cases.models import Action, Case, User
from cases.services._common import ACTION_DUE_MAX_AHEAD, clean, not_too_far_ahead
from cases.services.cases import lock_open_case
from cases.verbs import CaseVerb


@transaction.atomic
def action_create(
    *,
    case: Case,
    actor: User,
    title: str,
    owner: User,
    due_at: datetime,
    context: AuditContext = SYSTEM,
) -> Action:
    """Create a task on a case with an owner and a due time (UTC).

    ``due_at`` is not before the case was opened (``case.opened_at``) nor more than
    ``ACTION_DUE_MAX_AHEAD`` (2 years) from now: either is a mistyped date. Raises
    ``ValidationError``."""
    lock_open_case(case.pk)
    not_too_far_ahead(due_at, "due_at", limit=ACTION_DUE_MAX_AHEAD)
    if due_at < case.opened_at:
        raise ValidationError({"due_at": _("This date is before the case was opened.")})
    action = Action(case=case, title=title, owner=owner, due_at=due_at)
    clean(action)
    action.save()
    record_case_event(
        school=case.school_id,
        case=case,
        actor=actor,
        verb=CaseVerb.ACTION_CREATED,
        obj=action,
        context=context,
    )
    return action


@transaction.atomic
def action_complete(*, action: Action, actor: User, context: AuditContext = SYSTEM) -> Action:
    """Mark an action done (once: a second call is a ``ValidationError``)."""
    lock_open_case(action.case_id)
    updated = Action.objects.filter(pk=action.pk, done_at__isnull=True).update(
        done_at=timezone.now()
    )
    if not updated:
        raise ValidationError({"done_at": _("This action is already done.")})
    action.refresh_from_db()
    record_case_event(
        school=action.case.school_id,
        case=action.case,
        actor=actor,
        verb=CaseVerb.ACTION_COMPLETED,
        obj=action,
        context=context,
    )
    return action
