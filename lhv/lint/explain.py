"""Turns a device error into what a person can fix: what is wrong, what is allowed there, a likely fix.

The texts come from the contract's tables (lhv/contract/tables.py) and the dialect's request schema;
a code is always written the way the body's dialect spells it.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from typing import Any

from lhv.contract.tables import (
    BODY_SITES,
    CONDITIONS,
    CONTENT_TYPES,
    DIAGNOSIS_MAX_IMAGES,
    DIAGNOSIS_MIN_IMAGES,
    SALT_WEIGHTS,
    SCORING_SYSTEM_BY_CODE,
    SCORING_SYSTEMS,
    ItemSpec,
)
from lhv.device.clinical.validation import ErrorDict
from lhv.lint.paths import camel, last_key, snake, value_at
from lhv.lint.readers import BodyReader

# The standard PASI area score: the share of the region affected → the score an apasi `surface` answer takes.
PASI_AREA_BANDS = "0 = none, 1 = under 10 %, 2 = 10–29 %, 3 = 30–49 %, 4 = 50–69 %, 5 = 70–89 %, 6 = 90–100 %"
_BASE64 = ("standard base64 (RFC 4648 §4: A–Z, a–z, 0–9, + and /, padded with = to a multiple of 4) "
           "on one line, "
           "with no data: prefix, of a JPEG or PNG file whose type matches contentType")
_IMAGE_FIXES = {
    "data_uri": "send only the base64 text: remove the leading \"data:image/…;base64,\"",
    "whitespace": "encode without line breaks (e.g. `base64 -w0 photo.jpg`, or Python base64.b64encode)",
    "url_safe_alphabet": "use the standard alphabet (+ and /): Python base64.b64encode, not urlsafe_b64encode",
    "bad_padding": "keep the = padding the encoder writes; do not strip or add any",
    "not_base64": "send the image file's bytes encoded as base64 text",
    "not_an_image": "send a JPEG or PNG photo (this base64 decodes to something else)",
    "undecodable": "send the complete file: it may have been cut off or corrupted",
    "too_large": "downscale the photo (at most 40 megapixels)",
}


# Keys clients send by mistake, and the key they meant (the v2 dialect's names among them).
_LIKELY_KEYS = {"images": "media", "image": "media", "photos": "media", "payload": "media", "user": "subject",
                "patient": "subject", "condition": "known_condition", "site": "body_site", "zone": "body_site",
                "body_zone": "body_site", "systems": "scoring_systems", "scoring_system": "scoring_systems",
                "scoringSystem": "scoring_systems", "questionnaire": "questionnaire_response",
                "answers": "questionnaire_response", "questionnaireResponse": "questionnaire_response",
                "mimeType": "content_type", "mime_type": "content_type", "type": "content_type",
                "content-type": "content_type", "base64": "data", "contentAttachment": "data"}

# The place that lists the scoring systems: the plan dialect's list, v2's map.
_SYSTEMS_FIELDS = ("scoring_systems", "scoring_system")

# Pydantic's type errors, and what the place takes instead.
_EXPECTED_TYPES = {"dict_type": "an object", "model_type": "an object", "list_type": "a list",
                   "string_type": "a string", "float_type": "a number", "int_type": "a whole number",
                   "bool_type": "true or false"}

Explanation = tuple[str, str, str]  # what is wrong, what is allowed, a likely fix


def explain(error: ErrorDict, body: Any, reader: BodyReader, operation: str) -> Explanation:
    """What is wrong, what is allowed and a likely fix, for one device error about this body."""
    loc = list(error.get("loc") or [])
    kind = str(error.get("type", ""))
    context = _Context(error, loc, body, reader, operation)
    if "reason" in (error.get("ctx") or {}):
        return context.image()
    handler = {
        "json_invalid": context.json_invalid, "missing": context.missing, "extra_forbidden": context.extra,
        "literal_error": context.literal, "too_short": context.length, "too_long": context.length,
        "less_than_equal": context.answer_range, "greater_than_equal": context.answer_range,
        "int_from_float": context.answer_range, "finite_number": context.answer_range,
        "value_error": context.rule,
    }.get(kind, context.wrong_type)
    return handler()


class _Context:
    """One error with what is needed to explain it."""

    def __init__(self, error: ErrorDict, loc: list, body: Any, reader: BodyReader, operation: str) -> None:
        self.error, self.loc, self.body, self.reader, self.operation = error, loc, body, reader, operation
        self.found, self.value = value_at(loc, body)
        self.key = last_key(loc, body, reader.key_case)
        self.field = snake(self.key)

    # ---- by error type -------------------------------------------------------------------------------

    def json_invalid(self) -> Explanation:
        reason = (self.error.get("ctx") or {}).get("error", "")
        return (f"the body is not valid JSON: {reason}",
                "one JSON object (RFC 8259) in UTF-8: double-quoted keys and strings, no trailing commas, "
                "no comments, no NaN or Infinity", "")

    def missing(self) -> Explanation:
        if self.loc == ["body"]:
            return "the body is empty", f"a JSON object: {self._describe(['body'])}", ""
        if self.field == "body_site":
            zoned = [code for code in self._listed_systems() if SCORING_SYSTEM_BY_CODE[code].needs_zone]
            why = f": {', '.join(zoned)} weight{'s' if len(zoned) == 1 else ''} the score by body zone" if zoned else ""
            return f"the body site is missing{why}", self._sites_allowed(), \
                "send the body site the patient chose for this photo"
        if self.field == "known_condition":
            return "the known condition is missing", self._condition_allowed(), ""
        if self.field == "code" and self._under("known_condition"):
            examples = ", ".join(f"{c.code} ({c.display})" for c in CONDITIONS[:3])
            return "the known condition's ICD-11 code is missing", f"an ICD-11 code as text, e.g. {examples}", ""
        return f"{self.key} is required here", self._describe(self.loc), ""

    def extra(self) -> Explanation:
        if self._names_answer() and self._answer_context()[0]:
            system, item = self._answer_context()
            spec = SCORING_SYSTEM_BY_CODE.get(system or "")
            codes = [self.reader.item_code(s.code) for s in spec.answers] if spec else []
            allowed = self._answers_allowed(system) if spec else "an item of the questionnaire's scoring system"
            renamed = self.reader.item_code(item) if spec and item and spec.answer(item) else item
            hint = f"did you mean {renamed!r}? (the {self.reader.dialect} dialect's name for {item})" \
                if renamed != item else _did_you_mean(item, codes)
            return f"{system} has no answer item {item!r}", allowed, hint
        keys = self._keys_at(self.loc[:-1])
        here = "the body" if len(self.loc) <= 2 else self._name(self.loc[:-1])
        allowed = f"keys of {here}: {', '.join(self._spell(k) for k in keys)}" if keys else "no other key"
        likely = _LIKELY_KEYS.get(self.key)
        hint = f"did you mean {self._spell(likely)!r}?" if likely in keys else _did_you_mean(self.key, keys)
        return f"unknown key {self.key!r} in {here}", allowed, hint

    def literal(self) -> Explanation:
        value = self.value if self.found else self.error.get("input")
        if self.field == "body_site":
            codes = [self.reader.body_site_code(site.code) for site in BODY_SITES]
            return f"unknown body site {value!r}", self._sites_allowed(), _did_you_mean(value, codes)
        if self.field in (*_SYSTEMS_FIELDS, "questionnaire") or any(map(self._under, _SYSTEMS_FIELDS)):
            value = self.error.get("input", value)  # v2 names the system by its key
            codes = [system.code for system in SCORING_SYSTEMS]
            return f"unknown scoring system {value!r}", self._systems_allowed(), _did_you_mean(value, codes)
        if self.field == "content_type":
            return f"unsupported content type {value!r}", " or ".join(CONTENT_TYPES), \
                _did_you_mean(value, list(CONTENT_TYPES), extra={"image/jpg": "image/jpeg"})
        expected = (self.error.get("ctx") or {}).get("expected", "")
        return f"{self.key} is {value!r}", f"one of {expected}" if expected else self._describe(self.loc), ""

    def length(self) -> Explanation:
        ctx = self.error.get("ctx") or {}
        count = ctx.get("actual_length", len(self.value) if isinstance(self.value, list) else "?")
        if self.field == "media":
            return (f"{count} image(s) in the list",
                    f"{DIAGNOSIS_MIN_IMAGES} to {DIAGNOSIS_MAX_IMAGES} images of one lesion, each {_image_object()}",
                    "")
        if self.field in _SYSTEMS_FIELDS:
            return "the list of scoring systems is empty", f"at least one of: {self._systems_allowed()}", ""
        if self.field == "answer":
            return f"{count} answer(s) given for one item", "exactly one answer: [{\"value\": …}]", ""
        return f"{self.key} holds {count} item(s)", self._describe(self.loc), ""

    def answer_range(self) -> Explanation:
        system, item = self._answer_context()
        spec = _answer_spec(system, item)
        value = self.value if self.found else self.error.get("input")
        kind = str(self.error.get("type"))
        if spec is None:
            return str(self.error.get("msg", kind)), self._describe(self.loc), ""
        wrong = {"less_than_equal": f"is above its maximum {_number(spec.maximum)}",
                 "greater_than_equal": f"is below its minimum {_number(spec.minimum)}",
                 "int_from_float": "is not a whole number",
                 "finite_number": "is not a finite number"}.get(kind, "is out of range")
        hint = f"the PASI area score bands: {PASI_AREA_BANDS}" if (system, item) == ("apasi", "surface") else ""
        return f"{system} {self.reader.item_code(item)} = {value!r} {wrong}", _item_allowed(self.reader, spec), hint

    def rule(self) -> Explanation:
        message = str((self.error.get("ctx") or {}).get("error") or self.error.get("msg", ""))
        if self.field == "body_site":
            scalp = ", ".join(self.reader.body_site_code(code) for code in SALT_WEIGHTS)
            return f"asalt scores the scalp only, and the body site is {self.value!r}", \
                f"for asalt, a scalp view: {scalp}", "send asalt in a request of its own, with a scalp site"
        if "given more than once" in message:
            return message[:1].upper() + message[1:], "each code once", ""
        system = self._questionnaire_system()
        if "does not list" in message:
            listed = ", ".join(self._listed_systems()) or "none"
            return (f"a questionnaire for {system}, which the request does not list in its scoring systems",
                    f"questionnaires only for the listed systems ({listed})",
                    f"add {system} to the scoring systems, or leave its questionnaire out")
        if "needs a questionnaire" in message:
            return (f"{system_in(message)} needs the patient's answers, and no questionnaire is given for it",
                    self.reader.questionnaire_example(system_in(message))
                    or _questionnaire_example(self.reader, system_in(message)), "")
        if "has no answer for" in message:
            missing = message.rsplit(" ", 1)[-1]
            return (f"the {system} questionnaire has no answer for {missing}", self._answers_allowed(system), "")
        return message, self._describe(self.loc), ""

    def image(self) -> Explanation:
        reason = (self.error.get("ctx") or {}).get("reason", "")
        message = str(self.error.get("msg", ""))
        if reason == "unsupported_content_type":
            return message, " or ".join(CONTENT_TYPES), ""
        if reason == "type_mismatch":
            actual = message.rsplit(" ", 2)[-2] if " is a " in message else ""
            declared = value_at(self.loc[:-1] + ["contentType"], self.body)[1]
            if actual in CONTENT_TYPES and isinstance(declared, str):
                message = f"contentType says {declared}, but the bytes are a {actual.split('/')[1].upper()} image"
            fix = f"declare contentType {actual!r}" if actual in CONTENT_TYPES else ""
            return message, "the contentType of the bytes sent (image/jpeg for JPEG, image/png for PNG)", fix
        return message, _BASE64, _IMAGE_FIXES.get(reason, "")

    def wrong_type(self) -> Explanation:
        shown = _shown(self.value) if self.found else "missing"
        system, item = self._answer_context()
        spec = _answer_spec(system, item)
        if spec is not None and (self.field == "value" or self._names_answer()):
            fix = "write the number without quotes" if isinstance(self.value, str) else ""
            wrong = f"{system} {self.reader.item_code(item)} is {shown}, not a number"
            return wrong, _item_allowed(self.reader, spec), fix
        hint = ""
        if self.field == "media" and isinstance(self.value, dict) and self.operation == "diagnose":
            hint = "diagnosis support takes a list of images: wrap the image object in [ ]"
        elif self.field == "media" and isinstance(self.value, list) and self.operation == "assess_severity":
            hint = "severity assessment takes exactly one image object, not a list"
        elif str(self.error.get("type")) == "list_type" and self.found and self.value is not None:
            hint = f"wrap it in a list: [{json.dumps(self.value)[:40]}]"
        elif str(self.error.get("type")) == "string_type" and isinstance(self.value, (int, float)) \
                and not isinstance(self.value, bool):
            hint = f"write it as text: \"{self.value}\""
        expected = _EXPECTED_TYPES.get(str(self.error.get("type")))
        wrong = f"{self.key} is {shown}, not {expected}" if expected else \
            f"{self.key} is {shown}: {self.error.get('msg', '')}"
        return wrong, self._describe(self.loc), hint

    # ---- the body and the schema ---------------------------------------------------------------------

    def _names_answer(self) -> bool:
        """True when the error's loc ends at an answer: its code (plan) or its key in the item map (v2)."""
        return self.field == "code" or self.loc[-2:-1] == ["item"]

    def _under(self, field: str) -> bool:
        return any(isinstance(part, str) and snake(part) == field for part in self.loc)

    def _listed_systems(self) -> list[str]:
        return [code for code in self.reader.listed_systems(self.body) if code in SCORING_SYSTEM_BY_CODE]

    def _questionnaire_system(self) -> str | None:
        return self.reader.answer_at(self.loc, self.body)[0]

    def _answer_context(self) -> tuple[str | None, str | None]:
        """(system, item code) of an error about a questionnaire or one of its answers."""
        return self.reader.answer_at(self.loc, self.body)

    def _name(self, loc: Sequence) -> str:
        parts = [str(part) if not isinstance(part, int) else f"[{part}]" for part in loc if part != "body"]
        return ".".join(parts).replace(".[", "[") or "the body"

    def _keys_at(self, loc: Sequence) -> list[str]:
        node = _schema_at(self.reader.schema(self.operation), loc)
        return list((node or {}).get("properties", {}))

    def _spell(self, key: str) -> str:
        """A schema key as the dialect spells it, with its other accepted spelling."""
        preferred = key if self.reader.key_case == "snake" else camel(key)
        other = camel(key) if self.reader.key_case == "snake" else snake(key)
        return f"{preferred} (or {other})" if self.reader.either_case and other != preferred else preferred

    def _describe(self, loc: Sequence) -> str:
        schema = self.reader.schema(self.operation)
        node = _schema_at(schema, loc)
        return _describe(node, schema, self._spell) if node is not None else "see CONTRACT.md §5–§7"

    def _sites_allowed(self) -> str:
        return f"one of the {len(BODY_SITES)} body-site codes: " + \
            ", ".join(self.reader.body_site_code(site.code) for site in BODY_SITES)

    def _systems_allowed(self) -> str:
        return ", ".join(f"{system.code} ({system.name})" for system in SCORING_SYSTEMS)

    def _condition_allowed(self) -> str:
        examples = ", ".join(f"{c.code} {c.display}" for c in CONDITIONS[:3])
        shape = self.reader.condition_example() or (
            f"{{\"{self._spell('conclusion')}\": {{\"code\": ICD-11 code, \"display\": text, "
            f"\"{self._spell('system_alias')}\": \"ICD-11\"}}}}")
        return f"{shape}, e.g. {examples}"

    def _answers_allowed(self, system: str | None) -> str:
        spec = SCORING_SYSTEM_BY_CODE.get(system or "")
        if spec is None or not spec.answers:
            return f"{system} takes no answers"
        return f"{system}'s answers, each once: " + "; ".join(_item_allowed(self.reader, item) for item in spec.answers)


# ---- contract texts ------------------------------------------------------------------------------------

def system_in(message: str) -> str:
    """The system code a rule's message starts with ("apasi needs a questionnaire …" → "apasi")."""
    return message.split(" ", 1)[0]


def _answer_spec(system: str | None, item: str | None) -> ItemSpec | None:
    spec = SCORING_SYSTEM_BY_CODE.get(system or "")
    return spec.answer(item) if spec and item else None


def _item_allowed(reader: BodyReader, spec: ItemSpec) -> str:
    whole = "a whole number" if spec.integer else "a number"
    upper = f"to {_number(spec.maximum)}" if spec.maximum is not None else "or more"
    return f"{reader.item_code(spec.code)} ({spec.meaning}): {whole} from {_number(spec.minimum)} {upper}"


def _questionnaire_example(reader: BodyReader, system: str) -> str:
    spec = SCORING_SYSTEM_BY_CODE.get(system)
    if spec is None:
        return "a questionnaire response for each listed system that takes answers"
    items = ", ".join(f"{{\"code\": \"{reader.item_code(item.code)}\", \"answer\": [{{\"value\": "
                      f"{_number(item.minimum)}–{_number(item.maximum)}}}]}}" for item in spec.answers)
    return f"a questionnaire response {{\"questionnaire\": \"{system}\", \"item\": [{items}]}}"


def _image_object() -> str:
    return f"{{\"contentType\": {' or '.join(CONTENT_TYPES)}, \"data\": base64}}"


def _number(value: float | None) -> str:
    if value is None:
        return "∞"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}" + ("…" if len(value) > 40 else "")
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "an object"
    return "null" if value is None else type(value).__name__


def _did_you_mean(value: Any, choices: Sequence[str], extra: dict[str, str] | None = None) -> str:
    """A likely intended code: the same code in another spelling or word order, or a close one."""
    if not isinstance(value, str) or not choices:
        return ""
    if extra and value.lower() in extra:
        return f"did you mean {extra[value.lower()]!r}?"
    normal = snake(value.strip()).lower().replace("-", "_").replace(" ", "_")
    by_normal = {snake(choice).lower(): choice for choice in choices}
    flipped = "_".join(reversed(normal.split("_")))
    for candidate in (normal, flipped):
        if candidate in by_normal and by_normal[candidate] != value:
            return f"did you mean {by_normal[candidate]!r}?"
    close = difflib.get_close_matches(normal, list(by_normal), n=1, cutoff=0.75)
    return f"did you mean {by_normal[close[0]]!r}?" if close else ""


# ---- the request schema ----------------------------------------------------------------------------------

def _resolve(node: dict | None, schema: dict) -> dict | None:
    while isinstance(node, dict) and "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema.get("$defs", {}).get(name)
    return node


def _schema_at(schema: dict, loc: Sequence) -> dict | None:
    """The sub-schema at a device `loc`, whichever spelling the loc uses."""
    node = _resolve(schema, schema)
    for part in [p for p in loc if p != "body"]:
        if node is None:
            return None
        if isinstance(part, int):
            node = _resolve(node.get("items"), schema)
            continue
        properties = node.get("properties", {})
        key = next((k for k in (part, snake(part), camel(part)) if k in properties), None)
        node = _resolve(properties.get(key), schema) if key else None
    return node


def _describe(node: dict | None, schema: dict, spell, depth: int = 0) -> str:
    """A schema node in a few words: "an object with keys a (required), b", "one of 'x', 'y'", "a list of …"."""
    node = _resolve(node, schema)
    if not node:
        return "any value"
    if "enum" in node:
        return "one of " + ", ".join(repr(v) for v in node["enum"])
    kind = node.get("type")
    if kind == "object":
        required = set(node.get("required", []))
        keys = [f"{spell(k)}{' (required)' if k in required else ''}" for k in node.get("properties", {})]
        return "an object with keys " + ", ".join(keys) if keys else "an object"
    if kind == "array":
        bounds = (node.get("minItems"), node.get("maxItems"))
        count = f"{bounds[0]}–{bounds[1]} " if all(b is not None for b in bounds) and bounds[0] != bounds[1] else \
            f"exactly {bounds[0]} " if bounds[0] is not None and bounds[0] == bounds[1] else \
            f"at least {bounds[0]} " if bounds[0] else ""
        inner = _describe(node.get("items"), schema, spell, depth + 1) if depth < 2 else "any value"
        return f"a list of {count}items, each {inner}"
    if kind == "string":
        return "a string" + (f" ({node['description']})" if node.get("description") else "")
    return {"number": "a number", "integer": "a whole number", "boolean": "true or false"}.get(str(kind), str(kind))
