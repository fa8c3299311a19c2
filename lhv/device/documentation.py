"""The device-wide parts of the reference device's generated OpenAPI document.

Routes document what they answer themselves; what every route answers because of the
device-wide layers is added here, from the same facts those layers act on: bearer routes
(401 with WWW-Authenticate, and the bearer security scheme), request bodies (413 over the
limit) and rate-limited routes (429 with Retry-After).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from lhv.device.context import DeviceContext
from lhv.device.ratelimit import ANONYMOUS_ROUTES, EXEMPT_PATHS

BEARER_SCHEME = {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
BEARER = "x-lhv-bearer"  # openapi_extra flag of routes that check the token themselves (not by dependency)
_MESSAGE = {"application/json": {"schema": {"type": "object", "required": ["detail"],
                                            "properties": {"detail": {"type": "string"}}}}}
_RETRY_AFTER = {"Retry-After": {"required": True, "schema": {"type": "integer", "minimum": 0}}}
DEVICE_WIDE = {
    "401": {"description": "Missing, invalid or expired bearer token",
            "headers": {"WWW-Authenticate": {"required": True, "schema": {"type": "string"}}}, "content": _MESSAGE},
    "413": {"description": "The request body is over the device's limit", "content": _MESSAGE},
    "429": {"description": "Over the rate limit", "headers": _RETRY_AFTER, "content": _MESSAGE},
}


def install_documentation(app: FastAPI, ctx: DeviceContext) -> None:
    """Makes app.openapi() add the device-wide responses and the bearer scheme to the routes' own document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            _document_device_wide(document, _bearer_routes(app, ctx))
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, also inside included routers (the device includes its routers without a prefix)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(getattr(route, "original_router", None), "routes", None) or getattr(route, "routes", None)
        if inner:
            yield from _api_routes(inner)


def _bearer_routes(app: FastAPI, ctx: DeviceContext) -> set[tuple[str, str]]:
    found = set()
    for route in _api_routes(app.routes):
        checks_token = any(dependency.call == ctx.require_user for dependency in route.dependant.dependencies)
        if checks_token or (route.openapi_extra or {}).get(BEARER):
            found |= {(method, route.path) for method in route.methods}
    return found


def _document_device_wide(document: dict[str, Any], bearer: set[tuple[str, str]]) -> None:
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            operation.pop(BEARER, None)
            key = (method.upper(), path)
            added = []
            if key in bearer:
                operation["security"] = [{"bearer": []}]
                added.append("401")
            if "requestBody" in operation:
                added.append("413")
            if path not in EXEMPT_PATHS and (key in bearer or key in ANONYMOUS_ROUTES):
                added.append("429")
            for status in added:
                responses.setdefault(status, DEVICE_WIDE[status])
    document.setdefault("components", {}).setdefault("securitySchemes", {}).update(BEARER_SCHEME)
