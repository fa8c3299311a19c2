"""The plan dialect: the request and response shapes PLAN_001–PLAN_019 were written against."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from lhv.checks.outcomes import require
from lhv.contract.dialects.base import DeviceInfo, Dialect, Loc, Route, TokenGrant, key_locs, spelt
from lhv.contract.dialects.reading import ShapeReader
from lhv.contract.intents import (
    ConditionScore,
    DiagnosisReport,
    Image,
    ImageAnalysis,
    RequestField,
    SeverityReport,
    SeverityRequest,
    SystemScore,
)
from lhv.core.http import Reply
from lhv.core.secrets import SECRETS

# Where each request field sits, below "body": snake_case keys are sent, camelCase locations come back (§2).
_SENT_KEYS = {"subject": "subject", "images": "media", "condition": "known_condition", "body_site": "body_site",
              "systems": "scoring_systems", "answers": "questionnaire_response"}
_LOC_KEYS = {"subject": "subject", "images": "media", "condition": "knownCondition", "body_site": "bodySite",
             "systems": "scoringSystems", "answers": "questionnaireResponse"}
_IMAGE_KEYS = {"image_data": "data", "image_type": "contentType"}


class PlanDialect(Dialect):
    """CONTRACT.md §2–§8."""

    name = "plan"
    routes = {
        "root": Route("GET", "/", False),
        "health": Route("GET", "/health", False),
        "device_information": Route("GET", "/device-information", True),
        "login": Route("POST", "/login", False),
        "register": Route("POST", "/users", True),
        "diagnose": Route("POST", "/diagnosis-support", True),
        "assess_severity": Route("POST", "/severity-assessment", True),
    }

    def login_form(self, username: str, password: str) -> dict[str, str]:
        return {"username": username, "password": password}

    def registration_body(self, username: str, password: str, role: str | None) -> dict:
        return {"email": username, "password": password} | ({"role": role} if role else {})

    def read_token(self, reply: Reply) -> TokenGrant:
        body = reply.json()
        require("login-reply-shape", isinstance(body, dict) and isinstance(body.get("access_token"), str),
                "login reply lacks a string access_token "
                f"(keys: {sorted(body) if isinstance(body, dict) else type(body).__name__})")
        SECRETS.add(body["access_token"], "token")
        minutes, kind = body.get("expires_in_minutes"), body.get("token_type")
        return TokenGrant(body["access_token"], kind if isinstance(kind, str) else "",
                          int(minutes * 60) if isinstance(minutes, int) and not isinstance(minutes, bool) else None)

    def read_device_info(self, reply: Reply) -> DeviceInfo:
        body = reply.json()
        require("device-information-shape", isinstance(body, dict) and "version" in body,
                "device information lacks a version")
        return DeviceInfo(str(body.get("name", "")), str(body.get("manufacturer", "")), str(body["version"]),
                          body.get("udi"))

    # ---- clinical routes --------------------------------------------------------------------------

    def diagnosis_body(self, images: Sequence[Image], subject: str | None) -> dict:
        body: dict[str, Any] = {"subject": {"reference": subject}} if subject is not None else {}
        return body | {"media": [_media(image) for image in images]}

    def severity_body(self, request: SeverityRequest) -> dict:
        body: dict[str, Any] = {"subject": {"reference": request.subject}} if request.subject is not None else {}
        body["media"] = _media(request.image)
        if request.condition_code is not None:
            conclusion = {"code": request.condition_code}
            if request.condition_display is not None:
                conclusion["display"] = request.condition_display
            body["known_condition"] = {"conclusion": conclusion | {"system_alias": "ICD-11"}}
        if request.body_site is not None:
            body["body_site"] = request.body_site
        body["scoring_systems"] = list(request.systems)
        if request.answers:
            body["questionnaire_response"] = [
                {"questionnaire": system,
                 "item": [{"code": code, "answer": [{"value": value}]} for code, value in items.items()]}
                for system, items in request.answers.items()]
        return body

    def severity_request_of(self, body: dict) -> SeverityRequest:
        media = _either(body, "media") or {}
        conclusion = (_either(body, "known_condition") or {}).get("conclusion") or {}
        answers = {entry["questionnaire"]: {item["code"]: item["answer"][0]["value"] for item in entry.get("item", [])}
                   for entry in _either(body, "questionnaire_response") or []}
        return SeverityRequest(Image(str(_either(media, "content_type")), str(media.get("data", "")), "request body"),
                               conclusion.get("code"), conclusion.get("display"), _either(body, "body_site"),
                               tuple(_either(body, "scoring_systems") or ()), answers,
                               (body.get("subject") or {}).get("reference"))

    def read_diagnosis(self, reply: Reply) -> DiagnosisReport:
        reader = ShapeReader("diagnosis reply")
        body = reader.root(reply.json())
        report = DiagnosisReport(_ranked(reader, body, "diagnosis"), _analyses(reader, body), body or {})
        reader.require("diagnosis-reply-shape",
                       f"{len(report.conditions)} ranked condition(s), {len(report.images)} image analysis(es)")
        return report

    def read_severity(self, reply: Reply) -> SeverityReport:
        reader = ShapeReader("severity reply")
        body = reader.root(reply.json())
        systems: dict[str, SystemScore] = {}
        for index, entry in enumerate(reader.items(body, "patientEvolution", "$")):
            where = f"$.patientEvolution[{index}]"
            code = reader.text(entry, "code", where)
            score = reader.node(entry, "score", where)
            interpretation = reader.node(score, "interpretation", f"{where}.score")
            items: dict[str, float] = {}
            for i, item in enumerate(reader.items(entry, "item", where)):
                item_code = reader.text(item, "code", f"{where}.item[{i}]")
                value = reader.number(item, "value", f"{where}.item[{i}]")
                if item_code is not None and value is not None:
                    if item_code in items:
                        reader.problem(f"{where}.item[{i}]: item {item_code!r} is given twice")
                    items[item_code] = value
            extra = entry.get("additionalData") if isinstance(entry, dict) else None
            contribution = reader.number(extra, "globalScoreContribution", f"{where}.additionalData",
                                         optional=True) if isinstance(extra, dict) else None
            intensity = reader.integer(interpretation, "intensity", f"{where}.score.interpretation", optional=True)
            result = SystemScore(code or "?", reader.number(score, "value", f"{where}.score") or 0.0,
                                 reader.text(interpretation, "category", f"{where}.score.interpretation") or "",
                                 intensity, items, contribution)
            if code in systems:
                reader.problem(f"{where}: system {code!r} is reported twice")
            systems[result.system] = result
        report = SeverityReport(systems, body or {}, _analyses(reader, body), _ranked(reader, body, "diagnosis"))
        reader.require("severity-reply-shape", f"results for {', '.join(systems) or 'no system'}")
        return report

    def field_loc(self, operation: str, field: RequestField | str, request: SeverityRequest | None = None) -> Loc:
        field = RequestField(field) if isinstance(field, str) else field
        if field.name == "body":
            return ("body",)
        if field.name in ("image", *_IMAGE_KEYS):
            index = (field.image,) if operation == "diagnose" and field.image is not None else ()
            return ("body", "media", *index, *((_IMAGE_KEYS[field.name],) if field.name in _IMAGE_KEYS else ()))
        if field.name == "answer":
            return (*self.field_loc(operation, RequestField("answers", system=field.system), request),
                    *_item_index(request, field.system, field.item))
        loc: Loc = ("body", _LOC_KEYS[field.name])
        if field.name == "answers" and request is not None and field.system in request.answers:
            loc += (list(request.answers).index(field.system),)
        return loc

    # ---- ways the contract leaves open -------------------------------------------------------------

    open_ways = ("snake-case-keys", "camel-case-keys")

    def open_way_body(self, request: SeverityRequest, way: str) -> dict:
        """The request's own (top-level) fields named in snake_case or camelCase; nested keys as severity_body
        writes them, as the seed's payloads do."""
        if way not in self.open_ways:
            return super().open_way_body(request, way)
        return {spelt(key, way): value for key, value in self.severity_body(request).items()}

    def open_way_locs(self, request: SeverityRequest, way: str) -> tuple[Loc, ...]:
        if way not in self.open_ways:
            return super().open_way_locs(request, way)
        return key_locs(self.open_way_body(request, way), way)

    def open_way_absent(self, way: str) -> str:
        return ("the plan dialect's known condition is one code with its display and system alias: it has no "
                "coding list and no text") if way not in self.open_ways else ""

    def without_field(self, body: dict, operation: str, field: RequestField | str) -> dict:
        name = field if isinstance(field, str) else field.name
        if name not in _SENT_KEYS:
            raise ValueError(f"the plan dialect cannot leave out {name!r}: it is not a top-level field")
        spellings = {_SENT_KEYS[name], _LOC_KEYS[name]}
        return {key: copy.deepcopy(value) for key, value in body.items() if key not in spellings}


def _either(node: dict, snake: str):
    """A request key in either spelling the plan dialect accepts (snake_case or camelCase)."""
    head, *rest = snake.split("_")
    return node.get(snake, node.get(head + "".join(word.title() for word in rest)))


def _media(image: Image) -> dict:
    return {"contentType": image.content_type, "data": image.data}


def _item_index(request: SeverityRequest | None, system: str | None, item: str | None) -> Loc:
    """The position of an answer in its questionnaire's item list, as severity_body writes it."""
    if request is None or system not in request.answers or item not in request.answers[system]:
        return ()
    return ("item", list(request.answers[system]).index(item))


def _ranked(reader: ShapeReader, node: Any, key: str, where: str = "$") -> tuple[ConditionScore, ...]:
    ranked = []
    for index, entry in enumerate(reader.items(node, key, where)):
        at = f"{where}.{key}[{index}]"
        ranked.append(ConditionScore(reader.text(entry, "code", at) or "", reader.text(entry, "display", at) or "",
                                     reader.number(entry, "probability", at) or 0.0))
    return tuple(ranked)


def _analyses(reader: ShapeReader, body: Any) -> tuple[ImageAnalysis, ...]:
    analyses = []
    for index, entry in enumerate(reader.items(body, "imagingAnalysis", "$")):
        where = f"$.imagingAnalysis[{index}]"
        validity = reader.node(entry, "mediaValidity", where)
        at = f"{where}.mediaValidity"
        analyses.append(ImageAnalysis(_ranked(reader, entry, "diagnosis", where),
                                      bool(reader.flag(validity, "isValid", at)),
                                      reader.number(validity, "score", at) or 0.0,
                                      bool(reader.flag(validity, "isDermatological", at))))
    return tuple(analyses)
