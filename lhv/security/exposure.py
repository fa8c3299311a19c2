"""Security misconfiguration (OWASP API8:2023): verbose errors, headers, CORS and HTTP methods."""

from __future__ import annotations

import re
import secrets

from lhv.core.http import Reply
from lhv.core.secrets import SECRETS, encodings
from lhv.scanners.reports import Severity
from lhv.security.probe import Probe
from lhv.security.registry import Found, security_check

HSTS_MIN_AGE = 15_552_000  # CONTRACT.md §1: 180 days
FOREIGN_ORIGIN = "https://lhv-attacker.example"
VERBOSE = {
    "a stack trace": re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|"
                                r"\bat [\w.$]+\([\w]+\.(java|kt|cs|js|ts):\d+\)|\bstack ?trace\b", re.IGNORECASE),
    "SQL": re.compile(r"\bsqlite3?\b|SQLSTATE|\bSELECT\b.+\bFROM\b|psycopg|ORA-\d{5}|OperationalError", re.IGNORECASE),
    "a file path": re.compile(r"(/usr/(local/)?lib/python|site-packages/|dist-packages/|/home/\w+/|/var/www/|"
                              r"/opt/\w+/|[A-Z]:\\\\(Users|Program Files|inetpub|Windows))"),
    "a framework version": re.compile(r"\b(uvicorn|gunicorn|starlette|fastapi|werkzeug|django|flask|express|nginx|"
                                      r"apache|php|python|node)[/ ]v?\d+\.\d+", re.IGNORECASE),
}
VERSIONED_HEADERS = ("Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version", "X-Runtime",
                     "X-Generator")
_VERSION = re.compile(r"\d+\.\d+")
UNDOCUMENTED_METHODS = ("PUT", "PATCH", "DELETE")


def _error_replies(probe: Probe) -> list[tuple[str, Reply]]:
    """Provokes the errors any client can: unknown route, wrong method, no token, broken JSON, a malformed login."""
    replies = [("an unknown route", probe.send(("GET", "/lhv-no-such-route"))),
               ("a wrong method", probe.send(("DELETE", probe.route("root").path)))]
    bearer = probe.bearer_routes()
    if bearer:
        intent, route = bearer[0]
        replies.append(("no token", probe.send_sample(probe.sample(intent))))
    for sample in probe.samples_with_bodies():
        if sample.json_body is not None and sample.route.needs_token:
            replies.append(("broken JSON", probe.send(sample.route, token=probe.token(), content=b'{"lhv": ',
                                                      headers={"Content-Type": "application/json"})))
            break
    if "login" in probe.dialect.routes:
        replies.append(("a login without its password", probe.send(probe.route("login"), form={"username": "lhv"})))
    return replies


@security_check("verbose-error-body", area="exposure", severity=Severity.MEDIUM, owasp="API8:2023",
                title="An error body reveals the device's insides")
def verbose_errors(probe: Probe) -> None:
    """Error answers (unknown route, wrong method, no token, broken JSON, malformed login) are JSON and carry no
    stack trace, SQL, file path or framework version (CONTRACT.md §8)."""
    for what, reply in _error_replies(probe):
        if "json" not in reply.headers.get("content-type", ""):
            raise Found(f"the error for {what} ({reply.status}) is not JSON "
                        f"({reply.headers.get('content-type', 'no content type')})", reply)
        for kind, pattern in VERBOSE.items():
            match = pattern.search(reply.text)
            if match:
                raise Found(f"the error for {what} ({reply.status}) shows {kind}: {match.group(0)[:80]!r}", reply)


def _ordinary_replies(probe: Probe) -> list[tuple[str, Reply]]:
    """A valid request to every route of the dialect (with a token where it needs one), and an unknown route."""
    replies = []
    for intent, route in probe.paths():
        sample = probe.sample(intent)
        replies.append((f"{route.method} {route.path}", probe.send(
            route, token=probe.token() if route.needs_token else None, json_body=sample.json_body, form=sample.form)))
    replies.append(("an unknown route", probe.send(("GET", "/lhv-no-such-route"))))
    return replies


@security_check("server-version-disclosed", area="exposure", severity=Severity.LOW, owasp="API8:2023",
                title="A response header names the server software's version")
def server_version(probe: Probe) -> None:
    """No answer names its server software with a version (Server, X-Powered-By, X-AspNet-Version, …)."""
    for what, reply in _ordinary_replies(probe):
        for header in VERSIONED_HEADERS:
            value = reply.headers.get(header)
            if value and _VERSION.search(value):
                raise Found(f"the answer to {what} carries {header}: {value}", reply)


@security_check("security-headers-missing", area="exposure", severity=Severity.MEDIUM, owasp="API8:2023",
                title="A response lacks HSTS or X-Content-Type-Options")
def security_headers(probe: Probe) -> None:
    """Every answer (ordinary and error) carries Strict-Transport-Security with max-age ≥ 15552000 and
    X-Content-Type-Options: nosniff."""
    for what, reply in _ordinary_replies(probe):
        hsts = reply.headers.get("strict-transport-security", "")
        age = re.search(r"max-age=(\d+)", hsts)
        if not age or int(age.group(1)) < HSTS_MIN_AGE:
            raise Found(f"the answer to {what} has Strict-Transport-Security {hsts or 'missing'!r}, expected "
                        f"max-age ≥ {HSTS_MIN_AGE}", reply)
        if reply.headers.get("x-content-type-options", "").lower() != "nosniff":
            raise Found(f"the answer to {what} lacks X-Content-Type-Options: nosniff", reply)


def _cors_replies(probe: Probe, origin: str) -> list[tuple[str, Reply]]:
    replies = [("GET /", probe.send(probe.route("root"), headers={"Origin": origin}))]
    bearer = probe.bearer_routes()
    if bearer:
        _, route = bearer[-1]
        replies.append((f"a preflight of {route.method} {route.path}",
                        probe.send(("OPTIONS", route.path), headers={
                            "Origin": origin, "Access-Control-Request-Method": route.method,
                            "Access-Control-Request-Headers": "authorization, content-type"})))
    return replies


@security_check("cors-wildcard-with-credentials", area="exposure", severity=Severity.HIGH, owasp="API8:2023",
                title="CORS allows any origin together with credentials")
def cors_wildcard(probe: Probe) -> None:
    """No answer (simple request or preflight from a foreign origin) combines Access-Control-Allow-Origin: * with
    Access-Control-Allow-Credentials: true."""
    for what, reply in _cors_replies(probe, FOREIGN_ORIGIN):
        allowed = reply.headers.get("access-control-allow-origin", "")
        if allowed.strip() == "*" and reply.headers.get("access-control-allow-credentials", "").lower() == "true":
            raise Found(f"the answer to {what} from {FOREIGN_ORIGIN} allows origin * with credentials", reply)


@security_check("cors-origin-reflected", area="exposure", severity=Severity.HIGH, owasp="API8:2023",
                title="CORS allows an arbitrary origin by echoing it")
def cors_reflection(probe: Probe) -> None:
    """No answer to a foreign origin (or to Origin: null) names that origin in Access-Control-Allow-Origin."""
    for origin in (FOREIGN_ORIGIN, "null"):
        for what, reply in _cors_replies(probe, origin):
            if reply.headers.get("access-control-allow-origin", "").strip() == origin:
                raise Found(f"the answer to {what} allows the arbitrary origin {origin}", reply)


@security_check("trace-enabled", area="exposure", severity=Severity.MEDIUM, owasp="API8:2023",
                title="TRACE is answered (it echoes requests, credentials included)")
def trace(probe: Probe) -> None:
    """TRACE on the API root and on the login route is refused (a 4xx, never a 2xx echo)."""
    for intent in ("root", "login"):
        if intent not in probe.dialect.routes:
            continue
        path = probe.route(intent).path
        reply = probe.send(("TRACE", path), headers={"X-Lhv-Trace": "lhv-trace-marker"})
        if not 400 <= reply.status < 500 or "lhv-trace-marker" in reply.text:
            raise Found(f"TRACE {path} got {reply.status}" + (" and echoed the request" if "lhv-trace-marker"
                                                               in reply.text else ""), reply)


@security_check("undocumented-method-accepted", area="exposure", severity=Severity.MEDIUM, owasp="API9:2023",
                title="A route answers a method the contract does not give it")
def undocumented_methods(probe: Probe) -> None:
    """PUT, PATCH and DELETE on every route (with a valid token) get a 4xx: never a 2xx, never a 5xx."""
    token = probe.token()
    for _intent, route in probe.paths():
        for method in UNDOCUMENTED_METHODS:
            if method == route.method:
                continue
            reply = probe.send((method, route.path), token=token if route.needs_token else None)
            if not 400 <= reply.status < 500:
                raise Found(f"{method} {route.path} got {reply.status}, expected a 4xx (405)", reply)


def echo_password() -> str:
    """A wrong password whose every encoding differs from it: quotes, markup, a backslash, a slash, a plus, a space
    and a letter outside ASCII (registered as a secret of the run)."""
    password = f"lhv-echo \"<&'/\\+é-{secrets.token_urlsafe(12)}"
    SECRETS.add(password, "password")
    return password


def tampered(token: str) -> str:
    """The token with the end of its signature changed (registered as a secret: it is most of a real token)."""
    end = "AAAA" if not token.endswith("AAAA") else "BBBB"
    forged = token[:-4] + end
    SECRETS.add(forged, "token")
    return forged


def _echoed(reply: Reply, secret: str) -> list[str]:
    """The names of the forms of a secret that came back in a reply's body or headers."""
    carried = [reply.text, *(f"{name}: {value}" for name, value in reply.headers.items())]
    return [name for name, form in encodings(secret).items() if any(form in text for text in carried)]


def _refusals(probe: Probe) -> list[tuple[str, str, str, Reply]]:
    """Refusals that carry a credential: (what was sent, which credential, the credential, the reply)."""
    sent = []
    if "login" in probe.dialect.routes:
        password = echo_password()
        route = probe.route("login")
        name = probe.accounts.new_identity("security-echo").username  # a name no check has locked
        sent.append((f"a login with a wrong password ({route.method} {route.path})", "password", password,
                     probe.send(route, form=probe.dialect.login_form(name, password))))
    token = probe.token()
    for sample in probe.samples_with_bodies():
        if sample.json_body is not None and sample.route.needs_token:
            route = sample.route
            sent.append((f"a request with a valid token and broken JSON ({route.method} {route.path})", "token", token,
                         probe.send(route, token=token, content=b'{"lhv": ',
                                    headers={"Content-Type": "application/json"})))
            break
    bearer = probe.bearer_routes()
    if bearer:
        _, route = bearer[0]
        forged = tampered(token)
        body = {} if route.method in ("POST", "PUT", "PATCH") else None
        sent.append((f"a request with a tampered token ({route.method} {route.path})", "token", forged,
                     probe.send(route, token=forged, json_body=body)))
    return sent


@security_check("credentials-echoed", area="exposure", severity=Severity.HIGH, owasp="API8:2023",
                title="An error body echoes the credentials it was sent")
def credentials_echoed(probe: Probe) -> None:
    """A refused login (wrong password), a refused body (valid token, broken JSON) and a refused token (tampered
    signature) answer without the password or token they carried, in any form: raw or as a JSON key, JSON- or
    HTML-escaped, percent-encoded, base64 or base64url, alone or inside a longer base64 text."""
    echoed, evidence = [], None
    for what, credential, secret, reply in _refusals(probe):
        forms = _echoed(reply, secret)
        if forms:
            shown = ", ".join(forms[:4]) + (f" and {len(forms) - 4} more" if len(forms) > 4 else "")
            echoed.append(f"the {reply.status} answer to {what} echoed the {credential} it was sent ({shown})")
            evidence = evidence or reply
    if echoed:
        raise Found("; ".join(echoed), evidence)
