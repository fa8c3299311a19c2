"""The v1 dialect: the shape of the device maker's first public SDK release (CONTRACT.md Appendix B).

Same routes, login, registration and device information as the plan dialect, and the same request
layout (`media`, a conclusion of one code, a system list with a `questionnaireResponse` list), but
every key in camelCase only, body sites in UPPER_SNAKE (`ARM_LEFT`), the automatic systems with a
`Local` suffix (`apasiLocal`), and the conclusion as `{display, code?, systemAlias}`. The replies
differ: a diagnosis lists `conclusions[{probability, coding}]`, `imagingStudySeries[{conclusions,
media{modality, validity}}]`, clinical and performance indicators and `analysisDuration` as text
("2.3 secs"); a severity reply holds `media`, `patientEvolution` keyed by v1 system code with
items listed as `{coding{code}, value}`, and `analysisDuration` as text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from lhv.contract.dialects.base import Loc, key_locs
from lhv.contract.dialects.plan import PlanDialect
from lhv.contract.dialects.reading import ShapeReader
from lhv.contract.intents import (
    ConditionScore,
    DiagnosisReport,
    Image,
    ImageAnalysis,
    SeverityReport,
    SeverityRequest,
    SystemScore,
)
from lhv.contract.spelling import code_of_v1, site_of_v1, system_of_v1, v1_site, v1_system
from lhv.core.http import Reply

SYSTEM_ALIAS = "ICD-11"
ZONE_CONTRIBUTION = "globalScoreContribution"  # the additionalData coding of a zone-weighted system's share
DURATION_TEXT = re.compile(r"^(\d+(?:\.\d+)?) secs?$")


class V1Dialect(PlanDialect):
    """CONTRACT.md Appendix B ("v1")."""

    name = "v1"
    report_schema = "diagnostic_report_v1.schema.json"

    # ---- requests ---------------------------------------------------------------------------------

    def diagnosis_body(self, images: Sequence[Image], subject: str | None) -> dict:
        body: dict[str, Any] = {"subject": {"reference": subject}} if subject is not None else {}
        return body | {"media": [_media(image) for image in images]}

    def severity_body(self, request: SeverityRequest) -> dict:
        body: dict[str, Any] = {"subject": {"reference": request.subject}} if request.subject is not None else {}
        body["media"] = _media(request.image)
        if request.condition_code is not None:
            conclusion: dict[str, Any] = {}
            if request.condition_display is not None:
                conclusion["display"] = request.condition_display
            body["knownCondition"] = {"conclusion": conclusion | {"code": request.condition_code,
                                                                  "systemAlias": SYSTEM_ALIAS}}
        if request.body_site is not None:
            body["bodySite"] = v1_site(request.body_site)
        body["scoringSystems"] = [v1_system(code) for code in request.systems]
        if request.answers:
            body["questionnaireResponse"] = [
                {"questionnaire": v1_system(system),
                 "item": [{"code": code, "answer": [{"value": value}]} for code, value in items.items()]}
                for system, items in request.answers.items()]
        return body

    def severity_request_of(self, body: dict) -> SeverityRequest:
        media = body.get("media") or {}
        conclusion = (body.get("knownCondition") or {}).get("conclusion") or {}
        answers = {code_of_v1(entry["questionnaire"]): {item["code"]: item["answer"][0]["value"]
                                                        for item in entry.get("item", [])}
                   for entry in body.get("questionnaireResponse") or []}
        site = body.get("bodySite")
        return SeverityRequest(Image(str(media.get("contentType")), str(media.get("data", "")), "request body"),
                               conclusion.get("code"), conclusion.get("display"),
                               None if site is None else site_of_v1(site) or site,
                               tuple(code_of_v1(code) for code in body.get("scoringSystems") or ()), answers,
                               (body.get("subject") or {}).get("reference"))

    # ---- ways the contract leaves open -------------------------------------------------------------

    open_ways = ("camel-case-keys", "snake-case-body-site")

    def open_way_body(self, request: SeverityRequest, way: str) -> dict:
        """camelCase keys are v1's own spelling: the ordinary body; the snake_case body site replaces ARM_LEFT by
        the contract's code."""
        if way == "snake-case-body-site":
            return self.severity_body(request) | {"bodySite": request.body_site}
        return self.severity_body(request) if way in self.open_ways else super().open_way_body(request, way)

    def open_way_locs(self, request: SeverityRequest, way: str) -> tuple[Loc, ...]:
        if way == "snake-case-body-site":
            return (("body", "bodySite"),)
        if way not in self.open_ways:
            return super().open_way_locs(request, way)
        return key_locs(self.severity_body(request), way)

    def open_way_absent(self, way: str) -> str:
        if way == "snake-case-keys":
            return "the v1 dialect names its fields in camelCase only: it has no snake_case spelling to send"
        return ("the v1 dialect's known condition is one code with its display and system alias: it has no coding "
                "list and no text") if way not in self.open_ways else ""

    # ---- replies ----------------------------------------------------------------------------------

    def read_diagnosis(self, reply: Reply) -> DiagnosisReport:
        reader = ShapeReader("diagnosis reply")
        body = reader.root(reply.json())
        conditions = _conclusions(reader, body, "$")
        images = tuple(_series(reader, entry, f"$.imagingStudySeries[{index}]")
                       for index, entry in enumerate(reader.items(body, "imagingStudySeries", "$")))
        _indicators(reader, body)
        _duration(reader, body)
        report = DiagnosisReport(conditions, images, body or {})
        reader.require("diagnosis-reply-shape",
                       f"{len(report.conditions)} ranked condition(s), {len(report.images)} image analysis(es)")
        return report

    def read_severity(self, reply: Reply) -> SeverityReport:
        reader = ShapeReader("severity reply")
        body = reader.root(reply.json())
        systems: dict[str, SystemScore] = {}
        for name, entry in (reader.node(body, "patientEvolution", "$") or {}).items():
            code = system_of_v1(name)
            where = f"$.patientEvolution.{name}"
            if code is None:
                reader.problem(f"{where}: {name!r} is no automatic system's v1 code (apasiLocal, ascoradLocal, …)")
                continue
            systems[code] = _system_score(reader, code, entry, where)
        conditions = _conclusions(reader, body, "$")
        media = reader.node(body, "media", "$")
        image = _image(reader, media, "$.media", conditions) if media is not None else None
        _duration(reader, body)
        report = SeverityReport(systems, body or {}, (image,) if image else (), conditions)
        reader.require("severity-reply-shape", f"results for {', '.join(systems) or 'no system'}")
        return report


def _media(image: Image) -> dict:
    return {"contentType": image.content_type, "data": image.data}


def _conclusions(reader: ShapeReader, node: Any, where: str) -> tuple[ConditionScore, ...]:
    """A v1 ranking: `conclusions[{probability, coding{code, display, system, systemAlias}}]`."""
    ranked = []
    for index, entry in enumerate(reader.items(node, "conclusions", where)):
        at = f"{where}.conclusions[{index}]"
        coding = reader.node(entry, "coding", at)
        ranked.append(ConditionScore(reader.text(coding, "code", f"{at}.coding") or "",
                                     reader.text(coding, "display", f"{at}.coding") or "",
                                     reader.number(entry, "probability", at) or 0.0))
    return tuple(ranked)


def _image(reader: ShapeReader, media: Any, where: str, conditions: tuple[ConditionScore, ...]) -> ImageAnalysis:
    """One image's `media{modality, validity{isValid, metrics{quality, domain}}}` with its ranking."""
    reader.text(media, "modality", where)
    validity = reader.node(media, "validity", where)
    metrics = reader.node(validity, "metrics", f"{where}.validity")
    quality = reader.node(metrics, "quality", f"{where}.validity.metrics")
    domain = reader.node(metrics, "domain", f"{where}.validity.metrics")
    return ImageAnalysis(conditions, bool(reader.flag(validity, "isValid", f"{where}.validity")),
                         reader.number(quality, "score", f"{where}.validity.metrics.quality") or 0.0,
                         bool(reader.flag(domain, "isValid", f"{where}.validity.metrics.domain")))


def _series(reader: ShapeReader, entry: Any, where: str) -> ImageAnalysis:
    return _image(reader, reader.node(entry, "media", where), f"{where}.media", _conclusions(reader, entry, where))


def _indicators(reader: ShapeReader, body: Any) -> None:
    clinical = reader.node(body, "clinicalIndicators", "$")
    for key in ("hasCondition", "pigmentedLesion", "malignancy", "urgentReferral", "highPriorityReferral"):
        reader.number(clinical, key, "$.clinicalIndicators")
    performance = reader.node(body, "performanceIndicators", "$")
    for key in ("sensitivity", "specificity", "entropy"):
        reader.number(performance, key, "$.performanceIndicators")


def _duration(reader: ShapeReader, body: Any) -> None:
    """`analysisDuration` is text such as "2.3 secs" (v1 writes no number)."""
    text = reader.text(body, "analysisDuration", "$")
    if text is not None and not DURATION_TEXT.match(text):
        reader.problem(f"$.analysisDuration is {text!r}, not a duration such as \"2.3 secs\"")


def _system_score(reader: ShapeReader, code: str, entry: Any, where: str) -> SystemScore:
    """One system of patientEvolution: `score{value, interpretation}`, `items[{coding{code}, value}]` and the zone
    contribution as an `additionalData` entry coded globalScoreContribution."""
    if not isinstance(entry, dict):
        reader.problem(f"{where} is not an object")
        return SystemScore(code, 0.0, "", None, {}, None)
    score = reader.node(entry, "score", where)
    interpretation = reader.node(score, "interpretation", f"{where}.score")
    items: dict[str, float] = {}
    for index, item in enumerate(reader.items(entry, "items", where)):
        at = f"{where}.items[{index}]"
        name = reader.text(reader.node(item, "coding", at), "code", f"{at}.coding")
        value = reader.number(item, "value", at)
        if name is not None and name in items:
            reader.problem(f"{at}: item {name!r} is given twice")
        if name is not None and value is not None:
            items[name] = value
    contribution = None
    for index, extra in enumerate(reader.items(entry, "additionalData", where, optional=True)):
        at = f"{where}.additionalData[{index}]"
        if reader.text(reader.node(extra, "coding", at), "code", f"{at}.coding") == ZONE_CONTRIBUTION:
            contribution = reader.number(extra, "value", at)
    intensity = reader.integer(interpretation, "intensity", f"{where}.score.interpretation", optional=True)
    return SystemScore(code, reader.number(score, "value", f"{where}.score") or 0.0,
                       reader.text(interpretation, "category", f"{where}.score.interpretation") or "",
                       intensity, items, contribution)
