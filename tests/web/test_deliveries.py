"""The messages that left Salvaguarda, on the web pages (issue 9, "Delivery visible"):
the case page's "Messages sent", the referral page's messages, the lead's dashboard's
"Failed deliveries" (only when there are some), and "Send again" (POST, audited, a
clear 409 the second time); the police see only what was addressed to their unit;
staff and other schools get 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import AccessEvent, CaseEvent
from outbox.models import Message
from tests.web.test_pages import client_as

pytestmark = pytest.mark.django_db


def test_the_case_page_shows_what_was_sent_to_whom_and_offers_send_again(lead_a, failed, notice):
    page = client_as(lead_a, "en").get(reverse("web:case_detail", args=[failed.case_id]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-part="deliveries"' in html
    assert "Messages sent" in html
    assert f'data-id="{failed.pk}"' in html and f'data-id="{notice.pk}"' in html
    assert "Unidad sin correo" in html  # to whom
    assert "There is no e-mail address for this recipient" in html  # why, in plain words
    assert 'class="badge delivery-failed"' in html
    assert 'class="badge delivery-sent"' in html
    # One "Send again", for the failed row only.
    assert html.count(reverse("web:delivery_retry", args=[failed.pk])) == 1
    assert reverse("web:delivery_retry", args=[notice.pk]) not in html
    # Each notice links to the referral it is about (rows to one unit look alike).
    for message in (failed, notice):
        row = html.split(f'data-id="{message.pk}"', 1)[1].split("</tr>", 1)[0]
        assert f'href="{reverse("web:referral", args=[message.about_id])}"' in row


def test_the_page_speaks_spanish(lead_a, failed):
    html = (
        client_as(lead_a, "es")
        .get(reverse("web:case_detail", args=[failed.case_id]))
        .content.decode()
    )
    assert "Mensajes enviados" in html
    assert "Enviar de nuevo" in html


def test_send_again_retries_once_and_says_so_the_second_time(lead_a, failed):
    client = client_as(lead_a, "en")
    url = reverse("web:delivery_retry", args=[failed.pk])
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"].endswith(
        reverse("web:case_detail", args=[failed.case_id]) + "#deliveries"
    )
    failed.refresh_from_db()
    assert failed.state == Message.State.PENDING
    assert CaseEvent.objects.filter(verb="delivery.retried", actor=lead_a).count() == 1
    again = client.post(url)
    assert again.status_code == 409
    assert "This message is not failed any more." in again.content.decode()
    assert CaseEvent.objects.filter(verb="delivery.retried").count() == 1


def test_send_again_from_the_dashboard_returns_there(lead_a, failed):
    response = client_as(lead_a).post(
        reverse("web:delivery_retry", args=[failed.pk]), {"next": "dashboard"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(reverse("web:dashboard") + "#failed-deliveries")


def test_the_dashboard_shows_failed_deliveries_only_when_there_are_some(lead_a, failed):
    client = client_as(lead_a, "en")
    html = client.get(reverse("web:dashboard")).content.decode()
    assert 'id="failed-deliveries"' in html
    assert reverse("web:delivery_retry", args=[failed.pk]) in html
    assert reverse("web:case_detail", args=[failed.case_id]) + "#deliveries" in html
    read = AccessEvent.objects.filter(actor=lead_a, action="dashboard").latest("id")
    assert failed.case_id in read.case_ids
    client.post(reverse("web:delivery_retry", args=[failed.pk]))
    assert 'id="failed-deliveries"' not in client.get(reverse("web:dashboard")).content.decode()


def test_the_police_see_their_notice_on_the_referral_page_and_nothing_else(
    police, referral_a, failed, notice
):
    client = client_as(police, "en")
    html = client.get(reverse("web:referral", args=[referral_a.pk])).content.decode()
    assert f'data-id="{notice.pk}"' in html
    assert "Send again" not in html
    case_html = client.get(reverse("web:case_detail", args=[notice.case_id])).content.decode()
    assert f'data-id="{notice.pk}"' in case_html
    assert f'data-id="{failed.pk}"' not in case_html
    assert "Unidad sin correo" not in case_html
    # They see the notice but may not send it again; another unit's message is 404.
    assert client.post(reverse("web:delivery_retry", args=[notice.pk])).status_code == 403
    assert client.post(reverse("web:delivery_retry", args=[failed.pk])).status_code == 404
    assert 'id="failed-deliveries"' not in client.get(reverse("web:dashboard")).content.decode()


@pytest.mark.parametrize("who", ["staff_a", "lead_b", "other_police"])
def test_others_get_404_and_change_nothing(request, who, failed):
    client = client_as(request.getfixturevalue(who))
    url = reverse("web:delivery_retry", args=[failed.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    failed.refresh_from_db()
    assert failed.state == Message.State.FAILED
    assert not CaseEvent.objects.filter(verb="delivery.retried").exists()
    assert 'id="failed-deliveries"' not in client.get(reverse("web:dashboard")).content.decode()
