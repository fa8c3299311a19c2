"""v2's questionnaire-only scores (CONTRACT.md Appendix B): POST /severity-assessment/manual.

The body has automatic/local's keys with `payload` a list of images, and `scoringSystem` holding the
questionnaire-only systems (pasi, scorad, dlqi, uas, ihs4), each with every item of its table. The
reference device keeps the SDK's habits: images are required, and each score block is
`score{value, interpretation{category, intensity}}`; every item is echoed as sent.

Faults: `manual-score-off` adds 0.5 to each score (it disagrees with its own items);
`manual-echo-altered` echoes the first item one step away from what was sent; `manual-images-optional`
takes a request without images, though the SDK (and the profile's default) require them;
`manual-range-unchecked` takes items outside their range; `manual-score-block-docs-2026` answers with the
2026 documentation's score block, though the profile's default is the SDK's.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import Field, create_model, model_validator

from lhv.contract.tables import (
    BODY_SITES,
    MANUAL_MAX_IMAGES,
    MANUAL_SYSTEM_BY_CODE,
    MANUAL_SYSTEMS,
    ItemSpec,
    ScoringSystem,
)
from lhv.device.clinical.plan_openapi import operation
from lhv.device.clinical.scoring import NONE, SystemScore, bands_of, score_manual
from lhv.device.clinical.service import ClinicalService, MediaInput
from lhv.device.clinical.shape_common import RequestInvalid, StrictModel, parse_json, validated
from lhv.device.clinical.v2_shape import KnownCondition, PayloadEntry, Subject, image_errors
from lhv.device.context import DeviceContext
from lhv.device.users import User

MANUAL_PATH = "/severity-assessment/manual"
SCORE_OFFSET = 0.5  # fault manual-score-off


# ---- request models: one per system, every item required and in its range ----------------------------------

def _item_field(spec: ItemSpec, ranged: bool) -> tuple[Any, Any]:
    kind = int if spec.integer else float
    if not ranged:  # fault manual-range-unchecked
        return kind, Field(description=spec.meaning)
    return kind, Field(ge=spec.minimum, le=spec.maximum, description=spec.meaning)


def _system_model(system: ScoringSystem, ranged: bool) -> type[StrictModel]:
    name = system.code.title() + ("" if ranged else "Unranged")
    items = create_model(f"{name}Items", __base__=StrictModel, __doc__=f"Every item of {system.name}.",
                         **{spec.code: _item_field(spec, ranged) for spec in system.answers})
    questionnaire = create_model(f"{name}Questionnaire", __base__=StrictModel, __doc__="The answers, keyed by item.",
                                 item=(items, ...))
    return create_model(f"{name}Request", __base__=StrictModel, __doc__=f"{system.name}, from answers alone.",
                        questionnaireResponse=(questionnaire, ...))


def _at_least_one(model: Any) -> Any:
    if not model.model_fields_set:
        raise ValueError("at least one questionnaire-only scoring system is required")
    return model


def _systems_model(ranged: bool) -> type[StrictModel]:
    return create_model(  # type: ignore[call-overload]
        "ManualSystems" + ("" if ranged else "Unranged"), __base__=StrictModel,
        __doc__="The questionnaire-only systems asked for, with their answers.",
        __validators__={"at_least_one": model_validator(mode="after")(_at_least_one)},
        **{system.code: (_system_model(system, ranged), None) for system in MANUAL_SYSTEMS})


ManualSystems = _systems_model(ranged=True)
ManualBodySite = Literal[tuple(site.camel for site in BODY_SITES)]  # type: ignore[valid-type]


class ManualBody(StrictModel):
    """POST /severity-assessment/manual: 1–5 images, the condition, the site, and the systems' answers."""

    subject: Subject = None  # type: ignore[assignment]
    payload: list[PayloadEntry] = Field(min_length=1, max_length=MANUAL_MAX_IMAGES)
    knownCondition: KnownCondition = None  # type: ignore[assignment]
    bodySite: ManualBodySite = None  # type: ignore[assignment]
    scoringSystem: ManualSystems  # type: ignore[valid-type]


class ManualBodyImagesOptional(ManualBody):
    """The same body as the 2026 documentation shows it: the images may be left out."""

    payload: list[PayloadEntry] = Field([], max_length=MANUAL_MAX_IMAGES)


class ManualBodyUnranged(ManualBody):
    """Fault manual-range-unchecked: the same body, its items taken whatever their value."""

    scoringSystem: _systems_model(ranged=False)  # type: ignore[valid-type]


class ManualBodyUnrangedImagesOptional(ManualBodyUnranged):
    """Faults manual-range-unchecked and manual-images-optional together."""

    payload: list[PayloadEntry] = Field([], max_length=MANUAL_MAX_IMAGES)


# ---- the reply ------------------------------------------------------------------------------------------

def score_block(score: SystemScore) -> dict:
    """The SDK's score block: value and interpretation {category, intensity 0–3}."""
    return {"value": score.value, "interpretation": {"category": score.interpretation.category,
                                                     "intensity": score.interpretation.intensity}}


def score_block_docs_2026(score: SystemScore) -> dict:
    """The 2026 documentation's score block: value and severity {value 1–3, interpretations[{min, max, text,
    coding}]}, the bands of the system (fault manual-score-block-docs-2026)."""
    lowers = [(0.0, NONE.category), *((band.lower, band.category) for band in bands_of(score.system))]
    bands = [{"min": lower, "max": round(lowers[index + 1][0] - 0.01, 2) if index + 1 < len(lowers) else None,
              "text": text, "coding": [{"code": text.lower()}]} for index, (lower, text) in enumerate(lowers)]
    return {"value": score.value, "severity": {"value": max(1, score.interpretation.intensity),
                                               "interpretations": bands}}


def manual_report(scores: list[SystemScore], subject: str | None, duration: float, *, echo_altered: bool,
                  docs_2026: bool = False) -> dict:
    """The reply: patientEvolution with a key for every questionnaire-only system, null where not asked."""
    evolution: dict[str, Any] = {code: None for code in MANUAL_SYSTEM_BY_CODE}
    for score in scores:
        items = dict(score.items)
        if echo_altered:
            items.update(_altered(score.system, items))
        evolution[score.system] = {
            "display": MANUAL_SYSTEM_BY_CODE[score.system].name,
            "score": score_block_docs_2026(score) if docs_2026 else score_block(score),
            "item": {code: {"value": value, "source": "questionnaire"} for code, value in items.items()}}
    frame: dict[str, Any] = {"subject": {"reference": subject}} if subject is not None else {}
    return {**frame, "patientEvolution": evolution, "analysisDuration": round(duration, 3)}


def _altered(system: str, items: dict[str, float]) -> dict[str, float]:
    """Fault manual-echo-altered: the first item one step away (down at its maximum), as a careless copy would."""
    spec = MANUAL_SYSTEM_BY_CODE[system].answers[0]
    value = items[spec.code]
    return {spec.code: value - 1 if spec.maximum is not None and value + 1 > spec.maximum else value + 1}


# ---- the route ------------------------------------------------------------------------------------------

def manual_operation() -> dict[str, Any]:
    """The route decorator's arguments: summary, request body and responses for the OpenAPI document."""
    from lhv.device.clinical.v2_openapi import SeverityReport  # the report frame; patientEvolution differs

    return operation(ManualBody, SeverityReport, "Scores questionnaire-only systems from the answers given")


def manual_handler(ctx: DeviceContext):
    """Returns the route function of POST /severity-assessment/manual for one device start."""
    service = ClinicalService(ctx.has)
    model = {(False, False): ManualBody, (True, False): ManualBodyImagesOptional, (False, True): ManualBodyUnranged,
             (True, True): ManualBodyUnrangedImagesOptional}[ctx.has("manual-images-optional"),
                                                           ctx.has("manual-range-unchecked")]
    docs_2026 = ctx.has("manual-score-block-docs-2026")
    lenient = ctx.has("accepts-malformed-body")
    offset = SCORE_OFFSET if ctx.has("manual-score-off") else 0.0
    echo_altered = ctx.has("manual-echo-altered")

    async def raw_body(request: Request) -> bytes:
        return await request.body()

    def assess_manually(user: User = Depends(ctx.require_user), raw: bytes = Depends(raw_body)) -> JSONResponse:
        started = time.perf_counter()
        try:
            parsed = validated(model, parse_json(raw), lenient)
            media = [MediaInput(entry.contentAttachment.contentType, entry.contentAttachment.data)
                     for entry in parsed.payload or []]
            _, rejected = service.decode(media)
            if rejected:
                raise RequestInvalid(image_errors(rejected, listed=True))
        except RequestInvalid as invalid:
            return JSONResponse({"detail": invalid.errors}, status_code=422)
        scores = [score_manual(code, getattr(parsed.scoringSystem, code).questionnaireResponse.item.model_dump(),
                               score_offset=offset)
                  for code in MANUAL_SYSTEM_BY_CODE if code in parsed.scoringSystem.model_fields_set]
        subject = parsed.subject.reference if parsed.subject else None
        return JSONResponse(manual_report(scores, subject, time.perf_counter() - started, echo_altered=echo_altered,
                                           docs_2026=docs_2026))

    return assess_manually
