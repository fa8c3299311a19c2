"""An ASGI middleware that lets a fault rewrite an answer while seeing the request that asked for it.

The request body is remembered as the route reads it (up to a bound), never read ahead, so the
body limit and streaming stay as they are; only the answers a fault wants are held back whole
and passed through its rewrite, the rest stream through untouched.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

ECHO_KEPT = 64 * 1024  # what a rewrite of small bodies (logins, registrations, errors) needs of a request


@dataclass(frozen=True)
class Asked:
    """The request as a rewrite sees it: method, path, lower-case headers, and its body as far as remembered."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON, or None when it is none (or was only partly remembered)."""
        return _json_or_none(self.body)


@dataclass(frozen=True)
class Answer:
    """An answer held back for a rewrite: status, raw headers (without Content-Length) and whole body."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        return _json_or_none(self.body)

    def with_json(self, value: Any, status: int | None = None) -> Answer:
        """The same answer with a JSON body (and, given one, another status)."""
        headers = tuple((k, v) for k, v in self.headers if k.lower() != b"content-type")
        return replace(self, status=self.status if status is None else status, body=json.dumps(value).encode(),
                       headers=(*headers, (b"content-type", b"application/json")))

    def with_headers(self, *added: tuple[bytes, bytes]) -> Answer:
        """The same answer with more headers."""
        return replace(self, headers=(*self.headers, *added))


Wants = Callable[[str, str, int], bool]  # (method, path, status) → hold this answer back for the rewrite
Rewrite = Callable[[Asked, Answer], Answer]


class AnswerRewriting:
    """ASGI middleware: the answers `wants` picks pass through `rewrite`, which sees the request too."""

    def __init__(self, app: Any, wants: Wants, rewrite: Rewrite, kept: int = ECHO_KEPT) -> None:
        self.app, self.wants, self.rewrite, self.kept = app, wants, rewrite, kept

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        received = bytearray()
        started: dict | None = None
        chunks: list[bytes] = []

        async def remembering() -> dict:
            message = await receive()
            if message["type"] == "http.request" and len(received) < self.kept:
                received.extend(message.get("body", b"")[:self.kept - len(received)])
            return message

        async def rewriting(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start" and self.wants(method, path, message["status"]):
                started = message
                return
            if started is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            kept = tuple((k, v) for k, v in started.get("headers", []) if k.lower() != b"content-length")
            answer = self.rewrite(Asked(method, path, headers, bytes(received)),
                                  Answer(started["status"], kept, b"".join(chunks)))
            await send({**started, "status": answer.status,
                        "headers": [*answer.headers, (b"content-length", str(len(answer.body)).encode())]})
            await send({"type": "http.response.body", "body": answer.body})

        await self.app(scope, remembering, rewriting)


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None
