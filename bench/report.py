"""Plain-text output of the bench: percentiles, sizes in MiB, aligned tables."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0–100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def mib(n_bytes: float) -> float:
    """Bytes to MiB."""
    return n_bytes / (1024 * 1024)


def rows_label(n: int) -> str:
    """``"1 row"`` / ``"n rows"``."""
    return f"{n} row" if n == 1 else f"{n} rows"


def print_table(headers: list[str], rows: list[list[str]], *, right: set[int]) -> None:
    """Print ``rows`` under ``headers`` in aligned columns; the columns whose index is in
    ``right`` are right-aligned (numbers)."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in
              enumerate(headers)]  # fmt: skip

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))


def section(title: str) -> None:
    """Print ``title`` underlined, after a blank line."""
    print()
    print(title)
    print("=" * len(title))
