"""Rules of a severity-assessment request (CONTRACT.md §7), as FastAPI-style error dicts.

The rules see a neutral `SeverityRequest`; where an error points is decided by a `LocFor`
callable, so another API dialect reuses the rules with its own spellings. Field paths are
tuples such as ("body_site",), ("answers", "apasi", "surface", "value").

Rules beyond the contract's table, needed to score at all: the known condition is required
(`missing`); the system list is non-empty (`too_short`) and holds known codes
(`literal_error`); a questionnaire has every answer its system needs (`value_error`);
answers are finite (`finite_number`) and whole where the item is a grade (`int_from_float`).
Answer values are numbers: turning other JSON into a 422 is the parser's job.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lhv.contract.tables import BODY_SITE_BY_CODE, SALT_WEIGHTS, SCORING_SYSTEM_BY_CODE, SCORING_SYSTEMS, ItemSpec
from lhv.device import switches

FieldPath = tuple[str, ...]
Loc = list[str | int]
LocFor = Callable[[FieldPath], Loc]
BODY_LOCS: dict[str, tuple[str, str]] = {"condition": ("body", "knownCondition"), "body_site": ("body", "bodySite")}
"""Where both dialects carry the condition and the body site."""
ErrorDict = dict[str, Any]


@dataclass(frozen=True)
class SeverityRequest:
    """A severity-assessment request as the rules see it, whatever the dialect that carried it."""

    condition: str | None
    body_site: str | None
    systems: tuple[str, ...]
    answers: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # system → item → value


def plan_loc_for(request: SeverityRequest) -> LocFor:
    """Error locations in the plan dialect: camelCase keys, list indices in the order answers were given."""
    systems = list(request.answers)

    def loc_for(path: FieldPath) -> Loc:
        head, *rest = path
        if head in BODY_LOCS:
            return list(BODY_LOCS[head])
        if head == "systems":
            return ["body", "scoringSystems", *(int(index) for index in rest)]
        if not rest or rest[0] not in request.answers:
            return ["body", "questionnaireResponse"]
        system, *item_path = rest
        questionnaire: Loc = ["body", "questionnaireResponse", systems.index(system)]
        if not item_path:
            return [*questionnaire, "questionnaire"]
        items = list(request.answers[system])
        if item_path[0] not in request.answers[system]:
            return [*questionnaire, "item"]
        item = [*questionnaire, "item", items.index(item_path[0])]
        return [*item, "answer", 0, "value"] if item_path[1:] == ["value"] else [*item, "code"]

    return loc_for


def validate_severity_request(request: SeverityRequest, received_body: Any, *, loc_for: LocFor | None = None,
                              require_body_site: bool = True) -> list[ErrorDict]:
    """Every rule the request breaks, as FastAPI-style errors; an empty list when it may be scored.

    `received_body` is the body as received: a missing field's error carries it as `input`,
    as FastAPI does. `require_body_site=False` is the hook for the fault `body-site-optional`.
    """
    where = loc_for or plan_loc_for(request)
    errors: list[ErrorDict] = []
    if request.condition is None and not _dropped("condition"):
        errors.append(_missing(where(("condition",)), received_body))
    errors += _system_errors(request, where)
    errors += _body_site_errors(request, received_body, where, require_body_site)
    errors += _questionnaire_errors(request, where)
    return errors


def _choices(codes: list[str]) -> str:
    """Allowed values as pydantic lists them: 'a', 'b' or 'c'."""
    quoted = [f"'{code}'" for code in codes]
    return f"{', '.join(quoted[:-1])} or {quoted[-1]}"


_SYSTEM_CHOICES = _choices([system.code for system in SCORING_SYSTEMS])
_SITE_CHOICES = _choices(list(BODY_SITE_BY_CODE))


def _dropped(rule: str) -> bool:
    """A generated mutant (accept:severity:<rule>) drops this rule: the request is scored as if it held."""
    return switches.on(f"accept:severity:{rule}")


def _system_errors(request: SeverityRequest, where: LocFor) -> list[ErrorDict]:
    if _dropped("systems"):
        return []
    if not request.systems:
        return [{"type": "too_short", "loc": where(("systems",)),
                 "msg": "List should have at least 1 item after validation, not 0", "input": [],
                 "ctx": {"field_type": "List", "min_length": 1, "actual_length": 0}}]
    return [_literal(where(("systems", str(index))), code, _SYSTEM_CHOICES)
            for index, code in enumerate(request.systems) if code not in SCORING_SYSTEM_BY_CODE]


def _body_site_errors(request: SeverityRequest, received_body: Any, where: LocFor,
                      require_body_site: bool) -> list[ErrorDict]:
    site = request.body_site
    if site is None:
        zoned = any(SCORING_SYSTEM_BY_CODE[code].needs_zone for code in _known(request.systems))
        return [_missing(where(("body_site",)), received_body)] if zoned and require_body_site else []
    if site not in BODY_SITE_BY_CODE:
        return [] if _dropped("body-site-code") else [_literal(where(("body_site",)), site, _SITE_CHOICES)]
    if "asalt" in request.systems and site not in SALT_WEIGHTS and not _dropped("asalt-scalp"):
        scalp = ", ".join(SALT_WEIGHTS)
        return [_value_error(where(("body_site",)), f"asalt needs a scalp body site ({scalp}), not {site}", site)]
    return []


def _questionnaire_errors(request: SeverityRequest, where: LocFor) -> list[ErrorDict]:
    errors = []
    for code in _known(request.systems):
        if SCORING_SYSTEM_BY_CODE[code].needs_answers and code not in request.answers \
                and not _dropped("questionnaire-needed"):
            errors.append(_value_error(where(("answers", code)),
                                       f"{code} needs a questionnaire response with its answers"))
    for code, answers in request.answers.items():
        if code not in request.systems and _dropped("questionnaire-unlisted"):
            continue
        if code not in request.systems:
            errors.append(_value_error(where(("answers", code)),
                                       f"questionnaire {code} is for a scoring system the request does not list", code))
            continue
        if code not in SCORING_SYSTEM_BY_CODE:
            continue  # listed but unknown: the system list's error already names it
        system = SCORING_SYSTEM_BY_CODE[code]
        for item, value in answers.items():
            spec = system.answer(item)
            if spec is None and _dropped("answer-code"):
                continue
            if spec is None:
                errors.append({"type": "extra_forbidden", "loc": where(("answers", code, item)),
                               "msg": "Extra inputs are not permitted", "input": item})
            elif not _dropped("answer-range"):
                errors += _range_errors(spec, value, where(("answers", code, item, "value")))
        for spec in system.answers:
            if spec.code not in answers:
                errors.append(_value_error(where(("answers", code, spec.code)),
                                           f"questionnaire {code} has no answer for {spec.code}"))
    return errors


def _range_errors(spec: ItemSpec, value: float, loc: Loc) -> list[ErrorDict]:
    if not math.isfinite(value):  # Python's JSON parser accepts NaN and Infinity; strict JSON cannot echo them
        return [{"type": "finite_number", "loc": loc, "msg": "Input should be a finite number"}]
    if spec.integer and value != int(value):
        return [{"type": "int_from_float", "loc": loc,
                 "msg": "Input should be a valid integer, got a number with a fractional part", "input": value}]
    if value < spec.minimum:
        bound = _number(spec.minimum)
        return [{"type": "greater_than_equal", "loc": loc, "msg": f"Input should be greater than or equal to {bound}",
                 "input": value, "ctx": {"ge": bound}}]
    if spec.maximum is not None and value > spec.maximum:
        bound = _number(spec.maximum)
        return [{"type": "less_than_equal", "loc": loc, "msg": f"Input should be less than or equal to {bound}",
                 "input": value, "ctx": {"le": bound}}]
    return []


def _known(systems: tuple[str, ...]) -> list[str]:
    return [code for code in systems if code in SCORING_SYSTEM_BY_CODE]


def _missing(loc: Loc, received_body: Any) -> ErrorDict:
    return {"type": "missing", "loc": loc, "msg": "Field required", "input": received_body}


def _literal(loc: Loc, value: Any, choices: str) -> ErrorDict:
    return {"type": "literal_error", "loc": loc, "msg": f"Input should be {choices}", "input": value,
            "ctx": {"expected": choices}}


def _value_error(loc: Loc, message: str, *received: Any) -> ErrorDict:
    """A rule's error; `received` is the offending value, when there is one to show."""
    return {"type": "value_error", "loc": loc, "msg": f"Value error, {message}",
            **({"input": received[0]} if received else {}), "ctx": {"error": message}}


def _number(bound: float) -> int | float:
    """A bound as pydantic prints it: 6, not 6.0."""
    return int(bound) if float(bound).is_integer() else bound
