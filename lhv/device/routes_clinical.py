"""Clinical routes: not implemented yet in this build of the reference device."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from lhv.device.context import DeviceContext
from lhv.device.users import User


def clinical_router(ctx: DeviceContext) -> APIRouter:
    """Returns routes that answer 501 until the clinical domain is wired in."""
    router = APIRouter()

    @router.post("/diagnosis-support")
    @router.post("/severity-assessment")
    def not_implemented(user: User = Depends(ctx.require_user)) -> JSONResponse:
        return JSONResponse({"detail": "Not implemented in this reference device build"}, status_code=501)

    return router
