"""Generated mutants of the reference device: systematic small defects derived from the contract, to score the plans.

Mutants are generated, not listed: reply mutants walk every JSON reply shape of the dialect's OpenAPI document
(lhv/data/openapi-<dialect>.json) and apply each operator that fits the leaf's type; status mutants swap each
documented status of each route for its neighbour; header mutants drop or weaken each required header; number
mutants move each contract number the profile also states; log mutants corrupt one field of a rate-limit log
entry. Every generator runs for both dialects; an id starts with its dialect and names everything the mutant
changes, e.g. ``v2:reply:POST/login:200:$.token_type:alter`` or ``plan:number:lockout_threshold:plus1``.

A mutant is switched on like a fault (DeviceSettings.mutants); numbers are moved before the device starts
(`mutated_settings`), everything else acts in one ASGI middleware (`install_mutants`) and a wrapped log.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields, replace
from functools import cache
from importlib import resources
from typing import Any

from lhv.device import switches
from lhv.device.context import JsonLog

DIALECTS = ("plan", "v2")


@dataclass(frozen=True)
class Mutant:
    """One generated defect: what it changes, which clause areas it breaks and which plans must kill it."""

    id: str
    kind: str  # reply, status, header, number, log, key, cover, accept, method, cors, token, password,
    #            echo, errors, auth
    operator: str
    description: str
    areas: tuple[str, ...]  # clause areas (verification/clauses.toml) whose checks must catch it
    plans: tuple[str, ...]  # plans that must fail on one of those checks
    clauses: tuple[str, ...] = ()  # the clauses it breaks, where the generator knows them

    @property
    def dialect(self) -> str:
        """The dialect the device runs in for this mutant."""
        return self.id.split(":", 1)[0]


# ---- which plans and clause areas judge a route's answer ---------------------------------------------------------

_SEVERITY = ("/severity-assessment", "/severity-assessment/automatic/local")
_MANUAL = ("/severity-assessment/manual",)  # v2's questionnaire-only scores: PLAN_017 sends its cases
_CLINICAL = ("/diagnosis-support", *_SEVERITY)
_BEARER = ("/device-information", *_CLINICAL, *_MANUAL)


def judges(path: str, status: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(plans, areas) that judge what this route answers with this status."""
    if status == 429:
        return (("PLAN_006",) if path in ("/", "/login") else ("PLAN_007",)), ("limits",)
    if status == 413:
        return ("PLAN_019",), ("limits", "errors")
    if status == 423:
        return ("PLAN_003",), ("lockout",)
    if path == "/users":
        return ("PLAN_016",), ("accounts",)
    if status == 401 and path in _BEARER:
        return ("PLAN_002",), ("tokens",)
    if path in _MANUAL:
        return ("PLAN_017",), ("errors", "severity", "scores")
    if status == 422 and path in _CLINICAL:
        return ("PLAN_009", "PLAN_011", *(("PLAN_017",) if path in _SEVERITY else ())), \
            ("errors", "images", "diagnosis", "severity")
    if path == "/login":
        return ("PLAN_001",), ("auth", "tokens")
    if path == "/device-information":
        return ("PLAN_001",), ("routes", "tokens")
    if path == "/diagnosis-support":
        return ("PLAN_009", "PLAN_010", "PLAN_012"), ("images", "diagnosis", "fhir")
    if path in _SEVERITY:
        return ("PLAN_009", "PLAN_010", "PLAN_017"), ("severity", "scores", "fhir", "images")
    if path == "/health":
        return ("PLAN_018",), ("routes", "uptime")
    return ("PLAN_006",), ("routes", "limits")


# ---- reply mutants: every leaf of every documented JSON reply ----------------------------------------------------

def _alter_text(value: str) -> str:
    """A plausible wrong string: the last character changed."""
    if not value:
        return "x"
    return value[:-1] + ("x" if value[-1] != "x" else "y")


def _other(choices: tuple) -> Callable[[Any], Any]:
    return lambda value: choices[(choices.index(value) + 1) % len(choices)] if value in choices else choices[0]


_LEAF_OPS: dict[str, Callable[[Any], Any]] = {
    "null": lambda value: None,
    "alter": lambda value: _alter_text(value) if isinstance(value, str) else value,
    "plus1": lambda value: value + 1 if isinstance(value, (int, float)) and not isinstance(value, bool) else value,
    "minus1": lambda value: value - 1 if isinstance(value, (int, float)) and not isinstance(value, bool) else value,
    "double": lambda value: value * 2 if isinstance(value, (int, float)) and value and not isinstance(value, bool)
    else (1 if value == 0 and not isinstance(value, bool) else value),
    "half": lambda value: value / 2 if isinstance(value, (int, float)) and not isinstance(value, bool) else value,
    "flip": lambda value: not value if isinstance(value, bool) else value,
    "reverse": lambda value: list(reversed(value)) if isinstance(value, list) else value,
    "dup-first": lambda value: [value[0], *value] if isinstance(value, list) and value else value,
    "drop-last": lambda value: value[:-1] if isinstance(value, list) else value,
}
_TYPE_OPS = {"string": ("alter",), "integer": ("plus1", "minus1"), "number": ("double", "half"),
             "boolean": ("flip",), "array": ("reverse", "dup-first", "drop-last"), "object": ()}


def _types(schema: dict) -> tuple[str, ...]:
    kind = schema.get("type")
    if kind is None and "const" in schema:
        kind = type(schema["const"]).__name__.replace("str", "string").replace("int", "integer")
    if kind is None and "enum" in schema:
        kind = "string"
    return tuple(kind) if isinstance(kind, list) else ((kind,) if kind else ())


# What the contract fixes in a reply, beyond its shape: a value op (alter, plus1, reverse, …) is generated only for a
# leaf listed here, since changing a value the contract leaves free (a name, a free text, a quality score within its
# range) breaks nothing. Patterns are globs (* only) over "METHOD/path:status:json path"; ops None = every op the
# leaf's type takes.
FIXED: tuple[tuple[str, str, tuple[str, ...] | None], ...] = (
    ("POST/login:200:$.access_token", "TOKEN-JWT-01", None),
    ("POST/login:200:$.expires_in_minutes", "TOKEN-LIFE-04", None),
    ("GET/health:200:$.status", "ROUTE-HEALTH-01", None),
    ("GET/device-information:200:$.version", "ROUTE-DEVINFO-02", None),
    ("POST/*:200:$.resourceType", "FHIR-01", None),
    ("POST/*:200:$.status", "FHIR-02", None),
    ("POST/*:200:$.issued", "FHIR-03", None),
    ("POST/*:200:$.subject.reference", "DIAG-SUBJ-01", None),
    ("POST/*:200:$.conclusionCode[*].coding[*].system", "FHIR-04", None),
    ("POST/*:200:$.conclusionCode[*].coding[*].code", "FHIR-04", None),
    ("POST/*:200:$.diagnosis", "DIAG-RANK-03", ("reverse", "dup-first", "drop-last")),
    ("POST/*:200:$.diagnosis[*].code", "DIAG-RANK-01", None),
    ("POST/*:200:$.diagnosis[*].probability", "DIAG-RANK-02", None),
    ("POST/severity-assessment*:200:$.imagingAnalysis", "SEV-REPLY-06", ("dup-first", "drop-last")),
    ("POST/*:200:$.imagingAnalysis", "DIAG-ANALYSIS-01", ("dup-first", "drop-last")),
    ("POST/diagnosis-support:200:$.imagingAnalysis", "DIAG-ANALYSIS-02", ("reverse",)),
    ("POST/*:200:$.imagingAnalysis[*].diagnosis", "DIAG-RANK-03", ("reverse", "dup-first", "drop-last")),
    ("POST/*:200:$.imagingAnalysis[*].diagnosis[*].code", "DIAG-RANK-01", None),
    ("POST/*:200:$.imagingAnalysis[*].diagnosis[*].probability", "DIAG-RANK-02", None),
    ("POST/*:200:$.imagingAnalysis[*].mediaValidity.isValid", "IMG-VALID-02", None),
    ("POST/*:200:$.patientEvolution", "SEV-REPLY-01", ("dup-first", "drop-last")),
    ("POST/*:200:$.patientEvolution*.item[*].code", "SEV-REPLY-03", None),
    ("POST/*:200:$.patientEvolution*.code", "SEV-REPLY-01", None),
    ("POST/*:200:$.patientEvolution.apasi.score.value", "SCORE-APASI-01", None),  # v2 keys results by system
    ("POST/*:200:$.patientEvolution.ascorad.score.value", "SCORE-ASCORAD-01", None),
    ("POST/*:200:$.patientEvolution.asalt.score.value", "SCORE-ASALT-01", None),
    ("POST/*:200:$.patientEvolution.auas.score.value", "SCORE-AUAS-01", None),
    ("POST/*:200:$.patientEvolution.aihs4.score.value", "SCORE-AIHS4-01", None),
    ("POST/*:200:$.patientEvolution*.score.value", "SEV-REPLY-04", None),
    ("POST/*:200:$.patientEvolution*.item", "SEV-REPLY-03", ("drop-last",)),
    ("POST/*:200:$.patientEvolution*.item[*].value", "SEV-REPLY-02", None),
    ("POST/*:200:$.patientEvolution*.additionalData.globalScoreContribution", "SEV-REPLY-05", None),
    ("*:422:$.detail", "ERR-VALID-01", ("drop-last",)),  # the errors' order is free; one fewer is a lost error
    ("POST/severity-assessment*:422:$.detail", "SEV-SITE-02", ("drop-last",)),
)
# Answers whose body the contract leaves open: errors beyond "JSON" (ERR-JSON-01; 413 included), and the registration's
# 201 (the contract asks only that it reveals no credential, ACC-REG-08). No reply mutant of theirs.
OPEN_BODIES = ("*:401", "*:403", "*:409", "*:413", "*:423", "POST/users:201")
# The clause each route's reply shape belongs to (presence ops: drop a required key, null a non-nullable leaf).
SHAPES: tuple[tuple[str, str], ...] = (
    ("GET/:200:*", "ROUTE-ROOT-02"), ("GET/health:200:*", "ROUTE-HEALTH-01"),
    ("GET/device-information:200:*", "ROUTE-DEVINFO-01"), ("POST/login:200:*", "AUTH-LOGIN-01"),
    ("POST/users:201:*", "ACC-REG-01"), ("POST/*:200:$.imagingAnalysis*", "IMG-VALID-01"),
    ("POST/*:200:$.analysisDuration", "DIAG-DUR-01"),
    ("POST/*:200:$.patientEvolution*", "SEV-REPLY-04"), ("POST/*:200:*", "FHIR-05"),
    ("*:422:*", "ERR-VALID-01"), ("*:429:*", "RATE-429-02"),
)


@cache
def _glob(pattern: str) -> re.Pattern[str]:
    """A pattern whose only wildcard is * (JSON paths hold [ and ] literally)."""
    return re.compile(".*".join(map(re.escape, pattern.split("*"))))


def _matches(where: str, pattern: str) -> bool:
    return _glob(pattern).fullmatch(where) is not None


def fixed_by(where: str) -> list[tuple[str, tuple[str, ...] | None]]:
    """(clause, ops) of every entry of FIXED that fixes the value at where ("METHOD/path:status:json path")."""
    return [(clause, ops) for pattern, clause, ops in FIXED if _matches(where, pattern)]


def shape_clause(where: str) -> str:
    """The clause a reply leaf's presence belongs to."""
    return next((clause for pattern, clause in SHAPES if _matches(where, pattern)), "SEC-FUZZ-01")


def _ops_for(schema: dict, where: str, required: bool) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(op, clauses) of every operator that breaks the contract at this leaf."""
    fixed = fixed_by(where)
    nullable = "null" in _types(schema) or schema.get("nullable") is True
    presence = ["drop"] if required else []
    if (required and not nullable) or fixed:  # an optional key set to null reads as absent
        presence.append("null")
    presence += [f"set-{schema['maximum'] + 1}" for _ in (1,) if isinstance(schema.get("maximum"), (int, float))]
    presence += [f"set-{schema['minimum'] - 1}" for _ in (1,) if isinstance(schema.get("minimum"), (int, float))]
    ops: dict[str, list[str]] = {op: ["FHIR-06" if op == "null" and _standard(where) else shape_clause(where)]
                                 for op in presence}
    by_type = ["other"] if "enum" in schema and len(schema["enum"]) > 1 else []
    for kind in _types(schema):
        by_type += [op for op in _TYPE_OPS.get(kind, ()) if op not in by_type and not (op == "alter" and by_type)]
    lists = "array" in _types(schema)
    for clause, allowed in fixed:
        for op in (by_type if allowed is None else allowed):
            if op in _TYPE_OPS["array"] and not lists:
                continue  # a list operator on a map (v2 keys results by system) would change nothing
            if clause not in ops.setdefault(op, []):
                ops[op].append(clause)
    if _zone_free(where):
        return ()  # only zone-weighted systems owe a zone contribution (SEV-REPLY-05)
    return tuple((op, tuple(clauses)) for op, clauses in ops.items())


def _standard(where: str) -> bool:
    """A path into a FHIR DiagnosticReport element of a clinical reply (FHIR JSON allows no null there)."""
    return _matches(where, "POST/*:200:$.*") and where.split(":$.", 1)[1].split(".")[0].split("[")[0] in (
        "resourceType", "id", "status", "code", "subject", "issued", "conclusionCode")


def _zone_free(where: str) -> bool:
    """A v2 path into the additionalData of a system without a zone factor."""
    from lhv.contract.tables import SCORING_SYSTEM_BY_CODE

    found = re.search(r"\$\.patientEvolution\.([a-z0-9]+)\.additionalData", where)
    return bool(found) and found.group(1) in SCORING_SYSTEM_BY_CODE and \
        not SCORING_SYSTEM_BY_CODE[found.group(1)].needs_zone


def _walk(schema: dict, resolve: Callable[[dict], dict], path: str, depth: int = 0,
          required: bool = True) -> Iterator[tuple[str, dict, bool]]:
    """(JSON path, schema, required in its parent) of every property and array item reachable from a reply schema."""
    schema = resolve(schema)
    if depth > 8:
        return
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key, []):
            yield from _walk(sub, resolve, path, depth + 1)
    needed = set(schema.get("required", ()))
    for name, sub in schema.get("properties", {}).items():
        yield f"{path}.{name}", resolve(sub), name in needed
        yield from _walk(sub, resolve, f"{path}.{name}", depth + 1)
    if "items" in schema and isinstance(schema["items"], dict):
        yield from _walk(schema["items"], resolve, f"{path}[*]", depth + 1)


@cache
def _document(dialect: str) -> dict:
    return json.loads(resources.files("lhv.data").joinpath(f"openapi-{dialect}.json").read_text(encoding="utf-8"))


def _responses(dialect: str) -> Iterator[tuple[str, str, int, dict, dict]]:
    """(method, path, status, response object, resolved JSON schema or {}) of every documented response."""
    document = _document(dialect)
    schemas = document.get("components", {}).get("schemas", {})

    def resolve(schema: dict) -> dict:
        while "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    responses = document.get("components", {}).get("responses", {})
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                if not status.isdigit():
                    continue
                while "$ref" in response:  # a shared response (components.responses)
                    response = responses[response["$ref"].rsplit("/", 1)[-1]]
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                yield method.upper(), path, int(status), response, (resolve(schema) if schema else {}), resolve


def _reply_mutants(dialect: str) -> Iterator[Mutant]:
    seen: set[str] = set()
    for method, path, status, _, schema, resolve in _responses(dialect):
        if not schema or any(_matches(f"{method}{path}:{status}", body) for body in OPEN_BODIES):
            continue
        plans, areas = judges(path, status)
        for json_path, leaf, required in _walk(schema, resolve, "$"):
            for op, clauses in _ops_for(leaf, f"{method}{path}:{status}:{json_path}", required):
                mutant_id = f"{dialect}:reply:{method}{path}:{status}:{json_path}:{op}"
                if mutant_id in seen:
                    continue
                seen.add(mutant_id)
                yield Mutant(mutant_id, "reply", op, f"{method} {path} → {status}: {op} {json_path}", areas, plans,
                             clauses)


# ---- status and header mutants -------------------------------------------------------------------------------------

NEIGHBOURS = {200: 201, 201: 200, 401: 403, 403: 401, 409: 400, 413: 400, 422: 400, 423: 429, 429: 503}
HSTS_WEAK = "max-age=86400"


# The clauses that fix a route's status (glob over "METHOD/path:status"), first match.
_REFUSALS = ("IMG-REJECT-01", "IMG-REJECT-02", "IMG-REJECT-03", "IMG-REJECT-04", "IMG-REJECT-05", "IMG-REJECT-07",
             "IMG-REJECT-08", "IMG-COUNT-02", "IMG-COUNT-03", "DIAG-REQ-01", "DIAG-REQ-02", "SEV-REQ-03",
             "SEV-COND-01", "SEV-SITE-04", "SEV-SITE-05", "SEV-SYS-01", "SEV-Q-01", "SEV-Q-02", "SEV-Q-03", "SEV-Q-04",
             "ERR-NOTJSON-01")
STATUS_CLAUSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("GET/:200", ("ROUTE-ROOT-01",)), ("GET/health:200", ("ROUTE-HEALTH-01",)),
    ("GET/device-information:200", ("ROUTE-DEVINFO-01",)), ("POST/login:200", ("AUTH-LOGIN-01",)),
    ("POST/login:401", ("AUTH-LOGIN-03", "AUTH-LOGIN-04")), ("POST/login:422", ("AUTH-LOGIN-06",)),
    ("POST/login:423", ("LOCK-02",)), ("GET/:429", ("RATE-ANON-02",)), ("POST/login:429", ("RATE-ANON-02",)),
    ("*:429", ("RATE-AUTH-01",)),
    ("POST/users:201", ("ACC-REG-01",)), ("POST/users:401", ("ACC-REG-03",)), ("POST/users:403", ("ACC-REG-04",)),
    ("POST/users:409", ("ACC-REG-06",)), ("POST/users:422", ("ACC-REG-07", "ACC-ROLE-02")),
    ("*:413", ("LIMIT-BODY-01",)), ("*:401", ("TOKEN-BEARER-02",)),
    ("POST/severity-assessment/manual:200", ("SEV-MANUAL-03",)),
    ("POST/severity-assessment/manual:422", ("SEV-MANUAL-01",)),
    ("POST/severity-assessment*:200", ("IMG-ACCEPT-01", "SEV-REQ-01")), ("POST/*:200", ("IMG-ACCEPT-01",)),
    ("POST/*:422", _REFUSALS),
)


def status_clauses(method: str, path: str, status: int) -> tuple[str, ...]:
    """The clauses that fix this route's status."""
    return next((clauses for pattern, clauses in STATUS_CLAUSES if _matches(f"{method}{path}:{status}", pattern)), ())


def _status_mutants(dialect: str) -> Iterator[Mutant]:
    for method, path, status, _, _, _ in _responses(dialect):
        if status in NEIGHBOURS:
            plans, areas = judges(path, status)
            yield Mutant(f"{dialect}:status:{method}{path}:{status}:{NEIGHBOURS[status]}", "status", "swap",
                         f"{method} {path} answers {NEIGHBOURS[status]} instead of {status}", areas, plans,
                         status_clauses(method, path, status))


def _header_mutants(dialect: str) -> Iterator[Mutant]:
    routes = sorted({(method, path) for method, path, *_ in _responses(dialect)})
    for method, path in routes:
        for op, what in (("drop", "no"), ("weaken", f"a {HSTS_WEAK}")):
            yield Mutant(f"{dialect}:header:{method}{path}:*:strict-transport-security:{op}", "header", op,
                         f"{method} {path} answers with {what} Strict-Transport-Security", ("transport", "security"),
                         ("PLAN_004", "PLAN_019"), ("TRANSPORT-HSTS-01",))
        yield Mutant(f"{dialect}:header:{method}{path}:*:x-content-type-options:drop", "header", "drop",
                     f"{method} {path} answers without X-Content-Type-Options", ("security",), ("PLAN_019",),
                     ("SEC-HDR-01",))
    for method, path, status, response, schema, _ in _responses(dialect):
        required = [name.lower() for name, spec in response.get("headers", {}).items() if spec.get("required")]
        if status == 401 and path in _BEARER:  # the contract asks it of bearer routes' refusals (TOKEN-BEARER-02)
            required.append("www-authenticate")
        if status in (423, 429):
            required.append("retry-after")
        if schema and status in (200, 422, 429) and path not in UNLIMITED:  # JSON bodies the contract fixes (the
            # health route's body is judged by the uptime prober, whatever its declared type)
            required.append("content-type")
        plans, areas = judges(path, status)
        for header in dict.fromkeys(required):
            clause = "LOCK-03" if (header, status) == ("retry-after", 423) else HEADER_CLAUSES[header]
            yield Mutant(f"{dialect}:header:{method}{path}:{status}:{header}:drop", "header", "drop",
                         f"{method} {path} → {status} lacks {header}", areas, plans, (clause,))


HEADER_CLAUSES = {"www-authenticate": "TOKEN-BEARER-02", "retry-after": "RATE-429-01", "content-type": "ROUTE-JSON-01",
                  "strict-transport-security": "TRANSPORT-HSTS-01"}


# ---- number mutants: each contract number the profile states --------------------------------------------------------

NUMBERS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {  # plans, areas, clauses
    "token_lifetime_seconds": (("PLAN_002",), ("tokens",), ("TOKEN-LIFE-01", "TOKEN-LIFE-02", "TOKEN-LIFE-03")),
    "lockout_threshold": (("PLAN_003",), ("lockout",), ("LOCK-01", "LOCK-04")),
    "lockout_seconds": (("PLAN_003",), ("lockout",), ("LOCK-06",)),
    "anonymous_limit": (("PLAN_006",), ("limits",), ("RATE-ANON-01", "RATE-ANON-02")),
    "authenticated_limit": (("PLAN_007",), ("limits",), ("RATE-AUTH-01",)),
    "rate_window_seconds": (("PLAN_006", "PLAN_007"), ("limits",), ("RATE-ANON-02", "RATE-ANON-03", "RATE-AUTH-03")),
    "max_body_bytes": (("PLAN_019",), ("limits", "errors"), ("LIMIT-BODY-01",)),
}
NUMBER_OPS: dict[str, Callable[[float], float]] = {"half": lambda n: n / 2, "double": lambda n: n * 2,
                                                   "minus1": lambda n: n - 1, "plus1": lambda n: n + 1}
# A duration moved by one second stays within the profile's clock skew (auth.clock_skew_seconds), which every plan
# must allow a conformant device: durations move by half and double, counts and sizes by one as well.
DURATIONS = ("token_lifetime_seconds", "lockout_seconds", "rate_window_seconds")


def _number_mutants(dialect: str) -> Iterator[Mutant]:
    for name, (plans, areas, clauses) in NUMBERS.items():
        for op in NUMBER_OPS if name not in DURATIONS else ("half", "double"):
            yield Mutant(f"{dialect}:number:{name}:{op}", "number", op,
                         f"the device keeps {name} {op} of what the profile states", areas, plans, clauses)


# ---- log mutants: one field of a rate-limit log entry ---------------------------------------------------------------

LOG_FIELDS = {"timestamp": "LOG-02", "event": "LOG-01", "client_ip": "LOG-03", "user": "LOG-04", "method": "LOG-07",
              "path": "LOG-06", "limit": "LOG-07", "window": "LOG-07", "count": "LOG-05"}


def _log_mutants(dialect: str) -> Iterator[Mutant]:
    for name, clause in LOG_FIELDS.items():
        for op in ("drop", "alter"):
            yield Mutant(f"{dialect}:log:rate_limit_exceeded:{name}:{op}", "log", op,
                         f"rate-limit log entries {op} their {name}", ("logs",), ("PLAN_008",), (clause,))


# ---- behaviour mutants: a limit or lock kept by another key, a covered route left out of its limit -----------------

KEYS: dict[str, tuple[str, tuple[str, ...], str, str]] = {
    "anonymous:shared": ("PLAN_006", ("limits",), "RATE-ANON-01", "one anonymous budget for every client instead of "
                         "one per client IP"),
    "authenticated:token": ("PLAN_007", ("limits",), "RATE-AUTH-01", "the authenticated budget is kept per token, not "
                            "per user"),
    "lockout:account-and-ip": ("PLAN_003", ("lockout",), "LOCK-05", "the lock is kept per account and client IP "
                               "together, so another client may still log in"),
}
UNLIMITED = {"/health"}
ANONYMOUS = {("GET", "/"), ("POST", "/login")}


def _key_mutants(dialect: str) -> Iterator[Mutant]:
    for key, (plan, areas, clause, what) in KEYS.items():
        yield Mutant(f"{dialect}:key:{key}", "key", "rekey", what, areas, (plan,), (clause,))


def _cover_mutants(dialect: str) -> Iterator[Mutant]:
    routes = sorted({(method, path) for method, path, *_ in _responses(dialect) if path not in UNLIMITED})
    for method, path in routes:
        scope, plan, clause = (("anonymous", "PLAN_006", "RATE-ANON-04") if (method, path) in ANONYMOUS
                               else ("authenticated", "PLAN_007", "RATE-AUTH-04"))
        yield Mutant(f"{dialect}:cover:{method}{path}", "cover", "leave-out",
                     f"{method} {path} is left out of the {scope} rate limit", ("limits",), (plan,), (clause,))


# ---- rule mutants: one validation rule of a clinical request dropped, the request analysed anyway ----------------

ACCEPTS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "image:not_base64": (("PLAN_011", "PLAN_009"), "IMG-REJECT-01", "raw bytes taken as image data"),
    "image:data_uri": (("PLAN_011", "PLAN_009"), "IMG-REJECT-02", "a data: URI prefix is stripped, not refused"),
    "image:bad_padding": (("PLAN_011", "PLAN_009"), "IMG-REJECT-03", "base64 without its padding is decoded"),
    "image:url_safe_alphabet": (("PLAN_011", "PLAN_009"), "IMG-REJECT-04", "URL-safe base64 is decoded"),
    "image:whitespace": (("PLAN_011", "PLAN_009"), "IMG-REJECT-05", "whitespace in the base64 is skipped"),
    "image:type_mismatch": (("PLAN_011", "PLAN_009"), "IMG-REJECT-07", "bytes of another type than declared are "
                            "decoded as what they are"),
    "image:unsupported_content_type": (("PLAN_009",), "IMG-REJECT-08", "any content type is taken"),
    "severity:condition": (("PLAN_009",), "SEV-COND-01", "a request without its known condition is scored"),
    "severity:systems": (("PLAN_009",), "SEV-SYS-01", "the scoring-system list is not checked"),
    "severity:body-site-code": (("PLAN_009",), "SEV-SITE-04", "an unknown body site is taken"),
    "severity:asalt-scalp": (("PLAN_009",), "SEV-SITE-05", "asalt is scored on a site outside the scalp"),
    "severity:questionnaire-needed": (("PLAN_009",), "SEV-Q-01", "a system that takes answers is scored without "
                                      "its questionnaire"),
    "severity:questionnaire-unlisted": (("PLAN_009",), "SEV-Q-02", "a questionnaire of an unlisted system is ignored"),
    "severity:answer-range": (("PLAN_009",), "SEV-Q-03", "answers out of their range are taken"),
    "severity:answer-code": (("PLAN_009",), "SEV-Q-04", "an unknown answer code is ignored"),
}


# v2 keys each questionnaire by the system it scores (scoringSystem.<code>.questionnaireResponse): a questionnaire for
# a system the request does not list cannot be written, so the rule cannot be dropped to any effect there.
UNSAYABLE = {"v2": ("severity:questionnaire-unlisted",)}


def _accept_mutants(dialect: str) -> Iterator[Mutant]:
    for rule, (plans, clause, what) in ACCEPTS.items():
        if rule in UNSAYABLE.get(dialect, ()):
            continue
        yield Mutant(f"{dialect}:accept:{rule}", "accept", "drop-rule", what, ("images", "severity", "errors"), plans,
                     (clause,))


# ---- exposure mutants: a method served that the contract does not give, CORS that echoes the origin, a limit on
# the exempt health route ---------------------------------------------------------------------------------------------

def _exposure_mutants(dialect: str) -> Iterator[Mutant]:
    for _method, path in sorted({(m, p) for m, p, *_ in _responses(dialect) if m == "GET"}):
        yield Mutant(f"{dialect}:method:PUT{path}", "method", "serve", f"PUT {path} is served as GET {path}",
                     ("security", "routes"), ("PLAN_019",), ("ROUTE-METHODS-01",))
    for path in ("/", "/login"):
        yield Mutant(f"{dialect}:method:TRACE{path}", "method", "echo", f"TRACE {path} echoes the request",
                     ("security", "routes"), ("PLAN_019",), ("ROUTE-METHODS-02",))
    yield Mutant(f"{dialect}:cors:reflect", "cors", "reflect", "every answer allows the Origin it was sent",
                 ("security",), ("PLAN_019",), ("SEC-CORS-02",))
    yield Mutant(f"{dialect}:errors:text", "errors", "as-text", "every error answer is plain text, not JSON",
                 ("errors", "security"), ("PLAN_019",), ("ERR-JSON-01",))
    yield Mutant(f"{dialect}:auth:optional:GET/device-information", "auth", "optional", "GET /device-information "
                 "answers without a token (as the first user)", ("tokens", "security"), ("PLAN_019",),
                 ("TOKEN-BEARER-01", "SEC-FUZZ-03"))
    yield Mutant(f"{dialect}:cover:limit:GET/health", "cover", "limit", "GET /health counts against the anonymous "
                 "rate limit", ("uptime", "routes"), ("PLAN_018",), ("ROUTE-HEALTH-02",))


# ---- token mutants: the access token's claims or signature otherwise than the contract says ------------------------

TOKENS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "sub:prefixed": (("PLAN_001",), "TOKEN-JWT-02", "the token's sub names the account as user:<e-mail>"),
    "exp:none": (("PLAN_001", "PLAN_002"), "TOKEN-JWT-03", "the token carries no exp claim (the device keeps the "
                 "expiry elsewhere)"),
    "alg:HS256": (("PLAN_001",), "TOKEN-JWT-04", "the token is signed HS256 with a shared secret, not RS256"),
    "opaque": (("PLAN_001",), "TOKEN-JWT-01", "the access token is an opaque string (the JWT base64url-wrapped), not a "
               "JWT"),
}


def _token_mutants(dialect: str) -> Iterator[Mutant]:
    for name, (plans, clause, what) in TOKENS.items():
        yield Mutant(f"{dialect}:token:{name}", "token", "change", what, ("tokens",), plans, (clause,))
    yield Mutant(f"{dialect}:echo:image-data", "echo", "echo", "validation errors echo their input whole, image data "
                 "included", ("errors", "images"), ("PLAN_017", "PLAN_009"), ("ERR-ECHO-02",))
    yield Mutant(f"{dialect}:echo:password-logged", "echo", "log", "a successful login writes its password to the "
                 "device's log", ("logs", "passwords"), ("PLAN_008",), ("PASS-LOG-01",))
    yield Mutant(f"{dialect}:password:weak-parameters", "password", "weaken", "passwords are hashed with argon2id at "
                 "t=1, m=4 MiB: below the storage minimums", ("passwords",), ("PLAN_014",), ("PASS-STORE-03",))


# ---- the catalogue ------------------------------------------------------------------------------------------------

_GENERATORS = (_reply_mutants, _status_mutants, _header_mutants, _number_mutants, _log_mutants, _key_mutants,
               _cover_mutants, _accept_mutants, _exposure_mutants, _token_mutants)


@cache
def all_mutants() -> tuple[Mutant, ...]:
    """Every generated mutant of both dialects, in a stable order."""
    return tuple(m for dialect in DIALECTS for generate in _GENERATORS for m in generate(dialect))


@cache
def _by_id() -> dict[str, Mutant]:
    return {m.id: m for m in all_mutants()}


def mutant_named(mutant_id: str) -> Mutant:
    """Returns a generated mutant; raises KeyError with a short hint when the id is unknown."""
    try:
        return _by_id()[mutant_id]
    except KeyError:
        raise KeyError(f"unknown mutant {mutant_id!r} ({len(all_mutants())} generated; "
                       "list them with python -m lhv.device.mutants)") from None


# ---- on the device: numbers before the start, the rest in a middleware and the log ----------------------------------

def mutated_settings(settings):
    """The settings with every number mutant of settings.mutants applied (the profile keeps the original)."""
    changes = {}
    for mutant_id in settings.mutants:
        mutant = mutant_named(mutant_id)
        if mutant.kind == "number":
            name = mutant_id.split(":")[2]
            current = getattr(settings, name)
            moved = NUMBER_OPS[mutant.operator](current)
            declared = {f.name: f.type for f in fields(settings)}[name]  # "int" or "float" (string annotations)
            changes[name] = max(1, round(moved)) if declared == "int" else float(moved)
    return replace(settings, **changes)


def _split_route(mutant_id: str) -> tuple[str, str, str, list[str]]:
    """(method, path, status, rest) of a reply, status or header mutant id."""
    _, _, route, status, *rest = mutant_id.split(":")
    method = next(m for m in ("DELETE", "PATCH", "POST", "GET", "PUT") if route.startswith(m))
    return method, route[len(method):], status, rest


def _parse_path(json_path: str) -> list[str]:
    return [part for part in json_path[1:].replace("[*]", ".[*]").split(".") if part]


def mutate_json(value: Any, json_path: str, op: str) -> Any:
    """A copy of a JSON value with the leaf at json_path changed by op ([*] reaches every item)."""
    value = copy.deepcopy(value)
    parts = _parse_path(json_path)
    _apply(value, parts, op, holder=None, key=None)
    return value


def _apply(node: Any, parts: list[str], op: str, holder: Any, key: Any) -> None:
    if not parts:
        if op == "drop":
            if isinstance(holder, dict):
                holder.pop(key, None)
        elif op.startswith("set-"):
            holder[key] = json.loads(op.removeprefix("set-"))  # a value outside the documented range
        else:
            holder[key] = (_other(_enum_guess(node)) if op == "other" else _LEAF_OPS[op])(node)
        return
    head, rest = parts[0], parts[1:]
    if head == "[*]":
        if isinstance(node, list):
            for index in range(len(node) - 1, -1, -1):
                _apply(node[index], rest, op, node, index)
        return
    if isinstance(node, dict) and head in node:
        _apply(node[head], rest, op, node, head)


def _enum_guess(value: Any) -> tuple:
    """The enum a value belongs to, from the documents (for op other)."""
    for choices in _all_enums():
        if value in choices:
            return choices
    return (value, _alter_text(value) if isinstance(value, str) else value)


@cache
def _all_enums() -> tuple[tuple, ...]:
    found: list[tuple] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("enum"), list) and len(node["enum"]) > 1:
                found.append(tuple(node["enum"]))
            for item in node.values():
                visit(item)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    for dialect in DIALECTS:
        visit(_document(dialect))
    return tuple(found)


class _Rule:
    """One active reply, status or header mutant, matched against each answer."""

    def __init__(self, mutant: Mutant):
        self.mutant = mutant
        self.method, self.path, status, self.rest = _split_route(mutant.id)
        self.status = None if status == "*" else int(status)

    def matches(self, method: str, path: str, status: int) -> bool:
        return method == self.method and path == self.path and self.status in (None, status)


class MutantMiddleware:
    """ASGI middleware that rewrites the answers the active mutants name: JSON leaves, statuses, headers; serves
    methods the contract does not give (method mutants) and echoes a foreign Origin (cors)."""

    def __init__(self, app: Any, rules: list[_Rule], exposures: frozenset[str] = frozenset()) -> None:
        self.app, self.rules, self.exposures = app, rules, exposures

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = f"{scope['method']}{scope['path']}"
        if f"method:{route}" in self.exposures:
            if scope["method"] == "TRACE":
                await _echo(scope, send)
                return
            scope = {**scope, "method": "GET"}
        if "cors:reflect" in self.exposures:
            send = _reflecting(scope, send)
        if "errors:text" in self.exposures:
            send = _as_text(send)
        held: dict[str, Any] = {}
        body: list[bytes] = []

        async def rewriting(message: dict) -> None:
            if message["type"] == "http.response.start":
                rules = [r for r in self.rules if r.matches(scope["method"], scope["path"], message["status"])]
                if not rules:
                    await send(message)
                    return
                held.update(start=message, rules=rules)
                return
            if message["type"] == "http.response.body" and "start" in held:
                body.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                start, content = _rewrite(held["start"], b"".join(body), held["rules"])
                await send(start)
                await send({"type": "http.response.body", "body": content})
                return
            await send(message)

        await self.app(scope, receive, rewriting)


async def _echo(scope: dict, send: Any) -> None:
    """Answers TRACE as RFC 9110 describes it: 200 with the request as received (message/http)."""
    lines = [f"{scope['method']} {scope['path']} HTTP/1.1".encode()]
    lines += [name + b": " + value for name, value in scope.get("headers", [])]
    body = b"\r\n".join(lines) + b"\r\n\r\n"
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"message/http"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _as_text(send: Any) -> Any:
    """A send that turns every error answer (4xx, 5xx) into a plain-text body."""
    state = {"error": False}

    async def plain(message: dict) -> None:
        if message["type"] == "http.response.start" and message["status"] >= 400:
            state["error"] = True
            headers = [(k, v) for k, v in message["headers"] if k.lower() not in (b"content-type", b"content-length")]
            message = {**message, "headers": [*headers, (b"content-type", b"text/plain"),
                                              (b"content-length", str(len(_TEXT_ERROR)).encode())]}
        elif message["type"] == "http.response.body" and state["error"]:
            if message.get("more_body"):
                return
            message = {**message, "body": _TEXT_ERROR}
        await send(message)

    return plain


_TEXT_ERROR = b"Request failed"


def _reflecting(scope: dict, send: Any) -> Any:
    """A send that adds Access-Control-Allow-Origin: <the request's Origin> to the answer."""
    origin = dict(scope.get("headers", [])).get(b"origin")

    async def reflect(message: dict) -> None:
        if origin is not None and message["type"] == "http.response.start":
            message = {**message, "headers": [*message["headers"], (b"access-control-allow-origin", origin)]}
        await send(message)

    return reflect


def _rewrite(start: dict, content: bytes, rules: list[_Rule]) -> tuple[dict, bytes]:
    status = start["status"]
    headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
    for rule in rules:
        kind = rule.mutant.kind
        if kind == "status":
            status = int(rule.rest[0])
        elif kind == "header":
            name, op = rule.rest[0].encode(), rule.rest[1]
            if op == "weaken":
                headers = [(k, HSTS_WEAK.encode() if k.lower() == name else v) for k, v in headers]
            else:
                headers = [(k, v) for k, v in headers if k.lower() != name]
        elif kind == "reply":
            try:
                document = json.loads(content)
            except ValueError:
                continue
            content = json.dumps(mutate_json(document, rule.rest[0], rule.rest[1])).encode()
    headers.append((b"content-length", str(len(content)).encode()))
    return {**start, "status": status, "headers": headers}, content


class MutatedLog(JsonLog):
    """The device's JSON log with one field of one event corrupted (log mutants)."""

    def __init__(self, path: Any, rules: list[tuple[str, str, str]]):
        super().__init__(path)
        self._rules = rules

    def write(self, event: str, **fields: Any) -> None:
        """Writes the event as JsonLog does, with the mutated field."""
        line = {"timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                "event": event, **fields}
        for target, name, op in self._rules:
            if target == event and name in line:
                if op == "drop":
                    line.pop(name)
                else:
                    line[name] = _wrong_log_value(name, line[name])
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line) + "\n")


def _wrong_log_value(name: str, value: Any) -> Any:
    """A plausible wrong log value: a timestamp a day off, a number off by one, another user or client."""
    if name == "timestamp":
        return value.replace("T", " ").split("+")[0]  # local-looking time, no zone
    if isinstance(value, bool) or value is None:
        return "unknown"
    if isinstance(value, (int, float)):
        return value + 1
    return _alter_text(str(value))


def install_mutants(app: Any, ctx: Any) -> None:
    """Switches on the settings' reply, status, header and log mutants (numbers were applied before the start)."""
    mutants = [mutant_named(mutant_id) for mutant_id in getattr(ctx.settings, "mutants", [])]
    for mutant in mutants:
        if mutant.dialect != ctx.settings.dialect:
            raise ValueError(f"mutant {mutant.id} is of the {mutant.dialect} dialect; the device serves "
                             f"{ctx.settings.dialect}")
    rules = [_Rule(m) for m in mutants if m.kind in ("reply", "status", "header")]
    exposures = frozenset(m.id.split(":", 1)[1] for m in mutants if m.kind in ("method", "cors", "errors"))
    if rules or exposures:
        app.add_middleware(MutantMiddleware, rules=rules, exposures=exposures)
    switches.ON.clear()
    switches.ON.update(ctx.settings.switches())
    logs = [tuple(m.id.split(":")[2:5]) for m in mutants if m.kind == "log"]
    if logs:
        ctx.log = MutatedLog(ctx.log.path, logs)


def main() -> None:
    """Prints every generated mutant id with what it changes and the plans that must kill it."""
    for mutant in all_mutants():
        print(f"{mutant.id}\t{','.join(mutant.plans)}\t{mutant.description}")


if __name__ == "__main__":
    main()
