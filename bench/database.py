"""The throwaway database: created and migrated for one run, dropped whatever happens."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

DEFAULT_DB_NAME = "salvaguarda_bench"


@contextmanager
def throwaway_database(name: str) -> Iterator[str]:
    """Create ``name`` on the configured server, migrate it, point Django at it; drop it
    on the way out whatever happens. Refuses (``SystemExit``) a name that is the
    configured database or a PostgreSQL system database."""
    from django.conf import settings
    from django.db import connection

    original = connection.settings_dict["NAME"]
    if name in {original, "postgres", "template0", "template1"}:
        raise SystemExit(f"Refusing to use {name!r} as the throwaway benchmark database.")
    connection.settings_dict.setdefault("TEST", {})["NAME"] = name
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = name
    try:
        connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False, keepdb=False
        )
        yield name
    finally:
        # A second Ctrl-C must not leave the database behind half-way through the drop.
        previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
        previous_term = signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            drop_database(name, original)
        finally:
            signal.signal(signal.SIGINT, previous_int)
            signal.signal(signal.SIGTERM, previous_term)


def drop_database(name: str, original: str) -> None:
    """Drop ``name`` (only ever the benchmark's database) and point Django back."""
    from django.conf import settings
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = original
    settings.DATABASES["default"]["NAME"] = original
    quoted = connection.ops.quote_name(name)
    try:
        with connection._nodb_cursor() as cursor:
            # PostgreSQL 13+ ends any session still attached (e.g. after a kill mid-query).
            force = " WITH (FORCE)" if cursor.connection.info.server_version >= 130000 else ""
            cursor.execute(f"DROP DATABASE IF EXISTS {quoted}{force}")
    except Exception:
        sys.stderr.write(f"Could not drop the benchmark database; run: DROP DATABASE {quoted};\n")
        raise
    print(f"\nDropped the benchmark database {name}.")
