"""The reference device's FastAPI application."""

from __future__ import annotations

import traceback

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from lhv.device.availability import install_availability_faults
from lhv.device.context import DeviceContext
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
    install_rate_limits(app, ctx)  # added before the headers: 429s carry HSTS too
    _install_headers(app, ctx)
    install_availability_faults(app, ctx)  # outermost: a dropped request skips everything
    return app


def _clinical_router(ctx: DeviceContext):
    from lhv.device.routes_clinical import clinical_router

    return clinical_router(ctx)


def _install_error_handlers(app: FastAPI, ctx: DeviceContext) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _jsonable(exc.errors())}, status_code=422)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> JSONResponse:
        ctx.log.write("server_error", path=request.url.path, error=type(exc).__name__)
        if ctx.has("stack-trace-errors"):
            return JSONResponse({"detail": traceback.format_exc()}, status_code=500)
        return JSONResponse({"detail": "Internal server error"}, status_code=500)


def _install_headers(app: FastAPI, ctx: DeviceContext) -> None:
    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > ctx.settings.max_body_bytes:
            response = JSONResponse({"detail": "Request body too large"}, status_code=413)
        else:
            response = await call_next(request)
        if not ctx.has("no-hsts"):
            response.headers["Strict-Transport-Security"] = HSTS
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        return response


def _jsonable(errors: list[dict]) -> list[dict]:
    out = []
    for error in errors:
        item = {k: v for k, v in error.items() if k in ("type", "loc", "msg", "input")}
        if isinstance(item.get("input"), bytes):
            item["input"] = item["input"].decode("utf-8", "replace")
        out.append(item)
    return out
