"""``make bench`` (``python -m bench``) keeps working: a tiny run on a throwaway database
exits 0 and prints its tables (the bench once broke silently when sign-in gained a second factor).

Figures are not checked here (no wall-clock limits in tests); ``make bench`` reports them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_benchmark_runs_end_to_end_on_a_tiny_world():
    database = f"bench_smoke_{os.getpid()}"
    result = subprocess.run(
        [
            sys.executable,
            *("-m", "bench"),
            *("--requests", "20", "--warmup", "1", "--scale", "2", "--big", "3"),
            *("--skip-hash", "--db-name", database),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "p95/bare" in output
    assert "GROWS" not in output
    assert "against their ceilings" in output
    assert "ABOVE" not in output
    assert f"Dropped the benchmark database {database}" in output
