"""``manage.py load_scenario almendralejo``: load a demo scenario through the services.

Prints the demo logins (``make run`` shows them) and what the database holds for the
scenario, whether it was loaded now or already there. Exit status 0 in both cases; 1
(``CommandError``) when some of the scenario's rows exist without its marker.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.almendralejo import SCENARIOS, Scenario
from demo.loader import ScenarioConflict, counts, load, logins


class Command(BaseCommand):
    help = "Load a demo scenario (invented people, hash-only evidence) through the services."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("scenario", choices=sorted(SCENARIOS), help="scenario to load")

    def handle(self, *args: Any, scenario: str, **options: Any) -> None:
        spec = SCENARIOS[scenario]
        try:
            loaded = load(spec)
        except ScenarioConflict as exc:
            raise CommandError(str(exc)) from exc
        if loaded:
            self.stdout.write(self.style.SUCCESS(f"Scenario {scenario!r} loaded."))
        else:
            self.stdout.write(f"Scenario {scenario!r} already loaded; nothing changed.")
        self._logins(spec)
        self._counts(spec)

    def _logins(self, spec: Scenario) -> None:
        header = ("username", "role", "organisation", "TOTP secret", "backup code", "password")
        rows = [header]
        rows += [
            (
                x.username,
                x.role,
                x.organisation,
                x.totp_secret or "—",
                x.backup_code or "—",
                x.password,
            )
            for x in logins(spec)
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        self.stdout.write("")
        self.stdout.write("Demo logins:")
        self.stdout.write(
            "  Second factor (demo only): add the TOTP secret to an authenticator app and "
            "enter its 6-digit code, or use the backup code (once). Staff need none."
        )
        for n, row in enumerate(rows):
            self.stdout.write(
                "  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True))
            )
            if n == 0:
                self.stdout.write("  " + "  ".join("-" * w for w in widths))

    def _counts(self, spec: Scenario) -> None:
        numbers = counts(spec)
        width = max(len(label) for label in numbers)
        self.stdout.write("")
        self.stdout.write("Scenario contents:")
        for label, value in numbers.items():
            self.stdout.write(f"  {label.ljust(width)}  {value:>4}")
