"""Login and user registration."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from lhv.device.context import DeviceContext
from lhv.device.documentation import BEARER
from lhv.device.registration import NewUser
from lhv.device.users import User

_BAD_LOGIN = {"detail": "Incorrect username or password"}
_MESSAGE = {"application/json": {"schema": {"type": "object", "required": ["detail"],
                                            "properties": {"detail": {"type": "string"}}}}}
_LOGIN_RESPONSES = {
    401: {"description": "Wrong password or unknown user (one body for both)", "content": _MESSAGE},
    423: {"description": "The account is locked after repeated failed logins",
          "headers": {"Retry-After": {"required": True, "schema": {"type": "integer", "minimum": 0}}},
          "content": _MESSAGE},
}
_REGISTRATION_RESPONSES = {
    403: {"description": "Only administrators may register users", "content": _MESSAGE},
    409: {"description": "A user with this e-mail already exists", "content": _MESSAGE},
    422: {"description": "The registration breaks the contract",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}},
}


def auth_router(ctx: DeviceContext) -> APIRouter:
    """Returns the router of /login and /users."""
    router = APIRouter()

    @router.post("/login", responses=_LOGIN_RESPONSES)
    def login(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()]):
        if ctx.has("5xx-on-unicode"):
            _legacy_store(username, password)
        client_ip = request.client.host if request.client else "unknown"
        lock_key = ctx.lockout.key(username, client_ip)
        locked_for = ctx.lockout.seconds_left(lock_key)
        if locked_for:
            ctx.log.write("login_locked", client_ip=client_ip, user=username)
            return JSONResponse({"detail": "Account locked after repeated failed logins"}, status_code=423,
                                headers={"Retry-After": str(locked_for)})
        user = ctx.users.authenticate(username, password)
        if user is None and ctx.has("token-for-wrong-password"):
            user = ctx.users.find(username)
        if user is None:
            ctx.lockout.failed(lock_key)
            ctx.log.write("login_failed", client_ip=client_ip, user=username)
            known = ctx.users.find(username) is not None
            body = _BAD_LOGIN if known or not ctx.has("user-enumeration") else {"detail": "User not found"}
            return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        ctx.lockout.succeeded(lock_key)
        ctx.log.write("login_succeeded", client_ip=client_ip, user=user.email,
                      **({"password": password} if ctx.has("echo:password-logged") else {}))
        return {"access_token": ctx.tokens.issue(user.email), "token_type": "bearer",
                "expires_in_minutes": max(1, round(ctx.settings.token_lifetime_seconds / 60))}

    @router.post("/users", status_code=201, responses=_REGISTRATION_RESPONSES, openapi_extra={
        BEARER: True, "requestBody": {"required": True, "content": {"application/json": {
            "schema": NewUser.model_json_schema()}}}})
    async def register(request: Request):
        caller = _caller_or_none(ctx, request)
        try:
            body = NewUser.model_validate_json(await request.body())
        except ValidationError as exc:
            raise RequestValidationError([_without_password(e) for e in exc.errors(include_url=False)]) from None
        if ctx.has("5xx-on-unicode"):
            _legacy_store(body.email, body.password)
        if not ctx.has("open-registration"):
            if caller is None:
                raise HTTPException(401, "Could not validate credentials", headers={"WWW-Authenticate": "Bearer"})
            if caller.role != "admin" and not (ctx.has("role-escalation") and body.role == "admin"):
                raise HTTPException(403, "Only administrators may register users")
        try:
            role = "admin" if ctx.has("default-role-admin") and "role" not in body.model_fields_set else body.role
            user = ctx.users.add(body.email, body.password, role)
        except KeyError:
            raise HTTPException(409, "A user with this e-mail already exists") from None
        ctx.log.write("user_registered", user=user.email, role=user.role,
                      by=caller.email if caller else None)
        created = {"id": user.id, "email": user.email, "role": user.role}
        if ctx.has("registration-echoes-hash"):
            created["password_hash"] = user.password_hash
        return created

    return router


def _legacy_store(*fields: str) -> None:
    """The defect of fault `5xx-on-unicode`: credentials pass through a store that only speaks ASCII."""
    for value in fields:
        value.encode("ascii")  # UnicodeEncodeError → 500 for any character outside ASCII


def _without_password(error: dict) -> dict:
    """Returns a validation error located under the body, never echoing a password it was given."""
    located = {**error, "loc": ("body", *error["loc"])}
    if "password" in error["loc"] or isinstance(error.get("input"), dict):  # a missing field echoes the whole body
        located.pop("input", None)
    return located


def _caller_or_none(ctx: DeviceContext, request: Request) -> User | None:
    try:
        return ctx.require_user(request)
    except HTTPException:
        return None
