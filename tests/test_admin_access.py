"""The Django admin (issue 3), over HTTP.

- Case data (cases, referrals, takedown notices) is read-only, scoped by the visibility
  selectors for every operator (a superuser with no membership sees no case), shown by
  section (a police liaison sees only what the referral shares), and audited: each page
  leaves one ``AccessEvent`` (channel ``admin``) listing exactly the cases it shows, in
  the transaction that read them. A foreign id answers like an id that does not exist.
- Account changes (memberships, ``is_active``/``is_staff``/``is_superuser``) leave
  hash-chained ``CaseEvent`` rows in their transaction, with no school for a user in no
  organisation; nobody changes their own, and a forged attempt is refused with 403 and a
  message (more in ``tests/test_admin_accounts.py``).
- The admin is behind the second factor when ``OTP_REQUIRED`` is on.

Personas of ``tests/conftest.py``, made staff (``is_staff``) so the admin lets them in,
plus ``root``: a superuser with no membership.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from accounts.services import AccountState, account_changes_record
from api.serializers_reporting import TakedownOutputSerializer
from cases import services as case_services
from cases.models import (
    AccessEvent,
    Action,
    Case,
    CaseEvent,
    Concern,
    EvidenceItem,
    GuardianContact,
    Membership,
    Participant,
    Role,
    SupportPlan,
    User,
)
from cases.selectors import case_events_for_user
from outbox.models import Message
from reporting import services as reporting_services
from reporting.admin import TakedownRequestAdmin
from reporting.models import (
    TAKEDOWN_NOTICE_FIELDS,
    AuthorityReport,
    LegalBasis,
    Platform,
    Referral,
    RemovalRouteReport,
    RoutingSuggestion,
    TakedownRequest,
)
from tests.conftest import PASSWORD, make_user

CASE_LIST = reverse("admin:cases_case_changelist")
REFERRAL_LIST = reverse("admin:reporting_referral_changelist")
TAKEDOWN_LIST = reverse("admin:reporting_takedownrequest_changelist")
AUTOCOMPLETE = reverse("admin:autocomplete")
ADMIN_INDEX = reverse("admin:index")
MISSING_ID = 987654321

PERSONAS = ("lead_a", "staff_a", "head_a", "lead_b", "police", "other_police", "root")
# Which of the two cases each operator may see (``referral_a`` to ``police`` is live).
SEES = {
    "lead_a": {"A"},
    "staff_a": set(),
    "head_a": set(),
    "lead_b": {"B"},
    "police": {"A"},
    "other_police": set(),
    "root": set(),
}
# Who sees ``referral_a`` in the admin: A's lead and the destination's liaison.
SEES_REFERRAL_A = {"lead_a", "police"}


@pytest.fixture
def root(db) -> User:
    """An operator: superuser, staff, member of no organisation."""
    return User.objects.create_superuser(
        username="root", password=PASSWORD, email="root@example.org"
    )


@pytest.fixture
def operators(lead_a, staff_a, head_a, lead_b, police, other_police, root) -> dict[str, User]:
    users = {
        "lead_a": lead_a,
        "staff_a": staff_a,
        "head_a": head_a,
        "lead_b": lead_b,
        "police": police,
        "other_police": other_police,
        "root": root,
    }
    for user in users.values():
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return users


@pytest.fixture
def cases(case_a, case_b, referral_a) -> dict[str, Case]:
    return {"A": case_a, "B": case_b}


def admin_client(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def change_url(obj_or_id, model: str = "cases_case") -> str:
    pk = getattr(obj_or_id, "pk", obj_or_id)
    return reverse(f"admin:{model}_change", args=[pk])


def history_url(obj_or_id, model: str = "cases_case") -> str:
    pk = getattr(obj_or_id, "pk", obj_or_id)
    return reverse(f"admin:{model}_history", args=[pk])


def last_read_id() -> int:
    return AccessEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def reads_since(read_id: int) -> list[tuple[str, str, list[int]]]:
    return [
        (read.action, read.channel, read.case_ids)
        for read in AccessEvent.objects.filter(id__gt=read_id).order_by("id")
    ]


def messages_of(response, pk: int) -> list[str]:
    """The messages shown after a followed redirect, with the id ``pk`` blanked out."""
    return [str(message).replace(f"“{pk}”", "“<id>”") for message in response.context["messages"]]


def assert_answers_like_a_missing_id(client: Client, url_of, obj) -> None:
    """``url_of(obj)`` gets exactly the answer of ``url_of(MISSING_ID)``: the same
    redirect, to the same page, with the same message (the id aside)."""
    foreign = client.get(url_of(obj), follow=True)
    missing = client.get(url_of(MISSING_ID), follow=True)
    assert [status for _url, status in foreign.redirect_chain] == [302]
    assert [status for _url, status in missing.redirect_chain] == [302]
    assert foreign.redirect_chain[0][0] == missing.redirect_chain[0][0] == ADMIN_INDEX
    assert foreign.status_code == missing.status_code == 200
    assert messages_of(foreign, obj.pk) == messages_of(missing, MISSING_ID)
    assert len(messages_of(foreign, obj.pk)) == 1


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


# --- Case list, search, filter ---------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_case_list_shows_only_the_cases_the_operator_may_see_and_records_them(
    operators, cases, persona
):
    before = last_read_id()
    response = admin_client(operators[persona]).get(CASE_LIST)
    assert response.status_code == 200
    shown = sorted(case.pk for case in response.context["cl"].result_list)
    assert shown == sorted(cases[key].pk for key in SEES[persona])
    # One audit row, listing exactly the cases on the page.
    assert reads_since(before) == [("admin.case.list", "admin", shown)]
    assert no_store(response)
    page = response.content.decode()
    for key, case in cases.items():
        assert (case.reference in page) is (key in SEES[persona])


def test_search_and_the_school_filter_stay_within_the_visible_cases(operators, cases):
    client = admin_client(operators["lead_a"])
    page = client.get(CASE_LIST).content.decode()
    # The school filter offers only the schools of the cases the reader sees.
    assert "IES Alfa" in page
    assert "IES Beta" not in page
    before = last_read_id()
    found = client.get(CASE_LIST, {"q": cases["B"].reference})
    assert list(found.context["cl"].result_list) == []
    assert found.context["cl"].result_count == 0
    # B's school in the filter's parameter: never B's case (Django drops a filter with
    # a single choice, so the lead gets their own list).
    filtered = client.get(CASE_LIST, {"school__id__exact": cases["B"].school_id})
    assert [case.pk for case in filtered.context["cl"].result_list] == [cases["A"].pk]
    assert reads_since(before) == [
        ("admin.case.list", "admin", []),
        ("admin.case.list", "admin", [cases["A"].pk]),
    ]
    # The same search by B's lead finds B's case.
    own = admin_client(operators["lead_b"]).get(CASE_LIST, {"q": cases["B"].reference})
    assert [case.pk for case in own.context["cl"].result_list] == [cases["B"].pk]


# --- Case page and history --------------------------------------------------------------


@pytest.mark.parametrize("view", [change_url, history_url], ids=["change", "history"])
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("owner", ["A", "B"])
def test_a_case_page_opens_only_for_those_who_see_the_case(operators, cases, persona, owner, view):
    client = admin_client(operators[persona])
    case = cases[owner]
    before = last_read_id()
    if owner in SEES[persona]:
        response = client.get(view(case))
        assert response.status_code == 200
        key = "original" if view is change_url else "object"
        assert response.context[key].pk == case.pk
        assert reads_since(before) == [("admin.case.view", "admin", [case.pk])]
        assert no_store(response)
    else:
        # The same redirect and message as for an id that does not exist; no read.
        assert_answers_like_a_missing_id(client, view, case)
        assert reads_since(before) == []


def inline_models(response) -> set[type]:
    return {formset.opts.model for formset in response.context["inline_admin_formsets"]}


def chronology_verbs(response) -> list[str]:
    for formset in response.context["inline_admin_formsets"]:
        if formset.opts.model is CaseEvent:
            return [form.original.verb for form in formset]
    return []


def test_a_police_liaison_sees_only_the_sections_the_referral_shares(operators, cases):
    case = cases["A"]  # referral_a shares chronology and evidence
    lead_page = admin_client(operators["lead_a"]).get(change_url(case))
    # The parts of the whole-case view, as on the API and the web page
    # (tests/test_case_faces_agree.py): referrals and notices included.
    assert inline_models(lead_page) == {
        Participant,
        EvidenceItem,
        Referral,
        TakedownRequest,
        RoutingSuggestion,
        RemovalRouteReport,
        AuthorityReport,
        SupportPlan,
        CaseEvent,
        Concern,
        Action,
        GuardianContact,
        Message,
    }
    assert "Lucía" in lead_page.content.decode()  # the victim, a participant
    assert {"summary", "closure_reason"} <= set(lead_page.context["adminform"].readonly_fields)
    assert "participant.added" in chronology_verbs(lead_page)

    police = operators["police"]
    police_page = admin_client(police).get(change_url(case))
    assert police_page.status_code == 200
    # The messages sent come with the case, cut to those addressed to their unit.
    assert inline_models(police_page) == {
        EvidenceItem,
        TakedownRequest,
        RemovalRouteReport,
        AuthorityReport,
        Referral,
        CaseEvent,
        Message,
    }
    assert "Lucía" not in police_page.content.decode()
    assert not {"summary", "closure_reason"} & set(police_page.context["adminform"].readonly_fields)
    # The chronology is cut to the shared sections, as on the web and the API.
    verbs = chronology_verbs(police_page)
    assert "participant.added" not in verbs
    assert verbs == [event.verb for event in case_events_for_user(user=police, case=case)]


@pytest.mark.parametrize("persona", PERSONAS)
def test_autocomplete_answers_only_visible_cases_and_records_them(operators, cases, persona):
    client = admin_client(operators[persona])
    before = last_read_id()
    response = client.get(
        AUTOCOMPLETE, {"app_label": "cases", "model_name": "participant", "field_name": "case"}
    )
    assert response.status_code == 200
    shown = sorted(int(result["id"]) for result in response.json()["results"])
    assert shown == sorted(cases[key].pk for key in SEES[persona])
    assert reads_since(before) == [("admin.case.autocomplete", "admin", shown)]
    assert no_store(response)


# --- Referrals and takedown notices ------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_referral_is_shown_to_the_school_and_the_destination_only(
    operators, cases, referral_a, persona
):
    client = admin_client(operators[persona])
    before = last_read_id()
    listing = client.get(REFERRAL_LIST)
    assert listing.status_code == 200
    shown = [referral.pk for referral in listing.context["cl"].result_list]
    sees = persona in SEES_REFERRAL_A
    assert shown == ([referral_a.pk] if sees else [])
    assert reads_since(before) == [
        ("admin.referral.list", "admin", [cases["A"].pk] if sees else [])
    ]
    url_of = partial(change_url, model="reporting_referral")
    before = last_read_id()
    if sees:
        page = client.get(url_of(referral_a))
        assert page.status_code == 200
        assert reads_since(before) == [("admin.referral.view", "admin", [cases["A"].pk])]
        assert no_store(page)
        # The complainant is a person of the case: only with the participants section.
        fields = set(page.context["adminform"].readonly_fields)
        assert ("complainant" in fields) is (persona == "lead_a")
    else:
        assert_answers_like_a_missing_id(client, url_of, referral_a)
        assert reads_since(before) == []


def test_a_withdrawn_referral_leaves_the_destinations_admin(operators, cases, referral_a):
    reporting_services.referral_withdraw(
        referral=referral_a, actor=operators["lead_a"], reason="Sent to the wrong unit"
    )
    client = admin_client(operators["police"])
    assert list(client.get(REFERRAL_LIST).context["cl"].result_list) == []
    assert list(client.get(CASE_LIST).context["cl"].result_list) == []
    assert_answers_like_a_missing_id(client, change_url, cases["A"])
    url_of = partial(change_url, model="reporting_referral")
    assert_answers_like_a_missing_id(client, url_of, referral_a)


def test_takedown_notices_follow_the_evidence_section(operators, cases):
    lead_a = operators["lead_a"]
    item = case_services.evidence_record(
        case=cases["A"],
        actor=lead_a,
        kind="image",
        first_seen_at=timezone.now() - timedelta(days=1),
        platform=Platform.objects.get(slug="whatsapp"),
        location="https://chat.whatsapp.com/ABC",
        sha256="a" * 64,
    )
    notice = reporting_services.takedown_create(
        case=cases["A"],
        actor=lead_a,
        platform=Platform.objects.get(slug="whatsapp"),
        legal_basis=LegalBasis.objects.get(code="eu-dsa-art16"),
        evidence_items=[item],
    )
    url_of = partial(change_url, model="reporting_takedownrequest")
    for persona in PERSONAS:
        client = admin_client(operators[persona])
        before = last_read_id()
        shown = [n.pk for n in client.get(TAKEDOWN_LIST).context["cl"].result_list]
        # referral_a shares the evidence with ``police``.
        sees = persona in {"lead_a", "police"}
        assert shown == ([notice.pk] if sees else []), persona
        if sees:
            assert client.get(url_of(notice)).status_code == 200
            assert reads_since(before) == [
                ("admin.takedown.list", "admin", [cases["A"].pk]),
                ("admin.takedown.view", "admin", [cases["A"].pk]),
            ]
        else:
            assert_answers_like_a_missing_id(client, url_of, notice)
            assert reads_since(before) == [("admin.takedown.list", "admin", [])]


# --- No writes -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["lead_a", "root"])
def test_nothing_is_written_to_case_data_through_the_admin(operators, cases, referral_a, persona):
    client = admin_client(operators[persona])
    case = cases["A"]
    events = CaseEvent.objects.count()
    edit = {"title": "Changed in the admin", "status": "closed", "risk_level": "low"}
    for target in (case, cases["B"], MISSING_ID):
        # The same 403 whether the case is visible, foreign or missing.
        assert client.post(change_url(target), edit).status_code == 403
        delete = reverse("admin:cases_case_delete", args=[getattr(target, "pk", target)])
        assert client.get(delete).status_code == 403
        assert client.post(delete, {"post": "yes"}).status_code == 403
    add = reverse("admin:cases_case_add")
    assert client.get(add).status_code == 403
    assert client.post(add, {"title": "New", "school": case.school_id}).status_code == 403
    # The list has no actions (no bulk delete).
    bulk = client.post(
        CASE_LIST, {"action": "delete_selected", "_selected_action": [case.pk], "post": "yes"}
    )
    assert bulk.status_code == 200
    referral_page = change_url(referral_a, "reporting_referral")
    assert client.post(referral_page, {"status": "closed"}).status_code == 403
    case.refresh_from_db()
    assert case.title == "Imágenes manipuladas"
    assert case.status == Case.Status.OPEN
    assert Referral.objects.get(pk=referral_a.pk).status == Referral.Status.SENT
    assert TakedownRequest.objects.count() == 0
    assert CaseEvent.objects.count() == events


def test_a_failed_read_audit_means_no_page(operators, cases, monkeypatch):
    """The audit row is written in the transaction that reads the page: when it
    fails, the row is rolled back and no page goes out."""
    from cases import admin_site

    real = admin_site.record_access

    def written_then_failing(**kwargs):
        real(**kwargs)
        raise RuntimeError("audit store failed")

    monkeypatch.setattr(admin_site, "record_access", written_then_failing)
    client = admin_client(operators["lead_a"])
    before = last_read_id()
    for url in (CASE_LIST, change_url(cases["A"])):
        with pytest.raises(RuntimeError):
            client.get(url)
    assert reads_since(before) == []


# --- Accounts ---------------------------------------------------------------------------


def user_form(user: User, memberships: list[dict] | None = None, **flags: bool) -> dict:
    """POST data of the admin's user change form: ``user`` as stored, with ``flags``
    changed; ``memberships`` (rows with ``id``, ``organisation``, ``role``, ``DELETE``)
    replaces the inline's rows, existing ones first."""
    joined = timezone.localtime(user.date_joined)
    data: dict = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "date_joined_0": joined.strftime("%Y-%m-%d"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
    }
    values = {
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        **flags,
    }
    data.update({name: "on" for name, on in values.items() if on})
    if memberships is None:
        memberships = [
            {"id": m.pk, "organisation": m.organisation_id, "role": m.role}
            for m in user.memberships.order_by("id")
        ]
    data.update(
        {
            "memberships-TOTAL_FORMS": len(memberships),
            "memberships-INITIAL_FORMS": sum(1 for row in memberships if row.get("id")),
            "memberships-MIN_NUM_FORMS": 0,
            "memberships-MAX_NUM_FORMS": 1000,
        }
    )
    for i, row in enumerate(memberships):
        data[f"memberships-{i}-id"] = row.get("id", "")
        data[f"memberships-{i}-user"] = user.pk
        data[f"memberships-{i}-organisation"] = row["organisation"]
        data[f"memberships-{i}-role"] = row["role"]
        if row.get("DELETE"):
            data[f"memberships-{i}-DELETE"] = "on"
    return data


def user_url(user: User) -> str:
    return reverse("admin:cases_user_change", args=[user.pk])


def save_user(client: Client, user: User, data: dict) -> None:
    response = client.post(user_url(user), data)
    assert response.status_code == 302, response.context["adminform"].form.errors


def new_events(since: int) -> list[tuple[str, int, int | None, int | None, dict]]:
    return [
        (event.verb, event.school_id, event.case_id, event.actor_id, event.data)
        for event in CaseEvent.objects.filter(id__gt=since).order_by("id")
    ]


def last_event_id() -> int:
    return CaseEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_granting_changing_and_revoking_a_role_writes_audit_rows(root, staff_a, school_a, school_b):
    client = admin_client(root)
    own = staff_a.memberships.get()
    since = last_event_id()
    save_user(
        client,
        staff_a,
        user_form(
            staff_a,
            [
                {"id": own.pk, "organisation": school_a.pk, "role": Role.STAFF},
                {"organisation": school_b.pk, "role": Role.STAFF},
            ],
        ),
    )
    granted = Membership.objects.get(user=staff_a, organisation=school_b)
    assert new_events(since) == [
        ("membership.granted", school_b.pk, None, root.pk, {"role": "staff", "user_id": staff_a.pk})
    ]
    since = last_event_id()
    save_user(
        client,
        staff_a,
        user_form(
            staff_a,
            [
                {"id": own.pk, "organisation": school_a.pk, "role": Role.DEPUTY_LEAD},
                {"id": granted.pk, "organisation": school_b.pk, "role": Role.STAFF, "DELETE": 1},
            ],
        ),
    )
    assert new_events(since) == [
        (
            "membership.role_changed",
            school_a.pk,
            None,
            root.pk,
            {"from": "staff", "to": "deputy_lead", "user_id": staff_a.pk},
        ),
        (
            "membership.revoked",
            school_b.pk,
            None,
            root.pk,
            {"role": "staff", "user_id": staff_a.pk},
        ),
    ]
    assert list(staff_a.memberships.values_list("organisation_id", "role")) == [
        (school_a.pk, Role.DEPUTY_LEAD)
    ]
    row = CaseEvent.objects.get(verb="membership.granted")
    assert (row.object_type, row.object_id, row.actor_role) == (
        "membership",
        granted.pk,
        "superuser",
    )
    call_command("verify_audit")  # the chain is whole


def test_switching_a_users_flags_writes_one_row_per_organisation(root, lead_a, school_a, school_b):
    Membership.objects.create(user=lead_a, organisation=school_b, role=Role.STAFF)
    since = last_event_id()
    save_user(admin_client(root), lead_a, user_form(lead_a, is_staff=True, is_superuser=True))
    lead_a.refresh_from_db()
    assert lead_a.is_staff and lead_a.is_superuser
    changed = {"flags": {"is_staff": True, "is_superuser": True}}
    assert new_events(since) == [
        ("user.flags_changed", school.pk, None, root.pk, changed)
        for school in sorted([school_a, school_b], key=lambda school: school.pk)
    ]
    assert {event.object_id for event in CaseEvent.objects.filter(id__gt=since)} == {lead_a.pk}


def test_a_flag_change_of_a_user_in_no_organisation_is_chained_with_no_school(root, db):
    loner = make_user("loner", None, None)
    since = last_event_id()
    save_user(admin_client(root), loner, user_form(loner, is_staff=True))
    # Filed under no organisation, in the same hash chain as every other write.
    assert new_events(since) == [
        ("user.flags_changed", None, None, root.pk, {"flags": {"is_staff": True}})
    ]
    call_command("verify_audit")
    entry = LogEntry.objects.get(object_id=str(loner.pk))
    assert entry.user_id == root.pk
    assert "Staff status" in entry.get_change_message()


def test_disabling_a_user_in_the_admin_ends_their_tokens_and_sessions(root, lead_a, school_a):
    AuthToken.objects.create(user=lead_a)
    lead_session = Client()
    lead_session.force_login(lead_a)
    assert lead_session.get(reverse("web:dashboard")).status_code == 200
    since = last_event_id()
    save_user(admin_client(root), lead_a, user_form(lead_a, is_active=False))
    assert AuthToken.objects.filter(user=lead_a).count() == 0
    assert lead_session.get(reverse("web:dashboard")).status_code == 302  # to sign-in
    assert new_events(since) == [
        ("user.flags_changed", school_a.pk, None, root.pk, {"flags": {"is_active": False}})
    ]


def test_nobody_changes_their_own_flags_or_memberships(lead_a, school_a, school_b):
    # A lead who is also an operator with every permission.
    lead_a.is_staff = lead_a.is_superuser = True
    lead_a.save()
    own = lead_a.memberships.get()
    client = admin_client(lead_a)
    page = client.get(user_url(lead_a))
    assert page.status_code == 200
    form_fields = set(page.context["adminform"].form.fields)
    assert not form_fields & {"is_active", "is_staff", "is_superuser", "groups", "user_permissions"}
    memberships = next(
        f for f in page.context["inline_admin_formsets"] if f.opts.model is Membership
    )
    assert not (memberships.has_add_permission or memberships.has_change_permission)
    assert not memberships.has_delete_permission
    since = last_event_id()
    # A forged form: flags off, role changed, own membership deleted, a new one added.
    forged = user_form(
        lead_a,
        [
            {"id": own.pk, "organisation": school_a.pk, "role": Role.HEAD, "DELETE": 1},
            {"organisation": school_b.pk, "role": Role.SAFEGUARDING_LEAD},
        ],
        is_active=False,
        is_staff=False,
        is_superuser=False,
    )
    forged["first_name"] = "Ana"
    refused = client.post(user_url(lead_a), forged)
    # Refused out loud: 403, the stored account shown again, a message; nothing saved.
    assert refused.status_code == 403
    assert [str(m) for m in refused.context["messages"]] == [
        "You cannot change your own status, groups, permissions or roles: another operator "
        "must do it. Nothing was saved."
    ]
    assert refused.context["adminform"].form.instance.pk == lead_a.pk
    lead_a.refresh_from_db()
    assert lead_a.first_name == ""
    assert (lead_a.is_active, lead_a.is_staff, lead_a.is_superuser) == (True, True, True)
    assert list(lead_a.memberships.values_list("pk", "organisation_id", "role")) == [
        (own.pk, school_a.pk, Role.SAFEGUARDING_LEAD)
    ]
    assert new_events(since) == []
    # Nor do they delete their own account, one by one or in bulk.
    delete = reverse("admin:cases_user_delete", args=[lead_a.pk])
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    bulk = client.post(
        reverse("admin:cases_user_changelist"),
        {"action": "delete_selected", "_selected_action": [lead_a.pk], "post": "yes"},
    )
    assert bulk.status_code == 403
    assert User.objects.filter(pk=lead_a.pk).exists()


def test_deleting_a_user_records_the_revocation_of_their_roles(root, staff_a, school_a):
    membership = staff_a.memberships.get()
    since = last_event_id()
    response = admin_client(root).post(
        reverse("admin:cases_user_delete", args=[staff_a.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk=staff_a.pk).exists()
    assert new_events(since) == [
        ("membership.revoked", school_a.pk, None, root.pk, {"role": "staff", "user_id": staff_a.pk})
    ]
    assert CaseEvent.objects.latest("id").object_id == membership.pk


def test_the_account_audit_refuses_a_change_to_ones_own_account(lead_a):
    """The backstop behind the admin's read-only fields: any other way of changing
    one's own flags or roles fails, and the caller's transaction rolls back."""
    before = AccountState.of(lead_a.pk)
    promoted = AccountState(flags={**before.flags, "is_superuser": True}, memberships={})
    since = last_event_id()
    with pytest.raises(PermissionDenied):
        account_changes_record(actor=lead_a, user=lead_a, before=before, after=promoted)
    assert new_events(since) == []


def test_a_failed_account_audit_write_changes_nothing(root, staff_a, school_b, monkeypatch):
    from accounts import services as account_services

    def failing(**kwargs):
        raise RuntimeError("audit store failed")

    monkeypatch.setattr(account_services, "record_case_event", failing)
    own = staff_a.memberships.get()
    data = user_form(
        staff_a,
        [
            {"id": own.pk, "organisation": own.organisation_id, "role": own.role},
            {"organisation": school_b.pk, "role": Role.STAFF},
        ],
        is_staff=True,
    )
    with pytest.raises(RuntimeError):
        admin_client(root).post(user_url(staff_a), data)
    staff_a.refresh_from_db()
    assert not staff_a.is_staff
    assert not Membership.objects.filter(user=staff_a, organisation=school_b).exists()


# --- Second factor ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["lead_a", "police", "staff_a", "root"])
def test_a_password_only_session_cannot_open_the_admin(settings, operators, cases, persona):
    settings.OTP_REQUIRED = True
    client = admin_client(operators[persona])  # signed in, no second factor
    before = last_read_id()
    for url in (ADMIN_INDEX, CASE_LIST, change_url(cases["A"]), reverse("admin:login")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("web:otp_verify"))
    assert reads_since(before) == []


def test_the_admin_site_itself_refuses_an_unverified_session(settings, operators, cases):
    """Defence in depth: without ``OTPRequiredMiddleware`` the admin still answers a
    password-only session with its sign-in page."""
    settings.OTP_REQUIRED = True
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "accounts.middleware.OTPRequiredMiddleware"
    ]
    client = admin_client(operators["lead_a"])
    before = last_read_id()
    for url in (CASE_LIST, change_url(cases["A"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    assert reads_since(before) == []


def test_a_verified_session_opens_the_admin(settings, operators, cases):
    settings.OTP_REQUIRED = True
    device = TOTPDevice.objects.create(user=operators["lead_a"], name="phone", confirmed=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.post(reverse("web:login"), {"username": "lead.a", "password": PASSWORD})
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    verified = client.post(reverse("web:otp_verify"), {"code": f"{code:06d}"})
    assert verified.status_code == 302
    response = client.get(CASE_LIST)
    assert response.status_code == 200
    assert [case.pk for case in response.context["cl"].result_list] == [cases["A"].pk]


def test_the_admin_and_the_api_show_a_takedown_notice_with_the_same_fields():
    """Issue 8: one list of what a notice's reader sees,
    ``reporting.models.TAKEDOWN_NOTICE_FIELDS``; the API adds only its id, the school's
    name and the seconds left."""
    api_only = {"id", "school", "seconds_left"}
    api_fields = [f for f in TakedownOutputSerializer.Meta.fields if f not in api_only]
    assert api_fields == list(TakedownRequestAdmin.fields) == list(TAKEDOWN_NOTICE_FIELDS)
    assert list(TakedownRequestAdmin.readonly_fields) == list(TAKEDOWN_NOTICE_FIELDS)
