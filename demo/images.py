"""Harmless synthetic images for the demo, so that evidence carries real hashes.

DESIGN rule 1 forbids imagery; the demo still needs real SHA-256, MD5 and PDQ values
that match across schools. Each image here is a colour gradient with a few flat shapes
and a caption that says it is synthetic — nothing that looks like a person. Images are
drawn in memory from a seed (the same seed gives the same pixels and, with the same
Pillow and zlib, the same bytes), hashed with ``cases.hashing.hash_stream`` exactly as an
upload would be, and dropped: nothing is written to disk.

Two variants of one seed:

- ``original``: a 512×512 PNG, as first posted;
- ``forwarded``: the same picture scaled to 400×400 and re-encoded as JPEG quality 70,
  as a messenger recompresses a forwarded image. Its SHA-256/MD5 differ from the
  original's but its PDQ hash stays within a few bits (PDQ matches at Hamming
  distance ≤ 31), which is how re-shared copies are linked in practice.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from typing import Final, Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from cases.hashing import hash_stream

SIZE: Final = 512
FORWARDED_SIZE: Final = 400
FORWARDED_JPEG_QUALITY: Final = 70
# Well above the few kilobytes these images take; hash_stream needs a ceiling.
MAX_BYTES: Final = 4 * 1024 * 1024

Variant = Literal["original", "forwarded"]


@dataclass(frozen=True, slots=True)
class ImageHashes:
    """The hashes kept of a generated image: lower-case hex SHA-256 (64), MD5 (32), PDQ
    (64) and PDQ quality 0–100."""

    sha256: str
    md5: str
    pdq: str
    pdq_quality: int


def draw(seed: int, *, caption: str) -> Image.Image:
    """A ``SIZE``×``SIZE`` RGB picture: a horizontal gradient between two colours, four
    to eight flat ellipses or rectangles, and ``caption`` along the bottom. Pure: the
    same ``seed`` and ``caption`` give the same pixels."""
    rng = random.Random(seed)  # noqa: S311 (drawing shapes, not secrets)
    left = np.array([rng.randrange(256) for _ in range(3)], dtype=np.float64)
    right = np.array([rng.randrange(256) for _ in range(3)], dtype=np.float64)
    t = np.linspace(0.0, 1.0, SIZE)[None, :, None]
    row = (left * (1 - t) + right * t).astype(np.uint8)
    image = Image.fromarray(np.repeat(row, SIZE, axis=0), "RGB")
    pen = ImageDraw.Draw(image)
    for _ in range(rng.randint(4, 8)):
        x0, y0 = rng.randrange(SIZE), rng.randrange(SIZE)
        x1, y1 = x0 + rng.randint(40, 200), y0 + rng.randint(40, 200)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            pen.ellipse([x0, y0, x1, y1], fill=colour)
        else:
            pen.rectangle([x0, y0, x1, y1], fill=colour)
    font = ImageFont.load_default(size=26)
    pen.text(
        (16, SIZE - 52),
        caption,
        fill=(255, 255, 255),
        font=font,
        stroke_width=2,
        stroke_fill=(0, 0, 0),
    )
    return image


def encode(image: Image.Image, variant: Variant) -> bytes:
    """The bytes of ``image`` as posted (PNG) or as forwarded by a messenger (smaller
    JPEG). Raises ``ValueError`` for an unknown variant."""
    buffer = BytesIO()
    if variant == "original":
        image.save(buffer, "PNG")
    elif variant == "forwarded":
        image.resize((FORWARDED_SIZE, FORWARDED_SIZE), Image.Resampling.BILINEAR).save(
            buffer, "JPEG", quality=FORWARDED_JPEG_QUALITY
        )
    else:
        raise ValueError(f"unknown image variant {variant!r}")
    return buffer.getvalue()


def render(seed: int, *, variant: Variant = "original", caption: str | None = None) -> bytes:
    """Encoded bytes of the synthetic image ``seed`` in ``variant``. Pure."""
    text = caption if caption is not None else f"DEMO · imagen sintética {seed:02d}"
    return encode(draw(seed, caption=text), variant)


@lru_cache(maxsize=64)
def hashes(seed: int, variant: Variant = "original") -> ImageHashes:
    """Hashes of ``render(seed, variant=variant)``, computed by ``cases.hashing.hash_stream``
    (the evidence-upload path) in memory. Cached per process: drawing and PDQ cost a
    few milliseconds each and the scenario records the same image at several schools."""
    result = hash_stream(BytesIO(render(seed, variant=variant)), max_bytes=MAX_BYTES)
    return ImageHashes(
        sha256=result.sha256,
        md5=result.md5,
        pdq=result.pdq,
        pdq_quality=result.pdq_quality or 0,  # always set for an image
    )


def hamming(pdq_a: str, pdq_b: str) -> int:
    """Number of differing bits between two 64-hex-digit PDQ hashes."""
    return (int(pdq_a, 16) ^ int(pdq_b, 16)).bit_count()
