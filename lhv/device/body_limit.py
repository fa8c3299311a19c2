"""The request-body limit of the reference device (CONTRACT.md §1: over the limit → 413), with its fault.

The limit holds whether or not the client declares a Content-Length: a declared length over the
limit is refused before the body is read, and a chunked body is counted as it arrives, so the
route reading it gets a 413 the moment the count passes the limit.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from starlette.exceptions import HTTPException

from lhv.device.context import DeviceContext

TOO_LARGE = "Request body too large"


class BodyTooLarge(HTTPException):
    """The body passed the limit while it was read: answered 413 by the device's error handler."""

    def __init__(self) -> None:
        super().__init__(413, TOO_LARGE)


class BodyLimit:
    """ASGI middleware: 413 for bodies over the device's limit, declared or streamed.

    Fault `oversized-body-crash`: no limit is checked; the body is buffered until the receive
    buffer (the same size) overflows, and the route reading it fails with a 500.
    """

    def __init__(self, app: Any, ctx: DeviceContext) -> None:
        self.app, self.ctx = app, ctx

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, crash = self.ctx.settings.max_body_bytes, self.ctx.has("oversized-body-crash")
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if not crash and declared.isdigit() and int(declared) > limit:
            await _too_large(send)
            return
        received, started = 0, False

        async def counted() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    if crash:
                        raise MemoryError(f"request body overflows the {limit}-byte receive buffer")
                    raise BodyTooLarge()
            return message

        async def watched(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(send)


async def _too_large(send: Any) -> None:
    body = json.dumps({"detail": TOO_LARGE}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def install_body_limit(app: FastAPI, ctx: DeviceContext) -> None:
    """Adds the body-limit middleware (install it first: innermost, next to the routes that read bodies)."""
    app.add_middleware(BodyLimit, ctx=ctx)
