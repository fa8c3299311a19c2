"""Broken authentication (OWASP API2:2023): missing, malformed and forged tokens on every route that needs a token."""

from __future__ import annotations

import base64

from lhv.core.http import Reply
from lhv.scanners.reports import Severity
from lhv.security import forgery
from lhv.security.probe import Probe
from lhv.security.registry import Found, security_check

REFUSED = (401, 403)


def _refused(reply: Reply, route: str, what: str) -> None:
    if reply.status not in REFUSED:
        verb = "accepted" if 200 <= reply.status < 300 else "answered"
        raise Found(f"{route} {verb} {what}: {reply.status}, expected 401 (or 403)", reply)


def _each_bearer_route(probe: Probe, tokens: dict[str, str]) -> None:
    """Sends each token (label → token) with a valid request to every route that needs one; each must be refused."""
    for intent, route in probe.bearer_routes():
        sample = probe.sample(intent)
        for label, token in tokens.items():
            reply = probe.send_sample(sample, headers={"Authorization": f"Bearer {token}"})
            _refused(reply, f"{route.method} {route.path}", f"a token with {label}")


@security_check("missing-token-accepted", area="tokens", severity=Severity.CRITICAL, owasp="API2:2023",
                title="A route that needs a token answers without a valid one")
def missing_or_malformed_token(probe: Probe) -> None:
    """Every route that needs a token refuses (401) a request without Authorization, with an empty or non-JWT token,
    and with Basic credentials."""
    basic = base64.b64encode(f"{probe.user.username}:lhv-not-the-password".encode()).decode()
    attempts = {"no Authorization header": None, "an empty token": "Bearer",
                "a token that is not a JWT": "Bearer lhv-not-a-token", "Basic credentials": f"Basic {basic}"}
    for intent, route in probe.bearer_routes():
        sample = probe.sample(intent)
        for label, value in attempts.items():
            reply = probe.send_sample(sample, headers={"Authorization": value} if value else None)
            _refused(reply, f"{route.method} {route.path}", label)


@security_check("jwt-alg-none-accepted", area="tokens", severity=Severity.CRITICAL, owasp="API2:2023",
                title="A token with alg none (no signature) is accepted")
def alg_none(probe: Probe) -> None:
    """Every route that needs a token refuses the user's claims under `alg: none` (spelt none and None) without
    a signature."""
    genuine = probe.token()
    _each_bearer_route(probe, {f"alg {spelling} and no signature": forgery.alg_none(genuine, spelling)
                               for spelling in ("none", "None")})


@security_check("jwt-signature-not-verified", area="tokens", severity=Severity.CRITICAL, owasp="API2:2023",
                title="A token whose signature does not verify is accepted")
def forged_signature(probe: Probe) -> None:
    """Every route that needs a token refuses the user's token with its signature stripped or tampered with, the
    same claims signed with a foreign key, the claims' exp moved an hour back, and the sub swapped for another
    account's (signature kept). Genuine expiry is PLAN_002's."""
    genuine = probe.token()
    tokens = {label: make(genuine) for label, make in forgery.SIGNATURE_FORGERIES.items()}
    for other in probe.other_usernames()[:1] or [probe.stranger.username]:
        tokens["sub swapped for another account, signature kept"] = forgery.swapped_subject(genuine, other)
    _each_bearer_route(probe, tokens)
