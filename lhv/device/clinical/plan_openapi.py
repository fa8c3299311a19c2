"""The plan dialect's clinical routes in the device's generated OpenAPI document.

The routes parse their bodies themselves (for FastAPI-style errors that never echo image
data), so FastAPI cannot infer their schemas: the request schemas come from the parsing
models of plan_shape, the response schemas from the documentation-only models below. Each
schema is inlined (no $refs), and every snake_case key is paired with its camelCase twin,
exactly one of the two allowed, as the device accepts either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lhv.device.clinical.plan_shape import DiagnosisBody, SeverityBody, camel

# FHIR R4's regular expression for the instant type.
FHIR_INSTANT = (r"^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])"
                r"T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]{1,9})?"
                r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$")


class _Doc(BaseModel):
    model_config = ConfigDict(extra="allow")


class Coding(_Doc):
    """A FHIR Coding."""

    system: str
    code: str
    display: str


class CodeableConcept(_Doc):
    """A FHIR CodeableConcept."""

    coding: list[Coding]
    text: str


class Reference(_Doc):
    """A FHIR Reference."""

    reference: str


class RankedCondition(_Doc):
    """An ICD-11 condition and its probability in per cent."""

    code: str
    display: str
    probability: float = Field(ge=0, le=100)


class MediaValidity(_Doc):
    """Whether an image is usable: quality score 0–100 and whether it shows skin."""

    isValid: bool
    score: int = Field(ge=0, le=100)
    isDermatological: bool


class ImagingAnalysis(_Doc):
    """One image's own diagnosis and validity, in request order."""

    diagnosis: list[RankedCondition]
    mediaValidity: MediaValidity


class Interpretation(_Doc):
    """What a score means: category and intensity 0–3."""

    category: Literal["None", "Mild", "Moderate", "Severe"]
    intensity: int = Field(ge=0, le=3)


class Score(_Doc):
    """A scoring system's score."""

    value: float
    interpretation: Interpretation


class ScoreItem(_Doc):
    """An item a score is computed from: an AI grade or an echoed answer."""

    code: str
    value: float
    source: Literal["ai", "questionnaire"]


class AdditionalData(_Doc):
    """Zone-weighted systems only: what this site adds to the whole-body (or whole-scalp) score."""

    globalScoreContribution: float


class PatientEvolution(_Doc):
    """One requested scoring system's result."""

    code: str
    display: str
    score: Score
    item: list[ScoreItem]
    additionalData: AdditionalData = None  # type: ignore[assignment]  # zone-weighted systems only


class DiagnosticReport(_Doc):
    """FHIR R4 DiagnosticReport (status preliminary) plus the device's analysis elements."""

    resourceType: Literal["DiagnosticReport"]
    id: str
    status: Literal["preliminary"]
    code: CodeableConcept
    subject: Reference = None  # type: ignore[assignment]  # absent when the request had none
    issued: str = Field(pattern=FHIR_INSTANT, description="FHIR instant, with time zone")
    conclusionCode: list[CodeableConcept]
    analysisDuration: float = Field(gt=0, description="seconds")
    diagnosis: list[RankedCondition]
    imagingAnalysis: list[ImagingAnalysis]


class SeverityReport(DiagnosticReport):
    """A DiagnosticReport with one patientEvolution entry per requested scoring system."""

    patientEvolution: list[PatientEvolution]


class ValidationErrorItem(BaseModel):
    """One FastAPI-style validation error."""

    type: str
    loc: list[str | int]
    msg: str
    input: Any = None
    ctx: dict[str, Any] | None = None


class ValidationErrors(BaseModel):
    """A 422 body."""

    detail: list[ValidationErrorItem]


def operation(request: type[BaseModel], response: type[BaseModel], summary: str) -> dict[str, Any]:
    """Keyword arguments for the route decorator: summary, requestBody (openapi_extra) and responses."""
    return {
        "summary": summary,
        "openapi_extra": {"requestBody": {"required": True,
                                          "content": {"application/json": {"schema": _request_schema(request)}}}},
        "responses": {
            200: {"description": response.__doc__ or "",
                  "content": {"application/json": {"schema": _inlined(response)}}},
            401: {"description": "Missing, invalid or expired bearer token (WWW-Authenticate: Bearer)"},
            422: {"description": "The request breaks the contract; FastAPI-style detail list",
                  "content": {"application/json": {"schema": _inlined(ValidationErrors)}}},
        },
    }


def diagnosis_operation() -> dict[str, Any]:
    """The decorator arguments of POST /diagnosis-support."""
    return operation(DiagnosisBody, DiagnosticReport, "Ranks ICD-11 conditions from 1–5 images of one lesion")


def severity_operation() -> dict[str, Any]:
    """The decorator arguments of POST /severity-assessment."""
    return operation(SeverityBody, SeverityReport, "Scores the severity of one lesion from one image and answers")


def _inlined(model: type[BaseModel]) -> dict:
    schema = model.model_json_schema(mode="validation")
    return _inline(schema, schema.pop("$defs", {}))


def _request_schema(model: type[BaseModel]) -> dict:
    return _twinned(_inlined(model))


def _inline(node: Any, definitions: Mapping[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(definitions[node["$ref"].rsplit("/", 1)[-1]], definitions)
        return {key: _inline(value, definitions) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(value, definitions) for value in node]
    return node


def _twinned(node: Any) -> Any:
    """Adds each snake_case key's camelCase twin: a required one must be given once, an optional one at most once."""
    if isinstance(node, list):
        return [_twinned(value) for value in node]
    if not isinstance(node, dict):
        return node
    node = {key: _twinned(value) for key, value in node.items()}
    properties = node.get("properties")
    if not isinstance(properties, dict):
        return node
    twins = {snake: camel(snake) for snake in properties if "_" in snake}
    if not twins:
        return node
    node["properties"] = {**properties, **{twin: properties[snake] for snake, twin in twins.items()}}
    required = node.pop("required", [])
    rules = [{"oneOf": [{"required": [snake]}, {"required": [twin]}]} if snake in required
             else {"not": {"required": [snake, twin]}} for snake, twin in twins.items()]
    remaining = [name for name in required if name not in twins]
    return {**node, **({"required": remaining} if remaining else {}), "allOf": rules}
