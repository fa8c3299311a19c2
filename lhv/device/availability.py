"""Availability faults of the reference device (PLAN_018): flapping, dropped health requests, slow health answers,
a down window."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

from fastapi import FastAPI

from lhv.device.context import DeviceContext

AVAILABILITY_FAULTS = ("flapping", "drops-every-tenth-health-request", "slow-health", "down-window")
HEALTH_PATH = "/health"
# flapping: request number n is dropped when n % FLAP_EVERY == FLAP_PHASE, so any FLAP_EVERY consecutive
# requests hold exactly one drop (2 %); counting beats chance here: a six-second probe window must see it.
FLAP_EVERY = 50
FLAP_PHASE = 25
# drops-every-tenth-health-request: /health request number n (counting /health alone) gets 503 when
# n % HEALTH_DROP_EVERY == 0, as when one worker of ten behind a round-robin balancer is wedged. Counting /health
# alone keeps the prober's share exact: once the soak ends, every tenth of its consecutive probes is dropped.
HEALTH_DROP_EVERY = 10
# down-window: down from DOWN_AFTER_S after the first /health request (when a load balancer would first
# see the device) for DOWN_FOR_S.
DOWN_AFTER_S = 1.0
DOWN_FOR_S = 2.0
# slow-health: /health answers this many probe timeouts late.
SLOW_FACTOR = 1.5

_Scope = dict[str, Any]


def flap_drop(number: int) -> str | None:
    """Returns how flapping treats the request with this 1-based number: "503", "reset" or None (served)."""
    if number % FLAP_EVERY != FLAP_PHASE:
        return None
    return "503" if (number // FLAP_EVERY) % 2 == 0 else "reset"


class AvailabilityFaults:
    """ASGI middleware that makes the device flap, drop /health requests, answer /health late, or go down a while."""

    def __init__(self, app: Any, ctx: DeviceContext) -> None:
        self.app, self.ctx = app, ctx
        self._numbers = itertools.count(1)
        self._health_numbers = itertools.count(1)
        self._first_health: float | None = None

    async def __call__(self, scope: _Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        health = scope["path"] == HEALTH_PATH
        if health and self._first_health is None:
            self._first_health = time.monotonic()
        if self.ctx.has("down-window") and self._in_down_window():
            await _unavailable(send)
            return
        if self.ctx.has("flapping"):
            drop = flap_drop(next(self._numbers))
            if drop == "503":
                await _unavailable(send)
                return
            if drop == "reset":
                await _drop_connection(send)
                return
        if health and self.ctx.has("drops-every-tenth-health-request") \
                and next(self._health_numbers) % HEALTH_DROP_EVERY == 0:
            await _unavailable(send)
            return
        if self.ctx.has("slow-health") and health:
            await asyncio.sleep(self.ctx.settings.probe_timeout_seconds * SLOW_FACTOR)
        await self.app(scope, receive, send)

    def _in_down_window(self) -> bool:
        if self._first_health is None:
            return False
        since = time.monotonic() - self._first_health
        return DOWN_AFTER_S <= since < DOWN_AFTER_S + DOWN_FOR_S


async def _unavailable(send: Any) -> None:
    body = json.dumps({"detail": "Service unavailable"}).encode()
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _drop_connection(send: Any) -> None:
    # The ASGI app cannot reach the socket: it starts a response and returns without its body, and the
    # server closes the connection, which the client sees as a connection cut mid-answer.
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")]})


def install_availability_faults(app: FastAPI, ctx: DeviceContext) -> None:
    """Adds the availability-fault middleware, outermost, when one of its faults is switched on."""
    if any(ctx.has(fault) for fault in AVAILABILITY_FAULTS):
        app.add_middleware(AvailabilityFaults, ctx=ctx)
