"""Hashing a file in memory (``cases.hashing``): PDQ equals the reference vectors
(issue 2, "Done when" 4), and anything that is not an image or video is refused."""

from __future__ import annotations

import json
import os
from io import BytesIO
from pathlib import Path

import numpy as np
import pdqhash
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import InMemoryUploadedFile, TemporaryUploadedFile
from PIL import Image

from cases.hashing import FileHashes, hash_stream, pdq_bits_to_hex, sniff_video
from tests.intake_files import MOV_HEAD, MP4_HEAD, WEBM_HEAD, png_bytes, png_declaring

# The repository's parent holds ``shared/`` (here /work/main → /work/shared; in CI the
# clone sits in another folder with ``shared/`` beside it). ``PDQ_FIXTURES_DIR`` points
# elsewhere, e.g. from a git worktree one folder deeper.
PDQ_FIXTURES = Path(
    os.environ.get("PDQ_FIXTURES_DIR")
    or Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "pdq"
)
EXPECTED = PDQ_FIXTURES / "expected.json"
MAX = 20 * 1024 * 1024


def _fixture_params():
    if not EXPECTED.is_file():
        reason = f"PDQ reference vectors not found at {EXPECTED} (shared/ beside the clone)"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="missing")]
    images = json.loads(EXPECTED.read_text())["images"]
    return [pytest.param(entry, id=entry["file"]) for entry in images]


def _hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _refusal_code(excinfo) -> str:
    return excinfo.value.error_dict["file"][0].code


@pytest.mark.parametrize("entry", _fixture_params())
def test_pdq_sha256_and_md5_equal_the_reference_vectors(entry):
    hashes = hash_stream(BytesIO((PDQ_FIXTURES / entry["file"]).read_bytes()), max_bytes=MAX)

    assert hashes.content_kind == "image"
    assert hashes.pdq == entry["pdq"]
    assert hashes.pdq_quality == entry["quality"]
    assert hashes.sha256 == entry["sha256"]
    assert hashes.md5 == entry["md5"]
    if "threatexchange_expected_pdq" in entry:
        assert hashes.pdq == entry["threatexchange_expected_pdq"]
    if "reference_pdq" in entry and entry["quality"] >= 80:
        # PDQ README: a correct implementation is within distance 10 of the reference.
        assert _hamming(hashes.pdq, entry["reference_pdq"]) <= 10


def colour_noise(seed: int) -> np.ndarray:
    """A 64 × 64 RGB image of 16 × 16 random colour blocks (4-pixel squares), from a
    seeded generator. Its colours carry the picture: the luma PDQ computes from RGB
    and a greyscale copy's rounded luma give hashes some bits apart (checked below)."""
    blocks = np.random.default_rng(seed).integers(0, 256, size=(16, 16, 3), dtype=np.uint8)
    return blocks.repeat(4, axis=0).repeat(4, axis=1)


def png_of(pixels: np.ndarray) -> bytes:
    out = BytesIO()
    Image.fromarray(pixels, "RGB").save(out, format="PNG")  # lossless: same pixels back
    return out.getvalue()


@pytest.mark.parametrize("seed", range(5))
def test_pdq_of_a_colour_image_is_pdqhash_of_its_rgb_pixels(seed):
    pixels = colour_noise(seed)
    bits, quality = pdqhash.compute(pixels)
    grey = np.asarray(Image.fromarray(pixels, "RGB").convert("L").convert("RGB"))
    grey_bits, _ = pdqhash.compute(grey)
    # The image tells RGB from greyscale apart, so the comparison below can fail.
    assert pdq_bits_to_hex(grey_bits) != pdq_bits_to_hex(bits)

    hashes = hash_stream(BytesIO(png_of(pixels)), max_bytes=MAX)

    assert hashes.pdq == pdq_bits_to_hex(bits)
    assert hashes.pdq_quality == int(quality)


def test_the_reference_vectors_are_there_when_shared_is_present():
    if not PDQ_FIXTURES.parent.parent.is_dir():
        pytest.skip(f"no shared/ folder beside the clone ({PDQ_FIXTURES.parent.parent})")
    assert len(json.loads(EXPECTED.read_text())["images"]) >= 8


def test_pdq_bits_are_written_in_order_four_per_hex_digit():
    bits = [1, 1, 1, 1, 1, 0, 1, 1] + [0, 0, 0, 0, 0, 0, 0, 1] + [0] * 240
    assert pdq_bits_to_hex(bits) == "fb01" + "0" * 60
    with pytest.raises(ValueError):
        pdq_bits_to_hex([1] * 255)


def test_an_in_memory_upload_is_hashed_and_closed():
    data = png_bytes()
    upload = InMemoryUploadedFile(BytesIO(data), "file", "x.png", "image/png", len(data), None)

    hashes = hash_stream(upload, max_bytes=MAX)

    assert isinstance(hashes, FileHashes)
    assert hashes.size_bytes == len(data)
    assert len(hashes.pdq) == 64 and 0 <= hashes.pdq_quality <= 100
    assert upload.closed


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"Dear parents, the meeting is on Monday.\n", id="text"),
        pytest.param(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n", id="pdf"),
        pytest.param(b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40, id="zip"),
        pytest.param(b"<svg xmlns='http://www.w3.org/2000/svg'/>", id="svg"),
        pytest.param(b"Get free stuff now, free free free", id="text-reading-free"),
    ],
)
def test_anything_but_an_image_or_video_is_refused(content):
    with pytest.raises(ValidationError) as excinfo:
        hash_stream(BytesIO(content), max_bytes=MAX)
    assert _refusal_code(excinfo) == "not_image_or_video"


@pytest.mark.parametrize("head", [MP4_HEAD, MOV_HEAD, WEBM_HEAD], ids=["mp4", "mov", "webm"])
def test_videos_get_sha256_and_md5_only(head):
    content = head + bytes(range(256)) * 4

    hashes = hash_stream(BytesIO(content), max_bytes=MAX)

    assert hashes.content_kind == "video"
    assert hashes.pdq == "" and hashes.pdq_quality is None
    assert len(hashes.sha256) == 64 and len(hashes.md5) == 32


def test_heic_is_not_taken_for_a_video():
    assert not sniff_video(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", 1000)


def test_a_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(ValidationError) as excinfo:
        hash_stream(BytesIO(png_declaring(60_000, 60_000)), max_bytes=MAX)
    assert _refusal_code(excinfo) == "too_many_pixels"


def test_the_pixel_limit_is_checked_from_the_header(settings):
    settings.EVIDENCE_MAX_IMAGE_PIXELS = 100
    with pytest.raises(ValidationError) as excinfo:
        hash_stream(BytesIO(png_bytes(size=(20, 20))), max_bytes=MAX)
    assert _refusal_code(excinfo) == "too_many_pixels"


def test_a_truncated_image_is_refused_as_undecodable():
    data = (PDQ_FIXTURES / "wee.jpg").read_bytes() if EXPECTED.is_file() else None
    if data is None:
        data = png_bytes(size=(64, 64))
    with pytest.raises(ValidationError) as excinfo:
        hash_stream(BytesIO(data[: len(data) // 2]), max_bytes=MAX)
    assert _refusal_code(excinfo) == "undecodable"


def test_a_file_over_the_limit_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        hash_stream(BytesIO(png_bytes()), max_bytes=100)
    assert _refusal_code(excinfo) == "too_large"


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        hash_stream(BytesIO(b""), max_bytes=MAX)
    assert _refusal_code(excinfo) == "empty"


def test_an_upload_spooled_to_disk_is_refused_and_deleted():
    upload = TemporaryUploadedFile("x.png", "image/png", 10, None)
    upload.write(png_bytes())
    path = Path(upload.temporary_file_path())

    with pytest.raises(ValidationError) as excinfo:
        hash_stream(upload, max_bytes=MAX)

    assert _refusal_code(excinfo) == "not_in_memory"
    assert not path.exists()
