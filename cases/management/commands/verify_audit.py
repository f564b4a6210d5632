"""``python manage.py verify_audit``: check the hash chains of the audit tables.

Walks ``CaseEvent``, ``AccessEvent`` and ``DenialEvent`` in id order and recomputes
every row's hash (``cases.audit_chain``). Prints ``OK: N case events, M access events,
K denied accesses`` and exits 0, or names the first broken link (table, id, expected vs
stored hash) and exits 1.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cases.audit_chain import verify_table
from cases.models import AccessEvent, CaseEvent, DenialEvent


class Command(BaseCommand):
    help = (
        "Verify the hash chains of the audit tables (case events, access events, denied accesses)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = []
        for model in (CaseEvent, AccessEvent, DenialEvent):
            count, broken = verify_table(model)
            if broken is not None:
                raise CommandError(f"BROKEN: {broken}", returncode=1)
            counts.append(count)
        self.stdout.write(
            f"OK: {counts[0]} case events, {counts[1]} access events, {counts[2]} denied accesses"
        )
