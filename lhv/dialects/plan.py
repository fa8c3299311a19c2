"""The plan dialect: the request and response shapes PLAN_001–PLAN_019 were written against."""

from __future__ import annotations

from lhv.checks import require
from lhv.dialects.base import DeviceInfo, Dialect, Route, TokenGrant
from lhv.http import Reply
from lhv.secrets import SECRETS


class PlanDialect(Dialect):
    """CONTRACT.md §2–§8."""

    name = "plan"
    routes = {
        "root": Route("GET", "/", False),
        "health": Route("GET", "/health", False),
        "device_information": Route("GET", "/device-information", True),
        "login": Route("POST", "/login", False),
        "register": Route("POST", "/users", True),
        "diagnose": Route("POST", "/diagnosis-support", True),
        "assess_severity": Route("POST", "/severity-assessment", True),
    }

    def login_form(self, username: str, password: str) -> dict[str, str]:
        return {"username": username, "password": password}

    def registration_body(self, username: str, password: str, role: str | None) -> dict:
        return {"email": username, "password": password} | ({"role": role} if role else {})

    def read_token(self, reply: Reply) -> TokenGrant:
        body = reply.json()
        require("login-reply-shape", isinstance(body, dict) and isinstance(body.get("access_token"), str),
                f"login reply lacks a string access_token (keys: {sorted(body) if isinstance(body, dict) else type(body).__name__})")
        SECRETS.add(body["access_token"], "token")
        minutes = body.get("expires_in_minutes")
        return TokenGrant(body["access_token"], str(body.get("token_type", "")),
                          int(minutes * 60) if isinstance(minutes, (int, float)) else None)

    def read_device_info(self, reply: Reply) -> DeviceInfo:
        body = reply.json()
        require("device-information-shape", isinstance(body, dict) and "version" in body,
                "device information lacks a version")
        return DeviceInfo(str(body.get("name", "")), str(body.get("manufacturer", "")), str(body["version"]),
                          body.get("udi"))
