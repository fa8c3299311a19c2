"""The plan dialect's clinical shapes (CONTRACT.md §5–§8): request parsing with FastAPI-style 422s, FHIR reports.

Requests are read with pydantic models (snake_case or camelCase keys, unknown keys
refused) and every error is reported the way FastAPI reports it: `{"type", "loc": ["body", …],
"msg", "input"?}`, locations in camelCase. What every dialect shares (JSON intake, error
conversion, echo elision, the FHIR frame, the shape faults) is in shape_common.py.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AliasChoices, ConfigDict, Field, WithJsonSchema

from lhv.contract.tables import BODY_SITE_BY_CODE, DIAGNOSIS_MAX_IMAGES, DIAGNOSIS_MIN_IMAGES, SCORING_SYSTEM_BY_CODE
from lhv.device.clinical.service import MediaInput, RejectedImage, SeverityResult
from lhv.device.clinical.shape_common import (
    Base64Text,
    DiagnosisInput,
    Number,
    RequestInvalid,
    SeverityInput,
    StrictModel,
    camel,
    documented_as_required,
    duplicate_error,
    image_error,
    refuse_camel_case_keys,
    score_element,
    severity_frame,
    validated,
)
from lhv.device.clinical.shape_common import too_many_images as _too_many_images
from lhv.device.clinical.validation import ErrorDict, Loc, SeverityRequest

# ---- request models -------------------------------------------------------------------------------

def _either(snake: str, **options: Any) -> Any:
    """A field that may be spelt snake_case or camelCase."""
    return Field(validation_alias=AliasChoices(snake, camel(snake)), **options)


# Codes the schema lists but the clinical rules check (with their own literal_error), not the model.
BodySiteCode = Annotated[str, WithJsonSchema({"type": "string", "enum": list(BODY_SITE_BY_CODE)})]
SystemCode = Annotated[str, WithJsonSchema({"type": "string", "enum": list(SCORING_SYSTEM_BY_CODE)})]


class Media(StrictModel):
    """An image: its content type and standard base64 of its bytes."""

    content_type: Literal["image/jpeg", "image/png"] = _either("content_type")
    data: Base64Text


class Subject(StrictModel):
    """The patient the images are of."""

    reference: str


class Conclusion(StrictModel):
    """The condition being assessed, as an ICD-11 code."""

    code: str
    display: str = None  # type: ignore[assignment]  # optional, never null
    system_alias: str = _either("system_alias", default=None)


class KnownCondition(StrictModel):
    """The condition the clinician already knows the lesion to be."""

    conclusion: Conclusion


class Answer(StrictModel):
    """One answer value."""

    value: Number


class QuestionnaireItem(StrictModel):
    """One answered item of a questionnaire."""

    code: str
    answer: list[Answer] = Field(min_length=1, max_length=1)


class QuestionnaireResponse(StrictModel):
    """The patient's answers for one scoring system."""

    questionnaire: SystemCode
    item: list[QuestionnaireItem]


class DiagnosisBody(StrictModel):
    """POST /diagnosis-support: 1–5 images of one lesion."""

    subject: Subject = None  # type: ignore[assignment]
    media: list[Media] = Field(min_length=DIAGNOSIS_MIN_IMAGES, max_length=DIAGNOSIS_MAX_IMAGES)


class SeverityBody(StrictModel):
    """POST /severity-assessment: one image, the known condition, the body site, systems and answers."""

    model_config = ConfigDict(json_schema_extra=documented_as_required("known_condition"))

    subject: Subject = None  # type: ignore[assignment]
    media: Media
    known_condition: KnownCondition = _either("known_condition", default=None)
    body_site: BodySiteCode = _either("body_site", default=None)
    scoring_systems: list[SystemCode] = _either("scoring_systems")
    questionnaire_response: list[QuestionnaireResponse] = _either("questionnaire_response", default_factory=list)


_CAMEL_FIELDS = {snake: camel(snake) for model in (Media, Conclusion, SeverityBody)
                 for snake in model.model_fields if "_" in snake}


# ---- parsing -------------------------------------------------------------------------------------

def read_diagnosis(body: Any, *, lenient: bool = False) -> DiagnosisInput:
    """Parses a diagnosis body; raises RequestInvalid with every error found."""
    parsed = validated(DiagnosisBody, body, lenient, _CAMEL_FIELDS)
    return DiagnosisInput(parsed.subject.reference if parsed.subject else None,
                          tuple(MediaInput(entry.content_type, entry.data) for entry in parsed.media))


def read_severity(body: Any, *, lenient: bool = False) -> SeverityInput:
    """Parses a severity body's shape (not its clinical rules); raises RequestInvalid with every error found."""
    refuse_camel_case_keys(body)
    parsed = validated(SeverityBody, body, lenient, _CAMEL_FIELDS)
    answers: dict[str, dict[str, float]] = {}
    errors = []
    for q_index, response in enumerate(parsed.questionnaire_response):
        where: Loc = ["body", "questionnaireResponse", q_index]
        if response.questionnaire in answers:
            errors.append(duplicate_error([*where, "questionnaire"], response.questionnaire, "questionnaire"))
            continue
        items: dict[str, float] = {}
        for i_index, item in enumerate(response.item):
            if item.code in items:
                errors.append(duplicate_error([*where, "item", i_index, "code"], item.code, "item"))
            items[item.code] = item.answer[0].value
        answers[response.questionnaire] = items
    for index, code in enumerate(parsed.scoring_systems):
        if code in parsed.scoring_systems[:index]:
            errors.append(duplicate_error(["body", "scoringSystems", index], code, "scoring system"))
    if errors:
        raise RequestInvalid(errors)
    conclusion = parsed.known_condition.conclusion if parsed.known_condition else None
    request = SeverityRequest(conclusion.code if conclusion else None, parsed.body_site,
                              tuple(parsed.scoring_systems), answers)
    return SeverityInput(parsed.subject.reference if parsed.subject else None,
                         MediaInput(parsed.media.content_type, parsed.media.data), request,
                         conclusion.display if conclusion else None)


def image_errors(rejected: list[RejectedImage], *, listed: bool) -> list[ErrorDict]:
    """422 errors for refused images; `listed` when media is a list (diagnosis), not one object (severity)."""
    return [image_error(["body", "media", *([item.index] if listed else [])], item.rejection) for item in rejected]


def too_many_images(count: int, most: int) -> RequestInvalid:
    """The 422 for a media list longer than the device takes."""
    return _too_many_images(count, most, ["body", "media"])


# ---- reports -------------------------------------------------------------------------------------

def severity_report(result: SeverityResult, parsed: SeverityInput, *, fhir_slip: bool = False) -> dict:
    """The FHIR R4 DiagnosticReport of a severity assessment (CONTRACT.md §7): one patientEvolution entry per
    requested system, in request order, its items listed."""
    evolution = []
    for score in result.scores:
        system = SCORING_SYSTEM_BY_CODE[score.system]
        answer_codes = {spec.code for spec in system.answers}
        entry: dict[str, Any] = {
            "code": score.system,
            "display": system.name,
            "score": score_element(score),
            "item": [{"code": code, "value": value, "source": "questionnaire" if code in answer_codes else "ai"}
                     for code, value in score.items.items()],
        }
        if score.global_score_contribution is not None:
            entry["additionalData"] = {"globalScoreContribution": score.global_score_contribution}
        evolution.append(entry)
    return {**severity_frame(result, parsed, fhir_slip), "patientEvolution": evolution}
