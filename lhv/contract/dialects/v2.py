"""The v2 dialect: the shape the device's current public SDK and documentation describe (CONTRACT.md Appendix).

What differs from the plan dialect: the severity route (/severity-assessment/automatic/local),
images as `payload[].contentAttachment`, the known condition as a FHIR CodeableConcept, body sites
in camelCase, the systems and their answers as one `scoringSystem` map keyed by system, two item
names (`itchiness` → `pruritus`, `hive` → `wheals`), and the severity reply's `patientEvolution`,
which holds a key for every supported system (null where not requested) with items keyed by name.
Only v2 has the questionnaire-only route (Appendix B, `assess_manually`): the same keys with `payload` a list,
each item echoed as sent, and a score block of the shape the profile's [manual_scores] chooses.
Login, registration, device information and the diagnosis reply are the plan dialect's.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from lhv.contract.dialects.base import Loc, Route, key_locs
from lhv.contract.dialects.plan import (  # the report frame and image analyses are the plan dialect's
    PlanDialect,
    _analyses,
    _ranked,
)
from lhv.contract.dialects.reading import ShapeReader
from lhv.contract.intents import (
    Image,
    ManualReport,
    ManualRequest,
    ManualScore,
    RequestField,
    ScoreBand,
    SeverityReport,
    SeverityRequest,
    SystemScore,
)
from lhv.contract.spelling import item_of_v2, plan_only_item, site_of_v2, v2_item, v2_site
from lhv.contract.tables import ICD11_SYSTEM, SCORING_SYSTEM_BY_CODE
from lhv.core.http import Reply

# Where each top-level request field sits, below "body".
_KEYS = {"subject": "subject", "images": "payload", "condition": "knownCondition", "body_site": "bodySite",
         "systems": "scoringSystem"}
_ATTACHMENT_KEYS = {"image_data": "data", "image_type": "contentType"}
CODING_SYSTEM_DISPLAY = "ICD-11"


class V2Dialect(PlanDialect):
    """CONTRACT.md Appendix ("v2")."""

    name = "v2"
    routes = {**PlanDialect.routes, "assess_severity": Route("POST", "/severity-assessment/automatic/local", True),
              "assess_manually": Route("POST", "/severity-assessment/manual", True)}
    report_schema = "diagnostic_report_v2.schema.json"

    # ---- requests ---------------------------------------------------------------------------------

    def diagnosis_body(self, images: Sequence[Image], subject: str | None) -> dict:
        body: dict[str, Any] = {"subject": {"reference": subject}} if subject is not None else {}
        return body | {"payload": [_attachment(image) for image in images]}

    def expresses(self, request: SeverityRequest) -> bool:
        """v2 lists the systems and their answers in one map: answers for a system not listed, or a system
        listed twice, cannot be written."""
        return set(request.answers) <= set(request.systems) and len(set(request.systems)) == len(request.systems)

    def severity_body(self, request: SeverityRequest) -> dict:
        if not self.expresses(request):
            raise ValueError("the v2 dialect cannot write this request: its scoringSystem map lists each system "
                             f"once with its answers (systems {list(request.systems)}, answers for "
                             f"{list(request.answers)})")
        body: dict[str, Any] = {"subject": {"reference": request.subject}} if request.subject is not None else {}
        body["payload"] = _attachment(request.image)
        if request.condition_code is not None:
            coding = {"system": ICD11_SYSTEM, "systemDisplay": CODING_SYSTEM_DISPLAY, "code": request.condition_code}
            if request.condition_display is not None:
                coding["display"] = request.condition_display
            conclusion: dict[str, Any] = {"coding": [coding]}
            if request.condition_display is not None:
                conclusion["text"] = request.condition_display
            body["knownCondition"] = {"conclusion": conclusion}
        if request.body_site is not None:
            body["bodySite"] = v2_site(request.body_site)
        body["scoringSystem"] = {
            system: ({"questionnaireResponse": {"item": {v2_item(code): value
                                                         for code, value in request.answers[system].items()}}}
                     if system in request.answers else {})
            for system in request.systems}
        return body

    def severity_request_of(self, body: dict) -> SeverityRequest:
        attachment = (body.get("payload") or {}).get("contentAttachment") or {}
        conclusion = (body.get("knownCondition") or {}).get("conclusion") or {}
        coding = (conclusion.get("coding") or [{}])[0]
        systems = body.get("scoringSystem") or {}
        responses = {system: (entry or {}).get("questionnaireResponse") for system, entry in systems.items()}
        answers = {system: {_contract_item(name): value for name, value in response.get("item", {}).items()}
                   for system, response in responses.items() if isinstance(response, dict)}
        site = body.get("bodySite")
        return SeverityRequest(Image(str(attachment.get("contentType")), str(attachment.get("data", "")),
                                     "request body"),
                               coding.get("code"), coding.get("display", conclusion.get("text")),
                               None if site is None else site_of_v2(site) or site, tuple(systems), answers,
                               (body.get("subject") or {}).get("reference"))

    def manual_body(self, request: ManualRequest) -> dict:
        """The body of POST /severity-assessment/manual: automatic/local's keys, `payload` a list (maybe empty)."""
        body: dict[str, Any] = {"subject": {"reference": request.subject}} if request.subject is not None else {}
        if request.images:
            body["payload"] = [_attachment(image) for image in request.images]
        if request.condition_code is not None:
            coding = {"system": ICD11_SYSTEM, "systemDisplay": CODING_SYSTEM_DISPLAY, "code": request.condition_code}
            if request.condition_display is not None:
                coding["display"] = request.condition_display
            body["knownCondition"] = {"conclusion": {"coding": [coding], "text": request.condition_display
                                                     or request.condition_code}}
        if request.body_site is not None:
            body["bodySite"] = v2_site(request.body_site)
        body["scoringSystem"] = {system: {"questionnaireResponse": {"item": dict(items)}}
                                 for system, items in request.answers.items()}
        return body

    def manual_request_of(self, body: dict) -> ManualRequest:
        """Reads a manual-scores body back into a request (for payload files)."""
        images = tuple(Image(str(attachment.get("contentType")), str(attachment.get("data", "")), "request body")
                       for entry in body.get("payload") or [] if isinstance(entry, dict)
                       for attachment in [entry.get("contentAttachment") or {}])
        conclusion = (body.get("knownCondition") or {}).get("conclusion") or {}
        coding = (conclusion.get("coding") or [{}])[0]
        answers = {system: dict(((entry or {}).get("questionnaireResponse") or {}).get("item") or {})
                   for system, entry in (body.get("scoringSystem") or {}).items()}
        site = body.get("bodySite")
        return ManualRequest(answers, images, coding.get("code"), coding.get("display", conclusion.get("text")),
                             None if site is None else site_of_v2(site) or site,
                             (body.get("subject") or {}).get("reference"))

    def read_manual(self, reply: Reply, score_block: str) -> ManualReport:
        """Reads a manual-scores reply: patientEvolution by system, items echoed by name, the score block in the
        shape the profile chose ("sdk": interpretation{category, intensity}; "docs-2026": severity{value,
        interpretations[{min, max, text}]}); the other shape is a shape problem."""
        reader = ShapeReader("manual-scores reply")
        body = reader.root(reply.json())
        systems: dict[str, ManualScore] = {}
        for code, entry in (reader.node(body, "patientEvolution", "$") or {}).items():
            if entry is not None:
                systems[code] = _manual_score(reader, code, entry, f"$.patientEvolution.{code}", score_block)
        report = ManualReport(systems, body or {})
        reader.require("manual-reply-shape", f"{score_block} score blocks for {', '.join(systems) or 'no system'}")
        return report

    # ---- ways the contract leaves open (CONTRACT.md Appendix: the SDK's evidence on the known condition) --------

    open_ways = ("camel-case-keys", "coding-null", "conclusion-without-text", "code-only-coding")

    def open_way_body(self, request: SeverityRequest, way: str) -> dict:
        """camelCase keys are v2's own spelling (the ordinary body); the others change the known condition only."""
        if way not in self.open_ways:
            return super().open_way_body(request, way)
        body = self.severity_body(request)
        if way == "camel-case-keys":
            return body
        if request.condition_code is None or request.condition_display is None:
            raise ValueError(f"the way {way!r} needs a request with its condition's code and display")
        conclusion = body["knownCondition"]["conclusion"]
        if way == "coding-null":
            conclusion["coding"] = None
        elif way == "conclusion-without-text":
            del conclusion["text"]
        else:
            conclusion["coding"] = [{"code": request.condition_code}]
        return body

    def open_way_locs(self, request: SeverityRequest, way: str) -> tuple[Loc, ...]:
        if way not in self.open_ways:
            return super().open_way_locs(request, way)
        if way == "camel-case-keys":
            return key_locs(self.severity_body(request), way)
        conclusion: Loc = ("body", _KEYS["condition"], "conclusion")
        return ({"coding-null": (*conclusion, "coding"), "conclusion-without-text": (*conclusion, "text"),
                 "code-only-coding": (*conclusion, "coding", 0)}[way],)

    def open_way_absent(self, way: str) -> str:
        return "the v2 dialect names its fields in camelCase only: it has no snake_case spelling to send" \
            if way not in self.open_ways else ""

    # ---- replies ----------------------------------------------------------------------------------

    def read_severity(self, reply: Reply) -> SeverityReport:
        reader = ShapeReader("severity reply")
        body = reader.root(reply.json())
        systems: dict[str, SystemScore] = {}
        evolution = reader.node(body, "patientEvolution", "$")
        if evolution is not None:
            absent = [code for code in SCORING_SYSTEM_BY_CODE if code not in evolution]
            if absent:
                reader.problem(f"$.patientEvolution has no key for {', '.join(absent)} (v2 holds a key for every "
                               "supported system, null where not requested)")
            for code, entry in evolution.items():
                if entry is not None:
                    systems[code] = _system_score(reader, code, entry, f"$.patientEvolution.{code}")
        report = SeverityReport(systems, body or {}, _analyses(reader, body), _ranked(reader, body, "diagnosis"))
        reader.require("severity-reply-shape", f"results for {', '.join(systems) or 'no system'}")
        return report

    # ---- where fields sit --------------------------------------------------------------------------

    def field_loc(self, operation: str, field: RequestField | str, request: SeverityRequest | None = None) -> Loc:
        field = RequestField(field) if isinstance(field, str) else field
        if field.name == "body":
            return ("body",)
        if field.name in ("image", *_ATTACHMENT_KEYS):
            index = (field.image,) if operation == "diagnose" and field.image is not None else ()
            attachment = ("contentAttachment", _ATTACHMENT_KEYS[field.name]) if field.name in _ATTACHMENT_KEYS else ()
            return ("body", "payload", *index, *attachment)
        if field.name in ("answers", "answer"):
            if field.system is None:
                return ("body", "scoringSystem")
            questionnaire: Loc = ("body", "scoringSystem", field.system, "questionnaireResponse")
            if field.name == "answer" and field.item is not None:
                return (*questionnaire, "item", v2_item(field.item))
            return questionnaire
        return ("body", _KEYS[field.name])

    def without_field(self, body: dict, operation: str, field: RequestField | str) -> dict:
        name = field if isinstance(field, str) else field.name
        if name == "answers":  # every system's questionnaire, the systems kept
            kept = copy.deepcopy(body)
            for entry in (kept.get("scoringSystem") or {}).values():
                if isinstance(entry, dict):
                    entry.pop("questionnaireResponse", None)
            return kept
        if name not in _KEYS:
            raise ValueError(f"the v2 dialect cannot leave out {name!r}: it is not a top-level field")
        return {key: copy.deepcopy(value) for key, value in body.items() if key != _KEYS[name]}


def _attachment(image: Image) -> dict:
    return {"contentAttachment": {"contentType": image.content_type, "data": image.data}}


def _contract_item(name: str) -> str:
    """A v2 item name in the contract's words; a plan-only name (itchiness) stays, and the rules refuse it."""
    return item_of_v2(name) or name


def _manual_score(reader: ShapeReader, code: str, entry: Any, where: str, score_block: str) -> ManualScore:
    """One system's entry of a manual-scores reply, its score block read as `score_block` says."""
    if not isinstance(entry, dict):
        reader.problem(f"{where} is neither an object nor null")
        return ManualScore(code, 0.0, None, "", (), {})
    score = reader.node(entry, "score", where)
    items = {name: number for name, value in (reader.node(entry, "item", where) or {}).items()
             for number in [reader.number(value, "value", f"{where}.item.{name}") if isinstance(value, dict)
                            else reader.number({name: value}, name, f"{where}.item")] if number is not None}
    value = reader.number(score, "value", f"{where}.score") or 0.0
    if score_block == "sdk":
        if isinstance(score, dict) and "severity" in score:
            reader.problem(f"{where}.score has the 2026 documentation's severity block; the profile chose the "
                           "SDK's interpretation block (manual_scores.score_block)")
        interpretation = reader.node(score, "interpretation", f"{where}.score")
        return ManualScore(code, value, reader.integer(interpretation, "intensity", f"{where}.score.interpretation"),
                           reader.text(interpretation, "category", f"{where}.score.interpretation") or "", (), items)
    if isinstance(score, dict) and "interpretation" in score:
        reader.problem(f"{where}.score has the SDK's interpretation block; the profile chose the 2026 "
                       "documentation's severity block (manual_scores.score_block)")
    severity = reader.node(score, "severity", f"{where}.score")
    bands = tuple(ScoreBand(reader.number(band, "min", f"{where}.score.severity.interpretations[{index}]") or 0.0,
                            reader.number(band, "max", f"{where}.score.severity.interpretations[{index}]",
                                          optional=True),
                            reader.text(band, "text", f"{where}.score.severity.interpretations[{index}]") or "")
                  for index, band in enumerate(reader.items(severity, "interpretations", f"{where}.score.severity")))
    chosen = next((band.text for band in bands if band.minimum <= value
                   and (band.maximum is None or value <= band.maximum)), "")
    return ManualScore(code, value, reader.integer(severity, "value", f"{where}.score.severity"), chosen, bands, items)


def _system_score(reader: ShapeReader, code: str, entry: Any, where: str) -> SystemScore:
    """One system's entry of patientEvolution: score, interpretation, items keyed by name (each a number or
    {"value": number}), and the zone contribution."""
    if not isinstance(entry, dict):
        reader.problem(f"{where} is neither an object nor null")
        return SystemScore(code, 0.0, "", None, {}, None)
    score = reader.node(entry, "score", where)
    interpretation = reader.node(score, "interpretation", f"{where}.score")
    items: dict[str, float] = {}
    for name, value in (reader.node(entry, "item", where) or {}).items():
        number = reader.number(value, "value", f"{where}.item.{name}") if isinstance(value, dict) \
            else reader.number({name: value}, name, f"{where}.item")
        if plan_only_item(name):
            reader.problem(f"{where}.item.{name}: {name!r} is the plan dialect's name; v2 calls it {v2_item(name)!r}")
        elif number is not None:
            items[_contract_item(name)] = number
    extra = reader.node(entry, "additionalData", where, optional=True)
    contribution = reader.number(extra, "globalScoreContribution", f"{where}.additionalData", optional=True)
    intensity = reader.integer(interpretation, "intensity", f"{where}.score.interpretation", optional=True)
    return SystemScore(code, reader.number(score, "value", f"{where}.score") or 0.0,
                       reader.text(interpretation, "category", f"{where}.score.interpretation") or "",
                       intensity, items, contribution)
