"""The contract as an OpenAPI 3.1 document: the harness's own per dialect, adjusted by the profile.

A real device keeps its own /openapi.json behind login, so the harness ships the plan dialect's
contract (lhv/data/openapi-plan.json, written from CONTRACT.md). A profile may name another
document (`fuzzing.openapi`, e.g. a device's own, saved). What the contract marks [ours] and a
profile may set differently is applied when the document is loaded: the statuses of a locked
account and of a failed login, and the shortest password a registration accepts.

`summary` reduces a document to what two descriptions of one API must agree on: operations,
request media types, required request properties (a snake_case/camelCase pair either of which
may be given counts as one), documented statuses and whether a bearer token is required.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from lhv.contract.dialects import dialect_named
from lhv.contract.dialects.base import moved_paths
from lhv.core.errors import ConfigError
from lhv.session.profile import Profile

DOCUMENTS = {"plan": "openapi-plan.json", "v1": "openapi-v1.json", "v2": "openapi-v2.json"}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def shipped_document(dialect: str) -> dict[str, Any]:
    """The harness's OpenAPI document of a dialect; ConfigError when it has none."""
    name = DOCUMENTS.get(dialect)
    if name is None:
        raise ConfigError("target.dialect", dialect, f"the harness ships no OpenAPI document for this dialect "
                          f"(it has: {', '.join(DOCUMENTS)}); name one in fuzzing.openapi")
    return json.loads(resources.files("lhv.data").joinpath(name).read_text(encoding="utf-8"))


def document_for(profile: Profile, *, base: Path | None = None) -> tuple[dict[str, Any], str]:
    """The document fuzzing uses for a profile, and where it came from."""
    named = profile.fuzzing.openapi
    if not named:
        document, source = shipped_document(profile.target.dialect), f"lhv/data/{DOCUMENTS[profile.target.dialect]}"
    else:
        path = Path(named).expanduser()
        if not path.is_absolute() and base is not None:
            path = base / path
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(profile.source, "fuzzing.openapi", f"cannot read {path} as JSON ({exc})") from None
        source = str(path)
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3."):
        raise ConfigError(profile.source or source, "fuzzing.openapi", f"{source} is not an OpenAPI 3 document")
    return routed(adjusted(document, profile), profile), source


def routed(document: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """A copy of the document with its operations at the profile's routes ([routes]): each operation at a default
    route of the dialect that the profile moves goes to the route the profile gives (a document that already
    names the moved routes is left as it is)."""
    moves = dialect_named(profile.target.dialect).remapped(profile.routes.resolved()).moved()
    if not moves:
        return document
    return {**document, "paths": moved_paths(document.get("paths", {}), moves)}


def adjusted(document: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """A copy of the document with the profile's [ours] numbers in place of the contract's defaults."""
    document = copy.deepcopy(document)
    for _path, _method, operation in operations(document):
        if operation.get("operationId") == "login":
            responses = operation.setdefault("responses", {})
            template = responses.get("423") or {"description": "locked", "content": {}}
            for status in {*profile.auth.locked_statuses, profile.auth.login_failure_status}:
                responses.setdefault(str(status), copy.deepcopy(template))
    for path, item in document.get("paths", {}).items():
        if path.endswith("/severity-assessment/manual"):  # the only operation schemathesis cannot generate from
            _one_spelling_required(item)
    new_user = document.get("components", {}).get("schemas", {}).get("NewUser", {})
    password = new_user.get("properties", {}).get("password")
    if isinstance(password, dict):
        password["minLength"] = profile.accounts.min_password_length
    return document


def _one_spelling_required(node: Any) -> None:
    """Replaces "one of these spellings is required" (allOf of oneOf of required, as the device documents an item
    taken by its snake_case or camelCase name) by requiring the first spelling: schemathesis cannot generate from
    the alternatives, and the first is always taken."""
    if isinstance(node, dict):
        alternatives = node.get("allOf")
        if isinstance(alternatives, list) and alternatives and all(
                isinstance(part, dict) and set(part) == {"oneOf"} and part["oneOf"]
                and all(isinstance(choice, dict) and set(choice) == {"required"} for choice in part["oneOf"])
                for part in alternatives):
            del node["allOf"]
            node["required"] = [*node.get("required", []),
                                *(name for part in alternatives for name in part["oneOf"][0]["required"])]
        for value in node.values():
            _one_spelling_required(value)
    elif isinstance(node, list):
        for value in node:
            _one_spelling_required(value)


def operations(document: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) for every operation of the document."""
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            if isinstance(item.get(method), dict):
                yield path, method, item[method]


def links(document: Mapping[str, Any]) -> list[str]:
    """"METHOD /path → link name" for every OpenAPI link of the document's responses."""
    found = []
    for path, method, operation in operations(document):
        for response in operation.get("responses", {}).values():
            for name in (response.get("links") or {}) if isinstance(response, Mapping) else ():
                found.append(f"{method.upper()} {path} → {name}")
    return found


@dataclass(frozen=True)
class OperationSummary:
    """What two documents of one API must agree on for one operation."""

    media_types: frozenset[str]
    required: frozenset[str]  # dotted paths of required request properties; "a|b" where either spelling does
    statuses: frozenset[str]
    bearer: bool


def summary(document: Mapping[str, Any]) -> dict[str, OperationSummary]:
    """"METHOD /path" → what matters of that operation."""
    resolver = _Resolver(document)
    global_security = document.get("security", [])
    result = {}
    for path, method, operation in operations(document):
        body = resolver.resolve(operation.get("requestBody", {}))
        content = body.get("content", {})
        required: set[str] = set()
        for media in content.values():
            required |= required_paths(resolver.resolve(media.get("schema", {})), resolver)
        security = operation.get("security", global_security)
        bearer = any(_is_bearer(document, name) for requirement in security for name in requirement)
        result[f"{method.upper()} {path}"] = OperationSummary(frozenset(content), frozenset(required),
                                                              frozenset(operation.get("responses", {})), bearer)
    return result


def _is_bearer(document: Mapping[str, Any], name: str) -> bool:
    scheme = document.get("components", {}).get("securitySchemes", {}).get(name, {})
    return scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer"


def required_paths(schema: Mapping[str, Any], resolver: _Resolver, prefix: str = "", depth: int = 0) -> set[str]:
    """Dotted paths of required request properties, at any depth (arrays add "[]").

    A property counts where its parent object is given, so `subject.reference` is listed although
    `subject` is optional. Names that are spellings of one field (a snake_case/camelCase pair tied by
    `oneOf` of one-name `required`s, or by `not: {required: [a, b]}`) are written "a|b".
    """
    schema = resolver.resolve(schema)
    if depth > 12 or not isinstance(schema, Mapping):
        return set()
    if schema.get("type") == "array" or "items" in schema:
        return required_paths(schema.get("items", {}), resolver, prefix + "[]", depth + 1)
    spellings: dict[str, tuple[str, ...]] = {}
    required = set(schema.get("required", []))
    for part in (resolver.resolve(part) for part in schema.get("allOf", [])):
        alternatives = [resolver.resolve(option).get("required", []) for option in part.get("oneOf", [])]
        pair = resolver.resolve(part.get("not", {})).get("required", [])
        if alternatives and all(len(names) == 1 for names in alternatives):
            group = tuple(sorted(names[0] for names in alternatives))
            required |= set(group)
        elif len(pair) == 2:
            group = tuple(sorted(pair))
        else:
            required |= set(part.get("required", []))
            continue
        spellings.update({name: group for name in group})
    properties = schema.get("properties", {})
    found: set[str] = set()
    for name in sorted(set(properties) | required):
        group = spellings.get(name, (name,))
        if name != group[0]:
            continue  # one entry per field, under its first spelling
        where = f"{prefix}.{'|'.join(group)}" if prefix else "|".join(group)
        if any(spelling in required for spelling in group):
            found.add(where)
        child = next((properties[spelling] for spelling in group if spelling in properties), None)
        if child is not None:
            found |= required_paths(child, resolver, where, depth + 1)
    return found


class _Resolver:
    """Follows local $refs (#/components/…) of one document."""

    def __init__(self, document: Mapping[str, Any]):
        self.document = document

    def resolve(self, node: Any) -> Any:
        seen = 0
        while isinstance(node, Mapping) and "$ref" in node and seen < 32:
            reference = node["$ref"]
            if not reference.startswith("#/"):
                raise ValueError(f"only local $refs are followed, not {reference}")
            target: Any = self.document
            for part in reference[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node, seen = target, seen + 1
        return node


def differences(shipped: Mapping[str, OperationSummary], generated: Mapping[str, OperationSummary]) -> list[str]:
    """What two summaries disagree on, one line each (empty when they agree)."""
    lines = [f"{label}: only in the shipped document" for label in sorted(set(shipped) - set(generated))]
    lines += [f"{label}: only in the device's document" for label in sorted(set(generated) - set(shipped))]
    for label in sorted(set(shipped) & set(generated)):
        ours, theirs = shipped[label], generated[label]
        for field in ("media_types", "required", "statuses"):
            mine, device = getattr(ours, field), getattr(theirs, field)
            only_ours, only_theirs = mine - device, device - mine
            if only_ours:
                lines.append(f"{label}: {field} only in the shipped document: {', '.join(sorted(only_ours))}")
            if only_theirs:
                lines.append(f"{label}: {field} only in the device's document: {', '.join(sorted(only_theirs))}")
        if ours.bearer != theirs.bearer:
            lines.append(f"{label}: bearer token required in the shipped document: {ours.bearer}, "
                         f"in the device's: {theirs.bearer}")
    return lines
