"""Documented reply shapes: a reply whose status a plan expects is judged against the contract's OpenAPI document.

Only the answers whose body the contract fixes are judged: 200 (the root, health, device information, login and
the clinical reports), 422 (FastAPI's detail list) and 429 (a JSON detail). Error bodies the contract leaves open
beyond "JSON" (401, 403, 409, 423) and the registration's 201 are not, so a conformant device that words them
otherwise passes (the contract, not the reference device's habits).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator

JUDGED_STATUSES = (200, 422, 429)
_SHOWN = 4


class ReplyShapes:
    """The JSON schema of each documented (method, path, status) reply, for paths below a base URL."""

    def __init__(self, document: dict[str, Any], base_url: str):
        self.document = document
        self.base_path = urlsplit(base_url).path.rstrip("/")
        self._schemas: dict[tuple[str, str, int], dict] = {}
        shared = document.get("components", {}).get("responses", {})
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                if not isinstance(operation, dict):
                    continue
                for status, response in operation.get("responses", {}).items():
                    while isinstance(response, dict) and "$ref" in response:  # components.responses
                        response = shared.get(response["$ref"].rsplit("/", 1)[-1], {})
                    schema = (response.get("content", {}).get("application/json", {}) or {}).get("schema")
                    if status.isdigit() and int(status) in JUDGED_STATUSES and schema:
                        self._schemas[(method.upper(), path, int(status))] = schema

    def schema_for(self, method: str, url: str, status: int) -> dict | None:
        """The documented schema of this answer, or None when the contract fixes no body for it."""
        path = urlsplit(url).path
        if self.base_path and path.startswith(self.base_path):
            path = path[len(self.base_path):] or "/"
        return self._schemas.get((method.upper(), path, status))

    def problems(self, method: str, url: str, status: int, text: str, content_type: str | None = None) \
            -> list[str] | None:
        """What the answer breaks of its documented JSON body (and its content type, when given); None when no
        schema applies."""
        schema = self.schema_for(method, url, status)
        if schema is None:
            return None
        declared = [] if content_type is None or is_json_type(content_type) else [
            f"Content-Type {content_type or 'missing'}, not application/json"]
        try:
            body = json.loads(text)
        except ValueError:
            return [*declared, "the body is not JSON"]
        validator = _validator(json.dumps({**schema, "components": self.document.get("components", {})},
                                          sort_keys=True))
        return declared + [f"{error.json_path}: {error.message}"[:200]
                           for error in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))]


def is_json_type(content_type: str) -> bool:
    """application/json or an application/*+json type, parameters aside."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))


@cache
def _validator(schema_text: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_text))


def summary(problems: list[str]) -> str:
    """The first problems on one line."""
    more = f" (and {len(problems) - _SHOWN} more)" if len(problems) > _SHOWN else ""
    return "; ".join(problems[:_SHOWN]) + more


Judge = Callable[[str, str, int, str], "list[str] | None"]
