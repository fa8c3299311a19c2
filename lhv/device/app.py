"""The reference device's FastAPI application."""

from __future__ import annotations

import math
import traceback

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lhv.device.availability import install_availability_faults
from lhv.device.body_limit import install_body_limit
from lhv.device.conformance import install_conformance_faults
from lhv.device.context import DeviceContext
from lhv.device.disclosure import install_disclosure_faults
from lhv.device.documentation import install_documentation
from lhv.device.echo import install_echo_fault
from lhv.device.injection import install_injection_faults, rendered
from lhv.device.mutants import install_mutants
from lhv.device.ratelimit import install_rate_limits
from lhv.device.routes_auth import auth_router
from lhv.device.routes_core import core_router

HSTS = "max-age=31536000; includeSubDomains"


def create_app(ctx: DeviceContext) -> FastAPI:
    """Builds the device's HTTPS application with its routes, error shapes and headers."""
    app = FastAPI(title="Legit.Health Plus API (reference device)", version=ctx.settings.device_version,
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(core_router(ctx))
    app.include_router(auth_router(ctx))
    app.include_router(_clinical_router(ctx))
    _install_error_handlers(app, ctx)
    install_body_limit(app, ctx)  # innermost: a streamed body's 413 is raised where the route reads it
    install_echo_fault(app, ctx)  # fault `echo-credentials`: sees the body as the route read it
    install_injection_faults(app, ctx)  # injection and contract-document faults: inside the limits and headers
    install_conformance_faults(app, ctx)
    install_rate_limits(app, ctx)  # added before the headers: 429s carry HSTS too
    _install_headers(app, ctx)
    install_disclosure_faults(app, ctx)
    install_mutants(app, ctx)  # generated mutants (selftest): they see every answer but a dropped one
    install_availability_faults(app, ctx)  # outermost: a dropped request skips everything
    install_documentation(app, ctx)
    install_route_map(app, ctx)  # around it all: every layer sees the device's own paths
    return app


MOVED_AWAY = "/.lhv-route-moved"  # where a request to a default route the layout moved goes: nothing serves it


def install_route_map(app: FastAPI, ctx: DeviceContext) -> None:
    """Serves each intent at the route the settings' route map gives (a profile's [routes]) instead of its default.

    The routers, limits, faults and mutants all know the device's default paths, so a request is translated at
    the edge: at a mapped route it reaches the default route's handler; at a default route the map moved it finds
    nothing (404), as on a deployment of that layout. The generated OpenAPI document names the mapped routes.
    """
    if not ctx.settings.routes:
        return
    from lhv.contract.dialects import DIALECTS
    from lhv.contract.dialects.base import moved_paths

    if ctx.settings.dialect not in DIALECTS:
        raise ValueError(f"the device has no route defaults for the {ctx.settings.dialect!r} dialect to move")
    moves = DIALECTS[ctx.settings.dialect](ctx.settings.routes).moved()
    app.add_middleware(RouteMap, moves=moves)
    ctx.log = MappedLog(ctx.log, {old[1]: new[1] for old, new in moves.items()})  # type: ignore[assignment]
    generate = app.openapi

    def openapi() -> dict:
        document = generate()
        if not getattr(app, "_lhv_routes_moved", False):
            document["paths"] = moved_paths(document.get("paths", {}), moves)
            app._lhv_routes_moved = True  # type: ignore[attr-defined]
        return document

    app.openapi = openapi  # type: ignore[method-assign]


class MappedLog:
    """The device's log, naming the path a request was sent to (the mapped one), not the default that served it."""

    def __init__(self, log, outward: dict[str, str]):
        self._log, self._outward = log, outward

    def write(self, event: str, **fields) -> None:
        """Writes the event with a default path as the mapped path the client sent."""
        if fields.get("path") in self._outward:
            fields["path"] = self._outward[fields["path"]]
        self._log.write(event, **fields)

    def __getattr__(self, name: str):
        return getattr(self._log, name)


class RouteMap:
    """ASGI layer that takes requests at mapped routes to the default routes that serve them."""

    def __init__(self, app, moves: dict[tuple[str, str], tuple[str, str]]):
        self.app = app
        self.inward = {new: old for old, new in moves.items()}  # (method, mapped path) → (method, default path)
        self.paths = {new[1]: old[1] for old, new in moves.items()}  # a mapped path, any method → its default path
        self.gone = {old[1] for old in moves} - set(self.paths)  # default paths nothing is mapped to any more
        self.gone_keys = set(moves) - set(self.inward)  # default routes moved to another method at the same path

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            key = (scope["method"], scope["path"])
            if key in self.inward:
                method, path = self.inward[key]
                scope = {**scope, "method": method, "path": path, "raw_path": path.encode()}
            elif scope["path"] in self.gone or key in self.gone_keys:
                scope = {**scope, "path": MOVED_AWAY, "raw_path": MOVED_AWAY.encode()}
            elif scope["path"] in self.paths:  # a mapped path asked with another method: 405 as at the default
                path = self.paths[scope["path"]]
                scope = {**scope, "path": path, "raw_path": path.encode()}
        await self.app(scope, receive, send)


def _clinical_router(ctx: DeviceContext):
    """The clinical routes in the dialect the device was started with (settings.dialect)."""
    if ctx.settings.dialect == "v2":
        from lhv.device.routes_clinical_v2 import clinical_router_v2

        return clinical_router_v2(ctx)
    if ctx.settings.dialect == "v1":
        from lhv.device.routes_clinical_v1 import clinical_router_v1

        return clinical_router_v1(ctx)
    if ctx.settings.dialect != "plan":
        raise ValueError(f"the reference device serves the plan or the v2 dialect, not {ctx.settings.dialect!r}")
    from lhv.device.routes_clinical import clinical_router

    return clinical_router(ctx)


def _install_error_handlers(app: FastAPI, ctx: DeviceContext) -> None:
    # Fault `stack-trace-errors` (a debug mode left on): every error body carries the traceback of its exception.
    def traced(body: dict, exc: Exception) -> dict:
        return {**body, "trace": traceback.format_exception(exc)} if ctx.has("stack-trace-errors") else body

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(traced({"detail": exc.detail}, exc), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _jsonable(exc.errors())
        if ctx.has("template-evaluated-errors"):  # the fault: messages pass through a template renderer
            errors = rendered(errors)
        return JSONResponse(traced({"detail": errors}, exc), status_code=422)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> JSONResponse:
        ctx.log.write("server_error", path=request.url.path, error=type(exc).__name__)
        return JSONResponse(traced({"detail": "Internal server error"}, exc), status_code=500)


def _install_headers(app: FastAPI, ctx: DeviceContext) -> None:
    app.add_middleware(SecurityHeaders, ctx=ctx)


class SecurityHeaders:
    """Sets HSTS (unless the fault no-hsts), nosniff and no-store on every answer that passes through it (plain
    ASGI: Starlette's http middleware costs a task and a stream per request)."""

    def __init__(self, app: ASGIApp, ctx: DeviceContext):
        self.app, self.ctx = app, ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if not self.ctx.has("no-hsts"):
                    headers["Strict-Transport-Security"] = HSTS
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _jsonable(errors: list[dict]) -> list[dict]:
    out = []
    for error in errors:
        item = {k: v for k, v in error.items() if k in ("type", "loc", "msg", "input")}
        if "input" in item:
            item["input"] = _echoable(item["input"])
        out.append(item)
    return out


def _echoable(value: object) -> object:
    """An error's input as JSON can carry it: bytes as text, and 1e999 or NaN (parsed as inf, nan) as text."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {key: _echoable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_echoable(item) for item in value]
    return value
