"""Small files built in memory for the intake tests: images, a video header, a bomb."""

from __future__ import annotations

import os
import struct
import zlib
from io import BytesIO

from PIL import Image, PngImagePlugin

# ISO base media file headers: an ``ftyp`` box (size, "ftyp", brand, minor, compatible).
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x00\x00\x08free"
MOV_HEAD = b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + b"\x00\x00\x00\x08wide"
WEBM_HEAD = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01" + b"\x42\x82\x84webm"


def png_bytes(*, size=(32, 32), color=(200, 30, 60), text: dict[str, str] | None = None) -> bytes:
    """A PNG with a gradient (so PDQ has something to hash) and optional tEXt chunks."""
    image = Image.new("RGB", size, color)
    for x in range(size[0]):
        for y in range(size[1]):
            image.putpixel((x, y), ((x * 7) % 256, (y * 5) % 256, color[2]))
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    out = BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def noisy_png(*, size=(128, 128)) -> bytes:
    """A PNG of random pixels: incompressible, so its size is about 3 × width × height."""
    out = BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(out, format="PNG")
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height`` pixels (a decompression bomb
    in miniature: a few hundred bytes that would decode to gigabytes)."""
    data = bytearray(png_bytes(size=(1, 1)))
    # IHDR data starts at 16 (8 signature + 4 length + 4 type); its CRC follows 13 bytes.
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)
