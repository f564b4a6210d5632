"""Account powers in the admin, over HTTP (``accounts.admin.UserAdmin``, ``GroupAdmin``,
``accounts.services``):

- a password set by an operator is audited (``user.password_set``, no password material)
  in its transaction and ends the user's API tokens (their sessions end by Django's
  session auth hash);
- groups and permissions given or taken are audited (``user.permissions_changed``), and
  so is a group's permissions change; a user in no organisation gets rows with no school,
  in the same chain;
- only a superuser changes ``is_staff``, ``is_superuser``, groups, permissions, groups'
  permissions, or anything of a superuser's account;
- a refused change is answered with 403, the form and a message, in the user's language;
- a lost phone is reset with ``manage.py reset_second_factor`` (audited; devices,
  tokens and sessions end; the user enrols again).

``root``: a superuser with no membership. ``clerk``: a staff operator, no superuser,
holding Django's permissions to view and change users and groups.
"""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from accounts.services import AccountState, account_changes_record
from cases.models import CaseEvent, Role, User
from tests.conftest import PASSWORD, make_user
from tests.test_admin_access import (
    admin_client,
    last_event_id,
    new_events,
    save_user,
    user_form,
    user_url,
)

NEW_PASSWORD = "a-new-long-passphrase-for-the-lead-77"
SUPERUSER_ONLY_MESSAGE = (
    "Only a superuser can change staff status, superuser status, groups or permissions. "
    "Nothing was saved."
)


@pytest.fixture
def root(db) -> User:
    return User.objects.create_superuser(
        username="root", password=PASSWORD, email="root@example.org"
    )


@pytest.fixture
def clerk(db) -> User:
    user = make_user("clerk", None, None)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    codenames = ["view_user", "change_user", "delete_user", "view_group", "change_group"]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def password_url(user: User) -> str:
    return reverse("admin:auth_user_password_change", args=[user.pk])  # Django's fixed name


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    assert client.get(reverse("web:dashboard")).status_code == 200
    return client


def messages_shown(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def event_data_text(since: int) -> str:
    return json.dumps(list(CaseEvent.objects.filter(id__gt=since).values_list("data", flat=True)))


# --- Passwords ---------------------------------------------------------------------------


def test_a_password_set_in_the_admin_is_audited_and_ends_tokens_and_sessions(
    root, lead_a, school_a
):
    AuthToken.objects.create(user=lead_a)
    lead_session = signed_in(lead_a)
    since = last_event_id()
    response = admin_client(root).post(
        password_url(lead_a),
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    lead_a.refresh_from_db()
    assert lead_a.check_password(NEW_PASSWORD)
    assert new_events(since) == [
        (
            "user.password_set",
            school_a.pk,
            None,
            root.pk,
            {"user_id": lead_a.pk, "usable": True, "revoked_tokens": 1},
        )
    ]
    assert NEW_PASSWORD not in event_data_text(since)
    assert lead_a.password not in event_data_text(since)
    assert AuthToken.objects.filter(user=lead_a).count() == 0
    assert lead_session.get(reverse("web:dashboard")).status_code == 302  # to sign-in
    call_command("verify_audit")


def test_disabling_password_sign_in_of_a_user_in_no_organisation_is_chained_with_no_school(
    root, lead_a, db
):
    loner = make_user("loner", None, None)
    since = last_event_id()
    response = admin_client(root).post(
        password_url(loner), {"usable_password": "false", "unset-password": "1"}
    )
    assert response.status_code == 302
    loner.refresh_from_db()
    assert not loner.has_usable_password()
    assert new_events(since) == [
        (
            "user.password_set",
            None,
            None,
            root.pk,
            {"user_id": loner.pk, "usable": False, "revoked_tokens": 0},
        )
    ]
    call_command("verify_audit")  # rows with and without a school, one chain


def test_a_refused_password_form_writes_nothing(root, lead_a):
    since = last_event_id()
    mismatch = {"usable_password": "true", "password1": NEW_PASSWORD, "password2": "other"}
    assert admin_client(root).post(password_url(lead_a), mismatch).status_code == 200
    assert new_events(since) == []


def test_a_failed_password_audit_keeps_the_old_password_and_tokens(root, lead_a, monkeypatch):
    from accounts import services as account_services

    def failing(**kwargs):
        raise RuntimeError("audit store failed")

    monkeypatch.setattr(account_services, "record_case_event", failing)
    AuthToken.objects.create(user=lead_a)
    with pytest.raises(RuntimeError):
        admin_client(root).post(
            password_url(lead_a),
            {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
    lead_a.refresh_from_db()
    assert lead_a.check_password(PASSWORD)
    assert AuthToken.objects.filter(user=lead_a).count() == 1


# --- Groups and permissions ------------------------------------------------------------------


def test_groups_and_permissions_given_and_taken_are_audited(root, staff_a, school_a):
    editors = Group.objects.create(name="editors")
    permission = Permission.objects.get(codename="change_organisation")
    client = admin_client(root)
    since = last_event_id()
    given = user_form(staff_a) | {"groups": [editors.pk], "user_permissions": [permission.pk]}
    save_user(client, staff_a, given)
    assert set(staff_a.groups.all()) == {editors}
    assert new_events(since) == [
        (
            "user.permissions_changed",
            school_a.pk,
            None,
            root.pk,
            {
                "user_id": staff_a.pk,
                "groups_added": ["editors"],
                "groups_removed": [],
                "permissions_added": ["cases.change_organisation"],
                "permissions_removed": [],
            },
        )
    ]
    since = last_event_id()
    save_user(client, staff_a, user_form(staff_a))  # both taken away
    assert [
        (verb, data["groups_removed"], data["permissions_removed"])
        for verb, *_, data in new_events(since)
    ] == [("user.permissions_changed", ["editors"], ["cases.change_organisation"])]
    call_command("verify_audit")


def test_a_groups_permissions_change_and_deletion_are_audited(root, staff_a):
    editors = Group.objects.create(name="editors")
    staff_a.groups.add(editors)
    client = admin_client(root)
    permission = Permission.objects.get(codename="change_organisation")
    since = last_event_id()
    page = reverse("admin:auth_group_change", args=[editors.pk])
    assert client.post(page, {"name": "editors", "permissions": [permission.pk]}).status_code == 302
    assert new_events(since) == [
        (
            "group.permissions_changed",
            None,
            None,
            root.pk,
            {
                "group": "editors",
                "members": [staff_a.pk],
                "permissions_added": ["cases.change_organisation"],
                "permissions_removed": [],
            },
        )
    ]
    since = last_event_id()
    delete = reverse("admin:auth_group_delete", args=[editors.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert new_events(since) == [
        (
            "group.deleted",
            None,
            None,
            root.pk,
            {
                "group": "editors",
                "members": [staff_a.pk],
                "permissions": ["cases.change_organisation"],
            },
        )
    ]
    call_command("verify_audit")


# --- Only a superuser gives powers --------------------------------------------------------------


def test_an_operator_who_is_not_a_superuser_cannot_make_anyone_a_superuser(clerk, lead_a):
    client = admin_client(clerk)
    page = client.get(user_url(lead_a))
    assert page.status_code == 200
    fields = set(page.context["adminform"].form.fields)
    assert not fields & {"is_staff", "is_superuser", "groups", "user_permissions"}
    assert "is_active" in fields  # a leaver can still be disabled
    everything = Permission.objects.values_list("pk", flat=True)
    since = last_event_id()
    for forged in (
        user_form(lead_a, is_superuser=True),
        user_form(lead_a, is_staff=True),
        user_form(lead_a) | {"user_permissions": list(everything)},
        user_form(lead_a) | {"groups": [Group.objects.create(name="all").pk]},
    ):
        refused = client.post(user_url(lead_a), forged)
        assert refused.status_code == 403
        assert messages_shown(refused) == [SUPERUSER_ONLY_MESSAGE]
    # Nor on their own account.
    assert client.post(user_url(clerk), user_form(clerk, is_superuser=True)).status_code == 403
    for user in (lead_a, clerk):
        user.refresh_from_db()
        assert not user.is_superuser
    assert not lead_a.is_staff
    assert not lead_a.user_permissions.exists() and not lead_a.groups.exists()
    assert new_events(since) == []


def test_an_operator_who_is_not_a_superuser_still_manages_ordinary_accounts(
    clerk, staff_a, school_a
):
    since = last_event_id()
    save_user(admin_client(clerk), staff_a, user_form(staff_a, is_active=False))
    staff_a.refresh_from_db()
    assert not staff_a.is_active
    assert new_events(since) == [
        ("user.flags_changed", school_a.pk, None, clerk.pk, {"flags": {"is_active": False}})
    ]


def test_an_operator_who_is_not_a_superuser_cannot_touch_a_superusers_account(clerk, root):
    client = admin_client(clerk)
    assert client.get(user_url(root)).status_code == 200  # view only
    assert client.post(user_url(root), user_form(root, is_active=False)).status_code == 403
    new = {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert client.get(password_url(root)).status_code == 403
    assert client.post(password_url(root), new).status_code == 403
    delete = reverse("admin:cases_user_delete", args=[root.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    root.refresh_from_db()
    assert root.is_active and root.check_password(PASSWORD)


def test_an_operator_who_is_not_a_superuser_cannot_change_a_groups_permissions(clerk):
    mine = Group.objects.create(name="clerks")
    clerk.groups.add(mine)
    everything = list(Permission.objects.values_list("pk", flat=True))
    client = admin_client(clerk)
    page = reverse("admin:auth_group_change", args=[mine.pk])
    assert client.post(page, {"name": "clerks", "permissions": everything}).status_code == 403
    assert not mine.permissions.exists()


def test_the_account_audit_refuses_powers_given_by_an_operator_who_is_not_a_superuser(
    clerk, lead_a
):
    """The backstop behind the read-only fields: any other way in fails too."""
    before = AccountState.of(lead_a.pk)
    for after in (
        AccountState(flags={**before.flags, "is_superuser": True}, memberships=before.memberships),
        AccountState(flags={**before.flags, "is_staff": True}, memberships=before.memberships),
        AccountState(
            flags=before.flags, memberships=before.memberships, permissions=frozenset({"a.b"})
        ),
    ):
        with pytest.raises(PermissionDenied):
            account_changes_record(actor=clerk, user=lead_a, before=before, after=after)


# --- A refused self-edit says so ------------------------------------------------------------------


def rendered_form(response) -> dict[str, str]:
    """The change form's fields as the page renders them (what a browser would post)."""
    data = {}
    for tag in re.findall(r"<input[^>]*>", response.content.decode()):
        name = re.search(r'name="([^"]+)"', tag)
        if name is None or 'type="submit"' in tag or "csrf" in name.group(1):
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name.group(1)] = value.group(1) if value else ""
    return data


@pytest.fixture
def operator_lead(lead_a) -> User:
    """A lead who is also an operator with every permission."""
    lead_a.is_staff = lead_a.is_superuser = True
    lead_a.save()
    return lead_a


def test_ones_own_form_as_rendered_saves(operator_lead):
    client = admin_client(operator_lead)
    data = rendered_form(client.get(user_url(operator_lead)))
    data["first_name"] = "Ana"
    assert client.post(user_url(operator_lead), data).status_code == 302
    operator_lead.refresh_from_db()
    assert operator_lead.first_name == "Ana"


@pytest.mark.parametrize(
    "forged",
    [
        {"is_superuser": "on"},
        {"groups": "1"},
        {"memberships-0-DELETE": "on"},
        {"memberships-0-role": Role.HEAD},
        {"memberships-1-organisation": "1", "memberships-1-role": Role.STAFF},
    ],
    ids=["flag", "group", "membership-deleted", "role-changed", "membership-added"],
)
def test_a_forged_self_edit_is_refused_with_a_message_in_the_users_language(operator_lead, forged):
    client = admin_client(operator_lead)
    data = rendered_form(client.get(user_url(operator_lead))) | forged | {"first_name": "Ana"}
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "es"
    refused = client.post(user_url(operator_lead), data)
    assert refused.status_code == 403
    assert messages_shown(refused) == [
        "No puede cambiar su propio estado, grupos, permisos o roles: debe hacerlo otro "
        "operador. No se ha guardado nada."
    ]
    operator_lead.refresh_from_db()
    assert operator_lead.first_name == ""
    assert operator_lead.memberships.get().role == Role.SAFEGUARDING_LEAD


# --- A lost phone -------------------------------------------------------------------------------


def test_reset_second_factor_removes_devices_ends_access_and_is_audited(
    settings, root, lead_a, lead_b, school_a
):
    TOTPDevice.objects.create(user=lead_a, name="phone", confirmed=True)
    backup = StaticDevice.objects.create(user=lead_a, name="backup", confirmed=True)
    StaticToken.objects.create(device=backup, token="code1234")
    other_device = TOTPDevice.objects.create(user=lead_b, name="phone", confirmed=True)
    AuthToken.objects.create(user=lead_a)
    AuthToken.objects.create(user=lead_b)
    lead_session, other_session = signed_in(lead_a), signed_in(lead_b)
    since = last_event_id()
    call_command("reset_second_factor", "lead.a", "--by", "root")
    assert not TOTPDevice.objects.filter(user=lead_a).exists()
    assert not StaticDevice.objects.filter(user=lead_a).exists()
    assert not StaticToken.objects.exists()
    assert not AuthToken.objects.filter(user=lead_a).exists()
    assert lead_session.get(reverse("web:dashboard")).status_code == 302  # signed out
    assert new_events(since) == [
        (
            "user.second_factor_reset",
            school_a.pk,
            None,
            root.pk,
            {"user_id": lead_a.pk, "devices": 2, "revoked_tokens": 1, "ended_sessions": 1},
        )
    ]
    # Nobody else's.
    assert TOTPDevice.objects.filter(pk=other_device.pk).exists()
    assert AuthToken.objects.filter(user=lead_b).count() == 1
    assert other_session.get(reverse("web:dashboard")).status_code == 200
    call_command("verify_audit")
    # The lead signs in with the password and is sent to enrol a new device.
    settings.OTP_REQUIRED = True
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.post(reverse("web:login"), {"username": "lead.a", "password": PASSWORD})
    response = client.get(reverse("web:dashboard"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("web:otp_setup"))
    assert response.status_code == 200


def test_reset_second_factor_of_a_superuser_needs_a_superuser(clerk, root):
    TOTPDevice.objects.create(user=root, name="phone", confirmed=True)
    since = last_event_id()
    with pytest.raises(CommandError):
        call_command("reset_second_factor", "root", "--by", "clerk")
    with pytest.raises(CommandError):
        call_command("reset_second_factor", "nobody")
    assert TOTPDevice.objects.filter(user=root).exists()
    assert new_events(since) == []
    # A superuser may, even their own (a lost phone is no power gained); no
    # organisation: the row has no school.
    call_command("reset_second_factor", "root", "--by", "root")
    assert not TOTPDevice.objects.filter(user=root).exists()
    assert new_events(since) == [
        (
            "user.second_factor_reset",
            None,
            None,
            root.pk,
            {"user_id": root.pk, "devices": 1, "revoked_tokens": 0, "ended_sessions": 0},
        )
    ]


def test_an_operator_sets_the_language_a_user_is_written_to_in(root, lead_a):
    url = reverse("admin:cases_user_change", args=[lead_a.pk])
    page = admin_client(root).get(url)
    assert page.status_code == 200
    assert 'name="language"' in page.content.decode()
    form = {
        "username": lead_a.username,
        "first_name": lead_a.first_name,
        "last_name": lead_a.last_name,
        "email": lead_a.email,
        "language": "en",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    response = admin_client(root).post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    lead_a.refresh_from_db()
    assert lead_a.language == "en"
