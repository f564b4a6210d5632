"""Every write to a case moves its version (``updated_at``), status changes included, so a
client holding an older reading cannot overwrite it (DESIGN rule 6; issue 7, "Done when" 2).

The race tests send two requests at once from two threads, each on its own database
connection, many rounds on the real PostgreSQL: exactly one of them may win.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial

import pytest
from django.db import connections
from django.urls import reverse
from rest_framework.test import APIClient

from cases import services as case_services
from cases.models import Case, CaseEvent
from tests.conftest import client_for

ROUNDS = 100


def version_of(case: Case) -> str:
    """The ``updated_at`` exactly as the API shows it to a client."""
    return (
        client_for(case.lead).get(reverse("api:case-detail", args=[case.pk])).json()["updated_at"]
    )


def patch(client: APIClient, case: Case, version: str, **changes):
    return client.patch(
        reverse("api:case-detail", args=[case.pk]),
        {"expected_updated_at": version, **changes},
        format="json",
    )


def close(client: APIClient, case: Case, version: str | None = None, reason: str = "Resuelto"):
    body = {"reason": reason}
    if version is not None:
        body["expected_updated_at"] = version
    return client.post(reverse("api:case-close", args=[case.pk]), body, format="json")


# --- One client at a time -------------------------------------------------------------


def test_closing_moves_the_version(case_a, lead_a):
    before = version_of(case_a)
    assert close(client_for(lead_a), case_a).status_code == 200
    case_a.refresh_from_db()
    assert case_a.updated_at.isoformat() != before
    assert version_of(case_a) != before


def test_an_edit_on_the_version_read_before_the_close_is_refused(case_a, lead_a):
    stale = version_of(case_a)
    assert close(client_for(lead_a), case_a).status_code == 200

    response = patch(client_for(lead_a), case_a, stale, title="Otro", risk_level="low")

    assert response.status_code == 409
    case_a.refresh_from_db()
    assert (case_a.title, case_a.risk_level, case_a.status) == (
        "Imágenes manipuladas",
        "medium",
        "closed",
    )


def test_a_closed_case_is_not_edited_even_on_its_current_version(case_a, lead_a):
    assert close(client_for(lead_a), case_a).status_code == 200
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(lead_a)
    events = CaseEvent.objects.count()

    response = patch(client, case_a, version_of(case_a), title="Otro")

    assert response.status_code == 409
    assert "reopen" in response.json()["detail"].lower()
    assert CaseEvent.objects.count() == events
    case_a.refresh_from_db()
    assert case_a.title == "Imágenes manipuladas"


def test_a_reopened_case_can_be_edited_again(case_a, lead_a):
    client = client_for(lead_a)
    assert close(client, case_a).status_code == 200
    closed_version = version_of(case_a)

    reopened = client.post(
        reverse("api:case-reopen", args=[case_a.pk]),
        {"expected_status": "closed", "expected_updated_at": closed_version},
        format="json",
    )

    assert reopened.status_code == 200
    body = reopened.json()
    assert body["status"] == "open" and body["closed_at"] is None
    assert body["updated_at"] != closed_version
    assert patch(client, case_a, body["updated_at"], title="Otro").status_code == 200
    verbs = list(CaseEvent.objects.filter(case=case_a).values_list("verb", flat=True))
    assert verbs[-3:] == ["case.closed", "case.reopened", "case.updated"]


def test_reopening_an_open_case_or_on_a_stale_version_is_a_conflict(case_a, lead_a):
    client = client_for(lead_a)
    url = reverse("api:case-reopen", args=[case_a.pk])
    assert client.post(url, {}, format="json").status_code == 409
    stale = version_of(case_a)
    assert close(client, case_a).status_code == 200
    assert client.post(url, {"expected_updated_at": stale}, format="json").status_code == 409
    case_a.refresh_from_db()
    assert case_a.status == "closed"


def test_a_close_on_a_stale_version_loses_to_the_edit_in_between(case_a, lead_a):
    client = client_for(lead_a)
    stale = version_of(case_a)
    assert patch(client, case_a, stale, risk_level="high").status_code == 200

    assert close(client, case_a, stale).status_code == 409
    case_a.refresh_from_db()
    assert case_a.status == "open"


def test_the_web_close_and_reopen_carry_the_version(case_a, lead_a, client):
    client.force_login(lead_a)
    close_url = reverse("web:case_close", args=[case_a.pk])
    page = client.get(close_url)
    assert case_a.updated_at.isoformat() in page.content.decode()
    stale = case_a.updated_at.isoformat()
    patch(client_for(lead_a), case_a, version_of(case_a), title="Cambiado")

    refused = client.post(
        close_url, {"reason": "Hecho", "expected_status": "open", "expected_updated_at": stale}
    )

    assert refused.status_code == 409
    case_a.refresh_from_db()
    assert case_a.status == "open"
    current = case_a.updated_at.isoformat()
    done = client.post(close_url, {"reason": "Hecho", "expected_updated_at": current})
    assert done.status_code == 302
    case_a.refresh_from_db()
    reopen = client.post(
        reverse("web:case_reopen", args=[case_a.pk]),
        {"expected_status": "closed", "expected_updated_at": case_a.updated_at.isoformat()},
    )
    assert reopen.status_code == 302
    case_a.refresh_from_db()
    assert case_a.status == "open"


# --- Two clients at once --------------------------------------------------------------


def race(first: Callable[[], int], second: Callable[[], int]) -> list[int]:
    """Run both callables at the same instant in two threads; their status codes."""
    start = threading.Barrier(2)
    codes: list[int] = []
    errors: list[BaseException] = []

    def run(call: Callable[[], int]) -> None:
        try:
            start.wait()
            codes.append(call())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return sorted(codes)


@pytest.fixture
def racing_case(transactional_db, directory) -> Case:
    from cases.models import Organisation, Role
    from tests.conftest import make_user

    school = Organisation.objects.create(name="IES Carrera", kind="school", code="CAR")
    lead = make_user("lead.carrera", school, Role.SAFEGUARDING_LEAD)
    return case_services.case_open(
        school=school, actor=lead, title="Original", category="ai_generated"
    )


def patch_code(client: APIClient, case: Case, version: str, title: str) -> int:
    return patch(client, case, version, title=title, risk_level="high").status_code


def close_code(client: APIClient, case: Case, version: str, reason: str) -> int:
    return close(client, case, version, reason=reason).status_code


def reset(case: Case) -> str:
    """Open the case again if a round closed it; the version both racers read."""
    case.refresh_from_db()
    if case.status == Case.Status.CLOSED:
        case_services.case_reopen(case=case, actor=case.lead)
    return version_of(case)


def test_patch_against_close_has_exactly_one_winner_every_round(racing_case):
    case = racing_case
    editor, closer = client_for(case.lead), client_for(case.lead)
    winners = {"patch": 0, "close": 0}
    for n in range(ROUNDS):
        version = reset(case)
        codes = race(
            partial(patch_code, editor, case, version, f"Cambio {n}"),
            partial(close_code, closer, case, version, f"Cierre {n}"),
        )
        assert codes == [200, 409], f"round {n}: {codes}"
        case.refresh_from_db()
        if case.status == Case.Status.CLOSED:
            winners["close"] += 1
            # The edit lost: the closed case is exactly what was closed.
            assert case.title != f"Cambio {n}" and case.closure_reason == f"Cierre {n}"
            closed = (case.title, case.risk_level, case.updated_at)
            assert patch(editor, case, version, title="Tarde").status_code == 409
            case.refresh_from_db()
            assert (case.title, case.risk_level, case.updated_at) == closed
        else:
            winners["patch"] += 1
            assert case.title == f"Cambio {n}"
        # Leave the case as the next round expects it.
        Case.objects.filter(pk=case.pk, status=Case.Status.OPEN).update(risk_level="medium")
    assert sum(winners.values()) == ROUNDS


def test_close_against_close_has_exactly_one_winner_every_round(racing_case):
    case = racing_case
    first, second = client_for(case.lead), client_for(case.lead)
    for n in range(ROUNDS):
        version = reset(case)
        codes = race(
            partial(close_code, first, case, version, f"A {n}"),
            partial(close_code, second, case, version, f"B {n}"),
        )
        assert codes == [200, 409], f"round {n}: {codes}"
        case.refresh_from_db()
        assert case.status == Case.Status.CLOSED
        assert case.closure_reason in {f"A {n}", f"B {n}"}
    assert CaseEvent.objects.filter(case=case, verb="case.closed").count() == ROUNDS


OTHER_ROUNDS = 30


def test_patch_against_patch_has_exactly_one_winner_every_round(racing_case):
    case = racing_case
    first, second = client_for(case.lead), client_for(case.lead)
    for n in range(OTHER_ROUNDS):
        version = reset(case)
        codes = race(
            partial(patch_code, first, case, version, f"Uno {n}"),
            partial(patch_code, second, case, version, f"Dos {n}"),
        )
        assert codes == [200, 409], f"round {n}: {codes}"


def post_code(client: APIClient, url: str, body: dict) -> int:
    return client.post(url, body, format="json").status_code


def test_reopen_against_patch_on_a_closed_case_has_exactly_one_winner(racing_case):
    # The edit is refused whoever goes first: on the closed case (reopen first) or on the
    # version the reopen moved.
    case = racing_case
    opener, editor = client_for(case.lead), client_for(case.lead)
    url = reverse("api:case-reopen", args=[case.pk])
    for n in range(OTHER_ROUNDS):
        reset(case)
        close(opener, case)
        version = version_of(case)
        codes = race(
            partial(post_code, opener, url, {"expected_updated_at": version}),
            partial(patch_code, editor, case, version, f"Tarde {n}"),
        )
        assert codes == [200, 409], f"round {n}: {codes}"
        case.refresh_from_db()
        assert case.status == Case.Status.OPEN and case.title != f"Tarde {n}"


@pytest.fixture
def racing_referral(racing_case):
    from cases.models import Organisation, Role
    from reporting import services as reporting_services
    from tests.conftest import make_user

    unit = Organisation.objects.create(name="Comisaría Carrera", kind="police_unit", code="PCR")
    liaison = make_user("police.carrera", unit, Role.POLICE_LIAISON)
    return racing_case, unit, liaison, reporting_services


def test_referral_races_have_exactly_one_winner_every_round(racing_referral):
    case, unit, liaison, reporting_services = racing_referral
    lead_client, police_client = client_for(case.lead), client_for(liaison)
    for n in range(OTHER_ROUNDS):
        referral = reporting_services.referral_create(
            case=case,
            actor=case.lead,
            destination=unit,
            summary=f"Denuncia {n}",
            legal_basis="legal_obligation",
            shared_sections=["chronology"],
        )
        send = reverse("api:referral-send", args=[referral.pk])
        # Two leads send the same draft at once: one notice, one 409.
        codes = race(
            partial(post_code, lead_client, send, {}), partial(post_code, lead_client, send, {})
        )
        assert codes == [200, 409], f"round {n} send: {codes}"
        # The school withdraws while the police acknowledge: one of them wins (the loser
        # gets 409, or 404 for the police if the withdrawal ended their access).
        withdraw = reverse("api:referral-withdraw", args=[referral.pk])
        acknowledge = reverse("api:referral-acknowledge", args=[referral.pk])
        codes = race(
            partial(post_code, lead_client, withdraw, {"reason": "Error"}),
            partial(post_code, police_client, acknowledge, {"external_reference": f"AT-{n}"}),
        )
        assert codes[0] == 200 and codes[1] in (404, 409), f"round {n}: {codes}"
        referral.refresh_from_db()
        assert referral.status in ("withdrawn", "acknowledged")
        assert (referral.status == "acknowledged") == (referral.external_reference == f"AT-{n}")


# --- A closed case takes no additions -------------------------------------------------


def test_nothing_is_added_to_a_closed_case(case_a, lead_a, police_unit):
    from cases.models import Action, EvidenceItem, Participant, SupportPlan
    from reporting.models import Referral, TakedownRequest

    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(lead_a)
    evidence = client.post(
        f"/api/v1/cases/{case_a.pk}/evidence/",
        {
            "kind": "image",
            "platform": "whatsapp",
            "location": "https://chat.whatsapp.com/abc",
            "first_seen_at": "2026-11-01T10:00:00Z",
        },
        format="json",
    ).json()["id"]
    assert close(client, case_a).status_code == 200
    victim = case_a.participants.get().person
    base = f"/api/v1/cases/{case_a.pk}"
    attempts = [
        (f"{base}/participants/", {"person": victim.pk, "role": "witness"}),
        (f"{base}/evidence/", {"kind": "image", "platform": "whatsapp", "location": "x"}),
        (f"{base}/support-plans/", {"victim": victim.pk, "summary": "Plan"}),
        (f"{base}/actions/", {"title": "Llamar", "due_at": "2027-01-01T10:00:00Z"}),
        (
            "/api/v1/referrals/",
            {
                "case": case_a.pk,
                "destination": police_unit.pk,
                "summary": "Denuncia",
                "legal_basis": "legal_obligation",
                "shared_sections": ["evidence"],
            },
        ),
        (
            "/api/v1/takedowns/",
            {
                "case": case_a.pk,
                "platform": "whatsapp",
                "legal_basis": "eu-dsa-art16",
                "evidence_items": [evidence],
            },
        ),
    ]
    models = (Participant, EvidenceItem, SupportPlan, Action, Referral, TakedownRequest)
    before = {model: model.objects.count() for model in models}
    for url, body in attempts:
        response = client.post(url, body, format="json")
        assert response.status_code in (400, 409), (url, response.status_code)
        if response.status_code == 409:
            assert "reopen" in response.json()["detail"], url
    assert {model: model.objects.count() for model in models} == before


def test_a_referral_drafted_while_the_case_closes_never_outlives_the_close(racing_case):
    from cases.models import Organisation
    from reporting.models import Referral

    case = racing_case
    unit = Organisation.objects.create(name="Comisaría Cierre", kind="police_unit", code="PCC")
    closer, drafter = client_for(case.lead), client_for(case.lead)
    body = {
        "case": case.pk,
        "destination": unit.pk,
        "summary": "Denuncia",
        "legal_basis": "legal_obligation",
        "shared_sections": ["chronology"],
    }
    for n in range(OTHER_ROUNDS):
        reset(case)
        Referral.objects.filter(case=case, status="draft").update(status="withdrawn")
        race(
            partial(close_code, closer, case, None, f"Cierre {n}"),
            partial(post_code, drafter, "/api/v1/referrals/", body),
        )
        case.refresh_from_db()
        live = Referral.objects.filter(case=case, status="draft").exists()
        # Either the draft came first (and the close was refused) or the close did.
        assert not (case.status == Case.Status.CLOSED and live), f"round {n}"
