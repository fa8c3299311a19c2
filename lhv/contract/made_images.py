"""Images the harness makes itself: a white square (an image, never a photo of skin) and a decompression bomb."""

from __future__ import annotations

import struct
import zlib

BOMB_SIZE = (8000, 6000)  # 48 megapixels: above any sane per-image pixel budget, a few kB compressed


def decompression_bomb(width: int = BOMB_SIZE[0], height: int = BOMB_SIZE[1]) -> bytes:
    """A valid 1-bit greyscale PNG of width × height white pixels (a few kilobytes)."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    row = b"\x00" + b"\xff" * ((width + 7) // 8)  # filter byte "none", then the packed pixels
    pixels = zlib.compress(row * height, 9)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def blank_png(side: int = 64) -> bytes:
    """A readable PNG of one white square: an image, but never a usable photo of skin."""
    return decompression_bomb(side, side)
