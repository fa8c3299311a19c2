"""Plain-HTTP steps shared by PLAN_004 and the integration checklist: send over HTTP, judge the redirect."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from lhv.checks.outcomes import require
from lhv.contract.dialects.base import Route
from lhv.core.http import ConnectionRefused, Reply
from lhv.session.accounts import Accounts
from lhv.session.clinic import Clinic
from lhv.session.target import Api, Target

REDIRECTS = (301, 302, 307, 308)  # any of them is a conformant redirect to HTTPS


@dataclass(frozen=True)
class PlainRoute:
    """A route's plain-HTTP URL, and the host and path its redirect must name over HTTPS."""

    url: str
    https_host: str
    expected_path: str

    @property
    def https_target(self) -> str:
        return f"https://{self.https_host}…{self.expected_path}"


def valid_request(api: Api, clinic: Clinic, accounts: Accounts, intent: str, token: str | None) \
        -> tuple[Route, dict[str, Any]]:
    """(route, request keywords) that exercise an intent as a legitimate client would: real credentials, the token
    given and a valid body, so that a refusal can only be about what the plan changes (transport, token)."""
    route = api.dialect.route(intent)
    if intent == "login":
        return route, {"form": api.dialect.login_form(accounts.user.username, accounts.user.password)}
    kwargs: dict[str, Any] = {"token": token} if route.needs_token else {}
    if intent == "register":
        identity = accounts.new_identity("valid-request")
        kwargs["json_body"] = api.dialect.registration_body(identity.username, identity.password, None)
    elif route.method in ("POST", "PUT", "PATCH"):
        valid = clinic.payloads(intent, valid=True)
        kwargs["json_body"] = valid[0].resolved(clinic.images_dir) if valid else {}
    return route, kwargs


def plain_route(target: Target, route: Route) -> PlainRoute:
    """Returns where a route is over plain HTTP and where its redirect must point."""
    https = urlsplit(target.base_url)
    return PlainRoute(target.http_url.rstrip("/") + target.profile.target.version_prefix + route.path,
                      https.hostname or "", https.path.rstrip("/") + route.path)


def send_plain(api: Api, route: Route, plain: PlainRoute, check: str, **kwargs) -> Reply | None:
    """Sends a route over plain HTTP; a refused connection passes the check and gives None."""
    try:
        return api.client.request(route.method, route.path, url=plain.url, **kwargs)
    except ConnectionRefused as exc:
        require(check, True, "", f"refused: {exc}")
        return None


def require_https_redirect_or_refusal(reply: Reply, plain: PlainRoute, check: str) -> None:
    """Requires a redirect to the same host and path over HTTPS, or a 4xx refusal."""
    if reply.status in REDIRECTS:
        location = urlsplit(reply.headers.get("Location", ""))
        same = location.scheme == "https" and location.path == plain.expected_path \
            and (location.hostname or "").lower() == plain.https_host.lower()
        require(check, same, f"{reply.status} to {reply.headers.get('Location')!r}, not to {plain.https_target}",
                f"{reply.status} to {reply.headers.get('Location')}")
    else:
        require(check, 400 <= reply.status < 500,
                f"plain HTTP answered {reply.status} ({len(reply.text)} bytes): it serves the API without TLS",
                f"refused with {reply.status}")
