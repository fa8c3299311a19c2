"""Converts payload files between the plan, v2 and v1 dialects (CONTRACT.md §5–§7 and its Appendices).

A payload file (lhv/contract/payloads.py) is rewritten in the other dialect: its body (image references kept
as references), its expected errors (each `loc` moved to where the other dialect's device points,
messages and inputs in the other dialect's words, an echoed body converted with the body); its
description is the author's and is kept as written. What the plan dialect writes as `scoring_systems` plus a
`questionnaire_response` list, v2 writes as one `scoringSystem` map; body sites become camelCase,
`itchiness`/`hive` become `pruritus`/`wheals`; images move into `payload[].contentAttachment`;
the condition becomes a FHIR CodeableConcept. Plan → v2 → plan gives the same file back, its keys
in snake_case (the plan dialect takes either spelling; v2 has only one, so a camelCase key of the
plan file comes back in snake_case).

Where a shape cannot say what the file says (answers for a system the request does not list, a
system listed twice, a v2 image title, an expected error placed where the other dialect has no
place), or where converting would change the case's verdict (a plan file that uses v2's spelling
`armLeft`, which is right in v2), conversion stops with one ConversionError naming the file and the
JSON path.

v1 (Appendix B) lays a request out as the plan dialect does: plan → v1 names the keys in camelCase
and writes the codes v1's way (body sites in UPPER_SNAKE, `Local`-suffixed systems); error
locations stay, messages and inputs are put in v1's words, and an answer a questionnaire lacks is
v1's `missing`. Between v1 and v2 a file goes by way of the plan dialect.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lhv.contract.payloads import DIALECTS, PayloadError, PayloadFile, json_path, load
from lhv.contract.spelling import (
    ITEM_BY_V2,
    code_of_v1,
    item_of_v2,
    plan_text,
    plan_text_of_v1,
    site_of_v2,
    v1_code,
    v1_text,
    v2_item,
    v2_site,
    v2_text,
)
from lhv.contract.tables import BODY_SITE_BY_CAMEL, BODY_SITE_BY_CODE, ICD11_SYSTEM, SCORING_SYSTEM_BY_CODE

_PLAN_KEYS = ("subject", "media", "known_condition", "body_site", "scoring_systems", "questionnaire_response")
_V2_KEYS = ("subject", "payload", "knownCondition", "bodySite", "scoringSystem")
_SIZE_ERRORS = ("too_short", "too_long")
_VALUE_ERRORS = ("less_than_equal", "greater_than_equal", "int_from_float", "finite_number", "float_type")


class ConversionError(PayloadError):
    """A payload file that cannot be written in the other dialect; names the file and the JSON path."""


def convert_file(path: str | Path, to: str) -> dict:
    """The payload file at path, written in dialect `to` (its JSON data)."""
    return convert(load(Path(path)), to)


def convert(payload: PayloadFile, to: str) -> dict:
    """A payload file written in dialect `to`; unchanged when it already is."""
    if to not in DIALECTS:
        raise ConversionError(str(payload.path), None, f"no dialect {to!r} (known: {', '.join(DIALECTS)})")
    if payload.dialect == to:
        return _data(payload, payload.description, copy.deepcopy(payload.body), copy.deepcopy(payload.expect))
    if payload.dialect != "plan" and to != "plan":  # between two generations: by way of the plan dialect
        data = convert(payload, "plan")
        return convert(PayloadFile(payload.path, payload.description, "plan", payload.operation, data["body"],
                                   data["expect"]), to)
    converter = _CONVERTERS[(payload.dialect, to)](payload)
    body = converter.body()
    return _data(payload, payload.description, body, converter.expect(body), dialect=to)


def dumps(data: dict, width: int = 118) -> str:
    """A payload file's JSON text as the packaged files are written: 2-space indent, whatever fits in
    `width` columns on one line, a final newline."""
    return _layout(data, 0, width) + "\n"


def _layout(value: Any, indent: int, width: int) -> str:
    flat = json.dumps(value, ensure_ascii=False)
    if len(flat) + indent <= width or not isinstance(value, (dict, list)) or not value:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        lines = [f"{pad}{json.dumps(key, ensure_ascii=False)}: {_layout(child, indent + 2, width)}"
                 for key, child in value.items()]
        return "{\n" + ",\n".join(lines) + "\n" + " " * indent + "}"
    lines = [pad + _layout(child, indent + 2, width) for child in value]
    return "[\n" + ",\n".join(lines) + "\n" + " " * indent + "]"


def _data(payload: PayloadFile, description: str, body: dict, expect: dict, dialect: str | None = None) -> dict:
    return {"description": description, "dialect": dialect or payload.dialect, "operation": payload.operation,
            "body": body, "expect": expect}


class _Converter:
    """What both directions share: the source file, failing with its path, and expected errors."""

    def __init__(self, payload: PayloadFile) -> None:
        self.payload = payload
        self.severity = payload.operation == "assess_severity"
        self.systems: list[str] = []  # the systems the request lists, in order
        self.answered: dict[str, list[str]] = {}  # system → item codes (contract words), in the source's order

    def fail(self, where: str, problem: str) -> ConversionError:
        return ConversionError(str(self.payload.path), where, problem)

    def expect(self, body: dict) -> dict:
        expect = copy.deepcopy(self.payload.expect)
        for index, error in enumerate(expect.get("errors", [])):
            where, source = json_path("$.expect.errors", index), copy.deepcopy(error)
            if "loc" in error:
                error["loc"] = self.loc(error["loc"], source, json_path(where, "loc"))
            if isinstance(error.get("msg"), str):
                error["msg"] = self.text(error["msg"], source)
            if isinstance(error.get("ctx"), dict):
                error["ctx"] = {k: self.text(v, source) if isinstance(v, str) else v for k, v in error["ctx"].items()}
            if "input" in error:
                error["input"] = self.input(error["input"], body, json_path(where, "input"))
        return expect

    def input(self, value: Any, body: dict, where: str) -> Any:
        if value == self.payload.body:
            return copy.deepcopy(body)
        if isinstance(value, str):
            return self.code(value)
        if isinstance(value, (dict, list)):
            raise self.fail(where, "an expected input that is part of the body cannot be converted (give the "
                                   "whole body as sent, a code or a number)")
        return value

    def system_named(self, error: dict, candidates: list[str], where: str, what: str) -> str:
        """The one candidate an error is about: the only one, or the one its message names."""
        if len(candidates) == 1:
            return candidates[0]
        text = f"{error.get('msg', '')} {json.dumps(error.get('ctx', {}))}"
        named = [code for code in candidates if re.search(rf"\b{re.escape(code)}\b", text)]
        if len(named) == 1:
            return named[0]
        raise self.fail(where, f"cannot tell which {what} this error is about ({', '.join(candidates) or 'none'}); "
                               "give its msg")

    # overridden per direction
    def loc(self, loc: list, error: dict, where: str) -> list:
        raise NotImplementedError

    def text(self, text: str, error: dict) -> str:
        raise NotImplementedError

    def code(self, text: str) -> str:
        raise NotImplementedError


# ---- plan → v2 -------------------------------------------------------------------------------------

class _PlanToV2(_Converter):
    def body(self) -> dict:
        source, out = self.payload.body, {}
        keys = _keys_of(source, _PLAN_KEYS if self.severity else ("subject", "media"), self.fail)
        for key, value in source.items():
            if key in keys.values():
                continue
            if key in _V2_KEYS:
                raise self.fail(json_path("$.body", key), f"the key {key!r} would mean another field in v2")
            out[key] = copy.deepcopy(value)  # an unknown key: refused in both dialects
        if "subject" in keys:
            out["subject"] = copy.deepcopy(source[keys["subject"]])
        if "media" in keys:
            out["payload"] = self._media(source[keys["media"]], json_path("$.body", keys["media"]))
        if "known_condition" in keys:
            where = json_path("$.body", keys["known_condition"])
            out["knownCondition"] = self._condition(source[keys["known_condition"]], where)
        if "body_site" in keys:
            out["bodySite"] = self._site(source[keys["body_site"]], json_path("$.body", keys["body_site"]))
        if "scoring_systems" in keys or "questionnaire_response" in keys:
            out["scoringSystem"] = self._systems(source, keys)
        return {**{key: out.pop(key) for key in _V2_KEYS if key in out}, **out}

    def _media(self, media: Any, where: str) -> Any:
        if isinstance(media, list):
            return [self._attachment(entry, json_path(where, index)) for index, entry in enumerate(media)]
        return self._attachment(media, where)

    def _attachment(self, entry: Any, where: str) -> Any:
        if not isinstance(entry, dict):
            return copy.deepcopy(entry)
        keys = _keys_of(entry, ("content_type",), self.fail, where)
        attachment = {("contentType" if key == keys.get("content_type") else key): copy.deepcopy(value)
                      for key, value in entry.items()}
        return {"contentAttachment": attachment}

    def _condition(self, condition: Any, where: str) -> Any:
        if not isinstance(condition, dict):
            return copy.deepcopy(condition)  # not an object: refused in both dialects
        conclusion = condition.get("conclusion")
        if not isinstance(conclusion, dict) or set(condition) != {"conclusion"}:
            raise self.fail(where, "only {\"conclusion\": {\"code\", \"display\"?, \"system_alias\"?}} can be "
                                   "written as v2's CodeableConcept")
        at = json_path(where, "conclusion")
        keys = _keys_of(conclusion, ("code", "display", "system_alias"), self.fail, at)
        extra = sorted(set(conclusion) - set(keys.values()))
        if extra:
            raise self.fail(json_path(at, extra[0]), "v2's coding has no place for this key")
        coding: dict[str, Any] = {"system": ICD11_SYSTEM}
        if "system_alias" in keys:
            coding["systemDisplay"] = copy.deepcopy(conclusion[keys["system_alias"]])
        if "code" in keys:
            coding["code"] = copy.deepcopy(conclusion[keys["code"]])
        if "display" in keys:
            coding["display"] = copy.deepcopy(conclusion[keys["display"]])
        out: dict[str, Any] = {"coding": [coding]}
        if "display" in keys:
            out["text"] = copy.deepcopy(conclusion[keys["display"]])
        return {"conclusion": out}

    def _site(self, site: Any, where: str) -> Any:
        if isinstance(site, str) and site not in BODY_SITE_BY_CODE and site in BODY_SITE_BY_CAMEL:
            raise self.fail(where, f"{site!r} is v2's spelling of {BODY_SITE_BY_CAMEL[site].code}: refused in the "
                                   "plan dialect, it would be accepted in v2 (the case's verdict would change)")
        return v2_site(site) if isinstance(site, str) else copy.deepcopy(site)

    def _systems(self, source: dict, keys: dict[str, str]) -> dict:
        systems_key = keys.get("scoring_systems")
        where = json_path("$.body", systems_key or "scoring_systems")
        systems = source.get(systems_key) if systems_key else None
        if not isinstance(systems, list) or not all(isinstance(code, str) for code in systems):
            raise self.fail(where, "v2 lists the systems as the keys of one scoringSystem map: only a list of codes "
                                   "can be written so")
        for index, code in enumerate(systems):
            if code in systems[:index]:
                raise self.fail(json_path(where, index), f"{code!r} is listed twice; a map lists each system once")
        self.systems = list(systems)
        out: dict[str, Any] = {code: {} for code in systems}
        responses_key = keys.get("questionnaire_response")
        responses = source.get(responses_key, []) if responses_key else []
        at = json_path("$.body", responses_key or "questionnaire_response")
        if not isinstance(responses, list):
            raise self.fail(at, "not a list of questionnaires: v2 has no place for it")
        for q_index, response in enumerate(responses):
            q_at = json_path(at, q_index)
            if not isinstance(response, dict) or set(response) != {"questionnaire", "item"} \
                    or not isinstance(response["item"], list):
                raise self.fail(q_at, "only {\"questionnaire\", \"item\": [...]} can be written in v2")
            code = response["questionnaire"]
            if code not in out:
                raise self.fail(json_path(q_at, "questionnaire"), f"a questionnaire for {code!r}, which the request "
                                "does not list: v2 writes answers under their system")
            if code in self.answered:
                raise self.fail(json_path(q_at, "questionnaire"), f"a second questionnaire for {code!r}")
            out[code] = {"questionnaireResponse": {"item": self._items(response["item"], json_path(q_at, "item"),
                                                                       code)}}
        return out

    def _items(self, items: list, where: str, system: str) -> dict:
        out: dict[str, Any] = {}
        codes: list[str] = []
        for index, item in enumerate(items):
            at = json_path(where, index)
            answers = item.get("answer") if isinstance(item, dict) else None
            if not isinstance(item, dict) or set(item) != {"code", "answer"} or not isinstance(item["code"], str) \
                    or not isinstance(answers, list) or len(answers) != 1 or not isinstance(answers[0], dict) \
                    or set(answers[0]) != {"value"}:
                raise self.fail(at, "only {\"code\", \"answer\": [{\"value\"}]} (one answer) can be written as a v2 "
                                    "item")
            code = item["code"]
            if code in ITEM_BY_V2:
                raise self.fail(json_path(at, "code"), f"{code!r} is v2's name of {ITEM_BY_V2[code]}: refused in the "
                                                       "plan dialect, it would be accepted in v2")
            if v2_item(code) in out:
                raise self.fail(json_path(at, "code"), f"{code!r} is answered twice; a map holds each item once")
            out[v2_item(code)] = copy.deepcopy(answers[0]["value"])
            codes.append(code)
        self.answered[system] = codes
        return out

    def code(self, text: str) -> str:
        return v2_site(text) if text in BODY_SITE_BY_CODE else v2_item(text)

    def text(self, text: str, error: dict) -> str:
        text = v2_text(text)
        if error.get("type") in _SIZE_ERRORS and error.get("loc", [None, None])[1:2] == ["scoringSystems"]:
            text = text.replace("List", "Dictionary")
        return text

    def loc(self, loc: list, error: dict, where: str) -> list:
        if loc[:1] != ["body"] or len(loc) < 2:
            return list(loc)
        head, rest = loc[1], list(loc[2:])
        if head == "media":
            index = rest[:1] if self.payload.operation == "diagnose" and rest[:1] and isinstance(rest[0], int) else []
            inner = rest[len(index):]
            return ["body", "payload", *index, *(["contentAttachment", *inner] if inner else [])]
        if head == "knownCondition" and rest[:1] == ["conclusion"] and len(rest) > 1:
            field = {"code": "code", "display": "display", "systemAlias": "systemDisplay"}.get(rest[1])
            if field is None:
                raise self.fail(where, f"v2's coding has no place for {rest[1]!r}")
            return ["body", "knownCondition", "conclusion", "coding", 0, field, *rest[2:]]
        if head == "scoringSystems":
            if not rest:
                return ["body", "scoringSystem"]
            if isinstance(rest[0], int) and 0 <= rest[0] < len(self.systems):
                return ["body", "scoringSystem", self.systems[rest[0]], *rest[1:]]
            raise self.fail(where, "no listed system at this position")
        if head == "questionnaireResponse":
            return self._answers_loc(rest, error, where)
        return list(loc)

    def _answers_loc(self, rest: list, error: dict, where: str) -> list:
        if not rest:  # a listed system without its questionnaire
            lacking = [code for code in self.systems if code in SCORING_SYSTEM_BY_CODE
                       and SCORING_SYSTEM_BY_CODE[code].needs_answers and code not in self.answered]
            code = self.system_named(error, lacking, where, "system without a questionnaire")
            return ["body", "scoringSystem", code, "questionnaireResponse"]
        order = list(self.answered)
        if not isinstance(rest[0], int) or not 0 <= rest[0] < len(order):
            raise self.fail(where, "no questionnaire at this position")
        system = order[rest[0]]
        questionnaire = ["body", "scoringSystem", system, "questionnaireResponse"]
        tail = rest[1:]
        if not tail:
            return questionnaire
        if tail == ["item"]:  # an answer the questionnaire lacks
            spec = SCORING_SYSTEM_BY_CODE.get(system)
            lacking = [item.code for item in (spec.answers if spec else ()) if item.code not in self.answered[system]]
            item = self.system_named(error, lacking, where, "missing answer")
            return [*questionnaire, "item", v2_item(item)]
        if tail[0] == "item" and len(tail) >= 2 and isinstance(tail[1], int) \
                and 0 <= tail[1] < len(self.answered[system]) and tail[2:] in ([], ["code"], ["answer", 0, "value"]):
            return [*questionnaire, "item", v2_item(self.answered[system][tail[1]])]
        raise self.fail(where, "v2 has no place for this error (a v2 item is its value, without code or answer list)")


# ---- v2 → plan -------------------------------------------------------------------------------------

class _V2ToPlan(_Converter):
    def body(self) -> dict:
        source, out = self.payload.body, {}
        known = _V2_KEYS if self.severity else ("subject", "payload")
        for key, value in source.items():
            if key in known:
                continue
            if key in _PLAN_KEYS or _snake(key) in _PLAN_KEYS:
                raise self.fail(json_path("$.body", key), f"the key {key!r} would mean another field in the plan "
                                                          "dialect")
            out[key] = copy.deepcopy(value)
        if "subject" in source:
            out["subject"] = copy.deepcopy(source["subject"])
        if "payload" in source:
            out["media"] = self._payload(source["payload"], "$.body.payload")
        if self.severity and "knownCondition" in source:
            out["known_condition"] = self._condition(source["knownCondition"], "$.body.knownCondition")
        if self.severity and "bodySite" in source:
            out["body_site"] = self._site(source["bodySite"], "$.body.bodySite")
        if self.severity and "scoringSystem" in source:
            out.update(self._systems(source["scoringSystem"], "$.body.scoringSystem"))
        return {**{key: out.pop(key) for key in _PLAN_KEYS if key in out}, **out}

    def _payload(self, payload: Any, where: str) -> Any:
        if isinstance(payload, list):
            return [self._image(entry, json_path(where, index)) for index, entry in enumerate(payload)]
        return self._image(payload, where)

    def _image(self, entry: Any, where: str) -> Any:
        if not isinstance(entry, dict):
            return copy.deepcopy(entry)
        if set(entry) != {"contentAttachment"} or not isinstance(entry["contentAttachment"], dict):
            raise self.fail(where, "only {\"contentAttachment\": {...}} can be written as a plan media object")
        attachment = entry["contentAttachment"]
        if "title" in attachment:
            raise self.fail(json_path(json_path(where, "contentAttachment"), "title"),
                            "the plan dialect has no image title")
        return copy.deepcopy(attachment)

    def _condition(self, condition: Any, where: str) -> Any:
        if not isinstance(condition, dict):
            return copy.deepcopy(condition)  # not an object: refused in both dialects
        conclusion = condition.get("conclusion")
        codings = conclusion.get("coding") if isinstance(conclusion, dict) else None
        if set(condition) != {"conclusion"} or not isinstance(codings, list) or len(codings) != 1 \
                or not isinstance(codings[0], dict) or not set(conclusion) <= {"coding", "text"}:
            raise self.fail(where, "only a conclusion with one coding (and text) can be written in the plan dialect")
        coding, at = codings[0], json_path(json_path(where, "conclusion"), "coding") + "[0]"
        extra = sorted(set(coding) - {"system", "systemDisplay", "code", "display"})
        if extra or coding.get("system", ICD11_SYSTEM) != ICD11_SYSTEM:
            raise self.fail(json_path(at, extra[0] if extra else "system"),
                            "the plan dialect's condition is an ICD-11 code with display and system alias only")
        out: dict[str, Any] = {}
        if "code" in coding:
            out["code"] = copy.deepcopy(coding["code"])
        display = coding.get("display", conclusion.get("text"))
        if "text" in conclusion and "display" in coding and conclusion["text"] != coding["display"]:
            raise self.fail(json_path(json_path(where, "conclusion"), "text"),
                            "a text other than the coding's display has no place in the plan dialect")
        if display is not None:
            out["display"] = copy.deepcopy(display)
        if "systemDisplay" in coding:
            out["system_alias"] = copy.deepcopy(coding["systemDisplay"])
        return {"conclusion": out}

    def _site(self, site: Any, where: str) -> Any:
        if not isinstance(site, str):
            return copy.deepcopy(site)
        code = site_of_v2(site)
        if code is None and site in BODY_SITE_BY_CODE:
            raise self.fail(where, f"{site!r} is the plan dialect's spelling: refused in v2, it would be accepted in "
                                   "the plan dialect (the case's verdict would change)")
        return code or site

    def _systems(self, systems: Any, where: str) -> dict:
        if not isinstance(systems, dict):
            raise self.fail(where, "not a map of systems: the plan dialect has no place for it")
        self.systems = list(systems)
        responses = []
        for code, entry in systems.items():
            at = json_path(where, code)
            if not isinstance(entry, dict) or not set(entry) <= {"questionnaireResponse"}:
                raise self.fail(at, "only {} or {\"questionnaireResponse\": {\"item\": {...}}} can be written in the "
                                    "plan dialect")
            if "questionnaireResponse" not in entry:
                continue
            response = entry["questionnaireResponse"]
            if not isinstance(response, dict) or set(response) != {"item"} or not isinstance(response["item"], dict):
                raise self.fail(json_path(at, "questionnaireResponse"), "only {\"item\": {...}} can be written in "
                                                                        "the plan dialect")
            items = []
            for name, value in response["item"].items():
                item = item_of_v2(name)
                if item is None:
                    raise self.fail(json_path(json_path(json_path(at, "questionnaireResponse"), "item"), name),
                                    f"{name!r} is the plan dialect's name: refused in v2, it would be accepted "
                                    "in the plan dialect")
                items.append({"code": item, "answer": [{"value": copy.deepcopy(value)}]})
            self.answered[code] = [item["code"] for item in items]
            responses.append({"questionnaire": code, "item": items})
        return {"scoring_systems": list(systems), **({"questionnaire_response": responses} if responses else {})}

    def code(self, text: str) -> str:
        site = site_of_v2(text)
        return site if site is not None else item_of_v2(text) or text

    def text(self, text: str, error: dict) -> str:
        text = plan_text(text)
        if error.get("type") in _SIZE_ERRORS and error.get("loc", [None, None])[1:2] == ["scoringSystem"]:
            text = text.replace("Dictionary", "List")
        return text

    def loc(self, loc: list, error: dict, where: str) -> list:
        if loc[:1] != ["body"] or len(loc) < 2:
            return list(loc)
        head, rest = loc[1], list(loc[2:])
        if head == "payload":
            index = rest[:1] if self.payload.operation == "diagnose" and rest[:1] and isinstance(rest[0], int) else []
            inner = rest[len(index):]
            if inner[:1] == ["contentAttachment"]:
                inner = inner[1:]
            elif inner:
                raise self.fail(where, "the plan dialect has no place for this error")
            return ["body", "media", *index, *inner]
        if head == "knownCondition" and rest[:1] == ["conclusion"] and len(rest) > 1:
            if rest[1:3] == ["coding", 0] and len(rest) > 3:
                field = {"code": "code", "display": "display", "systemDisplay": "systemAlias"}.get(rest[3])
                if field is not None:
                    return ["body", "knownCondition", "conclusion", field, *rest[4:]]
            raise self.fail(where, "the plan dialect's conclusion has no place for this error")
        if head == "scoringSystem":
            return self._systems_loc(rest, error, where)
        return list(loc)

    def _systems_loc(self, rest: list, error: dict, where: str) -> list:
        if not rest:
            return ["body", "scoringSystems"]
        system, tail = rest[0], rest[1:]
        if system not in self.systems:
            raise self.fail(where, f"no system {system!r} in the request")
        if not tail:
            return ["body", "scoringSystems", self.systems.index(system)]
        if tail[0] != "questionnaireResponse":
            raise self.fail(where, "the plan dialect has no place for this error")
        order = list(self.answered)
        if system not in self.answered:
            return ["body", "questionnaireResponse"]
        questionnaire = ["body", "questionnaireResponse", order.index(system)]
        if len(tail) == 1:
            return questionnaire
        if tail[1:2] == ["item"] and len(tail) == 2:
            return [*questionnaire, "item"]
        if tail[1:2] == ["item"] and len(tail) == 3:
            item = item_of_v2(str(tail[2])) or str(tail[2])
            if item not in self.answered[system]:
                return [*questionnaire, "item"]
            spec = SCORING_SYSTEM_BY_CODE.get(system)
            is_answer = spec is not None and spec.answer(item) is not None
            value_error = error.get("type") in _VALUE_ERRORS or ("type" not in error and is_answer)
            return [*questionnaire, "item", self.answered[system].index(item),
                    *(["answer", 0, "value"] if value_error else ["code"])]
        raise self.fail(where, "the plan dialect has no place for this error")


# ---- plan ↔ v1 (Appendix B) -------------------------------------------------------------------------

_V1_KEYS = ("subject", "media", "knownCondition", "bodySite", "scoringSystems", "questionnaireResponse")
_V1_CONCLUSION = (("display", "display"), ("code", "code"), ("system_alias", "systemAlias"))


class _PlanToV1(_Converter):
    """v1 lays a request out as the plan dialect does: keys become camelCase, codes v1's (ARM_LEFT, apasiLocal).
    Error locations stay (the plan dialect's are camelCase); a missing answer is v1's `missing`."""

    def body(self) -> dict:
        source, out = self.payload.body, {}
        keys = _keys_of(source, _PLAN_KEYS if self.severity else ("subject", "media"), self.fail)
        renamed = {spelling: _camel(field) for field, spelling in keys.items()}
        for key, value in source.items():
            where = json_path("$.body", key)
            name = renamed.get(key, key)
            if name == "media":
                out[name] = self._media(value, where)
            elif name == "knownCondition":
                out[name] = self._condition(value, where)
            elif name == "bodySite":
                out[name] = self._code(value, where)
            elif name == "scoringSystems":
                out[name] = [self._code(code, json_path(where, index)) for index, code in enumerate(value)] \
                    if isinstance(value, list) else copy.deepcopy(value)
            elif name == "questionnaireResponse" and isinstance(value, list):
                out[name] = [{**copy.deepcopy(entry), "questionnaire": self._code(entry["questionnaire"],
                                                                                   json_path(json_path(where, i),
                                                                                             "questionnaire"))}
                             if isinstance(entry, dict) and "questionnaire" in entry else copy.deepcopy(entry)
                             for i, entry in enumerate(value)]
            else:
                out[name] = copy.deepcopy(value)
        return out

    def _media(self, media: Any, where: str) -> Any:
        if isinstance(media, list):
            return [self._media(entry, json_path(where, index)) for index, entry in enumerate(media)]
        if not isinstance(media, dict):
            return copy.deepcopy(media)
        keys = _keys_of(media, ("content_type",), self.fail, where)
        return {("contentType" if key == keys.get("content_type") else key): copy.deepcopy(value)
                for key, value in media.items()}

    def _condition(self, condition: Any, where: str) -> Any:
        conclusion = condition.get("conclusion") if isinstance(condition, dict) else None
        if not isinstance(conclusion, dict):
            return copy.deepcopy(condition)
        at = json_path(where, "conclusion")
        keys = _keys_of(conclusion, ("code", "display", "system_alias"), self.fail, at)
        written = {v1: copy.deepcopy(conclusion[keys[plan]]) for plan, v1 in _V1_CONCLUSION if plan in keys}
        rest = {key: copy.deepcopy(value) for key, value in conclusion.items() if key not in keys.values()}
        return {**condition, "conclusion": {**written, **rest}}

    def _code(self, code: Any, where: str) -> Any:
        if not isinstance(code, str):
            return copy.deepcopy(code)
        if code_of_v1(code) != code:
            raise self.fail(where, f"{code!r} is v1's spelling of {code_of_v1(code)}: refused in the plan dialect, it "
                                   "would be accepted in v1 (the case's verdict would change)")
        return v1_code(code)

    def expect(self, body: dict) -> dict:
        expect = super().expect(body)
        expect["errors"] = [{"type": "missing", "loc": error["loc"], "msg": "Field required"}
                            if error.get("type") == "value_error" and "has no answer for" in str(error.get("msg"))
                            else error for error in expect.get("errors", [])]
        if not expect["errors"]:
            del expect["errors"]
        return expect

    def loc(self, loc: list, error: dict, where: str) -> list:
        return list(loc)

    def text(self, text: str, error: dict) -> str:
        return v1_text(text)

    def code(self, text: str) -> str:
        return v1_code(text)


class _V1ToPlan(_Converter):
    """The inverse of _PlanToV1: codes in the contract's words; keys stay camelCase (the plan dialect takes them)."""

    def body(self) -> dict:
        body = copy.deepcopy(self.payload.body)
        if not self.severity:
            return body
        if isinstance(body.get("bodySite"), str):
            body["bodySite"] = self._code(body["bodySite"], "$.body.bodySite")
        if isinstance(body.get("scoringSystems"), list):
            body["scoringSystems"] = [self._code(code, json_path("$.body.scoringSystems", index))
                                      for index, code in enumerate(body["scoringSystems"])]
        for index, entry in enumerate(body.get("questionnaireResponse") or []):
            if isinstance(entry, dict) and isinstance(entry.get("questionnaire"), str):
                entry["questionnaire"] = self._code(entry["questionnaire"],
                                                    json_path(json_path("$.body.questionnaireResponse", index),
                                                              "questionnaire"))
        return body

    def _code(self, code: str, where: str) -> str:
        if code_of_v1(code) == code and (code in BODY_SITE_BY_CODE or code in SCORING_SYSTEM_BY_CODE):
            raise self.fail(where, f"{code!r} is the plan dialect's spelling: refused in v1, it would be accepted in "
                                   "the plan dialect (the case's verdict would change)")
        return code_of_v1(code)

    def expect(self, body: dict) -> dict:
        if any(error.get("type") == "missing" and error.get("loc", [])[-1:] == ["item"]
               for error in self.payload.expect.get("errors", [])):
            raise self.fail("$.expect.errors", "v1's missing answer is the plan dialect's value_error naming the "
                                               "answer: write the plan file's error by hand")
        return super().expect(body)

    def loc(self, loc: list, error: dict, where: str) -> list:
        return list(loc)

    def text(self, text: str, error: dict) -> str:
        return plan_text_of_v1(text)

    def code(self, text: str) -> str:
        return code_of_v1(text)


_CONVERTERS: dict[tuple[str, str], Callable[[PayloadFile], _Converter]] = {
    ("plan", "v2"): _PlanToV2, ("v2", "plan"): _V2ToPlan, ("plan", "v1"): _PlanToV1, ("v1", "plan"): _V1ToPlan}


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(word.title() for word in rest)


def _snake(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()


def _keys_of(node: dict, fields: tuple[str, ...], fail: Callable[[str, str], ConversionError],
             where: str = "$.body") -> dict[str, str]:
    """Which key (snake_case or camelCase) the plan body uses for each field; both at once cannot be converted."""
    found = {}
    for field in fields:
        head, *rest = field.split("_")
        spellings = [key for key in dict.fromkeys((field, head + "".join(w.title() for w in rest))) if key in node]
        if len(spellings) > 1:
            raise fail(json_path(where, spellings[1]), f"{field} is given in both spellings")
        if spellings:
            found[field] = spellings[0]
    return found
