"""What every dialect's clinical shapes share: JSON intake, FastAPI-style errors, echo elision, the FHIR frame.

A dialect's shape module (plan_shape.py, v2_shape.py) names the fields; the pieces here do not.
The shape faults of the device live here too, so they show in every dialect: `accepts-malformed-body`
(StrictModel drops unknown keys and Number reads text in lenient mode) and `response-not-fhir`
(report_frame). Error inputs never carry image data: a string under a `data` key longer than
ELIDE_AFTER characters is echoed as its first ELIDE_KEEP characters and "...", as the seed's
PLAN_017 error body shows it, and any other string longer than LONG_STRING characters likewise.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationInfo, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from lhv.contract.tables import CONDITION_BY_CODE, ICD11_SYSTEM
from lhv.device import switches
from lhv.device.clinical.model import ConditionProbability, Diagnosis
from lhv.device.clinical.scoring import SystemScore
from lhv.device.clinical.service import DiagnosisResult, MediaInput, SeverityResult
from lhv.device.clinical.validation import ErrorDict, Loc, LocFor, SeverityRequest

ELIDE_KEEP = 31  # "/9j/4AAQSkZJRgABAQAAAQABAAD/2wB...": the seed's PLAN_017 error body
ELIDE_AFTER = 34
LONG_STRING = 256
MAX_DEPTH = 32  # deeper bodies are refused: no request of the contract nests more than 6 levels
REPORT_CODE_SYSTEM = "urn:lhv:reference-device:report"


class RequestInvalid(Exception):
    """A request the device refuses with 422; `errors` is the `detail` list."""

    def __init__(self, errors: list[ErrorDict]) -> None:
        super().__init__(f"{len(errors)} validation error(s)")
        self.errors = errors


def camel(snake: str) -> str:
    """snake_case → camelCase (body_site → bodySite)."""
    head, *rest = snake.split("_")
    return head + "".join(word.title() for word in rest)


# ---- request models -------------------------------------------------------------------------------

def finite_float(text: str) -> float:
    """A JSON number's text as a finite float; ValueError for NaN, Infinity and overflow."""
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("a number is too large")
    return number


def _json_number(value: Any, info: ValidationInfo) -> int | float:
    if isinstance(value, str) and (info.context or {}).get("lenient"):
        try:  # fault `accepts-malformed-body`: numbers written as text are taken
            return finite_float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PydanticCustomError("float_type", "Input should be a valid number")
    return value


Number = Annotated[Any, PlainValidator(_json_number), WithJsonSchema({"type": "number"})]
Base64Text = Annotated[Any, WithJsonSchema({"type": "string", "contentEncoding": "base64",
                                            "description": "standard base64 (RFC 4648 §4), no data: prefix"})]


class StrictModel(BaseModel):
    """A request object: unknown keys are refused, unless the device's fault lets them through."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False)

    @model_validator(mode="before")
    @classmethod
    def _drop_unknown_keys(cls, data: Any, info: ValidationInfo) -> Any:
        # Fault `accepts-malformed-body`: keys the model does not know are silently dropped.
        if isinstance(data, dict) and (info.context or {}).get("lenient"):
            known = {name for field in cls.model_fields.values()
                     for name in getattr(field.validation_alias, "choices", ())}
            known |= {field.alias for field in cls.model_fields.values() if field.alias}
            known |= set(cls.model_fields)
            return {key: value for key, value in data.items() if key in known}
        return data


def documented_as_required(*names: str) -> Callable[[dict], None]:
    """A model's json_schema_extra that lists fields as required which the parser takes as optional, so that
    their absence gets the clinical rules' error (`missing`, with the body as sent), as FastAPI reports it."""
    def extra(schema: dict) -> None:
        required = schema.get("required", [])
        schema["required"] = [*required, *(name for name in names if name not in required)]
    return extra


# ---- parsing -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DiagnosisInput:
    """A parsed diagnosis request."""

    subject: str | None
    media: tuple[MediaInput, ...]


@dataclass(frozen=True)
class SeverityInput:
    """A parsed severity request: the neutral request the rules see, plus what the report echoes."""

    subject: str | None
    media: MediaInput
    request: SeverityRequest
    condition_display: str | None


def parse_json(raw: bytes) -> Any:
    """The request body as JSON; refuses empty bodies, invalid JSON and non-finite numbers with 422."""
    if not raw.strip():
        raise RequestInvalid([{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}])
    try:
        body = json.loads(raw, parse_constant=_no_constant, parse_float=finite_float)
    except (ValueError, RecursionError) as error:
        raise _json_invalid(getattr(error, "pos", 0), getattr(error, "msg", None) or str(error)) from None
    problem = _unechoable(body)
    if problem:
        raise _json_invalid(0, problem)
    return body


def _json_invalid(position: int, reason: str) -> RequestInvalid:
    return RequestInvalid([{"type": "json_invalid", "loc": ["body", position], "msg": "JSON decode error",
                            "input": {}, "ctx": {"error": reason}}])


def _unechoable(body: Any) -> str | None:
    """Why a parsed body could not be echoed back as UTF-8 JSON, or None: too deep, or a lone surrogate."""
    pending = [(body, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            return f"the body is nested more than {MAX_DEPTH} levels deep"
        if isinstance(value, dict):
            pending += [(key, depth) for key in value] + [(item, depth + 1) for item in value.values()]
        elif isinstance(value, list):
            pending += [(item, depth + 1) for item in value]
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "the body contains a lone UTF-16 surrogate escape"
    return None


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def validated(model: type[StrictModel], body: Any, lenient: bool, names: Mapping[str, str] | None = None) -> Any:
    """The body read by a model; RequestInvalid with every error, its loc in the dialect's names."""
    from pydantic import ValidationError

    try:
        return model.model_validate(body, strict=not lenient, context={"lenient": lenient})
    except ValidationError as error:
        raise RequestInvalid([fastapi_error(item, names or {}) for item in error.errors(include_url=False)]) \
            from None


def fastapi_error(error: Mapping[str, Any], names: Mapping[str, str]) -> ErrorDict:
    """A pydantic error as FastAPI reports it, each known field in `loc` renamed by `names` (python → wire)."""
    *path, last = error["loc"] or ("",)
    # Known fields are named as the dialect spells them; an unknown key is named as the client spelt it.
    named = [*(names.get(part, part) for part in path),
             last if error["type"] == "extra_forbidden" else names.get(last, last)]
    out: ErrorDict = {"type": error["type"], "loc": ["body", *(part for part in named if part != "")],
                      "msg": error["msg"]}
    if "input" in error:
        out["input"] = elide(error["input"])
    if error["type"] == "model_type":  # pydantic's strict-mode text names the model class: say what JSON needs
        return {**out, "type": "dict_type", "msg": "Input should be a valid dictionary"}
    if error.get("ctx"):
        out["ctx"] = {key: value if isinstance(value, (str, int, float, bool)) else str(value)
                      for key, value in error["ctx"].items()}
    return out


_CAMEL_KEY = re.compile(r"[a-z0-9][A-Z]")


def refuse_camel_case_keys(body: Any) -> None:
    """Fault `camel-case-keys-refused`: a severity model without camelCase aliases takes the request's own fields
    only in snake_case, so each camelCase top-level key is refused as unknown (in v2, every key of its own)."""
    if not switches.on("camel-case-keys-refused") or not isinstance(body, dict):
        return
    errors = [{"type": "extra_forbidden", "loc": ["body", key], "msg": "Extra inputs are not permitted",
               "input": elide(value, key)} for key, value in body.items() if _CAMEL_KEY.search(key)]
    if errors:
        raise RequestInvalid(errors)


def duplicate_error(loc: Loc, code: str, what: str) -> ErrorDict:
    """The 422 error for a code given twice where once is allowed."""
    message = f"the {what} {code!r} is given more than once"
    return {"type": "value_error", "loc": loc, "msg": f"Value error, {message}", "input": code,
            "ctx": {"error": message}}


def elide(value: Any, key: str | None = None) -> Any:
    """A received value safe to echo: image data and other long strings cut to a short prefix and '...'."""
    if isinstance(value, dict):
        return {k: elide(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [elide(v) for v in value]
    if isinstance(value, str):
        limit = ELIDE_AFTER if key == "data" else LONG_STRING
        if switches.on("echo:image-data"):  # a generated mutant: inputs echoed whole, image data included
            return value
        return value[:ELIDE_KEEP] + "..." if len(value) > limit else value
    return value


def too_many_images(count: int, most: int, loc: Loc) -> RequestInvalid:
    """The 422 for an image list longer than the device takes."""
    return RequestInvalid([{"type": "too_long", "loc": loc,
                            "msg": f"List should have at most {most} items after validation, not {count}",
                            "ctx": {"field_type": "List", "max_length": most, "actual_length": count}}])


def image_error(loc: Loc, rejection: Any) -> ErrorDict:
    """The 422 error for a refused image (an ImageRejected), at the media entry's field it is about."""
    return {"type": "value_error", "loc": [*loc, rejection.field], "msg": rejection.message,
            "ctx": {"reason": rejection.reason_code}}


# ---- reports -------------------------------------------------------------------------------------

def report_frame(kind: str, title: str, subject: str | None, code: str, display: str, fhir_slip: bool) -> dict:
    """The FHIR R4 DiagnosticReport frame of a reply (CONTRACT.md §6)."""
    now = dt.datetime.now(dt.UTC)
    # Fault `response-not-fhir`: a local time without its zone and a status code FHIR does not have.
    issued = now.replace(tzinfo=None).isoformat(timespec="milliseconds") if fhir_slip \
        else now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    frame: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "id": str(uuid.uuid4()),
        "status": "Preliminary" if fhir_slip else "preliminary",
        "code": {"coding": [{"system": REPORT_CODE_SYSTEM, "code": kind, "display": title}], "text": title},
    }
    if subject is not None:
        frame["subject"] = {"reference": subject}
    frame["issued"] = issued
    frame["conclusionCode"] = [{"coding": [{"system": ICD11_SYSTEM, "code": code, "display": display}],
                                "text": display}]
    return frame


@dataclass(frozen=True)
class ClinicalShape:
    """One dialect's clinical routes: paths, documentation, parsing, where errors point, and the reports."""

    name: str
    diagnosis_path: str
    severity_path: str
    diagnosis_doc: Callable[[], dict]  # route decorator arguments (summary, requestBody, responses)
    severity_doc: Callable[[], dict]
    read_diagnosis: Callable[..., DiagnosisInput]  # (body, *, lenient) → input; RequestInvalid
    read_severity: Callable[..., SeverityInput]
    loc_for: Callable[[SeverityRequest], LocFor]  # where the clinical rules' errors point
    rule_errors: Callable[[list[ErrorDict]], list[ErrorDict]]  # the rules' errors in the dialect's words
    image_errors: Callable[..., list[ErrorDict]]  # (rejected, *, listed) → errors
    too_many_images: Callable[[int, int], RequestInvalid]
    diagnosis_report: Callable[..., dict]  # (result, subject, *, fhir_slip) → report
    severity_report: Callable[..., dict]  # (result, parsed, *, fhir_slip) → report


def diagnosis_report(result: DiagnosisResult, subject: str | None, *, fhir_slip: bool = False) -> dict:
    """The FHIR R4 DiagnosticReport of a diagnosis (CONTRACT.md §6), the same in every dialect."""
    top = result.diagnosis.aggregate[0]
    report = report_frame("diagnosis-support", "Diagnosis support", subject, top.code, top.display, fhir_slip)
    return {**report, **analysis_elements(result.diagnosis, result.duration_seconds)}


def severity_frame(result: SeverityResult, parsed: SeverityInput, fhir_slip: bool) -> dict:
    """A severity report without its patientEvolution (CONTRACT.md §7), the same in every dialect."""
    report = report_frame("severity-assessment", "Severity assessment", parsed.subject, result.condition,
                          condition_display(result, parsed), fhir_slip)
    return {**report, **analysis_elements(result.diagnosis, result.duration_seconds)}


def score_element(score: SystemScore) -> dict:
    """A system's `score` element: value and interpretation."""
    return {"value": score.value, "interpretation": {"category": score.interpretation.category,
                                                     "intensity": score.interpretation.intensity}}


def condition_display(result: SeverityResult, parsed: SeverityInput) -> str:
    """The name a severity report gives the known condition: as sent, else the contract's, else its code."""
    condition = CONDITION_BY_CODE.get(result.condition)
    return parsed.condition_display or (condition.display if condition else result.condition)


def analysis_elements(diagnosis: Diagnosis, duration: float) -> dict:
    """The device elements every report carries: analysisDuration, diagnosis, imagingAnalysis."""
    return {
        "analysisDuration": round(max(duration, 1e-4), 4),
        "diagnosis": ranked(diagnosis.aggregate),
        "imagingAnalysis": [
            {"diagnosis": ranked(image.diagnosis),
             "mediaValidity": {"isValid": image.quality.is_valid, "score": image.quality.score,
                               "isDermatological": image.quality.is_dermatological}}
            for image in diagnosis.images
        ],
    }


def ranked(conditions: tuple[ConditionProbability, ...]) -> list[dict]:
    """A ranked condition list as the reports write it."""
    return [{"code": c.code, "display": c.display, "probability": c.probability} for c in conditions]
