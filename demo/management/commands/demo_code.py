"""Print the current second-factor code of a demo account, for trying the demo without an
authenticator app: ``python manage.py demo_code lead.norte`` (``make code U=lead.norte``).

Demo only: it refuses production settings and accounts that are not in the demo
scenario, and reads the secret from the demo module (``demo.almendralejo``), not
from the database.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP

from demo.almendralejo import ALMENDRALEJO, demo_totp_key


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo account (demo only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        if getattr(settings, "PRODUCTION", False):
            raise CommandError("demo_code is for the demo only, not production.")
        if username not in {u.username for u in ALMENDRALEJO.users}:
            raise CommandError(f"{username} is not a demo account.")
        totp = TOTP(demo_totp_key(username), step=30, digits=6)
        self.stdout.write(f"{totp.token():06d}")
