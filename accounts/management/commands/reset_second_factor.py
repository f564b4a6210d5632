"""``python manage.py reset_second_factor <username> [--by <operator>]``: a user lost their
phone (or their backup codes). Removes every second-factor device of the user, ends their
API tokens and sessions, and writes a ``user.second_factor_reset`` audit row
(``accounts.services.second_factor_reset``). The user then signs in with their password and
enrols a new authenticator app at ``/account/two-factor/``.

``--by`` names the operator's own account, recorded as the actor (without it the row's
actor is the system). The admin has no path to devices at all
(``accounts.admin_third_party``): this command, run by someone who holds the server, is the
only way an operator removes one.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from accounts.services import second_factor_reset
from cases.models import User


class Command(BaseCommand):
    help = (
        "Remove a user's second-factor devices (lost phone), end their API tokens and "
        "sessions, and record it in the audit chain. They enrol again after signing in."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username", help="The account whose second factor is reset.")
        parser.add_argument(
            "--by",
            metavar="OPERATOR",
            help="Your own username: recorded as who reset it (an active staff account).",
        )

    def handle(self, *args: Any, username: str, by: str | None = None, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        actor = None
        if by is not None:
            actor = User.objects.filter(username=by, is_active=True, is_staff=True).first()
            if actor is None:
                raise CommandError(f"No active staff user named {by!r} (--by).")
        try:
            reset = second_factor_reset(actor=actor, user=user)
        except PermissionDenied:
            raise CommandError(
                f"{by!r} is not a superuser: only a superuser resets a superuser's second factor."
            ) from None
        self.stdout.write(
            f"Second factor of {username} reset: {reset.devices} device(s) removed, "
            f"{reset.revoked_tokens} API token(s) and {reset.ended_sessions} session(s) "
            f"ended. They enrol again at /account/two-factor/ after signing in."
        )
