"""A curl command line for a recorded exchange: what a reader runs to send the request again.

It is built from the exchange as the record keeps it, so it is already redacted: a bearer token
becomes `$LHV_TOKEN` (export a fresh token as LHV_TOKEN to run it), passwords stay
`[REDACTED password]`, and image data shows as its size and hash (the run's seed regenerates it).
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from lhv.core.evidence import Exchange
from lhv.core.secrets import SECRETS

BODY_LIMIT = 4000  # characters of a body shown on the line
_LEFT_OUT = {"content-length", "connection", "accept-encoding", "host", "user-agent", "accept",
             "x-schemathesis-testcaseid"}


def curl_line(exchange: Exchange, ca_file: str | None = None) -> str:
    """Returns `curl …` sending the exchange's request (token, passwords and image data redacted)."""
    parts = ["curl", "-sS", "-X", exchange.method, shlex.quote(SECRETS.redact(exchange.url))]
    if ca_file:
        parts += ["--cacert", shlex.quote(ca_file)]
    for name, value in exchange.request_headers.items():
        if name.lower() in _LEFT_OUT:
            continue
        if name.lower() == "authorization":
            parts += ["-H", _authorization(value)]
        else:
            parts += ["-H", shlex.quote(f"{name}: {SECRETS.redact(value)}")]
    body = _body_text(exchange.request_body)
    if body:
        parts += ["--data-binary", shlex.quote(body)]
    return " ".join(parts)


def _authorization(value: str) -> str:
    """A bearer token (or anything redacted) becomes $LHV_TOKEN, in double quotes so the shell expands it."""
    scheme, _, credential = value.partition(" ")
    if "REDACTED" in value or scheme.lower() == "bearer" and SECRETS.redact(credential) != credential:
        return '"Authorization: Bearer $LHV_TOKEN"'
    return shlex.quote(f"Authorization: {SECRETS.redact(value)}")


def _body_text(body: Any) -> str:
    if body is None or body == "":
        return ""
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    text = SECRETS.redact(text)
    return text if len(text) <= BODY_LIMIT else text[:BODY_LIMIT] + f"…[{len(text) - BODY_LIMIT} more characters]"
