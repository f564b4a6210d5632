"""What a police liaison sees of a case referred to their unit (DESIGN rule 2: "a police
liaison sees only what was referred to their unit, while the referral is live").

One case of school A referred several times: two live referrals to unit 1 (one sent,
one acknowledged, sharing different sections), one closed, one still a draft, and one
live referral to unit 2. Unit 1's liaison sees the case through either live referral,
every referral *sent* to unit 1 (never the draft, never unit 2's), the union of what the
live ones share, and nothing once none is live — on the API and the web alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from cases.exceptions import NotFound
from cases.models import Case
from cases.selectors import case_get_for_user, case_referrals_for_user, case_sections_for_user
from reporting import services as reporting_services
from reporting.models import Referral
from reporting.selectors import referral_list_for_user
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@dataclass
class Referred:
    live: Referral  # sent: chronology, evidence
    acknowledged: Referral  # acknowledged: participants
    closed: Referral  # acknowledged then closed: support
    draft: Referral  # never sent
    other_unit: Referral  # sent to unit 2: support

    @property
    def sent_to_unit_1(self) -> set[int]:
        return {self.live.pk, self.acknowledged.pk, self.closed.pk}


def _referral(case, lead, unit, sections, summary) -> Referral:
    return reporting_services.referral_create(
        case=case,
        actor=lead,
        destination=unit,
        summary=summary,
        legal_basis="legal_obligation",
        shared_sections=sections,
    )


@pytest.fixture
def referred(case_a, lead_a, police_unit, police, other_unit, other_police, referral_a):
    acknowledged = _referral(case_a, lead_a, police_unit, ["participants"], "Segunda")
    reporting_services.referral_send(referral=acknowledged, actor=lead_a)
    reporting_services.referral_acknowledge(
        referral=acknowledged, actor=police, external_reference="ATESTADO-2"
    )
    closed = _referral(case_a, lead_a, police_unit, ["support"], "Tercera")
    reporting_services.referral_send(referral=closed, actor=lead_a)
    reporting_services.referral_acknowledge(
        referral=closed, actor=police, external_reference="ATESTADO-3"
    )
    reporting_services.referral_close(referral=closed, actor=police, outcome="Archivada")
    draft = _referral(case_a, lead_a, police_unit, ["support"], "BorradorNoEnviado")
    other = _referral(case_a, lead_a, other_unit, ["support"], "OtraUnidad")
    reporting_services.referral_send(referral=other, actor=lead_a)
    return Referred(referral_a, acknowledged, closed, draft, other)


def ids(rows) -> set[int]:
    return {row.pk if hasattr(row, "pk") else row["id"] for row in rows}


def web_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def referral_links(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'href="/referrals/(\d+)/"', html)}


# --- Every referral sent to the unit, and only those ------------------------------------


def test_the_case_lists_every_referral_sent_to_the_unit(referred, case_a, police):
    case = case_get_for_user(user=police, case_id=case_a.pk)
    assert ids(case_referrals_for_user(user=police, case=case)) == referred.sent_to_unit_1


def test_the_api_case_page_lists_every_referral_sent_to_the_unit(referred, case_a, police):
    body = client_for(police).get(reverse("api:case-detail", args=[case_a.pk])).json()
    assert ids(body["referrals"]) == referred.sent_to_unit_1
    assert "BorradorNoEnviado" not in str(body) and "OtraUnidad" not in str(body)


def test_the_web_case_page_links_every_referral_sent_to_the_unit(referred, case_a, police):
    client = web_client(police)
    html = client.get(reverse("web:case_detail", args=[case_a.pk])).content.decode()
    assert referral_links(html) == referred.sent_to_unit_1
    assert "BorradorNoEnviado" not in html and "OtraUnidad" not in html
    for pk in referral_links(html):
        assert client.get(reverse("web:referral", args=[pk])).status_code == 200


def test_the_inbox_holds_every_referral_sent_to_the_unit(referred, police):
    assert ids(referral_list_for_user(user=police)) == referred.sent_to_unit_1
    api = client_for(police).get(reverse("api:referral-list")).json()["results"]
    assert ids(api) == referred.sent_to_unit_1
    html = web_client(police).get(reverse("web:referral_inbox")).content.decode()
    assert referral_links(html) == referred.sent_to_unit_1


def test_the_chronology_names_only_the_units_sent_referrals(referred, case_a, police):
    events = client_for(police).get(reverse("api:case-events", args=[case_a.pk])).json()
    about = {e["object_id"] for e in events["results"] if e["verb"].startswith("referral.")}
    assert about == referred.sent_to_unit_1


def test_the_other_unit_sees_its_own_referral_only(referred, case_a, other_police):
    case = case_get_for_user(user=other_police, case_id=case_a.pk)
    assert ids(case_referrals_for_user(user=other_police, case=case)) == {referred.other_unit.pk}
    assert ids(referral_list_for_user(user=other_police)) == {referred.other_unit.pk}
    assert case_sections_for_user(user=other_police, case=case) == {"support"}


# --- What the live referrals share, together -------------------------------------------


def test_the_sections_are_the_union_of_the_live_referrals(referred, case_a, police):
    case = case_get_for_user(user=police, case_id=case_a.pk)
    # The closed referral's "support" is no longer shared.
    assert case_sections_for_user(user=police, case=case) == {
        "chronology",
        "evidence",
        "participants",
    }
    client = client_for(police)
    for sub, status in (("participants", 200), ("evidence", 200), ("support-plans", 404)):
        url = reverse(f"api:case-{sub}", args=[case_a.pk])
        assert client.get(url).status_code == status, sub


def test_either_live_referral_alone_keeps_the_case_visible(referred, case_a, lead_a, police):
    reporting_services.referral_withdraw(referral=referred.live, actor=lead_a, reason="Error")
    case = case_get_for_user(user=police, case_id=case_a.pk)
    assert case_sections_for_user(user=police, case=case) == {"participants"}
    assert client_for(police).get(reverse("api:case-detail", args=[case_a.pk])).status_code == 200


# --- None once no referral is live -------------------------------------------------------


@pytest.mark.parametrize("ending", ["withdraw_and_close", "reject_and_close"])
def test_nothing_of_the_case_once_no_referral_to_the_unit_is_live(
    ending, referred, case_a, lead_a, police, other_police
):
    if ending == "withdraw_and_close":
        reporting_services.referral_withdraw(referral=referred.live, actor=lead_a, reason="Error")
    else:
        reporting_services.referral_reject(referral=referred.live, actor=police, reason="No")
    reporting_services.referral_close(
        referral=referred.acknowledged, actor=police, outcome="Archivada"
    )

    assert not Case.objects.visible_to(police).exists()
    with pytest.raises(NotFound):
        case_get_for_user(user=police, case_id=case_a.pk)
    api = client_for(police)
    assert api.get(reverse("api:cases")).json()["results"] == []
    for name in ("api:case-detail", "api:case-events", "api:case-participants"):
        assert api.get(reverse(name, args=[case_a.pk])).status_code == 404, name
    web = web_client(police)
    assert web.get(reverse("web:case_detail", args=[case_a.pk])).status_code == 404
    assert case_a.title not in web.get(reverse("web:case_list")).content.decode()
    # The unit keeps its own records of the referrals, without the case's data.
    inbox = referral_list_for_user(user=police)
    assert ids(inbox) == referred.sent_to_unit_1
    assert not any(r.case_data_visible for r in inbox)
    # The other unit's live referral is untouched.
    assert Case.objects.visible_to(other_police).get() == case_a


def test_every_case_referred_to_the_unit_is_visible(
    referred, case_a, case_b, lead_b, police_unit, police
):
    from_b = _referral(case_b, lead_b, police_unit, ["chronology"], "Desde B")
    reporting_services.referral_send(referral=from_b, actor=lead_b)

    assert set(Case.objects.visible_to(police)) == {case_a, case_b}
    listed = client_for(police).get(reverse("api:cases")).json()["results"]
    assert ids(listed) == {case_a.pk, case_b.pk}
    case = case_get_for_user(user=police, case_id=case_b.pk)
    assert ids(case_referrals_for_user(user=police, case=case)) == {from_b.pk}
    assert ids(referral_list_for_user(user=police)) == referred.sent_to_unit_1 | {from_b.pk}
