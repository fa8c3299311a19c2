"""Named checks of replies: statuses, headers, error details, tokens; each records its outcome and raises on a miss."""

from __future__ import annotations

import base64
import json
from typing import Any

from lhv.checks.outcomes import require
from lhv.core.http import Reply
from lhv.core.secrets import SECRETS

_SHAPES: list[Any] = []  # the run's documented reply shapes (lhv.contract.reply_shapes.ReplyShapes), when installed


def judge_reply_shapes(shapes: Any | None) -> None:
    """Makes status_is also judge each reply against its documented shape (None: stop judging)."""
    _SHAPES[:] = [shapes] if shapes is not None else []


def _shown(text: str, width: int = 120) -> str:
    """Returns a reply body for a message: redacted whole, then cut (no part of a secret survives the cut)."""
    return repr(SECRETS.redact(text)[:width])


def _describe(reply: Reply) -> str:
    return f"{reply.exchange.method} {reply.exchange.url} → {reply.status}"


def status_is(reply: Reply, *expected: int) -> None:
    """The reply's status is one of expected."""
    allowed = " or ".join(map(str, expected))
    require("status-is", reply.status in expected, f"{_describe(reply)}, expected {allowed}",
            f"{_describe(reply)} (expected {allowed})")
    if _SHAPES and not reply.truncated:
        problems = _SHAPES[0].problems(reply.exchange.method, reply.exchange.url, reply.status, reply.text,
                                       reply.headers.get("content-type", ""))
        if problems is not None:
            require("reply-documented", not problems,
                    f"{_describe(reply)}: the body breaks its documented shape: {'; '.join(problems[:4])}",
                    f"{_describe(reply)}: body as documented")


def header_present(reply: Reply, header: str) -> str:
    """The reply carries a header; returns its value."""
    value = reply.headers.get(header)
    require("header-present", value is not None, f"{_describe(reply)} has no {header} header",
            f"{header}: {value}")
    return value or ""


def detail_list(reply: Reply) -> list:
    """The reply is a validation error with a non-empty detail list."""
    body = reply.json()
    ok = isinstance(body, dict) and isinstance(body.get("detail"), list) and len(body["detail"]) > 0
    require("detail-list", ok, f"{_describe(reply)}: body has no non-empty detail list",
            f"detail list with {len(body['detail']) if ok else 0} error(s)")
    return body["detail"]


def no_token_in(reply: Reply) -> None:
    """The reply carries no access token."""
    try:
        body = reply.json()
    except Exception:  # a non-JSON body cannot carry a JSON token field
        body = None
    leaked = isinstance(body, dict) and "access_token" in body
    require("no-token", not leaked, f"{_describe(reply)} returned an access token", "no access token in the reply")


def same_body(first: Reply, second: Reply, what: str) -> None:
    """Two replies have identical status and body (no enumeration through differences)."""
    same = first.status == second.status and first.text == second.text
    require("same-body", same,
            f"{what}: replies differ ({first.status} {_shown(first.text)} vs {second.status} {_shown(second.text)})",
            f"{what}: identical status {first.status} and body")


def jwt_claims(token: str) -> dict:
    """Returns a JWT's claims without verifying it; raises CheckFailed if it is not a JWT."""
    parts = token.split(".")
    claims = None
    if len(parts) == 3 and all(parts[:2]):
        try:
            claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except ValueError:
            claims = None
    require("jwt-shape", isinstance(claims, dict),
            f"token is not a JWT: {len(parts)} dot-separated part(s), payload not a base64url JSON object",
            "three parts; payload is a JSON object")
    return claims


def jwt_header(token: str) -> dict:
    """Returns a JWT's header without verifying it ({} when it is not readable)."""
    try:
        header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=" * (-len(token.split(".")[0]) % 4)))
    except ValueError:
        return {}
    return header if isinstance(header, dict) else {}
