"""Strict decoding of a media entry (CONTRACT.md §5): standard base64 of a JPEG or PNG matching its type."""

from __future__ import annotations

import base64
import io
import re
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image

from lhv.contract.tables import CONTENT_TYPES
from lhv.device import switches

ANALYSIS_SIDE = 128  # the longest side, in pixels, the stand-in AI looks at
MAX_PIXELS = 40_000_000  # larger images are refused before decoding (decompression bombs)
BASE64_ONLY = "Only base64 data is allowed"  # the real device's message

_MAGIC = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}
_PILLOW_FORMAT = {"image/jpeg": "JPEG", "image/png": "PNG"}
_STANDARD = re.compile(r"[A-Za-z0-9+/]*")
_URL_SAFE = re.compile(r"[A-Za-z0-9_-]*")
_WHITESPACE = re.compile(r"\s")

# Which request field a rejection points at; every other reason points at `data`.
_CONTENT_TYPE_REASONS = frozenset({"unsupported_content_type"})


class ImageRejected(ValueError):
    """A media entry that is not standard base64 of a usable JPEG or PNG of its declared type."""

    def __init__(self, reason_code: str, message: str) -> None:
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message

    @property
    def field(self) -> str:
        """The media entry's field the rejection is about: "data" or "contentType"."""
        return "contentType" if self.reason_code in _CONTENT_TYPE_REASONS else "data"


@dataclass(frozen=True)
class DecodedImage:
    """A decoded image: RGB pixels downscaled for analysis, and what was received."""

    pixels: np.ndarray  # uint8, height × width × 3, longest side ≤ ANALYSIS_SIDE
    content_type: str
    width: int  # of the image as received
    height: int
    byte_size: int


def _accepted(reason: str) -> bool:
    """A generated mutant (accept:image:<reason>) drops this rule: the device decodes leniently instead."""
    return switches.on(f"accept:image:{reason}")


def decode_base64(data: object) -> bytes:
    """Decodes standard, canonical, padded base64 (RFC 4648 §4); raises ImageRejected otherwise."""
    if not isinstance(data, str):
        raise ImageRejected("not_base64", f"{BASE64_ONLY}: data must be a base64 string")
    if _accepted("not_base64") and data[:5].lower() != "data:" and not _URL_SAFE.fullmatch(data.rstrip("=")) \
            and not _STANDARD.fullmatch(_WHITESPACE.sub("", data).rstrip("=")):
        return data.encode("latin-1", "replace")  # the text taken as the image's bytes
    if data[:5].lower() == "data:":
        if not _accepted("data_uri"):
            raise ImageRejected("data_uri", f"{BASE64_ONLY}: remove the data: URI prefix")
        data = data.partition(",")[2]
    if _WHITESPACE.search(data):
        if not _accepted("whitespace"):
            raise ImageRejected("whitespace", f"{BASE64_ONLY}: the data contains whitespace or line breaks")
        data = _WHITESPACE.sub("", data)
    if _accepted("bad_padding") and len(data.rstrip("=")) % 4:
        data = data.rstrip("=") + "=" * (-len(data.rstrip("=")) % 4)
    if _accepted("url_safe_alphabet"):
        data = data.replace("-", "+").replace("_", "/")

    body = data.rstrip("=")
    padding = len(data) - len(body)
    if "=" in body:
        raise ImageRejected("bad_padding", f"{BASE64_ONLY}: padding (=) may only end the data")
    if not _STANDARD.fullmatch(body):
        if _URL_SAFE.fullmatch(body):
            raise ImageRejected("url_safe_alphabet", f"{BASE64_ONLY}: the URL-safe alphabet (- and _) is not allowed")
        raise ImageRejected("not_base64", f"{BASE64_ONLY}: the data contains characters outside the base64 alphabet")
    if len(data) % 4 or padding > 2:
        raise ImageRejected("bad_padding", f"{BASE64_ONLY}: the data is not correctly padded with =")
    decoded = base64.b64decode(data, validate=True)
    # Non-zero bits in the last quantum's unused positions mean the text is not the encoding of any bytes.
    if base64.b64encode(decoded).decode("ascii") != data:
        raise ImageRejected("bad_padding", f"{BASE64_ONLY}: the data has non-zero padding bits")
    return decoded


def sniff_type(raw: bytes) -> str | None:
    """The content type the bytes' magic number shows, or None."""
    return next((content_type for content_type, magic in _MAGIC.items() if raw.startswith(magic)), None)


def decode_media(content_type: object, data: object) -> DecodedImage:
    """Decodes a media entry; raises ImageRejected with a reason code when it is not acceptable."""
    if content_type not in CONTENT_TYPES and not _accepted("unsupported_content_type"):
        raise ImageRejected("unsupported_content_type",
                            f"contentType must be one of {', '.join(CONTENT_TYPES)}")
    raw = decode_base64(data)
    sniffed = sniff_type(raw)
    if sniffed is None:
        raise ImageRejected("not_an_image", "The data is base64 but not of a JPEG or PNG image")
    if sniffed != content_type and not _accepted("type_mismatch") and not _accepted("unsupported_content_type"):
        raise ImageRejected("type_mismatch", f"contentType is {content_type} but the data is a {sniffed} image")
    return _decode_pixels(raw, sniffed)


def _decode_pixels(raw: bytes, content_type: str) -> DecodedImage:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw), formats=[_PILLOW_FORMAT[content_type]])
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageRejected("too_large", f"The image has more than {MAX_PIXELS} pixels")
            image.draft("RGB", (ANALYSIS_SIDE, ANALYSIS_SIDE))  # JPEG only: decode at a reduced scale
            image.load()
    except ImageRejected:
        raise
    except Exception:  # Pillow raises many types on malformed files; none may become a 5xx
        # Pillow's own message may name internals; the rejection keeps to a fixed text.
        raise ImageRejected("undecodable", f"The {content_type} image cannot be decoded") from None
    rgb = image.convert("RGB")
    rgb.thumbnail((ANALYSIS_SIDE, ANALYSIS_SIDE), Image.Resampling.BOX)
    return DecodedImage(np.asarray(rgb, dtype=np.uint8).copy(), content_type, width, height, len(raw))
