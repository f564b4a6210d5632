"""Check-in reminders (``cases.reminders.check_in_reminders_send``, run by the beat
task ``cases.tasks.check_in_reminders``): one e-mail per plan owner for the check-ins
due in the next 24 h, each check-in reminded once, in the owner's language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.models import CheckIn, SupportPlan
from cases.reminders import CHECK_IN_REMIND_AHEAD, check_in_reminders_send
from cases.tasks import check_in_reminders
from outbox.models import Message
from tests.outbox import deliver_outbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(case_a, lead_a) -> SupportPlan:
    victim = case_a.participants.get(role="victim").person
    return case_services.support_plan_create(
        case=case_a,
        victim=victim,
        owner=lead_a,
        actor=lead_a,
        first_check_in_at=timezone.now() + timedelta(hours=3),
    )


def test_the_owner_is_reminded_once_with_a_link_and_no_names(plan, lead_a, case_a, mailoutbox):
    check_in = plan.check_ins.get()
    now = timezone.now()

    assert check_in_reminders_send(now=now) == [check_in.pk]
    assert check_in_reminders_send(now=now) == []
    assert Message.objects.get().kind == "check-in-reminder"
    deliver_outbox()

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [lead_a.email]
    assert message.extra_headers["X-Salvaguarda-Kind"] == "check-in-reminder"
    assert message.subject == "1 seguimiento(s) de apoyo pendiente(s)"
    assert settings.SITE_URL.rstrip("/") + reverse("web:dashboard") in message.body
    victim = case_a.participants.get(role="victim").person
    for secret in (victim.given_name, case_a.title, case_a.reference):
        assert secret not in f"{message.subject}\n{message.body}"
    check_in.refresh_from_db()
    assert check_in.reminded_at == now


def test_it_is_written_in_the_owners_language(plan, settings, mailoutbox):
    plan.owner.language = "en"
    plan.owner.save(update_fields=["language"])

    check_in_reminders_send(now=timezone.now())
    deliver_outbox()

    assert mailoutbox[0].subject == "1 support check-in(s) due"
    assert "You have 1 check-in(s) due in the next 24 hours" in mailoutbox[0].body


def test_check_ins_held_later_or_of_closed_plans_are_not_reminded(plan, lead_a, mailoutbox):
    check_in = plan.check_ins.get()
    now = timezone.now()
    CheckIn.objects.filter(pk=check_in.pk).update(due_at=now + CHECK_IN_REMIND_AHEAD * 2)
    assert check_in_reminders_send(now=now) == []

    CheckIn.objects.filter(pk=check_in.pk).update(due_at=now - timedelta(days=1))
    SupportPlan.objects.filter(pk=plan.pk).update(status=SupportPlan.Status.CLOSED)
    assert check_in_reminders_send(now=now) == []

    SupportPlan.objects.filter(pk=plan.pk).update(status=SupportPlan.Status.ACTIVE)
    CheckIn.objects.filter(pk=check_in.pk).update(held_at=now, held_by=lead_a)
    assert check_in_reminders_send(now=now) == []
    deliver_outbox()
    assert mailoutbox == []


def test_the_beat_task_calls_the_service(plan, mailoutbox):
    assert check_in_reminders() == [plan.check_ins.get().pk]
    deliver_outbox()
    assert len(mailoutbox) == 1
