"""Web pages over HTTP: who sees which page, 404 for foreign ids, forms that write
through the services (and write nothing on bad input), htmx partials, ES/EN."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.models import AccessEvent, CaseEvent, Concern, EvidenceItem, Participant, Person
from reporting import services as reporting_services
from reporting.models import LegalBasis, Platform, Referral, TakedownRequest

SHA = "a" * 64


def client_as(user, language: str | None = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def evidence(case, actor) -> EvidenceItem:
    return case_services.evidence_record(
        case=case,
        actor=actor,
        kind="image",
        first_seen_at=timezone.now() - timedelta(days=1),
        platform=Platform.objects.get(slug="whatsapp"),
        location="https://chat.whatsapp.com/invite/abc",
        sha256=SHA,
    )


# --- Sign-in ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,args",
    [
        ("web:dashboard", []),
        ("web:case_list", []),
        ("web:case_detail", [1]),
        ("web:evidence_new", [1]),
        ("web:concern_new", []),
        ("web:referral_inbox", []),
        ("web:referral", [1]),
        ("web:clusters", []),
    ],
)
def test_anonymous_users_are_sent_to_sign_in(db, name, args):
    response = Client().get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_the_sign_in_page_renders_and_signs_in(lead_a):
    client = Client()
    assert client.get(reverse("web:login")).status_code == 200
    response = client.post(
        reverse("web:login"), {"username": "lead.a", "password": "correct-horse-battery-staple-42"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:dashboard")


def test_sign_out_is_a_post(lead_a):
    client = client_as(lead_a)
    response = client.post(reverse("web:logout"))
    assert response.status_code == 302
    assert client.get(reverse("web:dashboard")).status_code == 302


# --- Dashboard --------------------------------------------------------------------


def test_a_leads_dashboard_shows_open_cases_overdue_notices_and_check_ins(case_a, lead_a):
    item = evidence(case_a, lead_a)
    notice = reporting_services.takedown_create(
        case=case_a,
        actor=lead_a,
        platform=Platform.objects.get(slug="whatsapp"),
        legal_basis=LegalBasis.objects.get(code="us-take-it-down"),
        evidence_items=[item],
    )
    reporting_services.takedown_submit(
        notice=notice, actor=lead_a, submitted_at=timezone.now() - timedelta(hours=50)
    )
    victim = case_a.participants.get(role="victim").person
    case_services.support_plan_create(
        case=case_a,
        victim=victim,
        owner=lead_a,
        actor=lead_a,
        first_check_in_at=timezone.now() + timedelta(days=2),
    )
    response = client_as(lead_a, "en").get(reverse("web:dashboard"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Open cases" in body
    assert case_a.reference in body
    assert "WhatsApp" in body  # the overdue notice
    assert "2 h" in body  # overdue by about two hours
    assert "Lucía" in body  # the check-in due this week
    assert response["Cache-Control"] == "no-store"


def test_a_police_dashboard_counts_live_referrals(referral_a, police):
    response = client_as(police, "en").get(reverse("web:dashboard"))
    assert response.status_code == 200
    assert "Live referrals" in response.content.decode()
    assert response.context["live_referrals"] == 1
    assert response.context["awaiting_acknowledgement"] == 1


def test_staff_see_their_concerns_and_can_log_one(staff_a, school_a):
    client = client_as(staff_a, "en")
    response = client.get(reverse("web:dashboard"))
    assert response.status_code == 200
    assert "Concerns you logged" in response.content.decode()

    response = client.post(
        reverse("web:concern_new"),
        {"source": "staff", "summary": "Fotos en un grupo", "childs_own_words": "Me dijo…"},
    )
    assert response.status_code == 302
    concern = Concern.objects.get()
    assert concern.logged_by == staff_a
    assert concern.school == school_a
    assert CaseEvent.objects.filter(verb="concern.logged", object_id=concern.pk).exists()
    assert "Fotos en un grupo" in client.get(reverse("web:dashboard")).content.decode()


def test_a_head_sees_a_dashboard_without_case_contents(case_a, head_a):
    response = client_as(head_a).get(reverse("web:dashboard"))
    assert response.status_code == 200
    assert case_a.reference not in response.content.decode()


# --- Case list and case page ------------------------------------------------------


def test_the_case_list_shows_only_the_schools_cases(case_a, case_b, lead_a):
    response = client_as(lead_a).get(reverse("web:case_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert case_a.reference in body
    assert case_b.reference not in body
    assert AccessEvent.objects.filter(actor=lead_a, action="case.list").exists()


def test_the_case_list_filter_returns_only_the_table_to_htmx(case_a, lead_a):
    client = client_as(lead_a)
    response = client.get(
        reverse("web:case_list"), {"status": "closed"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert case_a.reference not in body
    # An unknown choice is ignored, never a 500.
    assert client.get(reverse("web:case_list"), {"category": "nope"}).status_code == 200


def test_the_case_page_shows_every_section_to_the_lead(case_a, lead_a):
    evidence(case_a, lead_a)
    response = client_as(lead_a, "en").get(reverse("web:case_detail", args=[case_a.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    for heading in ("People and roles", "Evidence", "Referrals", "Takedown notices", "Support"):
        assert heading in body
    assert "Lucía" in body
    assert SHA in body
    assert "<img" not in body
    assert 'href="https://chat.whatsapp.com' not in body  # a location is text, not a link
    access = AccessEvent.objects.get(actor=lead_a, action="case.detail")
    assert access.case_ids == [case_a.pk]
    assert access.channel == "web"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("persona", ["lead_b", "staff_a", "head_a", "other_police"])
def test_a_case_not_visible_to_the_user_is_not_found(request, case_a, referral_a, persona):
    user = request.getfixturevalue(persona)
    client = client_as(user)
    assert client.get(reverse("web:case_detail", args=[case_a.pk])).status_code == 404
    assert client.get(reverse("web:evidence_new", args=[case_a.pk])).status_code in {403, 404}
    assert not AccessEvent.objects.filter(actor=user, action="case.detail").exists()


def test_the_case_page_query_count_does_not_grow_with_the_case(case_a, lead_a, school_a):
    client = client_as(lead_a)
    url = reverse("web:case_detail", args=[case_a.pk])
    evidence(case_a, lead_a)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    for i in range(5):
        evidence(case_a, lead_a)
        person = case_services.person_create(
            school=school_a, actor=lead_a, kind="pupil", given_name=f"Testigo {i}"
        )
        case_services.participant_add(case=case_a, person=person, role="witness", actor=lead_a)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small)


def test_an_unknown_case_is_not_found(lead_a):
    assert client_as(lead_a).get(reverse("web:case_detail", args=[999999])).status_code == 404


def test_police_see_only_the_shared_sections_of_a_referred_case(case_a, referral_a, police):
    # referral_a shares chronology and evidence, not people or support plans.
    response = client_as(police, "en").get(reverse("web:case_detail", args=[case_a.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Chronology" in body
    assert 'id="evidence"' in body
    assert 'id="participants"' not in body
    assert 'id="support"' not in body
    assert "Lucía" not in body
    assert "Record evidence" not in body  # read only


def test_police_cannot_write_to_a_referred_case(case_a, referral_a, police):
    response = client_as(police).post(
        reverse("web:evidence_new", args=[case_a.pk]),
        {"kind": "url", "location": "x", "first_seen_at": "2023-09-01T10:00"},
    )
    assert response.status_code == 403
    assert not EvidenceItem.objects.exists()


# --- Forms write through the services ---------------------------------------------


def test_recording_evidence_writes_through_the_service(case_a, lead_a):
    response = client_as(lead_a).post(
        reverse("web:evidence_new", args=[case_a.pk]),
        {
            "kind": "image",
            "platform": "telegram",
            "location": "https://t.me/canal/12",
            "identifiers": "channel_username: canal\nmessage_link: https://t.me/canal/12",
            "first_seen_at": "2023-09-12T18:30",
            "sha256": SHA.upper(),
            "pdq": "f" * 64,
            "pdq_quality": "90",
        },
    )
    assert response.status_code == 302
    item = EvidenceItem.objects.get()
    assert item.sha256 == SHA
    assert item.identifiers == {
        "channel_username": "canal",
        "message_link": "https://t.me/canal/12",
    }
    # 18:30 at the school (Europe/Madrid, CEST) is 16:30 UTC.
    assert item.first_seen_at.astimezone(UTC).strftime("%H:%M") == "16:30"
    event = CaseEvent.objects.get(verb="evidence.recorded")
    assert event.case == case_a
    assert event.actor == lead_a


def test_bad_evidence_shows_the_errors_and_writes_nothing(case_a, lead_a):
    events_before = CaseEvent.objects.count()
    future = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client_as(lead_a, "en").post(
        reverse("web:evidence_new", args=[case_a.pk]),
        {"kind": "image", "location": "https://x", "first_seen_at": future, "sha256": "zz"},
    )
    assert response.status_code == 400
    assert "Enter 64 hexadecimal characters." in response.content.decode()

    # Valid shape, but the service refuses the future date: its message is on the field.
    response = client_as(lead_a, "en").post(
        reverse("web:evidence_new", args=[case_a.pk]),
        {"kind": "image", "location": "https://x", "first_seen_at": future},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["first_seen_at"] == [
        "This date and time is in the future."
    ]
    assert not EvidenceItem.objects.exists()
    assert CaseEvent.objects.count() == events_before


def test_an_htmx_post_returns_the_refreshed_case_body(case_a, lead_a):
    client = client_as(lead_a)
    response = client.post(
        reverse("web:evidence_new", args=[case_a.pk]),
        {"kind": "url", "location": "https://example.org/p", "first_seen_at": "2023-09-12T10:00"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#case-body"
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="case-body">')
    assert "https://example.org/p" in body
    # The confirmation comes out of band, and is not shown again on the next page.
    assert 'id="messages" aria-live="polite" hx-swap-oob="true"' in body
    next_page = client.get(reverse("web:dashboard")).content.decode()
    assert 'role="status"' not in next_page


def test_an_htmx_form_is_a_partial_with_hx_post(case_a, lead_a):
    url = reverse("web:evidence_new", args=[case_a.pk])
    response = client_as(lead_a).get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert f'hx-post="{url}"' in body
    assert "csrfmiddlewaretoken" in body
    assert "<html" not in body


def test_adding_a_new_person_and_their_role(case_a, lead_a):
    response = client_as(lead_a).post(
        reverse("web:participant_new", args=[case_a.pk]),
        {
            "role": "alleged_perpetrator",
            "kind": "pupil",
            "given_name": "Íñigo",
            "family_name": "Núñez",
            "date_of_birth": "2010-03-04",
            "sex": "male",
        },
    )
    assert response.status_code == 302
    assert Participant.objects.filter(
        case=case_a, role="alleged_perpetrator", person__given_name="Íñigo"
    ).exists()


def test_a_pupil_aged_40_is_refused_and_nothing_is_written(case_a, lead_a):
    people_before = Person.objects.count()
    response = client_as(lead_a, "en").post(
        reverse("web:participant_new", args=[case_a.pk]),
        {"role": "witness", "kind": "pupil", "given_name": "Ana", "date_of_birth": "1980-01-01"},
    )
    assert response.status_code == 400
    assert "date_of_birth" in response.context["form"].errors
    assert Person.objects.count() == people_before


def test_open_a_case_from_a_concern(staff_a, lead_a, school_a):
    concern, _ = case_services.concern_log(
        school=school_a, logged_by=staff_a, source="staff", summary="Montaje con IA"
    )
    url = reverse("web:case_new") + f"?concern={concern.pk}"
    client = client_as(lead_a)
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"title": "Montaje con IA", "category": "ai_generated", "risk_level": "high"}
    )
    assert response.status_code == 302
    concern.refresh_from_db()
    assert concern.status == Concern.Status.CASE_OPENED
    assert response["Location"] == reverse("web:case_detail", args=[concern.case_id])
    # Staff cannot open cases.
    assert client_as(staff_a).get(reverse("web:case_new")).status_code == 403


def test_refer_and_send_in_one_step(case_a, lead_a, police_unit):
    response = client_as(lead_a).post(
        reverse("web:referral_new", args=[case_a.pk]),
        {
            "destination": police_unit.pk,
            "summary": "Denuncia de la familia",
            "shared_sections": ["chronology", "participants"],
            "legal_basis": "legal_obligation",
            "guardians": "informed",
            "send_now": "on",
        },
    )
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.status == Referral.Status.SENT
    assert CaseEvent.objects.filter(verb="referral.sent").count() == 1


def test_a_referral_without_sections_is_refused(case_a, lead_a, police_unit):
    response = client_as(lead_a).post(
        reverse("web:referral_new", args=[case_a.pk]),
        {"destination": police_unit.pk, "summary": "x", "legal_basis": "consent"},
    )
    assert response.status_code == 400
    assert "shared_sections" in response.context["form"].errors
    assert not Referral.objects.exists()


def test_takedown_create_and_submit_starts_the_clock(case_a, lead_a):
    item = evidence(case_a, lead_a)
    response = client_as(lead_a).post(
        reverse("web:takedown_new", args=[case_a.pk]),
        {
            "platform": "whatsapp",
            "legal_basis": "eu-dsa-art16",
            "evidence_items": [item.pk],
            "submit_now": "on",
        },
    )
    assert response.status_code == 302
    notice = TakedownRequest.objects.get()
    assert notice.status == "submitted"
    assert notice.deadline_at - notice.submitted_at == timedelta(hours=48)
    page = client_as(lead_a, "en").get(reverse("web:case_detail", args=[case_a.pk]))
    assert "left" in page.content.decode()


def test_takedown_outcome_and_a_stale_status_is_a_conflict(case_a, lead_a):
    item = evidence(case_a, lead_a)
    notice = reporting_services.takedown_create(
        case=case_a,
        actor=lead_a,
        platform=Platform.objects.get(slug="whatsapp"),
        legal_basis=LegalBasis.objects.get(code="us-take-it-down"),
        evidence_items=[item],
    )
    reporting_services.takedown_submit(notice=notice, actor=lead_a)
    url = reverse("web:takedown_outcome", args=[case_a.pk, notice.pk])
    client = client_as(lead_a)
    assert (
        client.post(url, {"status": "removed", "expected_status": "submitted"}).status_code == 302
    )
    response = client.post(url, {"status": "refused", "expected_status": "submitted"})
    assert response.status_code == 409
    notice.refresh_from_db()
    assert notice.status == "removed"


def test_a_takedown_of_another_case_is_not_found(case_a, case_b, lead_a, lead_b):
    item = evidence(case_b, lead_b)
    notice = reporting_services.takedown_create(
        case=case_b,
        actor=lead_b,
        platform=Platform.objects.get(slug="whatsapp"),
        legal_basis=LegalBasis.objects.get(code="us-take-it-down"),
        evidence_items=[item],
    )
    url = reverse("web:takedown_submit", args=[case_a.pk, notice.pk])
    assert client_as(lead_a).post(url, {}).status_code == 404
    notice.refresh_from_db()
    assert notice.status == "draft"


def test_support_plan_check_in_and_measure(case_a, lead_a):
    victim = case_a.participants.get(role="victim").person
    client = client_as(lead_a)
    response = client.post(
        reverse("web:plan_new", args=[case_a.pk]), {"victim": victim.pk, "check_in_every_days": 7}
    )
    assert response.status_code == 302
    plan = case_a.support_plans.get()
    response = client.post(
        reverse("web:check_in_new", args=[case_a.pk, plan.pk]), {"wellbeing": "3", "notes": "Bien"}
    )
    assert response.status_code == 302
    assert plan.check_ins.filter(held_at__isnull=False, wellbeing=3).exists()
    response = client.post(
        reverse("web:measure_new", args=[case_a.pk, plan.pk]),
        {"kind": "parent_support_group", "provider": "AMPA"},
    )
    assert response.status_code == 302
    assert plan.measures.filter(kind="parent_support_group").exists()
    # A wellbeing score of 9 is a field error.
    response = client.post(
        reverse("web:check_in_new", args=[case_a.pk, plan.pk]), {"wellbeing": "9"}
    )
    assert response.status_code == 400


def test_guardian_contact(case_a, lead_a, school_a):
    mother = case_services.person_create(
        school=school_a, actor=lead_a, kind="guardian", given_name="Carmen"
    )
    response = client_as(lead_a).post(
        reverse("web:guardian_contact_new", args=[case_a.pk]),
        {"guardian": mother.pk, "method": "phone", "notes": "Informada"},
    )
    assert response.status_code == 302
    assert case_a.guardian_contacts.filter(guardian=mother).exists()


def test_closing_a_case_with_an_open_referral_is_refused(case_a, referral_a, lead_a):
    response = client_as(lead_a, "en").post(
        reverse("web:case_close", args=[case_a.pk]),
        {"reason": "Resuelto", "expected_status": "open"},
    )
    assert response.status_code == 400
    assert "referral(s) still open" in response.content.decode()
    case_a.refresh_from_db()
    assert case_a.status == "open"


def test_closing_a_case(case_a, lead_a):
    response = client_as(lead_a).post(
        reverse("web:case_close", args=[case_a.pk]),
        {"reason": "Resuelto", "expected_status": "open"},
    )
    assert response.status_code == 302
    case_a.refresh_from_db()
    assert case_a.status == "closed"
    assert CaseEvent.objects.filter(verb="case.closed", case=case_a).exists()


# --- Referral inbox (police) ------------------------------------------------------


def test_the_police_inbox_lists_referrals_to_the_unit(referral_a, police, other_police):
    response = client_as(police).get(reverse("web:referral_inbox"))
    assert response.status_code == 200
    assert referral_a.case.reference in response.content.decode()
    response = client_as(other_police).get(reverse("web:referral_inbox"))
    assert referral_a.case.reference not in response.content.decode()
    assert (
        client_as(other_police).get(reverse("web:referral", args=[referral_a.pk])).status_code
        == 404
    )


def test_police_acknowledge_a_referral_with_the_atestado_number(referral_a, police, lead_a):
    client = client_as(police)
    page = client.get(reverse("web:referral", args=[referral_a.pk]))
    assert page.status_code == 200
    assert "Denuncia" in page.content.decode()
    url = reverse("web:referral_acknowledge", args=[referral_a.pk])
    response = client.post(url, {"external_reference": "   "})
    assert response.status_code == 400
    response = client.post(url, {"external_reference": "ATESTADO 1234/23"})
    assert response.status_code == 302
    referral_a.refresh_from_db()
    assert referral_a.status == Referral.Status.ACKNOWLEDGED
    assert referral_a.external_reference == "ATESTADO 1234/23"
    assert CaseEvent.objects.filter(verb="referral.acknowledged").exists()
    # The school's lead sees the referral but does not acknowledge for the police.
    assert client_as(lead_a).post(url, {"external_reference": "x"}).status_code == 403


def test_a_closed_referral_hides_its_contents_from_the_police(referral_a, police, lead_a):
    reporting_services.referral_acknowledge(
        referral=referral_a, actor=police, external_reference="A-1"
    )
    reporting_services.referral_close(referral=referral_a, actor=police, outcome="Archivado")
    response = client_as(police).get(reverse("web:referral", args=[referral_a.pk]))
    assert response.status_code == 200
    assert "Denuncia" not in response.content.decode()
    assert (
        client_as(police).get(reverse("web:case_detail", args=[referral_a.case_id])).status_code
        == 404
    )


def test_the_clusters_page_renders_for_police(referral_a, police):
    assert client_as(police).get(reverse("web:clusters")).status_code == 200


# --- Languages --------------------------------------------------------------------


def test_pages_are_in_spanish_by_default_and_in_english_on_request(case_a, lead_a):
    spanish = client_as(lead_a).get(reverse("web:dashboard")).content.decode()
    english = client_as(lead_a, "en").get(reverse("web:dashboard")).content.decode()
    assert "Casos abiertos" in spanish
    assert 'lang="es"' in spanish
    assert "Open cases" in english
    assert 'lang="en"' in english


def test_form_errors_are_in_the_users_language(case_a, lead_a):
    url = reverse("web:evidence_new", args=[case_a.pk])
    data = {"kind": "url", "location": "x", "first_seen_at": "2023-09-12T10:00", "md5": "q"}
    spanish = client_as(lead_a).post(url, data).content.decode()
    assert "No se ha guardado nada" in spanish


def test_the_language_switcher(lead_a):
    client = client_as(lead_a)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert "Open cases" in client.get(reverse("web:dashboard")).content.decode()


def test_police_see_cases_of_two_schools_linked_by_the_same_image(
    case_a, case_b, referral_a, lead_a, lead_b, police_unit, police
):
    evidence(case_a, lead_a)
    evidence(case_b, lead_b)
    referral_b = reporting_services.referral_create(
        case=case_b,
        actor=lead_b,
        destination=police_unit,
        summary="Denuncia",
        legal_basis="legal_obligation",
        shared_sections=["evidence"],
    )
    reporting_services.referral_send(referral=referral_b, actor=lead_b)
    response = client_as(police).get(reverse("web:clusters"))
    assert response.status_code == 200
    body = response.content.decode()
    assert case_a.reference in body
    assert case_b.reference in body
    assert SHA in body
    access = AccessEvent.objects.get(actor=police, action="case.clusters")
    assert access.case_ids == sorted([case_a.pk, case_b.pk])
