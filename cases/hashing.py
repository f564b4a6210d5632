"""Hash a file handed to us as evidence, in memory, and forget it (DESIGN rule 1).

The only thing kept from a file is what ``FileHashes`` holds: SHA-256 and MD5 of the
bytes, their count, what kind of content it was, and for images Meta's PDQ perceptual
hash with its quality. The bytes themselves never reach disk, database, cache, broker,
logs or error reports:

- settings restrict ``FILE_UPLOAD_HANDLERS`` to Django's in-memory handler, and
  ``hash_stream`` refuses a ``TemporaryUploadedFile`` (an upload spooled to disk) in case
  that setting is ever changed;
- ``sensitive_variables`` keeps the bytes out of Django's error reports (tracebacks with
  frame locals), and nothing here logs;
- after hashing, every buffer is overwritten, closed and dropped.

Only images and videos are accepted as evidence files. Anything else (text, PDF, zip,
…) is refused with a ``ValidationError`` on ``file``: the system has no business
holding it, even for a moment longer than needed to say no.

PDQ: https://github.com/facebook/ThreatExchange/tree/main/pdq — 256 bits, written as 64
lower-case hex digits with the bits in order, four per digit (as python-threatexchange
does); quality 0–100, hashes of quality < 50 are not used for matching.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from io import BytesIO
from typing import IO, TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt
import pdqhash
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables
from PIL import Image, UnidentifiedImageError

if TYPE_CHECKING:
    # A str or a lazy translation (django-stubs' alias; a dev dependency, so types only).
    from django_stubs_ext import StrOrPromise

CHUNK_BYTES: Final = 64 * 1024

CONTENT_IMAGE: Final = "image"
CONTENT_VIDEO: Final = "video"
CONTENT_OTHER: Final = "other"

# Raster formats Pillow may open. Restricting ``Image.open`` to these keeps it from
# handing a file to a plugin that shells out (EPS → Ghostscript) or that is not an image
# a pupil's phone would share.
IMAGE_FORMATS: Final = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "AVIF")

# ISO base media (``....ftyp<brand>``) brands that are still images, not video: HEIF/HEIC
# and AVIF. Pillow is given these; if it cannot decode them the file is refused.
_STILL_IMAGE_BRANDS: Final = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"mif1", b"msf1", b"avif", b"avis"}
)
# QuickTime files that predate ``ftyp`` start with one of these atoms.
_QUICKTIME_ATOMS: Final = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})
_EBML_MAGIC: Final = b"\x1a\x45\xdf\xa3"  # WebM / Matroska

MSG_NOT_IMAGE_OR_VIDEO = _(
    "The file is not an image or video. Only images and videos can be hashed as evidence."
)
MSG_UNDECODABLE = _("The image could not be decoded; it may be damaged or incomplete.")
MSG_TOO_MANY_PIXELS = _("The image is too large to hash (more than %(limit)s pixels).")
MSG_TOO_LARGE = _("The file is larger than %(limit)s bytes.")
MSG_EMPTY = _("The file is empty.")
MSG_NOT_IN_MEMORY = _("The file could not be received in memory and was refused.")


@dataclass(frozen=True, slots=True)
class FileHashes:
    """What is kept of a file: hashes, never content.

    ``sha256`` (64) and ``md5`` (32) are lower-case hex of the exact bytes received;
    ``size_bytes`` their count; ``content_kind`` ``"image"`` or ``"video"``; ``pdq`` 64
    lower-case hex chars and ``pdq_quality`` 0–100 for images, ``""``/``None`` otherwise.
    """

    sha256: str
    md5: str
    size_bytes: int
    content_kind: str
    pdq: str = ""
    pdq_quality: int | None = None


def max_image_pixels() -> int:
    """Largest width × height decoded (``EVIDENCE_MAX_IMAGE_PIXELS``, else Pillow's
    decompression-bomb threshold, about 89 megapixels)."""
    limit = getattr(settings, "EVIDENCE_MAX_IMAGE_PIXELS", None)
    return int(limit or Image.MAX_IMAGE_PIXELS or 89_478_485)


def pdq_bits_to_hex(bits: npt.ArrayLike) -> str:
    """256 PDQ bits (0/1, in order) → 64 lower-case hex digits, first bit most significant.

    Same as python-threatexchange's ``PdqSignal``: the bit string read as one binary
    number, zero-padded to 64 hex digits.
    """
    array = np.asarray(bits, dtype=np.uint8).reshape(-1)
    if array.size != 256 or array.max(initial=0) > 1:
        raise ValueError("a PDQ hash is 256 bits of 0 or 1")
    return np.packbits(array).tobytes().hex()


def sniff_video(head: bytes, size: int) -> bool:
    """True if ``head`` (the first 16 bytes of a ``size``-byte file) starts an MP4/MOV/3GP
    (ISO base media or QuickTime) or a WebM/Matroska container.

    For ISO/QuickTime the first box's declared length must also fit the file, so text
    that happens to read "....free" at offset 4 is not taken for a video.
    """
    if head.startswith(_EBML_MAGIC):
        return True
    if len(head) < 12:
        return False
    box_size = int.from_bytes(head[0:4], "big")
    box_fits = box_size == 1 or 8 <= box_size <= size  # 1: a 64-bit size follows
    if head[4:8] == b"ftyp":
        return box_fits and head[8:12].isascii() and head[8:12] not in _STILL_IMAGE_BRANDS
    return box_fits and head[4:8] in _QUICKTIME_ATOMS


@sensitive_variables("data", "chunk", "image", "rgb", "pixels", "fileobj")
def hash_stream(fileobj: IO[bytes], *, max_bytes: int) -> FileHashes:
    """Hash an image or video held in memory, then drop it.

    ``fileobj`` is an ``InMemoryUploadedFile`` (or any binary file-like object, e.g. a
    ``BytesIO`` in tests); it is read in chunks of ``CHUNK_BYTES``, at most ``max_bytes``
    bytes, and closed before returning. Images (JPEG, PNG, GIF, WebP, BMP, TIFF, AVIF)
    get PDQ + quality computed from ``Image.open(...).convert("RGB")`` as a uint8
    H×W×3 array (``shared/fixtures/pdq/README.md``); videos (MP4, MOV, WebM) only
    SHA-256 and MD5.

    Raises ``django.core.exceptions.ValidationError`` on ``file`` (HTTP 400) when the
    upload was spooled to disk, is empty, exceeds ``max_bytes``, is neither an image nor
    a video (DESIGN rule 1: any other upload is refused), cannot be decoded, or has more
    than ``max_image_pixels()`` pixels (decompression bomb).
    """
    data = bytearray()
    try:
        if isinstance(fileobj, TemporaryUploadedFile):
            # Already on disk: closing a TemporaryUploadedFile deletes its file.
            raise _refuse(MSG_NOT_IN_MEMORY, "not_in_memory")
        sha256 = hashlib.sha256()
        md5 = hashlib.md5(usedforsecurity=False)  # an identifier platforms ask for
        if hasattr(fileobj, "seek"):
            fileobj.seek(0)
        while chunk := fileobj.read(CHUNK_BYTES):
            if len(data) + len(chunk) > max_bytes:
                raise _refuse(MSG_TOO_LARGE % {"limit": max_bytes}, "too_large")
            sha256.update(chunk)
            md5.update(chunk)
            data += chunk
            del chunk
        if not data:
            raise _refuse(MSG_EMPTY, "empty")

        size = len(data)
        if sniff_video(bytes(data[:16]), size):
            return FileHashes(
                sha256=sha256.hexdigest(),
                md5=md5.hexdigest(),
                size_bytes=size,
                content_kind=CONTENT_VIDEO,
            )
        pdq, quality = _pdq_of(data)
        return FileHashes(
            sha256=sha256.hexdigest(),
            md5=md5.hexdigest(),
            size_bytes=size,
            content_kind=CONTENT_IMAGE,
            pdq=pdq,
            pdq_quality=quality,
        )
    finally:
        # Overwrite, then let go: the buffer may sit in freed memory otherwise.
        data[:] = bytes(len(data))
        del data
        close = getattr(fileobj, "close", None)
        if close is not None:
            close()


@sensitive_variables("data", "stream", "image", "rgb", "pixels")
def _pdq_of(data: bytearray) -> tuple[str, int]:
    """PDQ hash (64 hex) and quality of the image in ``data``; ``ValidationError`` if it is
    not an image, cannot be decoded, or is a decompression bomb."""
    stream = BytesIO(data)
    image = rgb = pixels = None
    try:
        try:
            image = Image.open(stream, formats=IMAGE_FORMATS)
        except UnidentifiedImageError:
            raise _refuse(MSG_NOT_IMAGE_OR_VIDEO, "not_image_or_video") from None
        except Image.DecompressionBombError:
            raise _too_many_pixels() from None
        except (OSError, ValueError, SyntaxError):
            raise _refuse(MSG_UNDECODABLE, "undecodable") from None
        # Checked from the header, before any pixel is decoded: a tiny file can declare
        # a huge canvas. Pillow only warns below twice its threshold, so check here.
        width, height = image.size
        if width * height > max_image_pixels():
            raise _too_many_pixels()
        try:
            rgb = image.convert("RGB")
            pixels = np.asarray(rgb, dtype=np.uint8)
            bits, quality = pdqhash.compute(pixels)
        except Image.DecompressionBombError:
            raise _too_many_pixels() from None
        except (OSError, ValueError, SyntaxError, MemoryError, EOFError):
            raise _refuse(MSG_UNDECODABLE, "undecodable") from None
        return pdq_bits_to_hex(bits), int(quality)
    finally:
        del pixels
        for obj in (rgb, image):
            if obj is not None:
                obj.close()
        stream.close()


def _refuse(message: StrOrPromise, code: str) -> ValidationError:
    """A 400 on the ``file`` field, with a machine-readable ``code``."""
    return ValidationError({"file": ValidationError(message, code=code)})


def _too_many_pixels() -> ValidationError:
    return _refuse(MSG_TOO_MANY_PIXELS % {"limit": max_image_pixels()}, "too_many_pixels")
