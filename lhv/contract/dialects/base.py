"""The interface every API dialect implements."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lhv.contract.intents import DiagnosisReport, Image, RequestField, SeverityReport, SeverityRequest
from lhv.core.http import Reply

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class TokenGrant:
    """A login's result as plans see it."""

    access_token: str
    token_type: str
    lifetime_seconds: int | None


@dataclass(frozen=True)
class DeviceInfo:
    """The software under test, as the device describes itself."""

    name: str
    manufacturer: str
    version: str
    udi: str | None


@dataclass(frozen=True)
class Route:
    """A route of the dialect: method and path below the base URL."""

    method: str
    path: str
    needs_token: bool


METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

# Named route layouts a profile's [routes] layout can give instead of typing each route (CONTRACT.md Appendix B):
# intent → "METHOD /path", below the target's base URL and version prefix.
LAYOUTS: dict[str, dict[str, str]] = {
    "release-1.1.0.0": {"login": "POST /auth/login", "diagnose": "POST /clinical/diagnosis-support",
                        "assess_severity": "POST /clinical/severity-assessment",
                        "device_information": "GET /device/about", "health": "GET /device/health"},
}


def parse_route(text: str) -> tuple[str, str]:
    """Reads "METHOD /path" into (method, path); ValueError says what is wrong with it."""
    words = text.split() if isinstance(text, str) else []
    if len(words) != 2:
        raise ValueError(f"{text!r} is not \"METHOD /path\" (e.g. \"POST /clinical/diagnosis-support\")")
    method, path = words
    if method.upper() not in METHODS:
        raise ValueError(f"{method!r} is not an HTTP method ({', '.join(METHODS)})")
    if not path.startswith("/"):
        raise ValueError(f"the path {path!r} does not start with \"/\"")
    if any(mark in path for mark in "?#") or "//" in path:
        raise ValueError(f"the path {path!r} is not a plain path (no query, fragment or empty segment)")
    return method.upper(), path


def layout_map(layout: str, routes: Mapping[str, str]) -> dict[str, str]:
    """A named layout's routes with a profile's own on top (intent → "METHOD /path"); KeyError for an unknown layout."""
    base = LAYOUTS[layout] if layout else {}
    return {**base, **routes}


_OPERATIONS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def moved_paths(paths: Mapping[str, Any], moves: Mapping[tuple[str, str], tuple[str, str]]) -> dict[str, Any]:
    """An OpenAPI `paths` object with each operation at (method, path) in `moves` put at its new method and path
    (a path's shared keys, such as its parameters, go with each of its operations)."""
    result: dict[str, dict[str, Any]] = {}
    for path, item in paths.items():
        shared = {key: value for key, value in item.items() if key not in _OPERATIONS}
        for key, value in item.items():
            if key not in _OPERATIONS:
                continue
            method, where = moves.get((key.upper(), path), (key.upper(), path))
            result.setdefault(where, dict(shared))[method.lower()] = value
        if not any(key in _OPERATIONS for key in item):
            result.setdefault(path, dict(shared))
    return result


class Dialect(ABC):
    """Turns intents into requests and responses into facts, for one API generation."""

    name: str
    routes: dict[str, Route]  # the dialect's default routes (class); an instance's routes follow its route map

    def __init__(self, route_map: Mapping[str, str] | None = None):
        """A dialect whose routes are its defaults, with the intents a route map names ("METHOD /path") moved."""
        defaults = type(self).routes
        unknown = sorted(set(route_map or {}) - set(defaults))
        if unknown:
            raise ValueError(f"{', '.join(unknown)}: not an intent of the {self.name} dialect "
                             f"({', '.join(defaults)})")
        self.routes = dict(defaults)
        for intent, text in (route_map or {}).items():
            method, path = parse_route(text)
            self.routes[intent] = Route(method, path, defaults[intent].needs_token)
        served: dict[tuple[str, str], str] = {}
        for intent, route in self.routes.items():
            other = served.setdefault((route.method, route.path), intent)
            if other != intent:
                raise ValueError(f"{intent}: {route.method} {route.path} would serve both {other} and {intent}")

    def remapped(self, route_map: Mapping[str, str]) -> Dialect:
        """This dialect with its routes moved by a route map (intent → "METHOD /path"), e.g. a profile's [routes]."""
        return type(self)(route_map)

    def route(self, intent: str) -> Route:
        """Returns the route that serves an intent such as 'login' or 'diagnose': the route map's, else the default."""
        return self.routes[intent]

    def moved(self) -> dict[tuple[str, str], tuple[str, str]]:
        """(method, path) of each default route the route map moves → (method, path) where it is served instead."""
        return {(default.method, default.path): (self.routes[intent].method, self.routes[intent].path)
                for intent, default in type(self).routes.items()
                if (default.method, default.path) != (self.routes[intent].method, self.routes[intent].path)}

    @abstractmethod
    def login_form(self, username: str, password: str) -> dict[str, str]:
        """Returns the login form for these credentials."""

    @abstractmethod
    def read_token(self, reply: Reply) -> TokenGrant:
        """Reads a successful login reply; raises CheckFailed if it lacks what the contract says."""

    @abstractmethod
    def registration_body(self, username: str, password: str, role: str | None) -> dict:
        """Returns the body that registers a user (role None leaves it to the device)."""

    @abstractmethod
    def read_device_info(self, reply: Reply) -> DeviceInfo:
        """Reads the device-information reply."""

    # ---- clinical routes (CONTRACT.md §5–§8) --------------------------------------------------------

    report_schema: str = "diagnostic_report.schema.json"  # the device's own report schema, in lhv/data

    @abstractmethod
    def diagnosis_body(self, images: Sequence[Image], subject: str | None) -> dict:
        """Returns the diagnosis-support body for these images (in order) of one subject."""

    @abstractmethod
    def severity_body(self, request: SeverityRequest) -> dict:
        """Returns the severity-assessment body for a request; fields set to None are left out."""

    def expresses(self, request: SeverityRequest) -> bool:
        """True when the dialect's bodies can say this request (v2 cannot list answers for a system it
        does not request); a property draws only requests the target's dialect can say."""
        return True

    def subject_of(self, body: dict) -> str | None:
        """The subject reference a clinical request body names, or None."""
        subject = body.get("subject")
        reference = subject.get("reference") if isinstance(subject, dict) else None
        return reference if isinstance(reference, str) else None

    @abstractmethod
    def severity_request_of(self, body: dict) -> SeverityRequest:
        """Reads a valid severity body of this dialect back into a request (for payload files)."""

    @abstractmethod
    def read_diagnosis(self, reply: Reply) -> DiagnosisReport:
        """Reads a diagnosis reply; raises CheckFailed naming what it lacks."""

    @abstractmethod
    def read_severity(self, reply: Reply) -> SeverityReport:
        """Reads a severity reply; raises CheckFailed naming what it lacks."""

    @abstractmethod
    def field_loc(self, operation: str, field: RequestField | str, request: SeverityRequest | None = None) -> Loc:
        """Where an error about a request field points in this dialect (an error's `loc` starts with it).

        `request` places questionnaire fields, whose position depends on the request's answers.
        """

    @abstractmethod
    def without_field(self, body: dict, operation: str, field: RequestField | str) -> dict:
        """Returns a copy of a body with a field left out, whichever spelling the body uses."""

    # ---- ways of writing a severity request that the contract leaves open (the profile's [severity] decides) ----

    open_ways: tuple[str, ...] = ()  # the names of lhv.contract.intents.OPEN_WAYS this dialect can write

    def open_way_body(self, request: SeverityRequest, way: str) -> dict:
        """Returns the severity body of a valid request written the open way `way` (one of open_ways)."""
        raise ValueError(f"the {self.name} dialect cannot write a request the way {way!r}: {self.open_way_absent(way)}")

    def open_way_locs(self, request: SeverityRequest, way: str) -> tuple[Loc, ...]:
        """Where a target that refuses a request written this way points: its errors lie at or below one of these."""
        raise ValueError(f"the {self.name} dialect cannot write a request the way {way!r}: {self.open_way_absent(way)}")

    def open_way_absent(self, way: str) -> str:
        """Why this dialect cannot write a request the way `way` (the record says it, the check is not applicable)."""
        return f"the {self.name} dialect has no such way"

    def validation_errors(self, reply: Reply) -> list[dict[str, Any]]:
        """The errors of a validation reply (CONTRACT.md §8: `{"detail": [{"type", "loc", "msg"}]}`)."""
        body = reply.json()
        detail = body.get("detail") if isinstance(body, dict) else None
        return [error for error in detail if isinstance(error, dict)] if isinstance(detail, list) else []

    def errors_at(self, reply: Reply, operation: str, field: RequestField | str,
                  request: SeverityRequest | None = None) -> list[dict[str, Any]]:
        """The reply's errors whose `loc` lies at or below a request field."""
        where = self.field_loc(operation, field, request)
        return [error for error in self.validation_errors(reply)
                if isinstance(error.get("loc"), list) and tuple(error["loc"][:len(where)]) == where]

    def error_points_at(self, reply: Reply, operation: str, field: RequestField | str,
                        request: SeverityRequest | None = None) -> bool:
        """True when some error of the reply points at the request field."""
        return bool(self.errors_at(reply, operation, field, request))


_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")


def spelt(key: str, way: str) -> str:
    """A request key in the spelling a key way names: snake-case-keys (body_site) or camel-case-keys (bodySite)."""
    if way == "snake-case-keys":
        return _HUMP.sub(lambda match: "_" + match.group(1).lower(), key)
    head, *rest = key.split("_")
    return head + "".join(word.title() for word in rest)


def key_locs(body: dict, way: str) -> tuple[Loc, ...]:
    """The top-level keys of a body that the key way spells otherwise than the other way does, as locations."""
    other = "camel-case-keys" if way == "snake-case-keys" else "snake-case-keys"
    return tuple(("body", key) for key in body if spelt(key, other) != key)
