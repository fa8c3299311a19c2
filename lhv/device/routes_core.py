"""Unauthenticated and informational routes: /, /health, /device-information."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from lhv.device.context import DeviceContext
from lhv.device.users import User


def core_router(ctx: DeviceContext) -> APIRouter:
    """Returns the router of the API root, liveness and device information."""
    router = APIRouter()

    @router.get("/")
    def root() -> dict:
        return {"name": "Legit.Health Plus API (reference device)", "version": ctx.settings.device_version}

    @router.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    @router.get("/device-information")
    def device_information(user: User = Depends(ctx.require_user)) -> dict:
        return {"name": "Legit.Health Plus (reference device)",
                "manufacturer": "lhv verification harness (stand-in for AI LABS GROUP S.L.)",
                "version": ctx.settings.device_version,
                "udi": f"(01)00000000000000(10){ctx.settings.device_version}"}

    return router
