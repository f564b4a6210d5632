"""``cases.hashing.hash_stream`` on a generated 12-megapixel JPEG, in a fresh child
process so that its peak RSS is the hashing's, not the web bench's."""

from __future__ import annotations

import gc
import io
import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench.memory import proc_status_kb, reset_peak_rss
from bench.report import mib, percentile, print_table, section

ROOT = Path(__file__).resolve().parent.parent
HASH_WIDTH, HASH_HEIGHT = 4000, 3000  # 12 megapixels, a phone camera's photo


def hash_worker(runs: int) -> None:
    """Child process: time ``hash_stream`` on a 12 MP JPEG; print one JSON line.

    Runs in its own interpreter so its peak RSS is the hashing's, not the web bench's.
    The parent gives it a ``DATABASE_URL`` that is never connected to.
    """
    import django

    django.setup()
    import numpy as np
    from django.conf import settings
    from PIL import Image, ImageDraw

    from cases.hashing import hash_stream, max_image_pixels

    # A smooth picture with mild noise compresses like a photo (a few MB of JPEG).
    rng = np.random.default_rng(12)
    y = np.linspace(0, 1, HASH_HEIGHT, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, HASH_WIDTH, dtype=np.float32)[None, :]
    channels = (200 * x + 30 * y, 120 + 80 * np.sin(6 * x + 3 * y), 220 * y + 0 * x)
    base = np.stack(channels, axis=-1)
    noise = rng.normal(0, 6, size=(HASH_HEIGHT, HASH_WIDTH, 3)).astype(np.float32)
    pixels = np.clip(base + noise, 0, 255).astype(np.uint8)
    del base, channels, noise, x, y
    picture = Image.fromarray(pixels, "RGB")
    del pixels
    pen = ImageDraw.Draw(picture)
    for i in range(40):  # flat shapes give PDQ something to see (quality ≥ 50)
        box = (int(rng.integers(0, HASH_WIDTH - 400)), int(rng.integers(0, HASH_HEIGHT - 400)))
        size = int(rng.integers(80, 400))
        colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
        shape = pen.ellipse if i % 2 else pen.rectangle
        shape((*box, box[0] + size, box[1] + size), fill=colour)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90)
    picture.close()
    del picture, pen
    jpeg = out.getvalue()
    del out
    gc.collect()

    max_bytes = settings.EVIDENCE_MAX_UPLOAD_BYTES
    rss_before_kb = proc_status_kb("VmRSS")
    peak_reset = reset_peak_rss()
    times_ms = []
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = hash_stream(io.BytesIO(jpeg), max_bytes=max_bytes)
        times_ms.append((time.perf_counter() - start) * 1000)
    hwm_kb = proc_status_kb("VmHWM") if peak_reset else None
    gc.collect()
    rss_after_kb = proc_status_kb("VmRSS")

    tracemalloc.start()
    hash_stream(io.BytesIO(jpeg), max_bytes=max_bytes)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(
        json.dumps(
            {
                "width": HASH_WIDTH,
                "height": HASH_HEIGHT,
                "file_bytes": len(jpeg),
                "content_kind": result.content_kind if result else "",
                "pdq_quality": result.pdq_quality if result else None,
                "times_ms": times_ms,
                "rss_before_kb": rss_before_kb,
                "rss_after_kb": rss_after_kb,
                "hwm_kb": hwm_kb,
                "tracemalloc_peak": traced_peak,
                "max_image_pixels": max_image_pixels(),
                "max_upload_bytes": max_bytes,
            }
        )
    )


def run_hash_bench(runs: int) -> dict[str, Any]:
    """Run ``hash_worker`` in a child ``python -m bench --hash-worker``; its JSON line.
    Raises ``RuntimeError`` if the child fails."""
    env = dict(os.environ)
    # Never connected to: the child only hashes. Keeps it from starting the embedded DB.
    env["DATABASE_URL"] = "postgresql://bench@127.0.0.1:1/bench_hash_worker_unused"
    env["CELERY_BROKER_URL"] = "memory://"
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    completed = subprocess.run(  # noqa: S603 (this same package, no shell, no user input)
        [sys.executable, "-m", "bench", "--hash-worker", "--hash-runs", str(runs)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=ROOT,
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        raise RuntimeError(f"the hash_stream child process failed ({completed.returncode})")
    data: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return data


def report_hash(data: dict[str, Any]) -> None:
    """Print the hashing table from ``run_hash_bench``'s figures."""
    section("Hash-only intake: cases.hashing.hash_stream (fresh child process)")
    pixels = data["width"] * data["height"]
    decoded = pixels * 3
    times = data["times_ms"]
    print(
        f"Input: {data['width']}×{data['height']} JPEG ({pixels / 1e6:.0f} MP), "
        f"{mib(data['file_bytes']):.1f} MiB; decoded RGB is {mib(decoded):.0f} MiB. "
        f"Result: {data['content_kind']}, PDQ quality {data['pdq_quality']}."
    )
    rows = [
        ["time per file (ms)", f"{percentile(times, 50):.0f}", f"{max(times):.0f}",
         f"{len(times)} runs"],
    ]  # fmt: skip
    if data["hwm_kb"] is not None and data["rss_before_kb"] is not None:
        extra = (data["hwm_kb"] - data["rss_before_kb"]) * 1024
        per_pixel = extra / pixels
        at_limit = per_pixel * data["max_image_pixels"]
        rows.append(
            ["peak RSS above baseline (MiB)", f"{mib(extra):.0f}", "",
             f"{per_pixel:.1f} B/pixel; ≈{mib(at_limit):.0f} MiB at the "
             f"{data['max_image_pixels'] / 1e6:.1f} MP limit"]
        )  # fmt: skip
        kept = (data["rss_after_kb"] - data["rss_before_kb"]) * 1024
        rows.append(["RSS kept after hashing (MiB)", f"{mib(kept):.1f}", "", "after return"])
    else:
        rows.append(["peak RSS above baseline", "n/a", "", "needs Linux /proc"])
    rows.append(
        ["tracemalloc peak (MiB)", f"{mib(data['tracemalloc_peak']):.0f}", "",
         "Python + numpy buffers; Pillow's own buffers are not traced"]
    )  # fmt: skip
    print_table(["measure", "p50/value", "max", "note"], rows, right={1, 2})
    print(
        f"Bounded: uploads above {mib(data['max_upload_bytes']):.0f} MiB and images above "
        f"{data['max_image_pixels'] / 1e6:.1f} MP are refused before decoding."
    )
