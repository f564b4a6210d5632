"""Process tuning for the web server, applied by ``config.wsgi`` and by ``make bench``
(so the benchmark measures what production runs)."""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Move every object alive after start-up (modules, settings, URL patterns,
    templates, translations) to the collector's permanent generation.

    Python's cyclic garbage collector otherwise walks these tens of thousands of
    long-lived objects on every full collection, and a full collection lands in some
    request: on the big case page it put p95 at about 2.5× p50 (``make bench``,
    docs/bench.md). Frozen, they are skipped; and under gunicorn's ``--preload`` the
    forked workers keep sharing their pages (no copy-on-write from the collector's
    writes). Thresholds stay at Python's defaults. Source: Python docs, ``gc.freeze``
    ("call gc.freeze() in the parent process before fork()").
    """
    gc.collect()
    gc.freeze()
