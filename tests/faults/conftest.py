"""Fault tests (``make faults``): real services stopped and started under load.

The shared fixture here is :func:`throwaway_postgres`: a PostgreSQL server of the test's
own (``initdb`` into a temporary directory, ``pg_ctl start`` on a free port), which the
test may stop and start at will. The machine's shared PostgreSQL (port 5432) is never
touched. :class:`ThrowawayPostgres` is usable without pytest too
(``python -m tests.faults.conftest`` starts one and prints its URL until Ctrl-C).

``make faults`` runs every test marked ``@pytest.mark.faults`` under ``tests/faults/``;
plain ``pytest`` (``make test``) skips them (``pyproject.toml``: ``-m "not faults"``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Debian's PostgreSQL 15 first (its initdb), then whatever is on PATH.
BIN_DIRS = ("/usr/lib/postgresql/15/bin", "/usr/local/bin")


def _binary(name: str) -> str:
    for directory in BIN_DIRS:
        path = Path(directory) / name
        if path.exists():
            return str(path)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} (PostgreSQL server binaries) not found")
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (it may be taken later:
    callers start their server at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThrowawayPostgres:
    """A PostgreSQL server in ``directory`` on 127.0.0.1:``port``, trust authentication,
    superuser ``postgres``, UTF-8. ``start``/``stop`` may be called repeatedly (the data
    directory survives a stop); ``destroy`` stops it and deletes the directory.

    PostgreSQL refuses to run as root: when this process is root, the server runs as
    the ``postgres`` system user (``runuser``), and the directory is handed to it.
    """

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory = directory
        self.data = directory / "data"
        self.socket_dir = directory / "run"
        self.log = directory / "postgres.log"
        self.port = port or free_port()
        self._as_postgres = os.geteuid() == 0

    # --- running the server's own commands -------------------------------------------
    def _run(self, args: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
        if self._as_postgres:
            args = ["runuser", "-u", "postgres", "--", *args]
        return subprocess.run(args, check=True, capture_output=True, text=True, timeout=timeout)

    def init(self) -> None:
        """``initdb`` the data directory (once)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        if self._as_postgres:
            shutil.chown(self.directory, "postgres", "postgres")
            shutil.chown(self.socket_dir, "postgres", "postgres")
        self._run(
            [
                _binary("initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        )
        # Quick to stop and start; no durability games (fsync stays on: a fault test
        # must see what a real crash would leave).
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.socket_dir}'\n"
                "max_connections = 100\nshared_buffers = 32MB\n"
            )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        if not self.data.exists():
            self.init()
        self._run([_binary("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "start"])

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop -m mode`` (``smart``, ``fast`` or ``immediate``): ``fast``
        disconnects every client and rolls back their open transactions."""
        self._run([_binary("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])

    def is_running(self) -> bool:
        if not self.data.exists():
            return False
        if self._as_postgres:
            args = ["runuser", "-u", "postgres", "--", _binary("pg_ctl"), "-D", str(self.data)]
        else:
            args = [_binary("pg_ctl"), "-D", str(self.data)]
        return subprocess.run([*args, "status"], capture_output=True).returncode == 0

    def destroy(self) -> None:
        if self.is_running():
            self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)

    # --- using it ----------------------------------------------------------------------
    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """Create database ``name`` (plain identifier) and return its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def wait_until_accepting(self, timeout: float = 30) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


def server_directory() -> Path:
    """A new private directory for a server. Not pytest's ``tmp_path``: when run as root
    the server runs as ``postgres``, who must be able to reach the directory (it is
    handed to ``postgres``; ``tmp_path``'s parents are private to root)."""
    directory = Path(tempfile.mkdtemp(prefix="sg-faults-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    return directory


@pytest.fixture(scope="module")
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """A running :class:`ThrowawayPostgres` for the module; destroyed afterwards, even
    if the test left it stopped."""
    directory = server_directory()
    server = ThrowawayPostgres(directory / "pg")
    try:
        server.start()
        yield server
    finally:
        server.destroy()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":  # pragma: no cover - a manual aid
    directory = server_directory()
    server = ThrowawayPostgres(directory / "pg")
    server.start()
    print(server.url(), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.destroy()
        shutil.rmtree(directory, ignore_errors=True)
