"""Judging a device's DiagnosticReport: against the device's own JSON Schema, and its standard elements against FHIR R4.

Two validators judge each reply, and each judgement names itself (validator, version, schema
hash) so the record shows who judged:

- The device schema (`lhv/data/<dialect's report_schema>`, JSON Schema 2020-12, checked with
  `jsonschema`) describes the whole reply: the FHIR frame loosely, the device elements
  (analysisDuration, diagnosis, imagingAnalysis, patientEvolution) exactly.
- FHIR R4 judges the standard elements: the reply minus the device elements the schema
  describes. Any other element must be FHIR's, so an invented key fails here.

Why fhir.resources (its FHIR 4.3.0 "R4B" DiagnosticReport model) and not the official FHIR JSON
schema: the official schema is one 3 MB file for every resource that would have to be vendored
(no PyPI package carries it), and because it validates any resource through a `oneOf` over all
resource types, its errors say "not valid under any of the given schemas" instead of naming the
element; fhir.resources is a maintained PyPI package, installed and versioned like any other
dependency, whose errors name the element path (`issued`, `conclusionCode.0.coding.0.code`).
R4B is FHIR R4's technical correction (4.3.0): the DiagnosticReport elements and datatypes the
contract uses (id, status, code, subject, issued as an instant with time zone, conclusionCode)
are the same as in R4 (4.0.1). The model checks datatypes, cardinality and unknown elements but
not value-set bindings, so this module adds the one required binding the contract's frame uses
(DiagnosticReport.status, R4's value set diagnostic-report-status), the mandatory
resourceType, and R4's 64-character limit on ids.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import metadata, resources
from typing import Any

from jsonschema import Draft202012Validator
from pydantic import ValidationError

# http://hl7.org/fhir/R4/valueset-diagnostic-report-status.html (binding strength: required)
R4_DIAGNOSTIC_REPORT_STATUS = ("registered", "partial", "preliminary", "final", "amended", "corrected", "appended",
                               "cancelled", "entered-in-error", "unknown")
R4_ID_MAX_LENGTH = 64
REPORT_KINDS = ("diagnosis", "severity")
_SHOWN = 6


@dataclass(frozen=True)
class Judgement:
    """One validator's verdict on one reply: who judged, what it looked at, what it found wrong."""

    validator: str
    scope: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when the validator found nothing wrong."""
        return not self.problems

    def summary(self) -> str:
        """One line for the record: the validator and its verdict with the first problems."""
        if self.ok:
            return f"{self.validator}: {self.scope} valid"
        more = f" (and {len(self.problems) - _SHOWN} more)" if len(self.problems) > _SHOWN else ""
        return f"{self.validator}: {self.scope} invalid: {'; '.join(self.problems[:_SHOWN])}{more}"


# ---- the device's own schema ------------------------------------------------------------------------

@cache
def _schema(name: str) -> tuple[dict, str]:
    raw = resources.files("lhv.data").joinpath(name).read_bytes()
    return json.loads(raw), hashlib.sha256(raw).hexdigest()


def device_schema_validator(name: str) -> str:
    """Names the device-schema validator: library, draft, file and its hash."""
    _, digest = _schema(name)
    return f"jsonschema {metadata.version('jsonschema')} (JSON Schema 2020-12), lhv/data/{name} sha256 {digest[:16]}"


def device_elements(name: str) -> frozenset[str]:
    """The top-level elements the device schema describes that are not FHIR DiagnosticReport elements, and those it
    claims as its own though FHIR has an element of that name (`x-device-elements`: v1's media object)."""
    schema, _ = _schema(name)
    definitions = schema["$defs"]

    def top_level(node: dict) -> set[str]:
        if "$ref" in node:
            return top_level(definitions[node["$ref"].rsplit("/", 1)[-1]])
        return set(node.get("properties", {})).union(*(top_level(part) for part in node.get("allOf", [])))

    described = set().union(*(top_level(definitions[f"{kind}Report"]) for kind in REPORT_KINDS))
    return frozenset(described - _fhir_elements()) | frozenset(schema.get("x-device-elements", ()))


def validate_device_schema(report: Any, kind: str, name: str) -> Judgement:
    """Judges a whole reply against the device schema's definition of a diagnosis or severity report."""
    if kind not in REPORT_KINDS:
        raise ValueError(f"kind must be one of {REPORT_KINDS}, not {kind!r}")
    schema, _ = _schema(name)
    validator = Draft202012Validator({**schema, "$ref": f"#/$defs/{kind}Report"})
    problems = tuple(f"{error.json_path}: {error.message}"[:300]
                     for error in sorted(validator.iter_errors(report), key=lambda e: list(e.absolute_path)))
    return Judgement(device_schema_validator(name), f"the {kind} report", problems)


# ---- FHIR R4 -----------------------------------------------------------------------------------------

def fhir_validator() -> str:
    """Names the FHIR validator: library and FHIR version of its models, and what this module adds."""
    from fhir.resources import R4B

    return (f"fhir.resources {metadata.version('fhir.resources')} (FHIR {R4B.__fhir_version__} R4B "
            "DiagnosticReport model) + FHIR R4 required binding of DiagnosticReport.status")


@cache
def _fhir_elements() -> frozenset[str]:
    from fhir.resources.R4B.diagnosticreport import DiagnosticReport

    names = {field.alias or name for name, field in DiagnosticReport.model_fields.items()}
    return frozenset(names | {"resourceType"})


def standard_elements(report: dict, device_only: frozenset[str]) -> dict:
    """The reply without the device elements: what must be a valid FHIR resource."""
    return {key: value for key, value in report.items() if key not in device_only}


def json_representation_problems(node: Any, path: str = "$") -> list[str]:
    """Breaks of FHIR's JSON representation rules (R4 §2.6.2): no null, no empty array, object or string."""
    if node is None:
        return [f"{path}: null (FHIR JSON leaves an absent element out)"]
    if isinstance(node, (list, dict, str)) and not node:
        return [f"{path}: empty {type(node).__name__.replace('dict', 'object').replace('str', 'string')} "
                "(FHIR JSON allows no empty values)"]
    if isinstance(node, list):
        return [problem for index, item in enumerate(node) for problem in json_representation_problems(item,
                                                                                                   f"{path}[{index}]")]
    if isinstance(node, dict):
        return [problem for key, item in node.items()
                for problem in json_representation_problems(item, f"{path}.{key}")]
    return []


def validate_fhir(report: Any, device_only: frozenset[str]) -> Judgement:
    """Judges a reply's standard elements as an R4 DiagnosticReport."""
    from fhir.resources.R4B.diagnosticreport import DiagnosticReport

    if not isinstance(report, dict):
        return Judgement(fhir_validator(), "the standard elements", ("the reply is not a JSON object",))
    standard = standard_elements(report, device_only)
    scope = f"the standard elements ({', '.join(sorted(standard)) or 'none'})"
    problems: list[str] = []
    if standard.get("resourceType") != "DiagnosticReport":
        problems.append(f"resourceType: must be \"DiagnosticReport\", not {standard.get('resourceType')!r}")
    status = standard.get("status")
    if isinstance(status, str) and status not in R4_DIAGNOSTIC_REPORT_STATUS:
        problems.append(f"status: {status!r} is not in R4's required value set diagnostic-report-status "
                        f"({' | '.join(R4_DIAGNOSTIC_REPORT_STATUS)})")
    problems += json_representation_problems(standard)
    identifier = standard.get("id")
    if isinstance(identifier, str) and len(identifier) > R4_ID_MAX_LENGTH:
        problems.append(f"id: {len(identifier)} characters, FHIR R4 allows at most {R4_ID_MAX_LENGTH}")
    try:
        DiagnosticReport.model_validate(standard)
    except ValidationError as error:
        problems += [f"{'.'.join(str(part) for part in item['loc']) or '$'}: {item['msg']}"
                     for item in error.errors(include_url=False)]
    except (ValueError, TypeError) as error:  # the models raise plain errors for some malformed input
        problems.append(f"$: {error}")
    return Judgement(fhir_validator(), scope, tuple(problems))
