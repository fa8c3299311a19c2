"""The v2 dialect's clinical shapes (CONTRACT.md Appendix): request parsing with FastAPI-style 422s, reports.

v2 writes every key in camelCase (no snake_case twins), images as `payload[].contentAttachment`,
the known condition as a FHIR CodeableConcept, body sites in camelCase (`armLeft`), and the
systems with their answers as one map, `scoringSystem: {"apasi": {"questionnaireResponse": {"item":
{"surface": 4}}}}`, with two items renamed (`itchiness` → `pruritus`, `hive` → `wheals`). The
parsed request is handed to the same clinical rules and service as the plan dialect's; what comes
back is put in v2's words here. A report's `patientEvolution` holds a key for every supported
system, null where the system was not requested, its items keyed by name.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, WithJsonSchema

from lhv.contract.spelling import item_of_v2, site_of_v2, v2_item, v2_site, v2_text
from lhv.contract.tables import (
    BODY_SITE_BY_CODE,
    BODY_SITES,
    CONDITIONS,
    DIAGNOSIS_MAX_IMAGES,
    DIAGNOSIS_MIN_IMAGES,
    SCORING_SYSTEM_BY_CODE,
)
from lhv.device import switches
from lhv.device.clinical.service import MediaInput, RejectedImage, SeverityResult
from lhv.device.clinical.shape_common import (
    Base64Text,
    DiagnosisInput,
    Number,
    RequestInvalid,
    SeverityInput,
    StrictModel,
    documented_as_required,
    elide,
    image_error,
    refuse_camel_case_keys,
    score_element,
    severity_frame,
    validated,
)
from lhv.device.clinical.shape_common import too_many_images as _too_many_images
from lhv.device.clinical.validation import BODY_LOCS, ErrorDict, FieldPath, Loc, LocFor, SeverityRequest

DIAGNOSIS_PATH = "/diagnosis-support"
SEVERITY_PATH = "/severity-assessment/automatic/local"
# A received spelling the contract knows but v2 does not (arm_left, itchiness) is marked so that the
# rules see an unknown code, and the mark is taken off again where the code is shown back.
_FOREIGN = "\x00v2-unknown:"


# ---- request models -------------------------------------------------------------------------------

V2BodySite = Annotated[str, WithJsonSchema({"type": "string", "enum": [site.camel for site in BODY_SITES]})]
SystemCode = Annotated[str, WithJsonSchema({"type": "string", "enum": list(SCORING_SYSTEM_BY_CODE)})]


class Attachment(StrictModel):
    """An image: its content type, standard base64 of its bytes, and an optional title."""

    contentType: Literal["image/jpeg", "image/png"]
    data: Base64Text
    title: str = None  # type: ignore[assignment]  # optional, never null


class PayloadEntry(StrictModel):
    """One image of the request."""

    contentAttachment: Attachment


class Subject(StrictModel):
    """The patient the images are of."""

    reference: str


class Coding(StrictModel):
    """A FHIR Coding of the known condition (ICD-11)."""

    system: str = None  # type: ignore[assignment]
    systemDisplay: str = None  # type: ignore[assignment]
    version: str = None  # type: ignore[assignment]
    code: str
    display: str = None  # type: ignore[assignment]


class Conclusion(StrictModel):
    """The known condition as a FHIR CodeableConcept; its first coding is the condition."""

    coding: list[Coding] = Field(min_length=1)
    text: str = None  # type: ignore[assignment]


class KnownCondition(StrictModel):
    """The condition the clinician already knows the lesion to be."""

    conclusion: Conclusion


class QuestionnaireResponse(StrictModel):
    """The patient's answers for one scoring system, keyed by item name."""

    item: dict[str, Number]


class SystemRequest(StrictModel):
    """One requested scoring system, with the patient's answers when it needs them."""

    questionnaireResponse: QuestionnaireResponse = None  # type: ignore[assignment]


class DiagnosisBody(StrictModel):
    """POST /diagnosis-support: 1–5 images of one lesion."""

    subject: Subject = None  # type: ignore[assignment]
    payload: list[PayloadEntry] = Field(min_length=DIAGNOSIS_MIN_IMAGES, max_length=DIAGNOSIS_MAX_IMAGES)


class SeverityBody(StrictModel):
    """POST /severity-assessment/automatic/local: one image, the condition, the body site, the systems."""

    model_config = ConfigDict(json_schema_extra=documented_as_required("knownCondition"))

    subject: Subject = None  # type: ignore[assignment]
    payload: PayloadEntry
    knownCondition: KnownCondition = None  # type: ignore[assignment]
    bodySite: V2BodySite = None  # type: ignore[assignment]
    scoringSystem: dict[SystemCode, SystemRequest] = Field(min_length=1)


# ---- parsing -------------------------------------------------------------------------------------

def read_diagnosis(body: Any, *, lenient: bool = False) -> DiagnosisInput:
    """Parses a diagnosis body; raises RequestInvalid with every error found."""
    parsed = validated(DiagnosisBody, body, lenient)
    return DiagnosisInput(parsed.subject.reference if parsed.subject else None,
                          tuple(_media(entry) for entry in parsed.payload))


def read_severity(body: Any, *, lenient: bool = False) -> SeverityInput:
    """Parses a severity body's shape (not its clinical rules) into the contract's words; RequestInvalid if broken."""
    refuse_camel_case_keys(body)
    held = _held_to_the_sdk(body)
    try:
        parsed = validated(SeverityBody, _coding_from_text(body), lenient)
    except RequestInvalid as invalid:
        raise RequestInvalid(invalid.errors + held) from None
    if held:
        raise RequestInvalid(held)
    answers = {system: {_contract_item(name): value for name, value in entry.questionnaireResponse.item.items()}
               for system, entry in parsed.scoringSystem.items() if entry.questionnaireResponse is not None}
    coding = parsed.knownCondition.conclusion.coding[0] if parsed.knownCondition else None
    site = None if parsed.bodySite is None else _contract_site(parsed.bodySite)
    request = SeverityRequest(coding.code if coding else None, site, tuple(parsed.scoringSystem), answers)
    display = (coding.display or parsed.knownCondition.conclusion.text) if coding else None
    return SeverityInput(parsed.subject.reference if parsed.subject else None, _media(parsed.payload), request,
                         display)


# Fault `coding-fields-required`: what the public SDK's evidence requires in a coding besides its code.
_SDK_CODING_FIELDS = ("system", "systemDisplay", "display")


def _conclusion(body: Any) -> dict | None:
    """The known condition's conclusion as received, when the body has one as an object."""
    condition = body.get("knownCondition") if isinstance(body, dict) else None
    conclusion = condition.get("conclusion") if isinstance(condition, dict) else None
    return conclusion if isinstance(conclusion, dict) else None


def _held_to_the_sdk(body: Any) -> list[ErrorDict]:
    """Faults that hold the known condition to the public SDK's evidence, not to the contract: `conclusion-text-
    required` (a conclusion without its text is refused) and `coding-fields-required` (a coding needs system,
    systemDisplay and display beside its code)."""
    conclusion = _conclusion(body)
    if conclusion is None:
        return []
    where: Loc = ["body", "knownCondition", "conclusion"]
    errors: list[ErrorDict] = []
    if switches.on("conclusion-text-required") and "text" not in conclusion:
        errors.append({"type": "missing", "loc": [*where, "text"], "msg": "Field required", "input": elide(conclusion)})
    codings = conclusion.get("coding")
    if switches.on("coding-fields-required") and isinstance(codings, list):
        errors += [{"type": "missing", "loc": [*where, "coding", index, key], "msg": "Field required",
                    "input": elide(coding)}
                   for index, coding in enumerate(codings) if isinstance(coding, dict)
                   for key in _SDK_CODING_FIELDS if key not in coding]
    return errors


def _coding_from_text(body: Any) -> Any:
    """Fault `coding-null-accepted`: a null coding list is taken, as the public SDK's evidence shows, and the
    condition is looked up by the conclusion's text (an unknown text is taken as the code)."""
    conclusion = _conclusion(body)
    if not switches.on("coding-null-accepted") or conclusion is None or "coding" not in conclusion \
            or conclusion["coding"] is not None or not isinstance(conclusion.get("text"), str):
        return body
    text = conclusion["text"]
    code = next((condition.code for condition in CONDITIONS if condition.display.casefold() == text.casefold()), text)
    taken = {**conclusion, "coding": [{"code": code}]}
    return {**body, "knownCondition": {**body["knownCondition"], "conclusion": taken}}


def _media(entry: PayloadEntry) -> MediaInput:
    return MediaInput(entry.contentAttachment.contentType, entry.contentAttachment.data)


def _contract_site(text: str) -> str:
    code = site_of_v2(text)
    if code is not None:
        return code
    return _FOREIGN + text if text in BODY_SITE_BY_CODE else text


def _contract_item(name: str) -> str:
    code = item_of_v2(name)
    return _FOREIGN + name if code is None else code


def _shown(code: str) -> str:
    """A code of the rules as v2 shows it: the received spelling, or the contract's code in v2's words."""
    if code.startswith(_FOREIGN):
        return code[len(_FOREIGN):]
    return v2_site(code) if code in BODY_SITE_BY_CODE else v2_item(code)


def loc_for(request: SeverityRequest) -> LocFor:
    """Where the clinical rules' errors point in a v2 body."""

    def where(path: FieldPath) -> Loc:
        head, *rest = path
        if head in BODY_LOCS:
            return list(BODY_LOCS[head])
        if head == "systems":
            return ["body", "scoringSystem", *(request.systems[int(index)] for index in rest)]
        if not rest:
            return ["body", "scoringSystem"]
        system, *item_path = rest
        questionnaire: Loc = ["body", "scoringSystem", system, "questionnaireResponse"]
        return [*questionnaire, "item", _shown(item_path[0])] if item_path else questionnaire

    return where


def rule_errors(errors: list[ErrorDict]) -> list[ErrorDict]:
    """The clinical rules' errors in v2's words: body sites and item names in messages and inputs."""
    translated = []
    for error in errors:
        out = {**error, "msg": v2_text(error["msg"])}
        if isinstance(error.get("input"), str):
            out["input"] = _shown(error["input"])
        if error.get("ctx"):
            out["ctx"] = {key: v2_text(value) if isinstance(value, str) else value
                          for key, value in error["ctx"].items()}
        translated.append(out)
    return translated


def image_errors(rejected: list[RejectedImage], *, listed: bool) -> list[ErrorDict]:
    """422 errors for refused images: at payload[i].contentAttachment (diagnosis) or payload.contentAttachment."""
    return [image_error(["body", "payload", *([item.index] if listed else []), "contentAttachment"], item.rejection)
            for item in rejected]


def too_many_images(count: int, most: int) -> RequestInvalid:
    """The 422 for a payload list longer than the device takes."""
    return _too_many_images(count, most, ["body", "payload"])


# ---- reports -------------------------------------------------------------------------------------

def severity_report(result: SeverityResult, parsed: SeverityInput, *, fhir_slip: bool = False) -> dict:
    """The DiagnosticReport of a severity assessment: patientEvolution keyed by every supported system."""
    evolution: dict[str, Any] = {code: None for code in SCORING_SYSTEM_BY_CODE}
    for score in result.scores:
        system = SCORING_SYSTEM_BY_CODE[score.system]
        answer_codes = {spec.code for spec in system.answers}
        entry: dict[str, Any] = {
            "display": system.name,
            "score": score_element(score),
            "item": {v2_item(code): {"value": value, "source": "questionnaire" if code in answer_codes else "ai"}
                     for code, value in score.items.items()},
        }
        if score.global_score_contribution is not None:
            entry["additionalData"] = {"globalScoreContribution": score.global_score_contribution}
        evolution[score.system] = entry
    return {**severity_frame(result, parsed, fhir_slip), "patientEvolution": evolution}
