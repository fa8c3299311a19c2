"""No plan module names a dialect's field: plans speak in intents, the dialects spell them (issue 11).

The vocabulary is taken from the dialects themselves, so a field added to any shape is covered:
every request key of the plan, v2 and v1 parsing models (both spellings the plan dialect takes), the
keys the harness's dialects write, v2's spellings of body sites and items where they differ from
the contract's codes, v1's body sites (ARM_LEFT) and system codes (apasiLocal), and the routes the
dialects do not share. The intents' own words (lhv/contract/intents.py:
RequestField names such as `body_site`, the dataclass fields) are the plans' vocabulary and are not
dialect field names, even where the plan dialect happens to spell a key the same way.

Keys that are also plain words of the plans' prose ("subject", "data", "payload" as in "payload
file") count only when written as a key: quoted, back-quoted or subscripted.
"""

from __future__ import annotations

import dataclasses
import io
import re
import tokenize
from pathlib import Path

import pytest
from pydantic import BaseModel

from lhv.contract import intents
from lhv.contract.dialects import dialect_named
from lhv.contract.intents import Image, SeverityRequest
from lhv.contract.spelling import v1_site, v1_system, v2_item, v2_site
from lhv.contract.tables import BODY_SITES, SCORING_SYSTEMS
from lhv.device.clinical import plan_shape, v1_shape, v2_shape

REPO = Path(__file__).resolve().parents[1]
PLANS = sorted((REPO / "verification").glob("plan_*.py"))
_IDENTIFIER = re.compile(r"^(?=.*(?:_|[a-z][A-Z]))[A-Za-z][A-Za-z0-9_]*$")  # snake_case or camelCase: unmistakable


def _model_keys(model: type[BaseModel], seen: set[type] | None = None) -> set[str]:
    """Every key a request model reads, with its aliases, through nested models."""
    seen = seen if seen is not None else set()
    if model in seen:
        return set()
    seen.add(model)
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        keys.add(name)
        keys |= set(getattr(field.validation_alias, "choices", ()) or ())
        for nested in _nested_models(field.annotation):
            keys |= _model_keys(nested, seen)
    return keys


def _nested_models(annotation) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in getattr(annotation, "__args__", ()) for model in _nested_models(arg)]


def _written_keys(body) -> set[str]:
    if isinstance(body, dict):
        return set(body) | {key for value in body.values() for key in _written_keys(value)}
    if isinstance(body, list):
        return {key for value in body for key in _written_keys(value)}
    return set()


def _dialect_vocabulary() -> tuple[set[str], set[str]]:
    """(keys, other words) of both dialects: request keys, and v2's spellings and the routes they do not share."""
    keys: set[str] = set()
    for module in (plan_shape, v2_shape, v1_shape):
        keys |= _model_keys(module.DiagnosisBody) | _model_keys(module.SeverityBody)
    image = Image("image/jpeg", "AAAA", "test")
    request = SeverityRequest(image, "EA90", "Psoriasis", "arm_left", ("apasi", "auas"),
                              {"apasi": {"surface": 1}, "auas": {"itchiness": 1}})
    plan, v2, v1 = dialect_named("plan"), dialect_named("v2"), dialect_named("v1")
    for dialect in (plan, v2, v1):
        keys |= _written_keys(dialect.severity_body(request)) | _written_keys(dialect.diagnosis_body([image], "x"))
    keys -= {"apasi", "auas", "surface", "pruritus"}  # codes, checked below as words
    words = {v2_site(site.code) for site in BODY_SITES if v2_site(site.code) != site.code}
    words |= {v2_item(item.code) for system in SCORING_SYSTEMS for item in system.answers + system.ai_items
              if v2_item(item.code) != item.code}
    words |= {v1_site(site.code) for site in BODY_SITES} | {v1_system(system.code) for system in SCORING_SYSTEMS}
    words |= {route.path for dialect in (plan, v2, v1) for intent, route in dialect.routes.items()
              if len({other.routes.get(intent) for other in (plan, v2, v1)}) > 1}
    return keys - _INTENT_WORDS, words


_INTENT_WORDS = set(intents.REQUEST_FIELDS) | {field.name for cls in vars(intents).values()
                                               if dataclasses.is_dataclass(cls) for field in dataclasses.fields(cls)}
KEYS, WORDS = _dialect_vocabulary()


def _texts(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string literal, comment and name of a module."""
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    return [(token.start[0], token.string) for token in tokens
            if token.type in (tokenize.STRING, tokenize.COMMENT, tokenize.NAME)]


def _found(text: str) -> list[str]:
    hits = [word for word in WORDS if re.search(rf"(?<![\w/-]){re.escape(word)}(?![\w/-])", text)]
    for key in KEYS:
        pattern = rf"(?<!\w){re.escape(key)}(?!\w)" if _IDENTIFIER.match(key) else \
            rf"[\"'`\[]{re.escape(key)}[\"'`\]]"
        if re.search(pattern, text):
            hits.append(key)
    return hits


def test_the_vocabulary_holds_every_dialects_fields():
    assert {"media", "known_condition", "knownCondition", "scoring_systems", "questionnaire_response",
            "payload", "contentAttachment", "scoringSystem", "systemDisplay", "bodySite", "systemAlias",
            "scoringSystems", "questionnaireResponse"} <= KEYS
    assert {"armLeft", "pruritus", "wheals", "/severity-assessment", "/severity-assessment/automatic/local",
            "ARM_LEFT", "HEAD_FRONT", "apasiLocal", "aihs4Local"} <= WORDS
    assert "body_site" not in KEYS  # an intent's word (RequestField), which the plan dialect shares


@pytest.mark.parametrize("path", PLANS, ids=[path.name for path in PLANS])
def test_no_plan_module_names_a_dialect_field(path):
    hits = [f"{path.name}:{line}: {word}" for line, text in _texts(path) for word in _found(text)]
    assert not hits, "dialect field names in a plan module (use intents and the dialect instead):\n" + \
        "\n".join(hits)


def test_the_check_finds_a_field_name_where_one_is_written(tmp_path):
    plan = tmp_path / "plan_999_example.py"
    plan.write_text('"""PLAN_999 x."""\nbody = {"scoringSystem": {}}  # then send it to /severity-assessment\n'
                    'loc = ["body", "payload", 0]\n')
    found = {word for _, text in _texts(plan) for word in _found(text)}
    assert found == {"scoringSystem", "/severity-assessment", "payload"}


def test_the_check_finds_v1_spellings_where_one_is_written(tmp_path):
    plan = tmp_path / "plan_999_example.py"
    plan.write_text('"""PLAN_999 x."""\nsite = "ARM_LEFT"\nsystems = ["apasiLocal"]  # not arm_left, not apasi\n')
    found = {word for _, text in _texts(plan) for word in _found(text)}
    assert found == {"ARM_LEFT", "apasiLocal"}
