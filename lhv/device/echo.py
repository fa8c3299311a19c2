"""Fault `echo-credentials`: a refusal (401, 422) echoes the password and bearer token it was sent.

A debugging aid left on: the error body gains an `echo` object carrying the submitted password
and token in every form a careless serializer or template gives them: as values and as keys, as
JSON text inside a value, HTML-escaped, percent-encoded, base64 and base64url, and the whole
request body and Authorization header in base64 (so each sits inside a longer base64 text). The body
is written with ASCII escapes (\\uXXXX), so a password outside ASCII arrives JSON-escaped.
"""

from __future__ import annotations

import base64
import html
import json
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import FastAPI

from lhv.device.context import DeviceContext
from lhv.device.exchange import Answer, AnswerRewriting, Asked

FAULT = "echo-credentials"
ECHOED_STATUSES = (401, 422)
_ECHOED_BODY = 4 * 1024  # a body echoed in base64 whole (a small login or registration)


def _password(body: bytes, content_type: str) -> str | None:
    text = body.decode("utf-8", "replace")
    if "x-www-form-urlencoded" in content_type:
        return (parse_qs(text, keep_blank_values=True).get("password") or [None])[0]
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    password = value.get("password") if isinstance(value, dict) else None
    return password if isinstance(password, str) else None


def _token(authorization: str) -> str | None:
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def echoes(body: bytes, content_type: str, authorization: str) -> dict[str, Any]:
    """The echo of a request's credentials, in every form; empty when it carried none."""
    echo: dict[str, Any] = {}
    for label, secret in (("password", _password(body, content_type)), ("token", _token(authorization))):
        if not secret:
            continue
        raw = secret.encode("utf-8")
        echo |= {f"submitted_{label}": secret, secret: f"the submitted {label}",
                 f"{label}_as_json": json.dumps({label: secret}), f"{label}_html": f"<p>{html.escape(secret)}</p>",
                 f"{label}_url": quote(secret, safe=""), f"{label}_base64": base64.b64encode(raw).decode("ascii"),
                 f"{label}_base64url": base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")}
    if echo and body and len(body) <= _ECHOED_BODY:
        echo["request_body_base64"] = base64.b64encode(body).decode("ascii")
    if echo and authorization:
        echo["authorization_base64"] = base64.b64encode(authorization.encode("utf-8")).decode("ascii")
    return echo


def _with_echo(answer: bytes, request_body: bytes, headers: dict[str, str]) -> bytes:
    echo = echoes(request_body, headers.get("content-type", ""), headers.get("authorization", ""))
    try:
        value = json.loads(answer)
    except ValueError:
        return answer
    if not echo or not isinstance(value, dict):
        return answer
    return json.dumps({**value, "echo": echo}, ensure_ascii=True).encode("ascii")


def _echoed(asked: Asked, answer: Answer) -> Answer:
    return replace(answer, body=_with_echo(answer.body, asked.body, asked.headers))


def install_echo_fault(app: FastAPI, ctx: DeviceContext) -> None:
    """Adds the echoing middleware when the fault is switched on: it sees each request's body and rewrites refusals."""
    if ctx.has(FAULT):
        app.add_middleware(AnswerRewriting, wants=lambda method, path, status: status in ECHOED_STATUSES,
                           rewrite=_echoed)
