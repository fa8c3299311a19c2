"""The harness's own judgements of fuzzed answers, beside schemathesis's checks: what the contract says that an
OpenAPI document cannot.

Every answer: HSTS and nosniff (CONTRACT.md §1); no server software version and no CORS grant to any origin with
credentials (PLAN_019's exposure rules); an error body that is JSON without stack trace, SQL, file path or framework
version, and no answer that carries the token or password it was sent (§8). Answers to requests the harness built
itself (lhv.fuzz.contract) are judged by what the contract says of them: a valid request with valid images gets 200
with the report §6/§7 describe (one analysis per image, the subject asked about, well-formed rankings, conclusion
codes from the ranking, each score recomputed); a request broken in one named way, or carrying an image §5 says to
refuse, gets 422 with an error at that field. A registration by an ordinary user is refused (§3); a refused token
gets 401 with WWW-Authenticate: Bearer (§3); a login with wrong credentials gets no token, and the same answer
whether the account exists or not (§3).

Each judgement returns failures (schemathesis Failure objects, named by their `checks`), never raises.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from schemathesis.core.failures import Failure, Severity

from lhv.checks.outcomes import require
from lhv.checks.replies import status_is
from lhv.clinical.reports import ECHO_PREFIX, check_diagnosis_report, check_severity_report, refused_at
from lhv.contract.dialects import Dialect
from lhv.contract.intents import RequestField
from lhv.core.errors import CheckFailed, TargetError
from lhv.core.http import Reply
from lhv.core.secrets import SECRETS, encodings
from lhv.fuzz.contract import ASSESS, DIAGNOSE, ContractRequest
from lhv.fuzz.images import ImageVariant, image_paths
from lhv.security.exposure import VERBOSE, VERSIONED_HEADERS

TRANSPORT_HEADERS = "transport_headers"
DISCLOSURE_HEADERS = "disclosure_headers"
ERROR_BODY = "error_body"
SECRETS_ECHOED = "secrets_echoed"
CONTRACT_REPLY = "contract_reply"
CONTRACT_REFUSAL = "contract_refusal"
ADMIN_ONLY = "admin_only"
UNDOCUMENTED_METHOD = "undocumented_method"
BEARER_REFUSAL = "bearer_refusal"
LOGIN_REFUSAL = "login_refusal"
HARNESS_CHECKS = (TRANSPORT_HEADERS, DISCLOSURE_HEADERS, ERROR_BODY, SECRETS_ECHOED, CONTRACT_REPLY,
                  CONTRACT_REFUSAL, ADMIN_ONLY, UNDOCUMENTED_METHOD, BEARER_REFUSAL, LOGIN_REFUSAL)
HSTS_MIN_AGE = 15_552_000  # 180 days
FOREIGN_ORIGIN = "https://lhv-fuzz.example"  # the Origin some fuzzed requests carry: no CORS grant may name it
MIN_JUDGED_PASSWORD = 8  # a shorter generated password could be ordinary text of an answer
# Headers whose values HTTP or the contract fix, whatever the request: schemathesis draws strings from the API
# document, so a generated password such as "application/" is held by every answer's content type, echoed or not.
# A device's own headers (X-Debug, Set-Cookie, Location, WWW-Authenticate, ...) are still searched.
PROTOCOL_HEADERS = frozenset({"content-type", "content-length", "content-encoding", "date", "server", "vary",
                              "strict-transport-security", "x-content-type-options", "x-frame-options",
                              "cache-control", "pragma", "connection", "keep-alive", "transfer-encoding"})
_VERSION = re.compile(r"\d+\.\d+")
_DETAIL = 300


class HarnessFailure(Failure):
    """A failure the harness finds itself, beside schemathesis's checks: its title and severity are the class's."""

    title = ""
    severity_name = "MEDIUM"

    def __init__(self, operation: str, detail: str):
        super().__init__(operation=operation, title=self.title, message=detail, severity=Severity[self.severity_name])


def _failure(check: str, title: str, severity: str = "MEDIUM") -> type[HarnessFailure]:
    return type(f"Failure_{check}", (HarnessFailure,), {"checks": (check,), "kind_title": title, "title": title,
                                                        "severity_name": severity})


FAILURES: dict[str, type[HarnessFailure]] = {
    TRANSPORT_HEADERS: _failure(TRANSPORT_HEADERS, "An answer lacks HSTS or nosniff"),
    DISCLOSURE_HEADERS: _failure(DISCLOSURE_HEADERS, "An answer's headers give away the server or grant any origin"),
    ERROR_BODY: _failure(ERROR_BODY, "An error body is not JSON or reveals the device's insides"),
    SECRETS_ECHOED: _failure(SECRETS_ECHOED, "An answer carries the credentials or image data it was sent", "HIGH"),
    CONTRACT_REPLY: _failure(CONTRACT_REPLY, "A valid request of the contract got no answer as the contract says",
                             "HIGH"),
    CONTRACT_REFUSAL: _failure(CONTRACT_REFUSAL, "A request the contract refuses was not refused at its field",
                               "HIGH"),
    ADMIN_ONLY: _failure(ADMIN_ONLY, "An ordinary user registered a user", "CRITICAL"),
    UNDOCUMENTED_METHOD: _failure(UNDOCUMENTED_METHOD, "A route answers a method the contract does not give it"),
    BEARER_REFUSAL: _failure(BEARER_REFUSAL, "A refused token got no 401 with WWW-Authenticate: Bearer"),
    LOGIN_REFUSAL: _failure(LOGIN_REFUSAL, "A login with wrong credentials was not refused alike for every name",
                            "HIGH"),
}


def failure(check: str, operation: str, detail: str) -> Failure:
    """A failure of one of HARNESS_CHECKS."""
    return FAILURES[check](operation, SECRETS.redact(detail))


@dataclass(frozen=True)
class Sent:
    """What the harness knows of a request it sent: its body, token, generated password, images and, for a request
    of the contract's space, what the contract says of it."""

    body: Any = None
    token: str | None = None
    password: str | None = None
    variants: tuple[ImageVariant | str, ...] = ()
    contract: ContractRequest | None = None
    origin: str | None = None

    @property
    def images_valid(self) -> bool:
        """True when every image object carries a valid image."""
        return all(isinstance(v, ImageVariant) and v.kind == "valid" for v in self.variants)

    @property
    def refused_images(self) -> list[str]:
        """The labels of the images the contract says to refuse."""
        return [v.label for v in self.variants if isinstance(v, ImageVariant) and v.refused]


# ---- every answer -------------------------------------------------------------------------------------------------

def transport_failures(operation: str, headers: Any) -> list[Failure]:
    """Strict-Transport-Security with max-age ≥ 180 days and X-Content-Type-Options: nosniff, on every answer."""
    hsts = header(headers, "strict-transport-security")
    age = re.search(r"(?i)max-age\s*=\s*\"?(\d+)", hsts)
    problems = [] if age and int(age.group(1)) >= HSTS_MIN_AGE else [
        f"Strict-Transport-Security is {hsts or 'missing'!r}, expected max-age ≥ {HSTS_MIN_AGE}"]
    if header(headers, "x-content-type-options").strip().lower() != "nosniff":
        problems.append("X-Content-Type-Options: nosniff is missing")
    return [failure(TRANSPORT_HEADERS, operation, "; ".join(problems))] if problems else []


def disclosure_failures(operation: str, headers: Any, origin: str | None) -> list[Failure]:
    """No header names the server software with a version; no CORS grant to any origin with credentials, nor to
    the foreign origin a request carried."""
    problems = [f"{name}: {header(headers, name)}" for name in VERSIONED_HEADERS
                if _VERSION.search(header(headers, name))]
    allowed = header(headers, "access-control-allow-origin").strip()
    credentials = header(headers, "access-control-allow-credentials").strip().lower() == "true"
    if allowed == "*" and credentials:
        problems.append("Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true")
    if origin and allowed == origin:
        problems.append(f"Access-Control-Allow-Origin names the foreign origin the request came from ({origin})")
    return [failure(DISCLOSURE_HEADERS, operation, "; ".join(problems))] if problems else []


def error_body_failures(operation: str, status: int, headers: Any, text: str, sent: Sent) -> list[Failure]:
    """An error answer (4xx, 5xx) is JSON and shows no stack trace, SQL, file path or framework version (what the
    request itself carried aside: a validation error may quote it)."""
    if status < 400:
        return []
    kind = header(headers, "content-type").split(";", 1)[0].strip().lower()
    if kind != "application/json" and not (kind.startswith("application/") and kind.endswith("+json")):
        return [failure(ERROR_BODY, operation, f"the {status} answer is {kind or 'without a content type'}, not JSON")]
    shown = _without(text, _strings(sent.body))
    for what, pattern in VERBOSE.items():
        found = pattern.search(shown)
        if found:
            return [failure(ERROR_BODY, operation, f"the {status} answer shows {what}: {found.group(0)[:80]!r}")]
    return []


def judged_password(password: Any, document: str) -> str | None:
    """The generated password the echo check judges: none that the API document holds, where schemathesis draws
    strings from (an answer may hold "application/json" or a route's name whatever it was sent)."""
    return password if isinstance(password, str) and password not in document else None


def echo_failures(operation: str, status: int, headers: Any, text: str, sent: Sent) -> list[Failure]:
    """No answer carries the bearer token or the password it was sent, in any encoding (raw, escaped,
    percent-encoded, base64), in its body or a header of its own (PROTOCOL_HEADERS aside), nor an image's data
    beyond a short prefix."""
    carried = [text, *(f"{name}: {value}" for name, value in _items(headers) if name.lower() not in PROTOCOL_HEADERS)]
    secrets = {"token": sent.token} if sent.token else {}
    others = _strings({key: value for key, value in sent.body.items() if key != "password"}
                      if isinstance(sent.body, dict) else sent.body)
    if sent.password and len(sent.password) >= MIN_JUDGED_PASSWORD and \
            not any(sent.password in value for value in others):
        secrets["password"] = sent.password  # judged only when no other field the answer may quote holds it
    echoed = [f"the {what} it was sent ({', '.join(forms[:3])})" for what, secret in secrets.items()
              if (forms := [name for name, form in encodings(secret).items() if any(form in c for c in carried)])]
    images = [data for data in _image_data(sent.body) if len(data) > ECHO_PREFIX and data[:ECHO_PREFIX] in text]
    if images:
        echoed.append(f"the data of {len(images)} image(s) it was sent beyond a {ECHO_PREFIX}-character prefix")
    return [failure(SECRETS_ECHOED, operation, f"the {status} answer carries " + "; ".join(echoed))] if echoed else []


# ---- requests the harness built -------------------------------------------------------------------------------

class _Reader:
    """What the plans' report checks need of a clinic: the dialect (they read requests and replies through it)."""

    def __init__(self, dialect: Dialect):
        self.dialect = dialect


def contract_failures(operation: str, reply: Reply, sent: Sent, dialect: Dialect) -> list[Failure]:
    """A request the harness built: refused at its broken field, refused for an image §5 refuses, or (all images
    valid) answered 200 with the report the contract describes. Checked with the plans' own report checks."""
    request, reader = sent.contract, _Reader(dialect)
    if request is None:
        return []
    reply = replace(reply, request_json=request.body)
    try:
        if request.breakage is not None:
            refused_at(reader, reply, request.intent, request.field, request.severity)
            _no_report(reply)
        elif sent.refused_images:
            _refused_for_an_image(reader, reply, request, sent)
            _no_report(reply)
        elif sent.images_valid:
            if request.intent == DIAGNOSE:
                check_diagnosis_report(reader, reply, len(image_paths(request.body)))
            elif request.intent == ASSESS and request.severity is not None:
                report = check_severity_report(reader, reply, request.severity)
                require("one-analysis-per-image", len(report.images) == 1,
                        f"1 image sent, {len(report.images)} image analysis(es) returned")
        else:
            return []
    except CheckFailed as failed:
        check = CONTRACT_REFUSAL if request.breakage or sent.refused_images else CONTRACT_REPLY
        return [failure(check, operation, f"{request!r}: {str(failed)[:_DETAIL * 2]}")]
    except TargetError as error:  # a body that cannot be read as a whole, or not as JSON
        check = CONTRACT_REFUSAL if request.breakage or sent.refused_images else CONTRACT_REPLY
        return [failure(check, operation, f"{request!r}: {error}")]
    return []


def _refused_for_an_image(reader: _Reader, reply: Reply, request: ContractRequest, sent: Sent) -> None:
    require("not-a-server-error", reply.status < 500, f"the device failed with {reply.status}")
    status_is(reply, 422)
    count = len(image_paths(request.body))
    fields = [RequestField("image_data", image=index) for index in range(count)] if request.intent == DIAGNOSE \
        else [RequestField("image_data")]
    require("error-points-at-field", any(reader.dialect.error_points_at(reply, request.intent, field)
                                         for field in fields),
            f"no error points at the data of an image (sent: {', '.join(sent.refused_images)})")


def _no_report(reply: Reply) -> None:
    """A refused clinical request generates no report: its 422 body holds no DiagnosticReport (as PLAN_017 says)."""
    body = reply.json()
    require("no-report-generated", not (isinstance(body, dict) and "resourceType" in body),
            f"the {reply.status} refusal carries a {body.get('resourceType') if isinstance(body, dict) else ''} "
            "beside its errors: the refused request was analysed anyway")


def admin_only_failures(operation: str, status: int) -> list[Failure]:
    """The fuzzing account is an ordinary user: its registrations are refused (CONTRACT.md §3: 403)."""
    if 200 <= status < 300:
        return [failure(ADMIN_ONLY, operation, f"a registration sent with an ordinary user's token got {status}; "
                                               "only an administrator may register users (403 expected)")]
    return []


def bearer_refusal_failures(operation: str, what: str, status: int, headers: Any) -> list[Failure]:
    """A request without a valid token is refused with 401 and WWW-Authenticate: Bearer (CONTRACT.md §3: 401, not
    403)."""
    challenge = header(headers, "www-authenticate")
    if status == 401 and challenge.strip().lower().startswith("bearer"):
        return []
    return [failure(BEARER_REFUSAL, operation, f"{what}: {status} with WWW-Authenticate {challenge or 'missing'!r}; "
                                               "expected 401 with WWW-Authenticate: Bearer")]


@dataclass(frozen=True)
class LoginTry:
    """A login with a password no account has: under which name, and what came back."""

    what: str
    status: int | None
    text: str
    alike: bool  # its answer must be the same as every other such try marked alike (no user enumeration)


def login_failures(operation: str, tries: Sequence[LoginTry]) -> list[Failure]:
    """Wrong credentials get no token and no server error, whatever the name; for the account's own name and a name
    of no account the answer is the same, status and body (CONTRACT.md §3: no user enumeration)."""
    problems = [f"{t.what}: {t.status if t.status is not None else 'no answer'}" for t in tries
                if t.status is None or not 400 <= t.status < 500]
    alike = [t for t in tries if t.alike and t.status is not None]
    if len({(t.status, _normalised(t.text)) for t in alike}) > 1:
        problems.append("the answers differ by name: " + "; ".join(f"{t.what}: {t.status} {t.text[:120]!r}"
                                                                    for t in alike))
    if not problems:
        return []
    return [failure(LOGIN_REFUSAL, operation, "wrong passwords were not refused alike: " + "; ".join(problems))]


def _normalised(text: str) -> Any:
    try:
        return json.dumps(json.loads(text), sort_keys=True)
    except ValueError:
        return text


def method_failures(operation: str, method: str, status: int | None) -> list[Failure]:
    """A method the document does not give a path gets a 4xx (405): never a 2xx, never a 5xx."""
    if status is not None and 400 <= status < 500:
        return []
    return [failure(UNDOCUMENTED_METHOD, operation, f"{method} got {status}, expected a 4xx (405)")]


# ---- helpers ------------------------------------------------------------------------------------------------------

def header(headers: Any, name: str) -> str:
    """A header's value from response headers (name → value or list of values), any case."""
    for key, value in _items(headers):
        if key.lower() == name.lower():
            return value
    return ""


def _items(headers: Any) -> list[tuple[str, str]]:
    if headers is None:
        return []
    return [(key, ", ".join(value) if isinstance(value, (list, tuple)) else str(value))
            for key, value in headers.items()]


def _strings(node: Any) -> list[str]:
    """Every string key and value of a JSON body or form (image data aside)."""
    if isinstance(node, dict):
        return [text for key, value in node.items()
                for text in ([str(key)] + ([] if key == "data" else _strings(value)))]
    if isinstance(node, (list, tuple)):
        return [text for value in node for text in _strings(value)]
    return [node] if isinstance(node, str) else []


def _image_data(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [text for key, value in node.items()
                for text in ([value] if key == "data" and isinstance(value, str) else _image_data(value))]
    if isinstance(node, list):
        return [text for value in node for text in _image_data(value)]
    return []


def _without(text: str, quoted: Iterable[str]) -> str:
    """The text with each quoted string (raw or JSON-escaped) blanked out."""
    for value in sorted({value for value in quoted if len(value) >= 4}, key=len, reverse=True):
        for form in (value, json.dumps(value)[1:-1]):
            text = text.replace(form, " ")
    return text


def labels(variants: Sequence[ImageVariant | str]) -> tuple[str, ...]:
    """The images' labels, for the record."""
    return tuple(v.label if isinstance(v, ImageVariant) else v for v in variants)
