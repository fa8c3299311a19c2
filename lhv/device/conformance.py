"""Faults that break the contract's OpenAPI document rather than a rule: an undocumented status, schema-breaking
data taken, a route at another path.

* `login-invalid-grant`: the login refuses as an OAuth2 token endpoint does (RFC 6749 §5.2): 400
  `{"error": "invalid_grant"}` for wrong credentials and 400 `{"error": "invalid_request"}` for a form it cannot
  read, not the contract's 401 and 422.
* `parse-errors-answered-200`: a clinical request that does not parse into the request model (not JSON, wrong
  types, missing or unknown keys) is answered 200 with a FHIR OperationOutcome listing the problems, as some FHIR
  servers answer, not refused with 422; image and clinical-rule errors keep their 422.
* `diagnosis-route-moved`: diagnosis support is served at /diagnosis (an older build's path); /diagnosis-support
  answers 404.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI

from lhv.device.context import DeviceContext
from lhv.device.exchange import Answer, AnswerRewriting, Asked
from lhv.device.injection import LOGIN_PATH, clinical_paths

DIAGNOSIS_PATH = "/diagnosis-support"  # the same in both dialects
MOVED_TO = "/diagnosis"
PARSE_ERRORS = frozenset({"json_invalid", "missing", "extra_forbidden", "dict_type", "model_type", "list_type",
                          "string_type", "float_type", "int_type", "bool_type", "model_attributes_type"})


_OAUTH_ERRORS = {401: {"error": "invalid_grant", "error_description": "Incorrect username or password"},
                 422: {"error": "invalid_request", "error_description": "The form lacks a username or password"}}


def _oauth_refusal(asked: Asked, answer: Answer) -> Answer:
    kept = tuple((k, v) for k, v in answer.headers if k.lower() != b"www-authenticate")
    return Answer(400, kept, answer.body).with_json(_OAUTH_ERRORS[answer.status])


def parse_errors_only(refusal: Any) -> list[dict] | None:
    """A 422 body's errors when every one says the request did not parse into the model; None otherwise."""
    errors = refusal.get("detail") if isinstance(refusal, dict) else None
    if not isinstance(errors, list) or not errors:
        return None
    parse = all(isinstance(error, dict) and error.get("type") in PARSE_ERRORS for error in errors)
    return errors if parse else None


def operation_outcome(errors: list[dict]) -> dict:
    """A FHIR OperationOutcome listing validation errors as issues."""
    return {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "structure", "diagnostics": str(error.get("msg", "")),
         "expression": [".".join(str(part) for part in error.get("loc", []))]} for error in errors]}


def _outcome_instead(asked: Asked, answer: Answer) -> Answer:
    errors = parse_errors_only(answer.json())
    return answer if errors is None else answer.with_json(operation_outcome(errors), status=200)


class MovedDiagnosis:
    """ASGI middleware of `diagnosis-route-moved`: /diagnosis reaches the diagnosis route, its documented path 404s."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == DIAGNOSIS_PATH:
            body = json.dumps({"detail": "Not Found"}).encode()
            await send({"type": "http.response.start", "status": 404, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        if scope["type"] == "http" and scope["path"] == MOVED_TO:
            scope = {**scope, "path": DIAGNOSIS_PATH, "raw_path": DIAGNOSIS_PATH.encode()}
        await self.app(scope, receive, send)


def install_conformance_faults(app: FastAPI, ctx: DeviceContext) -> None:
    """Adds the middleware of the switched-on faults of this module."""
    if ctx.has("login-invalid-grant"):
        app.add_middleware(AnswerRewriting, wants=lambda method, path, status: (method, path) == (
            "POST", LOGIN_PATH) and status in _OAUTH_ERRORS, rewrite=_oauth_refusal)
    if ctx.has("parse-errors-answered-200"):
        clinical = clinical_paths(ctx)
        app.add_middleware(AnswerRewriting, wants=lambda method, path, status: path in clinical and status == 422,
                           rewrite=_outcome_instead)
    if ctx.has("diagnosis-route-moved"):
        app.add_middleware(MovedDiagnosis)
