"""The language switch keeps a signed-in user's choice on their account (issue 9: each
notification in the recipient's language), audited; anonymous visitors and unknown
codes change no account."""

from __future__ import annotations

import pytest
from django.conf import settings

from cases.models import CaseEvent, User
from tests.web.test_pages import client_as

pytestmark = pytest.mark.django_db


def test_choosing_english_keeps_it_on_the_account_and_e_mails_follow(lead_a):
    client = client_as(lead_a)

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert User.objects.get(pk=lead_a.pk).language == "en"
    [event] = CaseEvent.objects.filter(verb="user.language_set")
    assert (event.actor, event.data["language"]) == (lead_a, "en")
    # Choosing it again writes nothing more.
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert CaseEvent.objects.filter(verb="user.language_set").count() == 1


def test_an_unknown_code_or_an_anonymous_visitor_changes_no_account(lead_a):
    client_as(lead_a).post("/i18n/setlang/", {"language": "xx", "next": "/"})
    anonymous = client_as(None).post("/i18n/setlang/", {"language": "en", "next": "/"})

    assert anonymous.status_code == 302
    assert User.objects.get(pk=lead_a.pk).language == ""
    assert not CaseEvent.objects.filter(verb="user.language_set").exists()
