"""Reminders of support check-ins, written into the outbox (a service callable from a
shell or a test without Celery; ``cases.tasks.check_in_reminders`` runs it from beat)."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction

from cases.models import Case, CheckIn, SupportPlan, User
from cases.notifications import notify, site_link
from outbox.kinds import MessageKind

logger = logging.getLogger(__name__)

# Check-ins due within this window are reminded to the plan owner.
CHECK_IN_REMIND_AHEAD = timedelta(hours=24)


def check_in_reminders_send(*, now: datetime) -> list[int]:
    """Remind each plan owner of the check-ins of active support plans not yet held and
    due before ``now`` + ``CHECK_IN_REMIND_AHEAD`` (24 h; late ones included): one
    e-mail per owner and school with the count and a link to the dashboard, in the
    owner's language (``cases/email/check_in_reminder_*.txt``), written into the outbox.
    ``now``: aware datetime.

    Each check-in is claimed once through a conditional ``UPDATE`` of ``reminded_at``
    in the same transaction as the owner's message, so two sweeps running together never
    remind it twice and a claimed reminder is never lost (the outbox delivers it). An
    owner without an e-mail address gets a message that fails visibly ("no address"),
    and the school's leads are told. Returns the ids claimed now."""
    due = CheckIn.objects.filter(
        held_at__isnull=True,
        reminded_at__isnull=True,
        due_at__lte=now + CHECK_IN_REMIND_AHEAD,
        plan__status=SupportPlan.Status.ACTIVE,
    ).values_list("pk", "plan__owner_id", "plan__case__school_id", "plan__case_id")
    groups: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for pk, owner_id, school_id, case_id in due:
        groups[(owner_id, school_id)].append((pk, case_id))
    owners = User.objects.in_bulk([owner_id for owner_id, _ in groups])
    reminded: list[int] = []
    for (owner_id, school_id), items in groups.items():
        with transaction.atomic():
            claimed = [
                (pk, case_id)
                for pk, case_id in items
                if CheckIn.objects.filter(pk=pk, reminded_at__isnull=True).update(reminded_at=now)
            ]
            if not claimed:
                continue  # claimed by a concurrent sweep
            cases = {case_id for _, case_id in claimed}
            notify(
                MessageKind.CHECK_IN_DUE,
                [owners[owner_id]],
                "cases/email/check_in_reminder",
                {"n": len(claimed), "link": site_link("check_ins")},
                school=school_id,
                # A message about several cases belongs to the school only.
                case=Case(pk=cases.pop()) if len(cases) == 1 else None,
            )
        reminded += [pk for pk, _ in claimed]
    if reminded:
        logger.info("check-ins: %d reminded to %d owner(s)", len(reminded), len(groups))
    return reminded
