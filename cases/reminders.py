"""Reminders of support check-ins (a service callable from a shell or a test without
Celery; ``cases.tasks.check_in_reminders`` runs it from beat)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from cases.models import CheckIn, SupportPlan, User
from cases.notifications import recipient_language, render_email, send_email, site_link

logger = logging.getLogger(__name__)

# Check-ins due within this window are reminded to the plan owner.
CHECK_IN_REMIND_AHEAD = timedelta(hours=24)


def check_in_reminders_send(*, now: datetime) -> list[int]:
    """Remind each plan owner of the check-ins of active support plans not yet held and
    due before ``now`` + ``CHECK_IN_REMIND_AHEAD`` (24 h; late ones included): one
    e-mail per owner with the count and a link to the dashboard, in the owner's
    language (``cases/email/check_in_reminder_*.txt``). ``now``: aware datetime.

    Each check-in is claimed once through a conditional ``UPDATE`` of ``reminded_at``
    before anything is sent, so two sweeps running together never remind it twice; a
    send that fails after the claim loses that reminder rather than repeating it (a
    reminder, unlike a referral notice, is not a legal step). An owner without an
    e-mail address is claimed and not written to. Returns the ids claimed now."""
    due = CheckIn.objects.filter(
        held_at__isnull=True,
        reminded_at__isnull=True,
        due_at__lte=now + CHECK_IN_REMIND_AHEAD,
        plan__status=SupportPlan.Status.ACTIVE,
    ).select_related("plan__owner")
    reminded: list[int] = []
    owners: dict[int, User] = {}
    counts: dict[int, int] = {}
    for check_in in due:
        if not CheckIn.objects.filter(pk=check_in.pk, reminded_at__isnull=True).update(
            reminded_at=now
        ):
            continue  # claimed by a concurrent sweep
        reminded.append(check_in.pk)
        owner = check_in.plan.owner
        if owner.email:
            owners[owner.pk] = owner
            counts[owner.pk] = counts.get(owner.pk, 0) + 1
    for pk, owner in owners.items():
        subject, body = render_email(
            "cases/email/check_in_reminder",
            {"n": counts[pk], "link": site_link("check_ins")},
            language=recipient_language(owner),
        )
        send_email(subject, body, [owner.email], kind="check-in-reminder")
    if reminded:
        logger.info("check-ins: %d reminded to %d owner(s)", len(reminded), len(owners))
    return reminded
