"""Sliding-window rate limits of the reference device (CONTRACT.md §4), with their faults."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from lhv.device.context import DeviceContext

ANONYMOUS_ROUTES = {("GET", "/"), ("POST", "/login")}
EXEMPT_PATHS = {"/health"}


@dataclass(frozen=True)
class Decision:
    """Whether one request may pass, how many the key sent in the window, and when to retry."""

    allowed: bool
    count: int
    retry_after: int


@dataclass
class _History:
    accepted: deque[float] = field(default_factory=deque)
    attempts: deque[float] = field(default_factory=deque)
    refused_once: bool = False


class SlidingWindow:
    """At most `limit` accepted requests per key in any `window_s` seconds."""

    def __init__(self, limit: int, window_s: float, *, never_resets: bool = False,
                 clock: Callable[[], float] = time.monotonic):
        self.limit, self.window = limit, window_s
        self.never_resets = never_resets  # the fault: once refused, a key's requests never leave the window
        self._clock = clock
        self._keys: dict[str, _History] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> Decision:
        """Counts one request for key and decides whether it passes."""
        now = self._clock()
        with self._lock:
            history = self._keys.setdefault(key, _History())
            horizon = now - self.window
            while history.attempts and history.attempts[0] <= horizon:
                history.attempts.popleft()
            if not (self.never_resets and history.refused_once):
                while history.accepted and history.accepted[0] <= horizon:
                    history.accepted.popleft()
            history.attempts.append(now)
            if len(history.accepted) < self.limit:
                history.accepted.append(now)
                return Decision(True, len(history.attempts), 0)
            history.refused_once = True
            oldest = history.accepted[-self.limit]
            return Decision(False, len(history.attempts), max(1, math.ceil(oldest + self.window - now)))


@dataclass(frozen=True)
class _Scope:
    name: str
    key: str
    user: str | None
    window: SlidingWindow


class RateLimits:
    """Picks the scope of a request (anonymous per IP, authenticated per subject) and its window."""

    def __init__(self, ctx: DeviceContext):
        settings, self.ctx = ctx.settings, ctx
        extra = 10 if ctx.has("limit-off-by-ten") else 0
        never_resets = ctx.has("limit-never-resets")
        self.anonymous = SlidingWindow(settings.anonymous_limit + extra, settings.rate_window_seconds,
                                       never_resets=never_resets)
        self.authenticated = SlidingWindow(settings.authenticated_limit + extra, settings.rate_window_seconds,
                                           never_resets=never_resets or ctx.has("user-limit-never-resets"))

    def scope_of(self, request: Request) -> _Scope | None:
        """Returns the limit a request counts against, or None when it is not limited."""
        path = request.url.path
        if path in EXEMPT_PATHS and not self.ctx.has(f"cover:limit:{request.method}{path}"):
            return None
        if self.ctx.has(f"cover:{request.method}{path}"):
            return None  # a generated mutant: this route left out of its limit
        if (request.method, path) in ANONYMOUS_ROUTES or path in EXEMPT_PATHS:
            if self.ctx.has("no-anonymous-limit"):
                return None
            client = request.client.host if request.client else "unknown"
            key = "shared" if self.ctx.has("key:anonymous:shared") else f"ip:{client}"
            return _Scope("anonymous", key, None, self.anonymous)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        subject = self.ctx.tokens.subject(token.strip()) if scheme.lower() == "bearer" and token else None
        if subject is None or self.ctx.has("no-authenticated-limit"):
            return None  # no valid token: the route answers 401 itself
        key = ("shared" if self.ctx.has("shared-user-budget") else
               f"token:{token.strip()}" if self.ctx.has("key:authenticated:token") else f"sub:{subject}")
        return _Scope("authenticated", key, subject, self.authenticated)


def install_rate_limits(app: FastAPI, ctx: DeviceContext) -> None:
    """Adds the rate-limit middleware: 429 with Retry-After and one log line per violation."""
    app.add_middleware(RateLimiting, limits=RateLimits(ctx))


class RateLimiting:
    """Answers 429 to a request over its limit, before the routes (plain ASGI: Starlette's http middleware costs a
    task and a stream per request)."""

    def __init__(self, app: ASGIApp, limits: RateLimits):
        self.app, self.limits, self.ctx = app, limits, limits.ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        limited = self.limits.scope_of(request)
        decision = limited.window.hit(limited.key) if limited is not None else None
        if decision is None or decision.allowed:
            await self.app(scope, receive, send)
            return
        await self._refusal(request, limited, decision)(scope, receive, send)

    def _refusal(self, request: Request, limited: _Scope, decision: Decision) -> JSONResponse:
        ctx = self.ctx
        if not ctx.has("violations-not-logged"):
            fields = {"client_ip": request.client.host if request.client else None, "user": limited.user,
                      "method": request.method, "path": request.url.path, "limit": limited.window.limit,
                      "window": ctx.settings.rate_window_seconds, "count": decision.count}
            if ctx.has("log-missing-user"):
                fields.pop("user")
            if ctx.has("log-proxy-address"):
                fields["client_ip"] = "10.0.0.2"  # the reverse proxy's address, not the client's
            ctx.log.write("rate_limit_exceeded", **fields)
        return JSONResponse({"detail": f"Rate limit exceeded: at most {limited.window.limit} requests per "
                                       f"{ctx.settings.rate_window_seconds:g} s ({limited.name})"},
                            status_code=429, headers={"Retry-After": str(decision.retry_after)})
