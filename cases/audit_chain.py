"""The hash chain of the audit tables (``CaseEvent``, ``AccessEvent``, ``DenialEvent``).

Each row stores ``prev_hash`` (the ``row_hash`` of the row before it in id order; 64
zeros for the first row of a table) and ``row_hash = sha256(prev_hash + canonical JSON
of the row's content)``. One chain per table. Rows are appended under a
transaction-scoped PostgreSQL advisory lock (one fixed key per table), so concurrent
writers serialise and the chain never forks; ``prev_hash`` is also unique, so a fork
could not be stored anyway. See docs/adr/0004-audit-chain.md.

The content of a row and its canonical form must never change: old chains would stop
verifying. Migration ``cases/0003_audit_chain`` imports this module.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from datetime import UTC, datetime
from typing import Any

from django.db import connections, transaction

GENESIS = "0" * 64

# Fields hashed, per table (``attname``s, so foreign keys are their ids).
CASE_EVENT_FIELDS = (
    "id",
    "case_id",
    "school_id",
    "actor_id",
    "actor_role",
    "verb",
    "object_type",
    "object_id",
    "data",
    "occurred_at",
    "ip",
    "request_id",
)
ACCESS_EVENT_FIELDS = (
    "id",
    "actor_id",
    "actor_role",
    "organisation_id",
    "channel",
    "action",
    "case_ids",
    "occurred_at",
    "ip",
    "request_id",
)
DENIAL_EVENT_FIELDS = (
    "id",
    "actor_id",
    "actor_username",
    "actor_role",
    "actor_organisation_id",
    "school_id",
    "object_type",
    "object_id",
    "channel",
    "method",
    "path",
    "occurred_at",
    "ip",
    "request_id",
)
FIELDS_BY_TABLE = {
    "cases_caseevent": CASE_EVENT_FIELDS,
    "cases_accessevent": ACCESS_EVENT_FIELDS,
    "cases_denialevent": DENIAL_EVENT_FIELDS,
}
# Fixed advisory-lock keys (bigint), one per table: "SGCE" / "SGAE" / "SGDE" in ASCII.
LOCK_KEYS = {
    "cases_caseevent": 0x53474345,
    "cases_accessevent": 0x53474145,
    "cases_denialevent": 0x53474445,
}


def _canonical_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def canonical_json(row: Any, fields: tuple[str, ...]) -> str:
    """The row's content as compact JSON with sorted keys (datetimes in UTC ISO 8601)."""
    content = {name: _canonical_value(getattr(row, name)) for name in fields}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compute_hash(prev_hash: str, row: Any, fields: tuple[str, ...]) -> str:
    """``sha256(prev_hash + canonical JSON of row)`` as 64 lower-case hex digits."""
    payload = prev_hash + canonical_json(row, fields)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def normalise_ip(value: str | None) -> str | None:
    """The address as PostgreSQL's ``inet`` gives it back (so the hash survives a
    round trip): ``ipaddress``'s compressed form; unchanged if not an address."""
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return value


def normalise_json(value: Any) -> Any:
    """``value`` as it comes back from a ``jsonb`` column (tuples become lists...)."""
    return json.loads(json.dumps(value))


def lock_chain(table: str, using: str = "default") -> None:
    """Take the table's transaction-scoped advisory lock (released at commit or
    rollback). Call inside a transaction."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEYS[table]])


def append(row: Any, *, extra_locks: tuple[str, ...] = (), using: str = "default") -> None:
    """Give ``row`` (unsaved) its id, ``prev_hash`` and ``row_hash``, then insert it.

    Runs in a transaction (a savepoint inside the caller's): takes the advisory locks
    of ``extra_locks`` then of the row's table, reads the last row's hash, draws the id
    from the table's sequence (so the chain's order is id order) and inserts. Raises
    whatever the insert raises; nothing is written then.
    """
    model = type(row)
    table = model._meta.db_table
    fields = FIELDS_BY_TABLE[table]
    with transaction.atomic(using=using):
        for other in extra_locks:
            lock_chain(other, using)
        lock_chain(table, using)
        last = (
            model._base_manager.using(using)
            .order_by("-id")
            .values_list("row_hash", flat=True)
            .first()
        )
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
            row.id = cursor.fetchone()[0]
        row.prev_hash = last or GENESIS
        row.row_hash = compute_hash(row.prev_hash, row, fields)
        row.save_base(using=using, force_insert=True)


def verify_table(model: Any) -> tuple[int, str | None]:
    """Walk ``model``'s chain in id order. Returns (rows checked, first broken link
    described, or None)."""
    table = model._meta.db_table
    fields = FIELDS_BY_TABLE[table]
    expected_prev = GENESIS
    count = 0
    for row in model._base_manager.order_by("id").iterator(chunk_size=2000):
        count += 1
        if row.prev_hash != expected_prev:
            return count, (
                f"{table} id={row.pk}: prev_hash expected {expected_prev}, stored {row.prev_hash}"
            )
        expected = compute_hash(row.prev_hash, row, fields)
        if row.row_hash != expected:
            return count, (
                f"{table} id={row.pk}: row_hash expected {expected}, stored {row.row_hash}"
            )
        expected_prev = row.row_hash
    return count, None
