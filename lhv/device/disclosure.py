"""Faults that disclose what a device should not: its server software, and its API to any web origin.

* `server-version-header`: every response names the server software and its version
  (`Server: uvicorn/…`, `X-Powered-By: FastAPI/…`), as a default server configuration does.
* `cors-wildcard-credentials`: every response allows any origin (`*`) with credentials, and
  preflight requests (OPTIONS with Access-Control-Request-Method) are answered 200 for any origin.

The clean device sends no CORS headers at all: the contract's clients are apps and servers, not
browser pages of other origins.
"""

from __future__ import annotations

import platform
from importlib import metadata
from typing import Any

from fastapi import FastAPI

from lhv.device.context import DeviceContext

DISCLOSURE_FAULTS = ("server-version-header", "cors-wildcard-credentials")


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "0"


class Disclosure:
    """ASGI middleware adding the disclosing headers of the switched-on faults."""

    def __init__(self, app: Any, ctx: DeviceContext) -> None:
        self.app, self.ctx = app, ctx
        self.extra: list[tuple[bytes, bytes]] = []
        if ctx.has("server-version-header"):
            self.extra += [(b"server", f"uvicorn/{_version('uvicorn')} Python/{platform.python_version()}".encode()),
                           (b"x-powered-by", f"FastAPI/{_version('fastapi')}".encode())]
        self.cors = ctx.has("cors-wildcard-credentials")
        if self.cors:
            self.extra += [(b"access-control-allow-origin", b"*"), (b"access-control-allow-credentials", b"true")]

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if self.cors and scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            await send({"type": "http.response.start", "status": 200, "headers": self.extra + [
                (b"access-control-allow-methods", b"GET, POST, PUT, DELETE, OPTIONS"),
                (b"access-control-allow-headers", headers.get(b"access-control-request-headers", b"*")),
                (b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return

        async def with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *self.extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


def install_disclosure_faults(app: FastAPI, ctx: DeviceContext) -> None:
    """Adds the disclosure middleware when one of its faults is switched on."""
    if any(ctx.has(fault) for fault in DISCLOSURE_FAULTS):
        app.add_middleware(Disclosure, ctx=ctx)
