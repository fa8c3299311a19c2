"""The v1 dialect's clinical shapes (CONTRACT.md Appendix B): request parsing with FastAPI-style 422s, reports.

v1 lays a request out as the plan dialect does (`media`, one conclusion, a system list and a
`questionnaireResponse` list) but names every key in camelCase only, the conclusion as
`{display, code?, systemAlias}`, body sites in UPPER_SNAKE (`ARM_LEFT`) and the automatic
systems with a `Local` suffix (`apasiLocal`). The parsed request is handed to the same clinical
rules and service as the other dialects' (errors placed as in the plan dialect, whose locations
are camelCase); codes are put in v1's words where they are shown back. A spelling v1 does not
have (arm_left, apasi) is marked so that the rules see an unknown code, and is shown back as sent.

The replies keep the DiagnosticReport frame of every dialect (resourceType, id, status, code,
subject, issued, conclusionCode) with v1's elements: `conclusions`, `imagingStudySeries`,
`clinicalIndicators`, `performanceIndicators`, `effectiveDateTime` and `analysisDuration` as
text; a severity reply carries `conclusions` (its image's ranking), `media` and `patientEvolution`
keyed by v1 system code.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, WithJsonSchema

from lhv.contract.spelling import site_of_v1, system_of_v1, v1_code, v1_system, v1_text
from lhv.contract.tables import (
    BODY_SITES,
    DIAGNOSIS_MAX_IMAGES,
    DIAGNOSIS_MIN_IMAGES,
    ICD11_SYSTEM,
    SCORING_SYSTEM_BY_CODE,
)
from lhv.device import switches
from lhv.device.clinical.model import ConditionProbability, Diagnosis, ImageAnalysis
from lhv.device.clinical.service import DiagnosisResult, MediaInput, RejectedImage, SeverityResult
from lhv.device.clinical.shape_common import (
    Base64Text,
    DiagnosisInput,
    Number,
    RequestInvalid,
    SeverityInput,
    StrictModel,
    condition_display,
    documented_as_required,
    duplicate_error,
    image_error,
    refuse_camel_case_keys,
    report_frame,
    validated,
)
from lhv.device.clinical.shape_common import too_many_images as _too_many_images
from lhv.device.clinical.validation import ErrorDict, Loc, SeverityRequest, plan_loc_for
from lhv.device.settings import V1_SNAKE_SITES

DIAGNOSIS_PATH = "/diagnosis-support"
SEVERITY_PATH = "/severity-assessment"
SYSTEM_ALIAS = "ICD-11"
MODALITY = "clinical"
ZONE_CONTRIBUTION = "globalScoreContribution"
MALIGNANT = ("2C30",)  # the conditions the stand-in AI names that are malignant (melanoma of skin)
URGENT_MALIGNANCY = 50.0  # per cent: a malignancy this likely asks for an urgent referral
_FOREIGN = "\x00v1-unknown:"
MISSING_ANSWER = "has no answer for"  # the rules' message for an answer a questionnaire lacks

# ---- request models -------------------------------------------------------------------------------

V1BodySite = Annotated[str, WithJsonSchema({"type": "string", "enum": [site.code.upper() for site in BODY_SITES]})]
V1SystemCode = Annotated[str, WithJsonSchema({"type": "string", "enum": [v1_system(code)
                                                                          for code in SCORING_SYSTEM_BY_CODE]})]


class Media(StrictModel):
    """An image: its content type and standard base64 of its bytes."""

    contentType: Literal["image/jpeg", "image/png"]  # optional in v1's SDK: the reference device needs it
    data: Base64Text


class Subject(StrictModel):
    """The patient the images are of."""

    reference: str


class Conclusion(StrictModel):
    """The known condition: its name, its ICD-11 code and the code system's alias."""

    display: str = None  # type: ignore[assignment]  # optional, never null
    code: str  # optional in v1's SDK: the reference device needs it to score
    systemAlias: str = None  # type: ignore[assignment]


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

    questionnaire: V1SystemCode
    item: list[QuestionnaireItem]


class DiagnosisBody(StrictModel):
    """POST /diagnosis-support: 1–5 images of one lesion."""

    subject: Subject = None  # type: ignore[assignment]
    media: list[Media] = Field(min_length=DIAGNOSIS_MIN_IMAGES, max_length=DIAGNOSIS_MAX_IMAGES)


class SeverityBody(StrictModel):
    """POST /severity-assessment: one image, the known condition, the body site, systems and answers."""

    model_config = ConfigDict(json_schema_extra=documented_as_required("knownCondition"))

    subject: Subject = None  # type: ignore[assignment]
    media: Media
    knownCondition: KnownCondition = None  # type: ignore[assignment]
    bodySite: V1BodySite = None  # type: ignore[assignment]
    scoringSystems: list[V1SystemCode]
    questionnaireResponse: list[QuestionnaireResponse] = Field(default_factory=list)


# ---- parsing -------------------------------------------------------------------------------------

def read_diagnosis(body: Any, *, lenient: bool = False) -> DiagnosisInput:
    """Parses a diagnosis body; raises RequestInvalid with every error found."""
    parsed = validated(DiagnosisBody, body, lenient)
    return DiagnosisInput(parsed.subject.reference if parsed.subject else None,
                          tuple(MediaInput(entry.contentType, entry.data) for entry in parsed.media))


def read_severity(body: Any, *, lenient: bool = False) -> SeverityInput:
    """Parses a severity body's shape (not its clinical rules) into the contract's words; RequestInvalid if broken."""
    refuse_camel_case_keys(body)
    parsed = validated(SeverityBody, body, lenient)
    answers: dict[str, dict[str, float]] = {}
    errors = []
    for q_index, response in enumerate(parsed.questionnaireResponse):
        where: Loc = ["body", "questionnaireResponse", q_index]
        system = _contract_system(response.questionnaire)
        if system in answers:
            errors.append(duplicate_error([*where, "questionnaire"], response.questionnaire, "questionnaire"))
            continue
        items: dict[str, float] = {}
        for i_index, item in enumerate(response.item):
            if item.code in items:
                errors.append(duplicate_error([*where, "item", i_index, "code"], item.code, "item"))
            items[item.code] = item.answer[0].value
        answers[system] = items
    for index, code in enumerate(parsed.scoringSystems):
        if code in parsed.scoringSystems[:index]:
            errors.append(duplicate_error(["body", "scoringSystems", index], code, "scoring system"))
    if errors:
        raise RequestInvalid(errors)
    conclusion = parsed.knownCondition.conclusion if parsed.knownCondition else None
    site = None if parsed.bodySite is None else _contract_site(parsed.bodySite)
    request = SeverityRequest(conclusion.code if conclusion else None, site,
                              tuple(_contract_system(code) for code in parsed.scoringSystems), answers)
    return SeverityInput(parsed.subject.reference if parsed.subject else None,
                         MediaInput(parsed.media.contentType, parsed.media.data), request,
                         conclusion.display if conclusion else None)


def _contract_site(text: str) -> str:
    snake = switches.on(V1_SNAKE_SITES) or switches.on("v1-snake-sites-taken")
    code = site_of_v1(text, ("snake_case",) if snake else ())
    return code if code is not None else _FOREIGN + text


def _contract_system(text: str) -> str:
    code = system_of_v1(text)
    return code if code is not None else _FOREIGN + text


def _shown(code: str) -> str:
    """A code of the rules as v1 shows it: the received spelling, or the contract's code in v1's words."""
    return code[len(_FOREIGN):] if code.startswith(_FOREIGN) else v1_code(code)


def _shown_text(text: str) -> str:
    return v1_text(text).replace(_FOREIGN, "")


loc_for = plan_loc_for  # v1 places every field where the plan dialect's camelCase locations do


def rule_errors(errors: list[ErrorDict]) -> list[ErrorDict]:
    """The clinical rules' errors in v1's words: body sites and system codes in messages, inputs and contexts;
    a missing answer is `missing` (as v1's SDK models report it), a missing questionnaire names no input."""
    translated = []
    for error in errors:
        if error["type"] == "value_error" and MISSING_ANSWER in error["msg"]:
            translated.append({"type": "missing", "loc": error["loc"], "msg": "Field required"})
            continue
        out = {**error, "msg": _shown_text(error["msg"])}
        if isinstance(error.get("input"), str):
            out["input"] = _shown(error["input"])
        if error.get("ctx"):
            out["ctx"] = {key: _shown_text(value) if isinstance(value, str) else value
                          for key, value in error["ctx"].items()}
        translated.append(out)
    return translated


def image_errors(rejected: list[RejectedImage], *, listed: bool) -> list[ErrorDict]:
    """422 errors for refused images; `listed` when media is a list (diagnosis), not one object (severity)."""
    return [image_error(["body", "media", *([item.index] if listed else [])], item.rejection) for item in rejected]


def too_many_images(count: int, most: int) -> RequestInvalid:
    """The 422 for a media list longer than the device takes."""
    return _too_many_images(count, most, ["body", "media"])


# ---- reports -------------------------------------------------------------------------------------

def duration_text(seconds: float) -> str:
    """An analysis time as v1 writes it: "2.3 secs" (never "0 secs")."""
    return f"{max(round(seconds, 2), 0.01):g} secs"


def conclusions(ranking: tuple[ConditionProbability, ...]) -> list[dict]:
    """A ranking as v1 writes it: `[{probability, coding{code, display, system, systemAlias}}]`."""
    return [{"probability": c.probability,
             "coding": {"code": c.code, "display": c.display, "system": ICD11_SYSTEM, "systemAlias": SYSTEM_ALIAS}}
            for c in ranking]


def media_element(image: ImageAnalysis) -> dict:
    """An image's `media{modality, validity{isValid, metrics{quality, domain}}}`."""
    quality = image.quality
    band = "good" if quality.score >= 70 else "acceptable" if quality.is_valid else "poor"
    return {"modality": MODALITY, "validity": {"isValid": quality.is_valid, "metrics": {
        "quality": {"isValid": quality.score >= 40, "score": quality.score, "category": band},
        "domain": {"isValid": quality.is_dermatological, "score": 100 if quality.is_dermatological else 0,
                   "category": "dermatological" if quality.is_dermatological else "non-dermatological"}}}}


def _indicators(diagnosis: Diagnosis) -> dict:
    """clinicalIndicators and performanceIndicators of the aggregate ranking, in per cent."""
    ranking = diagnosis.aggregate
    malignancy = round(sum(c.probability for c in ranking if c.code in MALIGNANT), 2)
    shares = [c.probability / 100 for c in ranking if c.probability > 0]
    entropy = -sum(p * math.log2(p) for p in shares) / math.log2(len(ranking))
    return {
        "clinicalIndicators": {"hasCondition": ranking[0].probability, "pigmentedLesion": malignancy,
                               "malignancy": malignancy, "urgentReferral": malignancy if malignancy >= URGENT_MALIGNANCY
                               else 0.0, "highPriorityReferral": malignancy},
        "performanceIndicators": {"sensitivity": ranking[0].probability, "specificity": round(100 - malignancy, 2),
                                  "entropy": round(entropy, 4)},
    }


def _frame(kind: str, title: str, subject: str | None, code: str, display: str, fhir_slip: bool) -> dict:
    frame = report_frame(kind, title, subject, code, display, fhir_slip)
    return {**frame, "effectiveDateTime": frame["issued"]}


def diagnosis_report(result: DiagnosisResult, subject: str | None, *, fhir_slip: bool = False) -> dict:
    """A diagnosis in v1's words, in the DiagnosticReport frame."""
    diagnosis = result.diagnosis
    top = diagnosis.aggregate[0]
    return {**_frame("diagnosis-support", "Diagnosis support", subject, top.code, top.display, fhir_slip),
            "conclusions": conclusions(diagnosis.aggregate),
            "imagingStudySeries": [{"conclusions": conclusions(image.diagnosis), "media": media_element(image)}
                                   for image in diagnosis.images],
            **_indicators(diagnosis), "analysisDuration": duration_text(result.duration_seconds)}


def severity_report(result: SeverityResult, parsed: SeverityInput, *, fhir_slip: bool = False) -> dict:
    """A severity assessment in v1's words: patientEvolution keyed by the requested systems' v1 codes."""
    evolution: dict[str, Any] = {}
    for score in result.scores:
        entry: dict[str, Any] = {
            "score": {"value": score.value, "interpretation": {"category": score.interpretation.category,
                                                               "intensity": score.interpretation.intensity}},
            "items": [{"coding": {"code": code}, "value": value} for code, value in score.items.items()],
        }
        if score.global_score_contribution is not None:
            entry["additionalData"] = [{"coding": {"code": ZONE_CONTRIBUTION},
                                        "value": score.global_score_contribution}]
        evolution[v1_system(score.system)] = entry
    image = result.diagnosis.images[0]
    frame = _frame("severity-assessment", "Severity assessment", parsed.subject, result.condition,
                   condition_display(result, parsed), fhir_slip)
    return {**frame, "conclusions": conclusions(result.diagnosis.aggregate), "media": media_element(image),
            "patientEvolution": evolution, "analysisDuration": duration_text(result.duration_seconds)}

