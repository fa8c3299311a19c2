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
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import FastAPI

from lhv.device.context import DeviceContext

FAULT = "echo-credentials"
ECHOED_STATUSES = (401, 422)
_KEPT_BODY = 64 * 1024  # what the middleware remembers of a request body
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


class EchoCredentials:
    """ASGI middleware of the fault: remembers each request's body and adds the echo to a refusal's JSON body."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        received = bytearray()
        started: dict | None = None
        chunks: list[bytes] = []

        async def remembering() -> dict:
            message = await receive()
            if message["type"] == "http.request" and len(received) < _KEPT_BODY:
                received.extend(message.get("body", b"")[:_KEPT_BODY - len(received)])
            return message

        async def echoing(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start" and message["status"] in ECHOED_STATUSES:
                started = message
                return
            if started is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = _with_echo(b"".join(chunks), bytes(received), headers)
            kept = [(k, v) for k, v in started.get("headers", []) if k.lower() != b"content-length"]
            await send({**started, "headers": kept + [(b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, remembering, echoing)


def _with_echo(answer: bytes, request_body: bytes, headers: dict[str, str]) -> bytes:
    echo = echoes(request_body, headers.get("content-type", ""), headers.get("authorization", ""))
    try:
        value = json.loads(answer)
    except ValueError:
        return answer
    if not echo or not isinstance(value, dict):
        return answer
    return json.dumps({**value, "echo": echo}, ensure_ascii=True).encode("ascii")


def install_echo_fault(app: FastAPI, ctx: DeviceContext) -> None:
    """Adds the echoing middleware when the fault is switched on."""
    if ctx.has(FAULT):
        app.add_middleware(EchoCredentials)
