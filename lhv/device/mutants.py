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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields, replace
from functools import cache
from importlib import resources
from typing import Any

from lhv.device.context import JsonLog

DIALECTS = ("plan", "v2")


@dataclass(frozen=True)
class Mutant:
    """One generated defect: what it changes, which clause areas it breaks and which plans must kill it."""

    id: str
    kind: str  # reply, status, header, number, log
    operator: str
    description: str
    areas: tuple[str, ...]  # clause areas (verification/clauses.toml) whose checks must catch it
    plans: tuple[str, ...]  # plans that must fail on one of those checks

    @property
    def dialect(self) -> str:
        """The dialect the device runs in for this mutant."""
        return self.id.split(":", 1)[0]


# ---- which plans and clause areas judge a route's answer ---------------------------------------------------------

_SEVERITY = ("/severity-assessment", "/severity-assessment/automatic/local")
_CLINICAL = ("/diagnosis-support", *_SEVERITY)
_BEARER = ("/device-information", *_CLINICAL)


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
    if status == 422 and path in _CLINICAL:
        return ("PLAN_009", "PLAN_011"), ("errors", "images", "diagnosis", "severity")
    if path == "/login":
        return ("PLAN_001",), ("auth", "tokens")
    if path == "/device-information":
        return ("PLAN_001",), ("routes", "tokens")
    if path == "/diagnosis-support":
        return ("PLAN_009", "PLAN_010", "PLAN_012"), ("images", "diagnosis", "fhir")
    if path in _SEVERITY:
        return ("PLAN_009", "PLAN_017"), ("severity", "scores", "fhir", "images")
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


def _ops_for(schema: dict) -> tuple[str, ...]:
    ops = ["drop", "null"]
    if "enum" in schema and len(schema["enum"]) > 1:
        ops.append("other")
    for kind in _types(schema):
        ops += [op for op in _TYPE_OPS.get(kind, ()) if op not in ops and not (op == "alter" and "other" in ops)]
    return tuple(ops)


def _walk(schema: dict, resolve: Callable[[dict], dict], path: str, depth: int = 0) -> Iterator[tuple[str, dict]]:
    """(JSON path, schema) of every property and array item reachable from a reply schema."""
    schema = resolve(schema)
    if depth > 8:
        return
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key, []):
            yield from _walk(sub, resolve, path, depth + 1)
    for name, sub in schema.get("properties", {}).items():
        yield f"{path}.{name}", resolve(sub)
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

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                if not status.isdigit():
                    continue
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                yield method.upper(), path, int(status), response, (resolve(schema) if schema else {}), resolve


def _reply_mutants(dialect: str) -> Iterator[Mutant]:
    seen: set[str] = set()
    for method, path, status, _, schema, resolve in _responses(dialect):
        if not schema:
            continue
        plans, areas = judges(path, status)
        for json_path, leaf in _walk(schema, resolve, "$"):
            for op in _ops_for(leaf):
                mutant_id = f"{dialect}:reply:{method}{path}:{status}:{json_path}:{op}"
                if mutant_id in seen:
                    continue
                seen.add(mutant_id)
                yield Mutant(mutant_id, "reply", op, f"{method} {path} → {status}: {op} {json_path}", areas, plans)


# ---- status and header mutants -------------------------------------------------------------------------------------

NEIGHBOURS = {200: 201, 201: 200, 401: 403, 403: 401, 409: 400, 413: 400, 422: 400, 423: 429, 429: 503}
HSTS_WEAK = "max-age=86400"


def _status_mutants(dialect: str) -> Iterator[Mutant]:
    for method, path, status, _, _, _ in _responses(dialect):
        if status in NEIGHBOURS:
            plans, areas = judges(path, status)
            yield Mutant(f"{dialect}:status:{method}{path}:{status}:{NEIGHBOURS[status]}", "status", "swap",
                         f"{method} {path} answers {NEIGHBOURS[status]} instead of {status}", areas, plans)


def _header_mutants(dialect: str) -> Iterator[Mutant]:
    routes = sorted({(method, path) for method, path, *_ in _responses(dialect)})
    for method, path in routes:
        for op, what in (("drop", "no"), ("weaken", f"a {HSTS_WEAK}")):
            yield Mutant(f"{dialect}:header:{method}{path}:*:strict-transport-security:{op}", "header", op,
                         f"{method} {path} answers with {what} Strict-Transport-Security", ("transport", "security"),
                         ("PLAN_004", "PLAN_019"))
    for method, path, status, response, schema, _ in _responses(dialect):
        required = [name.lower() for name, spec in response.get("headers", {}).items() if spec.get("required")]
        if status == 401:
            required.append("www-authenticate")
        if status == 429:
            required.append("retry-after")
        if schema:
            required.append("content-type")
        plans, areas = judges(path, status)
        for header in dict.fromkeys(required):
            yield Mutant(f"{dialect}:header:{method}{path}:{status}:{header}:drop", "header", "drop",
                         f"{method} {path} → {status} lacks {header}", areas, plans)


# ---- number mutants: each contract number the profile states --------------------------------------------------------

NUMBERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "token_lifetime_seconds": (("PLAN_002",), ("tokens",)),
    "lockout_threshold": (("PLAN_003",), ("lockout",)),
    "lockout_seconds": (("PLAN_003",), ("lockout",)),
    "anonymous_limit": (("PLAN_006",), ("limits",)),
    "authenticated_limit": (("PLAN_007",), ("limits",)),
    "rate_window_seconds": (("PLAN_006", "PLAN_007"), ("limits",)),
    "max_body_bytes": (("PLAN_019",), ("limits", "errors")),
}
NUMBER_OPS: dict[str, Callable[[float], float]] = {"half": lambda n: n / 2, "double": lambda n: n * 2,
                                                   "minus1": lambda n: n - 1, "plus1": lambda n: n + 1}


def _number_mutants(dialect: str) -> Iterator[Mutant]:
    for name, (plans, areas) in NUMBERS.items():
        for op in NUMBER_OPS:
            yield Mutant(f"{dialect}:number:{name}:{op}", "number", op,
                         f"the device keeps {name} {op} of what the profile states", areas, plans)


# ---- log mutants: one field of a rate-limit log entry ---------------------------------------------------------------

LOG_FIELDS = ("timestamp", "event", "client_ip", "user", "method", "path", "limit", "window", "count")


def _log_mutants(dialect: str) -> Iterator[Mutant]:
    for name in LOG_FIELDS:
        for op in ("drop", "alter"):
            yield Mutant(f"{dialect}:log:rate_limit_exceeded:{name}:{op}", "log", op,
                         f"rate-limit log entries {op} their {name}", ("logs",), ("PLAN_008",))


# ---- the catalogue ------------------------------------------------------------------------------------------------

_GENERATORS = (_reply_mutants, _status_mutants, _header_mutants, _number_mutants, _log_mutants)


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
    """ASGI middleware that rewrites the answers the active mutants name: JSON leaves, statuses, headers."""

    def __init__(self, app: Any, rules: list[_Rule]) -> None:
        self.app, self.rules = app, rules

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
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
        line = {"timestamp": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"),
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
    if rules:
        app.add_middleware(MutantMiddleware, rules=rules)
    logs = [tuple(m.id.split(":")[2:5]) for m in mutants if m.kind == "log"]
    if logs:
        ctx.log = MutatedLog(ctx.log.path, logs)


def main() -> None:
    """Prints every generated mutant id with what it changes and the plans that must kill it."""
    for mutant in all_mutants():
        print(f"{mutant.id}\t{','.join(mutant.plans)}\t{mutant.description}")


if __name__ == "__main__":
    main()
