"""Issue 2, "Done when" 2: the whole Almendralejo scenario driven through the HTTP API.

The same data that ``load_scenario`` replays through the services
(``demo.almendralejo.ALMENDRALEJO``) is replayed here as the users would: each
person with their own API token, over real HTTP against a live server. Image evidence
goes through the hash-only upload (the server's hashes must equal the scenario's). A
real Celery worker on the real broker delivers the referral notices, a real beat marks
the notice past its deadline as overdue, and the school then escalates it to the AEPD
Canal Prioritario. The final counts must equal SCENARIO.md's table.

Organisations, users and memberships have no API (they are administration, not case
work), so they are set up as the loader does.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime
from io import StringIO

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone

from cases.models import AccessEvent, Case, CaseEvent, Organisation
from demo.almendralejo import ALMENDRALEJO, at
from demo.loader import RoutingFacts, _Replay, counts, routing_decision
from outbox.models import Message
from reporting.models import AuthorityReport, Referral, RoutingSuggestion, TakedownRequest
from tests.e2e.conftest import wait_for
from tests.mailbox import messages_in, text_of

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

S = ALMENDRALEJO


class Api:
    """A tiny HTTP client: one token per user, JSON in and out, fails loudly."""

    def __init__(self, base: str):
        self.base = base.rstrip("/") + "/api/v1/"
        self.http = requests.Session()
        self.tokens: dict[str, str] = {}
        self.calls = 0
        self.audited: Counter[str] = Counter()
        self.unaudited: list[str] = []

    def login(self, username: str, password: str) -> None:
        """Password, and the code of the user's TOTP device when they have one (leads,
        heads and liaisons: the loader gives them the demo device), as the app shows it."""
        from django_otp.oath import totp
        from django_otp.plugins.otp_totp.models import TOTPDevice

        body = {"username": username, "password": password}
        device = TOTPDevice.objects.filter(user__username=username).first()
        if device is not None:
            code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
            body["otp_code"] = f"{code:0{device.digits}d}"
        r = self.http.post(self.base + "auth/token/", json=body)
        assert r.status_code == 200, r.text
        self.tokens[username] = r.json()["token"]

    def _headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Token {self.tokens[user]}", "Accept-Language": "en"}

    def get(self, user: str, path: str, **params) -> dict | list:
        self.calls += 1
        reads = AccessEvent.objects.count()
        r = self.http.get(self.base + path, headers=self._headers(user), params=params)
        assert r.status_code == 200, f"GET {path} as {user}: {r.status_code} {r.text}"
        self._audited("read", path, AccessEvent.objects.count() - reads)
        return r.json()

    def post(self, user: str, path: str, body: dict | None = None, expect: int = 201) -> dict:
        self.calls += 1
        writes = CaseEvent.objects.count()
        r = self.http.post(self.base + path, headers=self._headers(user), json=body or {})
        assert r.status_code in {expect, 200}, f"POST {path} as {user}: {r.status_code} {r.text}"
        self._audited("write", path, CaseEvent.objects.count() - writes)
        return r.json()

    def upload(self, user: str, path: str, data: dict, file: bytes) -> dict:
        self.calls += 1
        writes = CaseEvent.objects.count()
        r = self.http.post(
            self.base + path,
            headers=self._headers(user),
            data=data,
            files={"file": ("evidence.png", file, "image/png")},
        )
        assert r.status_code == 201, f"upload as {user}: {r.status_code} {r.text}"
        self._audited("write", path, CaseEvent.objects.count() - writes)
        return r.json()

    def _audited(self, kind: str, path: str, new_rows: int) -> None:
        """Every read of case data leaves an AccessEvent and every write a CaseEvent, in
        the request's own transaction (DESIGN rule 3): count them call by call."""
        self.audited[kind] += 1
        if new_rows < 1:
            self.unaudited.append(f"{kind} {path}")

    def all(self, user: str, path: str) -> list[dict]:
        """Every row of a cursor-paginated list."""
        rows: list[dict] = []
        page = self.get(user, path, page_size=200)
        while True:
            rows.extend(page["results"])
            if not page.get("next"):
                return rows
            self.calls += 1
            page = self.http.get(page["next"], headers=self._headers(user)).json()


def iso(moment: datetime) -> str:
    return moment.isoformat()


def test_the_almendralejo_scenario_runs_end_to_end_over_http(
    live_server, e2e_env, celery_worker_process, celery_beat_process, settings
):
    # Fast password hashing for the 14 demo accounts; the worker never checks passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    now = timezone.now()
    replay = _Replay(S, now)
    replay.organisations()
    replay.accounts()
    orgs = {code: org.pk for code, org in replay.orgs.items()}

    # The second factor is on, as in production: leads, heads and liaisons send their code.
    settings.OTP_REQUIRED = True
    api = Api(live_server.url)
    for user in S.users:
        api.login(user.username, S.password)

    # --- people, by the school's safeguarding lead --------------------------------------
    today = timezone.localdate(now)
    people: dict[str, int] = {}
    for spec in S.people:
        dob = spec.date_of_birth(today)
        body = {
            "kind": spec.kind,
            "given_name": spec.given_name,
            "family_name": spec.family_name,
            "date_of_birth": dob.isoformat() if dob else None,
            "sex": spec.sex,
            "year_group": spec.year_group,
            "phone": spec.phone,
        }
        people[spec.key] = api.post(S.lead_of(spec.school), "people/", body)["id"]

    evidence: dict[str, int] = {}
    case_ids: dict[str, int] = {}
    to_escalate: list[tuple[int, str, str]] = []
    for case_spec in S.cases:
        lead = case_spec.lead
        c = case_spec.concern
        # The concern, logged by a member of staff in the child's own words.
        concern = api.post(
            c.logged_by,
            "concerns/",
            {
                "source": c.source,
                "summary": c.summary,
                "childs_own_words": c.childs_own_words,
                "occurred_at": iso(at(now, c.occurred_at)),
                "logged_at": iso(at(now, c.logged_at)),
                # Staff cannot look up pupils' records (need to know): the lead links
                # the child as a participant when opening the case.
            },
        )
        case = api.post(
            lead,
            "cases/",
            {
                "title": case_spec.title,
                "summary": case_spec.summary,
                "category": case_spec.category,
                "risk_level": case_spec.risk_level,
                "concern": concern["id"],
                "coercion_or_extortion": case_spec.coercion_or_extortion,
                "under_13": case_spec.under_13,
                "ai_generated": case_spec.ai_generated,
                "opened_at": iso(at(now, case_spec.opened_at)),
            },
        )
        case_id = case["id"]
        assert case["reference"].startswith(f"{case_spec.school}-")
        for p in case_spec.participants:
            body = {"person": people[p.person], "role": p.role, "notes": p.notes}
            if p.act_on is not None:
                body["act_on"] = timezone.localdate(at(now, p.act_on)).isoformat()
            api.post(lead, f"cases/{case_id}/participants/", body)
        for e in case_spec.evidence:
            metadata = {
                "kind": e.kind,
                "location": e.location,
                "identifiers": dict(e.identifiers),
                "first_seen_at": iso(at(now, e.first_seen_at)),
                "seen_by": e.seen_by,
                "description": e.description,
            }
            if e.platform:
                metadata["platform"] = e.platform
            if e.image is None:
                item = api.post(lead, f"cases/{case_id}/evidence/", metadata)
            else:
                # Hash-only intake: the server hashes the picture in memory and keeps
                # only the hashes, which must equal the scenario's own.
                image = S.image(e.image)
                form = {**metadata, "identifiers": json.dumps(metadata["identifiers"])}
                item = api.upload(lead, f"cases/{case_id}/evidence/upload/", form, image.render())
                expected = image.hashes()
                assert (item["sha256"], item["md5"], item["pdq"], item["pdq_quality"]) == (
                    expected.sha256,
                    expected.md5,
                    expected.pdq,
                    expected.pdq_quality,
                )
            evidence[e.key] = item["id"]
        for g in case_spec.guardian_contacts:
            api.post(
                lead,
                f"cases/{case_id}/guardian-contacts/",
                {
                    "guardian": people[g.guardian],
                    "method": g.method,
                    "contacted_at": iso(at(now, g.contacted_at)),
                    "notes": g.notes,
                },
            )
        for r in case_spec.referrals:
            body = {
                "case": case_id,
                "destination": orgs[r.destination],
                "summary": r.summary,
                "legal_basis": r.legal_basis,
                "legal_basis_note": r.legal_basis_note,
                "shared_sections": list(r.shared_sections),
                "guardians": r.guardians,
                "guardians_note": r.guardians_note,
            }
            if r.phoned_at is not None:
                body["phoned_at"] = iso(at(now, r.phoned_at))
                body["phoned_to"] = r.phoned_to
            if r.complainant:
                body["complainant"] = people[r.complainant]
            referral = api.post(lead, "referrals/", body)
            api.post(lead, f"referrals/{referral['id']}/send/", expect=200)
            if r.acknowledged_by:
                api.post(
                    r.acknowledged_by,
                    f"referrals/{referral['id']}/acknowledge/",
                    {"external_reference": r.reference_for(now.year)},
                    expect=200,
                )
        for t in case_spec.takedowns:
            notice = api.post(
                lead,
                "takedowns/",
                {
                    "case": case_id,
                    "platform": t.platform,
                    "legal_basis": t.legal_basis,
                    "evidence_items": [evidence[k] for k in t.evidence],
                    "notes": t.notes,
                    # The signature block: who asks, for whom, with whose consent.
                    **({"victim": people[t.victim]} if t.victim else {}),
                    "requester_name": replay.users[lead].get_full_name(),
                    "requester_relationship": t.relationship,
                    "requester_email": replay.users[lead].email,
                    "consent_note": t.consent_note,
                },
            )
            api.post(
                lead,
                f"takedowns/{notice['id']}/submit/",
                {
                    "submitted_at": iso(at(now, t.submitted_at)),
                    "platform_ticket": t.platform_ticket,
                },
                expect=200,
            )
            if t.outcome:
                api.post(
                    lead, f"takedowns/{notice['id']}/outcome/", {"status": t.outcome}, expect=200
                )
            if t.escalate:
                to_escalate.append((notice["id"], lead, t.escalation_reference))
        for a in case_spec.authority_reports:
            report = api.post(lead, f"cases/{case_id}/authority-reports/", {"route": a.route})
            api.post(
                lead,
                f"authority-reports/{report['id']}/file/",
                {"reference": a.reference, "filed_at": iso(at(now, a.filed_at))},
                expect=200,
            )
            if a.answer:
                api.post(
                    lead,
                    f"authority-reports/{report['id']}/answer/",
                    {"answer": a.answer},
                    expect=200,
                )
        for rr in case_spec.removal_reports:
            api.post(
                lead,
                f"cases/{case_id}/removal-reports/",
                {
                    "victim": people[rr.victim],
                    "route": rr.route,
                    "reported_on": timezone.localdate(at(now, rr.reported_on)).isoformat(),
                    "case_number": rr.case_number,
                    "status": rr.status,
                },
            )
        case_ids[case_spec.key] = case_id
        for p in case_spec.support_plans:
            plan = api.post(
                lead,
                f"cases/{case_id}/support-plans/",
                {
                    "victim": people[p.victim],
                    "summary": p.summary,
                    "check_in_every_days": p.check_in_every_days,
                    "first_check_in_at": iso(at(now, p.first_check_in_at)),
                },
            )
            for m in p.measures:
                api.post(
                    lead,
                    f"support-plans/{plan['id']}/measures/",
                    {
                        "kind": m.kind,
                        "description": m.description,
                        "provider": m.provider,
                        "started_on": timezone.localdate(at(now, m.started_at)).isoformat(),
                    },
                )
            for ci in p.check_ins:
                api.post(
                    lead,
                    f"support-plans/{plan['id']}/check-ins/",
                    {
                        "held_at": iso(at(now, ci.held_at)),
                        "wellbeing": ci.wellbeing,
                        "notes": ci.notes,
                    },
                )
        for a in case_spec.actions:
            api.post(
                lead,
                f"cases/{case_id}/actions/",
                {
                    "title": a.title,
                    "owner": replay.users[a.owner].pk,
                    "due_at": iso(at(now, a.due_at)),
                },
            )

    # --- the real worker delivers every referral notice, once ------------------------
    sent = Referral.objects.exclude(status=Referral.Status.DRAFT)
    notices = Message.objects.filter(kind="referral-notice")
    assert notices.count() == sent.count()
    wait_for(
        lambda: not notices.exclude(state="sent").exists(),
        timeout=120,
        what="the worker to deliver every referral notice",
    )
    # Messages, not files: one file may hold several (tests/mailbox.py).
    all_mails = messages_in(e2e_env["mail_dir"])
    mails = [m for m in all_mails if m["X-Salvaguarda-Kind"] == "referral-notice"]
    assert len(mails) == sent.count()
    police_mails = [m for m in mails if "police.almendralejo" in str(m["To"])]
    assert len(police_mails) == 11
    child_names = {p.given_name for p in S.people} | {p.family_name for p in S.people}
    for mail in mails:
        text = text_of(mail)
        words = set(re.findall(r"\w+", text))
        assert not (words & child_names), text

    # --- the real beat marks the notice past its deadline; the school escalates -------
    for notice_id, lead, reference in to_escalate:
        wait_for(
            lambda nid=notice_id: TakedownRequest.objects.get(pk=nid).status == "overdue",
            timeout=90,
            what="beat to mark the notice overdue",
        )
        api.post(lead, f"takedowns/{notice_id}/escalate/", {"reference": reference}, expect=200)

    # --- routing advice: each lead accepts or dismisses it, as the loader does ---------
    for case_spec in S.cases:
        lead, case_id = case_spec.lead, case_ids[case_spec.key]
        referrals = api.all(lead, "referrals/")
        facts = RoutingFacts(
            referred={
                r["destination"]["id"]: datetime.fromisoformat(r["sent_at"])
                for r in referrals
                if r["case"]["id"] == case_id and r["sent_at"]
            },
            reported=set(
                Organisation.objects.filter(
                    name__in=[
                        r["authority"]
                        for r in api.all(lead, "authority-reports/")
                        if r["case"] == case_id and r["status"] != "draft"
                    ]
                ).values_list("pk", flat=True)
            ),
            own_reports={
                (r["victim"], r["route"]["code"]): r["case_number"]
                for r in api.all(lead, f"cases/{case_id}/removal-reports/")
            },
            police_unit=replay.orgs[S.police_unit],
            dismissals={
                (d.rule, Organisation.objects.get(code=d.destination).pk): d.reason
                for d in case_spec.routing_dismissals
            },
        )
        for advice in api.all(lead, f"cases/{case_id}/routing/"):
            if advice["status"] != "open":
                continue
            decision = routing_decision(
                facts,
                rule=advice["rule"],
                destination_id=(advice["destination"] or {}).get("id"),
                person_id=(advice["person"] or {}).get("id"),
                route_code=(advice["route"] or {}).get("code"),
            )
            if decision is not None:
                verb, text = decision
                field = "note" if verb == "accept" else "reason"
                api.post(lead, f"routing/{advice['id']}/{verb}/", {field: text}, expect=200)

    # --- what each user sees ----------------------------------------------------------
    school_of = {c.key: c.school for c in S.cases}
    for school in S.schools:
        lead = S.lead_of(school.code)
        seen = api.all(lead, "cases/")
        assert {row["school"]["code"] for row in seen} == {school.code}
        assert len(seen) == sum(1 for s in school_of.values() if s == school.code)
    for username in ("staff.norte", "head.norte"):
        assert api.all(username, "cases/") == []
    inbox = api.all("police.almendralejo", "referrals/")
    assert len(inbox) == 11
    police_cases = api.all("police.almendralejo", "cases/")
    assert {row["school"]["code"] for row in police_cases} == {s.code for s in S.schools}
    clusters = api.get("police.almendralejo", "clusters/")
    school_names = {s.name for s in S.schools}
    assert any({c["school"] for c in cluster["cases"]} == school_names for cluster in clusters), (
        clusters
    )

    # --- every read and write above left its audit row; the chains are intact ---------
    assert api.unaudited == [], api.unaudited
    print(f"e2e: {api.calls} API calls; audited {dict(api.audited)}")
    assert api.audited["write"] > 300 and api.audited["read"] >= 8
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert out.getvalue().startswith("OK"), out.getvalue()

    # --- the final counts equal SCENARIO.md's table -----------------------------------
    table = counts(S)
    assert table["schools"] == 3
    assert table["victims"] == 24
    assert table["alleged perpetrators"] == 11
    assert table["evidence items"] == 31
    assert table["referrals to the police unit"] == 11
    assert table["  acknowledged"] >= 8
    assert table["  escalated"] == 1
    assert table["support plans"] == 24
    escalated = TakedownRequest.objects.get(escalated_at__isnull=False)
    assert escalated.escalated_to == Organisation.objects.get(code="AEPDCP")
    platforms = Counter(TakedownRequest.objects.values_list("platform__slug", flat=True))
    assert {"whatsapp", "telegram", "instagram"} <= set(platforms)
    assert Case.objects.filter(coercion_or_extortion=True).count() == 1
    # Issue 10: the scenario's routing, done over HTTP as the loader does it.
    accepted = RoutingSuggestion.objects.filter(status="accepted")
    assert {s.destination.code for s in accepted.filter(rule="child_protection")} == {"SPMEX"}
    assert accepted.filter(rule="child_protection").count() == 2
    assert accepted.filter(rule="fiscalia_menores").count() == 9
    assert AuthorityReport.objects.get(route="aepd_priority").status == "filed"
    assert AuthorityReport.objects.get(route="aepd_complaint").status == "answered"
    assert TakedownRequest.objects.get(platform__kind="adult").status == "removed"
