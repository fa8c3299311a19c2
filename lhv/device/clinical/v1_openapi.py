"""The v1 dialect's clinical routes in the device's generated OpenAPI document.

Request schemas come from v1_shape's parsing models (camelCase keys only, so no twins are
added); the response schemas are the documentation-only models below: the DiagnosticReport
frame every dialect shares, with v1's elements (CONTRACT.md Appendix B).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, create_model

from lhv.contract.spelling import v1_system
from lhv.contract.tables import SCORING_SYSTEM_BY_CODE
from lhv.device.clinical.plan_openapi import FHIR_INSTANT, CodeableConcept, Reference, Score, _Doc, operation
from lhv.device.clinical.v1_shape import DiagnosisBody, SeverityBody

DURATION_PATTERN = r"^\d+(\.\d+)? secs?$"


class Coding(_Doc):
    """A ranked condition's ICD-11 coding."""

    code: str
    display: str
    system: str
    systemAlias: str


class Conclusion(_Doc):
    """One ranked condition."""

    probability: float = Field(ge=0, le=100)
    coding: Coding


class Metric(_Doc):
    """One measure of an image's validity."""

    isValid: bool
    score: float = Field(ge=0, le=100)
    category: str


class Metrics(_Doc):
    """How good the image is, and whether it is of skin."""

    quality: Metric
    domain: Metric


class Validity(_Doc):
    """Whether the image can be analysed, and why."""

    isValid: bool
    metrics: Metrics


class Media(_Doc):
    """What the device made of one image."""

    modality: str
    validity: Validity


class Series(_Doc):
    """One image's analysis."""

    conclusions: list[Conclusion]
    media: Media


class ClinicalIndicators(_Doc):
    """Indicators of the aggregate ranking, in per cent."""

    hasCondition: float
    pigmentedLesion: float
    malignancy: float
    urgentReferral: float
    highPriorityReferral: float


class PerformanceIndicators(_Doc):
    """How much the ranking can be trusted."""

    sensitivity: float
    specificity: float
    entropy: float


class _Frame(_Doc):
    resourceType: Literal["DiagnosticReport"]
    id: str
    status: Literal["preliminary"]
    code: CodeableConcept
    subject: Reference = None  # type: ignore[assignment]  # absent when the request had none
    issued: str = Field(pattern=FHIR_INSTANT, description="FHIR instant, with time zone")
    effectiveDateTime: str
    conclusionCode: list[CodeableConcept]
    conclusions: list[Conclusion]
    analysisDuration: str = Field(pattern=DURATION_PATTERN, description="seconds, as text: \"2.3 secs\"")


class DiagnosisReport(_Frame):
    """A diagnosis in v1's words."""

    imagingStudySeries: list[Series]
    clinicalIndicators: ClinicalIndicators
    performanceIndicators: PerformanceIndicators


class ItemCoding(_Doc):
    """An item's or additional datum's code."""

    code: str


class Item(_Doc):
    """An AI grade or an echoed answer."""

    coding: ItemCoding
    value: float


class SystemResult(_Doc):
    """One requested system's result."""

    score: Score
    items: list[Item]
    additionalData: list[Item] = None  # type: ignore[assignment]  # zone-weighted systems: globalScoreContribution


PatientEvolution = create_model(  # type: ignore[call-overload]
    "PatientEvolution", __base__=_Doc, __doc__="The requested systems' results, keyed by v1 system code.",
    **{v1_system(code): (SystemResult, None) for code in SCORING_SYSTEM_BY_CODE})


class SeverityReport(_Frame):
    """A severity assessment in v1's words."""

    media: Media
    patientEvolution: PatientEvolution  # type: ignore[valid-type]


def diagnosis_operation() -> dict[str, Any]:
    """The decorator arguments of POST /diagnosis-support in v1."""
    return operation(DiagnosisBody, DiagnosisReport, "Ranks ICD-11 conditions from 1–5 images of one lesion")


def severity_operation() -> dict[str, Any]:
    """The decorator arguments of POST /severity-assessment in v1."""
    return operation(SeverityBody, SeverityReport, "Scores the severity of one lesion from one image and answers")
