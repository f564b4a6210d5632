"""The messages that left Salvaguarda, over the API (issue 9, "Delivery visible"):
who sees which (the school's leads all of theirs; a police liaison only those addressed
to their unit; staff and other schools none, 404 not 403), what of each row, the retry
(audited, 409 the second time) and the read audit."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import AccessEvent, CaseEvent
from outbox.kinds import MessageKind
from outbox.models import Message
from reporting.models import Referral
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_the_lead_sees_every_message_of_the_school_and_the_failed_ones_by_filter(
    lead_a, failed, notice
):
    api = client_for(lead_a)
    told = Message.objects.get(kind=MessageKind.DELIVERY_FAILED, about_id=failed.pk)
    assert ids(api.get(reverse("api:delivery-list"))) == {failed.pk, notice.pk, told.pk}
    assert ids(api.get(reverse("api:delivery-list"), {"state": "failed"})) == {failed.pk}
    assert api.get(reverse("api:delivery-list"), {"state": "lost"}).status_code == 400
    about = api.get(reverse("api:delivery-list"), {"referral": failed.about_id})
    assert ids(about) == {failed.pk}
    for bad in ("x", "1.5", "0", str(2**64)):
        assert api.get(reverse("api:delivery-list"), {"referral": bad}).status_code == 400
    case_list = api.get(reverse("api:case-deliveries", args=[failed.case_id]))
    assert ids(case_list) == {failed.pk, notice.pk, told.pk}


def test_a_row_says_what_was_sent_to_whom_when_and_why_it_failed(lead_a, failed):
    body = (
        client_for(lead_a)
        .get(reverse("api:delivery-detail", args=[failed.pk]), HTTP_ACCEPT_LANGUAGE="en")
        .json()
    )
    assert body["kind"] == "referral-notice"
    assert body["kind_label"] == "Referral notice to the destination"
    assert body["state"] == "failed"
    assert body["recipient"] == "Unidad sin correo"
    assert body["attempts"] == 1
    assert body["last_error"] == "no address"
    assert body["failure_reason"] == "there is no e-mail address for this recipient"
    assert body["failed_at"] and body["created_at"] and body["sent_at"] is None
    assert body["case"] == failed.case_id
    assert body["about"] == {"type": "referral", "id": failed.about_id}
    assert body["idempotency_key"] == str(failed.idempotency_key)
    assert failed.subject and body["subject"] == failed.subject


def test_the_lead_sends_a_failed_message_again_once(lead_a, failed):
    api = client_for(lead_a)
    url = reverse("api:delivery-retry", args=[failed.pk])
    response = api.post(url, {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "pending"
    assert response.json()["attempts"] == 0
    failed.refresh_from_db()
    assert failed.state == Message.State.PENDING
    retried = CaseEvent.objects.filter(verb="delivery.retried", case=failed.case)
    assert retried.count() == 1
    assert retried.get().actor == lead_a
    assert retried.get().data == {"kind": "referral-notice", "message": failed.pk}
    # Someone else (or a second click) retried it already: 409, nothing written.
    again = api.post(url, {}, format="json")
    assert again.status_code == 409
    assert retried.count() == 1


def test_the_retry_takes_no_field(lead_a, failed):
    response = client_for(lead_a).post(
        reverse("api:delivery-retry", args=[failed.pk]), {"force": True}, format="json"
    )
    assert response.status_code == 400
    assert "force" in response.json()
    failed.refresh_from_db()
    assert failed.state == Message.State.FAILED


def test_the_police_see_only_what_was_addressed_to_their_unit(police, failed, notice):
    api = client_for(police)
    # Not the notice to another unit, not the school's own "delivery failed".
    assert ids(api.get(reverse("api:delivery-list"))) == {notice.pk}
    assert ids(api.get(reverse("api:case-deliveries", args=[notice.case_id]))) == {notice.pk}
    body = api.get(reverse("api:delivery-detail", args=[notice.pk])).json()
    # Addressed to them in person: they read it, but the address is the school's.
    assert body["subject"] == notice.subject and body["body"] == notice.body
    assert body["address"] == ""
    assert api.get(reverse("api:delivery-detail", args=[failed.pk])).status_code == 404
    # They see their notice but may not send it again: 403, nothing written.
    response = api.post(reverse("api:delivery-retry", args=[notice.pk]), {}, format="json")
    assert response.status_code == 403
    # Another unit's message: 404, as for one that does not exist.
    response = api.post(reverse("api:delivery-retry", args=[failed.pk]), {}, format="json")
    assert response.status_code == 404
    assert not CaseEvent.objects.filter(verb="delivery.retried").exists()


def test_the_police_lose_sight_of_the_case_but_keep_their_inbox_messages(
    police, lead_a, referral_a, notice
):
    from reporting import services

    services.referral_withdraw(referral=referral_a, actor=lead_a, reason="Error")
    api = client_for(police)
    assert api.get(reverse("api:case-deliveries", args=[notice.case_id])).status_code == 404
    # The notice and the withdrawal both went to their unit, about a referral in their
    # inbox (withdrawn referrals stay there).
    assert Referral.objects.get(pk=referral_a.pk).status == Referral.Status.WITHDRAWN
    assert notice.pk in ids(api.get(reverse("api:delivery-list")))


@pytest.mark.parametrize("who", ["staff_a", "head_a", "lead_b", "other_police"])
def test_everyone_else_sees_none_and_gets_404(request, who, failed, notice):
    api = client_for(request.getfixturevalue(who))
    assert ids(api.get(reverse("api:delivery-list"))) == set()
    for message in (failed, notice):
        assert api.get(reverse("api:delivery-detail", args=[message.pk])).status_code == 404
        retry = api.post(reverse("api:delivery-retry", args=[message.pk]), {}, format="json")
        assert retry.status_code == 404
    assert api.get(reverse("api:case-deliveries", args=[failed.case_id])).status_code == 404
    failed.refresh_from_db()
    assert failed.state == Message.State.FAILED


def test_a_webhook_shows_webhook_never_its_url(lead_a, failed):
    Message.objects.filter(pk=failed.pk).update(address="https://police.example/hook")
    body = client_for(lead_a).get(reverse("api:delivery-detail", args=[failed.pk])).json()
    assert body["address"] == "https://police.example/hook"  # e-mail channel: as is
    # A webhook row needs an endpoint (``outbox_one_recipient``): the serializer alone.
    from api.serializers_deliveries import DeliveryOutputSerializer

    failed.refresh_from_db()
    failed.channel = Message.Channel.WEBHOOK

    data = DeliveryOutputSerializer(failed, context={"reader": lead_a}).data
    assert data["address"] == "webhook"


def test_every_read_is_audited(lead_a, failed):
    api = client_for(lead_a)
    api.get(reverse("api:delivery-list"))
    api.get(reverse("api:delivery-detail", args=[failed.pk]))
    api.get(reverse("api:case-deliveries", args=[failed.case_id]))
    reads = list(
        AccessEvent.objects.filter(actor=lead_a, channel="api")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert reads[-3:] == ["delivery.list", "delivery.detail", "case.deliveries"]
    assert AccessEvent.objects.order_by("-id").first().case_ids == [failed.case_id]


def test_the_case_page_lists_the_readers_messages(lead_a, police, failed, notice):
    url = reverse("api:case-detail", args=[failed.case_id])
    lead_rows = {row["id"] for row in client_for(lead_a).get(url).json()["deliveries"]}
    assert {failed.pk, notice.pk} <= lead_rows
    police_body = client_for(police).get(url).json()
    assert {row["id"] for row in police_body["deliveries"]} == {notice.pk}


def test_the_list_costs_the_same_for_one_row_and_many(lead_a, failed, notice, case_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = client_for(lead_a)
    url = reverse("api:delivery-list")
    api.get(url)
    with CaptureQueriesContext(connection) as one:
        api.get(url, {"page_size": 1})
    with CaptureQueriesContext(connection) as many:
        api.get(url, {"page_size": 50})
    assert len(many) == len(one)
