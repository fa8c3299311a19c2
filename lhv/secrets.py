"""Keeps the run's secrets and removes them, and image data, from anything written."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_LONG_BASE64 = re.compile(r"(?:data:[\w/+.-]+;base64,)?[A-Za-z0-9+/_-]{200,}={0,2}")
# The start of a JPEG or PNG in base64, however short: a device's elided echo ("/9j/4AAQ…2wB...") is image
# data too, even when it is too short for the long-base64 pattern.
_IMAGE_HEAD = re.compile(r"(?:/9j/|iVBORw0KGgo)[A-Za-z0-9+/_-]*={0,2}(?:\.\.\.|…)?")
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")
# Password hashes in a known format (PHC, modular crypt, Django, werkzeug) are redacted on sight: a device
# may echo one the harness never read.
_PASSWORD_HASH = re.compile(
    r"(?:\$(?:argon2id|argon2i|argon2d|2[aby]|scrypt|pbkdf2(?:-sha(?:1|256|512))?|7)\$"
    r"|\b(?:pbkdf2_sha(?:1|256|512)|scrypt|bcrypt(?:_sha256)?|argon2)\$"
    r"|\b(?:pbkdf2:sha(?:1|256|512):\d+|scrypt:\d+:\d+:\d+)\$)[^\s\"'<>]+")


def image_digest(data: str | bytes) -> str:
    """Returns the stand-in for image data: its size and SHA-256 prefix."""
    raw = data.encode() if isinstance(data, str) else data
    return f"[image data: {len(raw)} chars, sha256 {hashlib.sha256(raw).hexdigest()[:16]}]"


class SecretBook:
    """Holds every secret the run has seen; redacts them from text and JSON."""

    def __init__(self) -> None:
        self._secrets: dict[str, str] = {}
        self._images: set[str] = set()

    def add(self, value: str | None, kind: str) -> None:
        """Registers a secret (and its common encodings) under a label."""
        if not value or len(value) < 4:
            return
        self._secrets[value] = kind
        for encoded in (base64.b64encode(value.encode()).decode(),
                        value.replace("@", "%40"),
                        _form_encode(value)):
            if encoded != value:
                self._secrets[encoded] = kind

    def add_image(self, data: str | None) -> None:
        """Registers image text as sent, for forms the base64 pattern misses (wrapped lines, raw bytes)."""
        if data and len(data) >= 64:
            self._images.add(data)

    def values(self) -> list[str]:
        """Returns the raw secrets, for scans that prove none leaked."""
        return list(self._secrets)

    def redact(self, text: str) -> str:
        """Returns text with secrets, bearer tokens, JWTs and image data replaced."""
        for image in sorted(self._images, key=len, reverse=True):
            if image in text:
                text = text.replace(image, image_digest(image))
        for value in sorted(self._secrets, key=len, reverse=True):
            if value in text:
                text = text.replace(value, f"[REDACTED {self._secrets[value]}]")
        text = _BEARER.sub(r"\1[REDACTED token]", text)
        text = _PASSWORD_HASH.sub("[REDACTED password hash]", text)
        text = _JWT.sub("[REDACTED token]", text)
        text = _LONG_BASE64.sub(lambda m: image_digest(m.group(0)), text)
        return _IMAGE_HEAD.sub(lambda m: f"[image data: {len(m.group(0))} chars, elided]", text)

    def redact_json(self, value: Any) -> Any:
        """Returns a copy of a JSON value with every string redacted."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, list):
            return [self.redact_json(v) for v in value]
        if isinstance(value, dict):
            return {k: self.redact_json(v) for k, v in value.items()}
        return value


def _form_encode(value: str) -> str:
    from urllib.parse import quote_plus

    return quote_plus(value)


SECRETS = SecretBook()
