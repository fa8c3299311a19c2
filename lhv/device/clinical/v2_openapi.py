"""The v2 dialect's clinical routes in the device's generated OpenAPI document.

Request schemas come from v2_shape's parsing models; the response schemas reuse the plan
dialect's documentation models (the report frame is the same) with v2's patientEvolution: a key
for every supported system, null where it was not requested, items keyed by name.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import create_model

from lhv.contract.tables import SCORING_SYSTEM_BY_CODE
from lhv.device.clinical.plan_openapi import AdditionalData, DiagnosticReport, Score, _Doc, operation
from lhv.device.clinical.v2_shape import DiagnosisBody, SeverityBody


class ScoreItem(_Doc):
    """An item a score is computed from: an AI grade or an echoed answer (keyed by its name)."""

    value: float
    source: Literal["ai", "questionnaire"]


class SystemResult(_Doc):
    """One requested scoring system's result."""

    display: str
    score: Score
    item: dict[str, ScoreItem]
    additionalData: AdditionalData = None  # type: ignore[assignment]  # zone-weighted systems only


PatientEvolution = create_model(  # type: ignore[call-overload]
    "PatientEvolution", __base__=_Doc, __doc__="A key for every supported system; null where not requested.",
    **{code: (SystemResult | None, ...) for code in SCORING_SYSTEM_BY_CODE})


class SeverityReport(DiagnosticReport):
    """A DiagnosticReport with patientEvolution keyed by every supported scoring system."""

    patientEvolution: PatientEvolution  # type: ignore[valid-type]


def diagnosis_operation() -> dict[str, Any]:
    """The decorator arguments of POST /diagnosis-support in v2."""
    return operation(DiagnosisBody, DiagnosticReport, "Ranks ICD-11 conditions from 1–5 images of one lesion")


def severity_operation() -> dict[str, Any]:
    """The decorator arguments of POST /severity-assessment/automatic/local."""
    return operation(SeverityBody, SeverityReport, "Scores the severity of one lesion from one image and answers")
