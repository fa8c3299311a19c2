"""Judges clinical replies against the contract: a diagnosis or severity report (rankings, conclusion, subject,
image validity, scores recomputed by the oracle, FHIR) and a refusal (422 at the field, no report, no image echo)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from lhv.checks.outcomes import require
from lhv.checks.replies import status_is
from lhv.contract import oracle
from lhv.contract.fhir import device_elements, validate_device_schema, validate_fhir
from lhv.contract.intents import (
    DiagnosisReport,
    RequestField,
    SeverityReport,
    SeverityRequest,
)
from lhv.contract.payloads import describe_error
from lhv.contract.tables import ICD11_SYSTEM, SCORING_SYSTEM_BY_CODE
from lhv.core.http import Reply
from lhv.session.clinic import Clinic

ORACLE_TOLERANCE = 0.01  # CONTRACT.md §7: a score further than this from its recomputation is wrong


PROBABILITY_SUM_TOLERANCE = 0.1  # CONTRACT.md §6: probabilities sum to 100 ± 0.1


REPORT_KIND = {"diagnose": "diagnosis", "assess_severity": "severity"}  # operation → lhv.contract.fhir report kind


ECHO_PREFIX = 48  # the contract lets an error echo image data only as a short prefix (the seed's keeps 31 characters)


def _image_strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [text for key, value in node.items()
                for text in ([value] if key == "data" and isinstance(value, str) else _image_strings(value))]
    if isinstance(node, list):
        return [text for item in node for text in _image_strings(item)]
    return []


def check_no_image_echo(reply: Reply) -> None:
    """The refusal carries no image data it was sent beyond a short prefix (CONTRACT.md §8)."""
    sent = [text for text in _image_strings(reply.request_json) if len(text) > ECHO_PREFIX]
    if not sent:
        return
    echoed = sum(text[:ECHO_PREFIX] in reply.text for text in sent)
    require("no-image-data-echoed", not echoed,
            f"the refusal echoes {echoed} image(s) beyond a {ECHO_PREFIX}-character prefix",
            f"no image data echoed beyond a short prefix ({len(sent)} image(s) sent)")


def check_refusal(reply: Reply) -> None:
    """The reply is a 422 validation error, never a 5xx, echoing no image data."""
    require("not-a-server-error", reply.status < 500,
            f"the device failed with {reply.status} on a request it should refuse: a 5xx is always a device defect",
            f"no server error ({reply.status})")
    status_is(reply, 422)
    check_no_image_echo(reply)


def refused_at(clinic: Clinic, reply: Reply, operation: str, field: RequestField | str,
               request: SeverityRequest | None = None) -> None:
    """The reply is a 422 validation error (never a 5xx) with an error pointing at the request field."""
    check_refusal(reply)
    where = clinic.dialect.field_loc(operation, field, request)
    errors = clinic.dialect.errors_at(reply, operation, field, request)
    shown = "; ".join(describe_error(error) for error in clinic.dialect.validation_errors(reply)) or "no errors"
    require("error-points-at-field", bool(errors),
            f"no error points at the {field} ({list(where)}); the errors: {shown}",
            f"the {field} is named: {'; '.join(describe_error(error) for error in errors)}")


def ranking_problems(ranking: Sequence, where: str) -> list[str]:
    """What breaks CONTRACT.md §6 in a ranked list: probabilities 0–100, summing to 100 ± 0.1, sorted descending."""
    if not ranking:
        return [f"{where}: no conditions"]
    problems = []
    probabilities = [entry.probability for entry in ranking]
    outside = [p for p in probabilities if not 0 <= p <= 100]
    if outside:
        problems.append(f"{where}: probabilities outside 0–100: {outside}")
    total = math.fsum(probabilities)
    if abs(total - 100) > PROBABILITY_SUM_TOLERANCE:
        problems.append(f"{where}: probabilities sum to {total:.3f}, not 100 ± {PROBABILITY_SUM_TOLERANCE}")
    if any(a < b for a, b in zip(probabilities, probabilities[1:])):
        problems.append(f"{where}: not sorted by descending probability")
    return problems


def check_rankings(conditions: Sequence, images: Sequence) -> None:
    """The aggregate ranking and each image's are well formed (CONTRACT.md §6)."""
    problems = ranking_problems(conditions, "aggregate diagnosis")
    for index, analysis in enumerate(images):
        problems += ranking_problems(analysis.conditions, f"image {index + 1}")
    top = conditions[0] if conditions else None
    require("rankings-well-formed", not problems, "; ".join(problems),
            f"aggregate top condition {top.code} {top.display} ({top.probability:g} %); every ranking sums to 100 "
            "and is sorted" if top else "")


def check_conclusion(resource: dict, conditions: Sequence) -> None:
    """conclusionCode holds conditions of the aggregate ranking, as codings of the ICD-11 system (CONTRACT.md §6)."""
    ranked = {condition.code for condition in conditions}
    codings = [coding for concept in resource.get("conclusionCode") or [] if isinstance(concept, dict)
               for coding in concept.get("coding") or [] if isinstance(coding, dict)]
    wrong = [f"{coding.get('system')!r} {coding.get('code')!r}" for coding in codings
             if coding.get("system") != ICD11_SYSTEM or coding.get("code") not in ranked]
    require("conclusion-from-ranking", bool(codings) and not wrong,
            "conclusionCode codings outside the ICD-11 system or the aggregate ranking: "
            f"{', '.join(wrong) or 'none given'}",
            f"{len(codings)} conclusion coding(s), ICD-11, from the aggregate ranking")


def check_subject(clinic: Clinic, reply: Reply, resource: dict) -> None:
    """The report is about the subject the request named (when it named one)."""
    sent = clinic.dialect.subject_of(reply.request_json) if isinstance(reply.request_json, dict) else None
    if sent is None:
        return
    got = (resource.get("subject") or {}).get("reference") if isinstance(resource.get("subject"), dict) else None
    require("report-about-subject", got == sent, f"the request names subject {sent!r}, the report {got!r}",
            f"the report is about the subject the request named ({sent!r})")


def check_validity(report_images: Sequence, usable: bool) -> None:
    """Each image analysis says what the harness knows of its image: a usable skin photo, or an unusable image."""
    wrong = [index + 1 for index, analysis in enumerate(report_images) if analysis.valid is not usable]
    require("image-validity-as-known", not wrong,
            f"image(s) {wrong} reported isValid {not usable}, but the harness sent "
            f"{'usable skin photos' if usable else 'an unusable image'}",
            f"every image reported isValid {usable} ({'usable skin photos' if usable else 'an unusable image'})")


def check_diagnosis_report(clinic: Clinic, reply: Reply, image_count: int,
                           usable: bool | None = None) -> DiagnosisReport:
    """Reads a diagnosis reply: one analysis per image sent, about the subject sent, and well-formed rankings;
    with usable given, each image's validity as the harness knows it."""
    status_is(reply, 200)
    report = clinic.dialect.read_diagnosis(reply)
    require("one-analysis-per-image", len(report.images) == image_count,
            f"{image_count} image(s) sent, {len(report.images)} image analysis(es) returned",
            f"{image_count} image(s) sent, {len(report.images)} analysis(es) returned")
    check_subject(clinic, reply, report.resource)
    if usable is not None:
        check_validity(report.images, usable)
    check_rankings(report.conditions, report.images)
    check_conclusion(report.resource, report.conditions)
    return report


@dataclass(frozen=True)
class ScoreCheck:
    """One system's reported score and zone contribution set against the oracle's."""

    system: str
    result: oracle.OracleResult
    contribution_reported: float | None
    contribution_expected: float | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when score, contribution and items agree with the contract."""
        return not self.problems

    def line(self) -> str:
        """The device's figures beside the recomputed ones, for the record."""
        text = f"{self.system}: device {self.result.reported:g}, recomputed {self.result.formula_text}"
        if self.contribution_expected is not None or self.contribution_reported is not None:
            expected = "—" if self.contribution_expected is None else f"{self.contribution_expected:.2f}"
            reported = "none" if self.contribution_reported is None else f"{self.contribution_reported:g}"
            text += f"; zone contribution: device {reported}, recomputed {expected}"
        return text + ("" if self.ok else f" — {'; '.join(self.problems)}")


def score_checks(report: SeverityReport, request: SeverityRequest) -> list[ScoreCheck]:
    """Recomputes every reported system's score and contribution from its items and the request's body site."""
    checks = []
    for code, result in report.systems.items():
        if code not in SCORING_SYSTEM_BY_CODE:
            continue  # reported but not a system of the contract: consistency_problems names it
        judged = oracle.check(code, request.body_site, result.items, result.score, ORACLE_TOLERANCE)
        problems = list(judged.problems)
        if judged.expected is not None and not judged.ok and not judged.problems:
            problems.append(f"score {result.score:g} differs from the recomputed {judged.expected:.2f} by more than "
                            f"{ORACLE_TOLERANCE}")
        expected_share = None
        if SCORING_SYSTEM_BY_CODE[code].needs_zone and judged.expected is not None:
            expected_share = oracle.recompute_contribution(code, request.body_site, result.items)
            if result.contribution is None:
                problems.append("no zone contribution (globalScoreContribution) for a zone-weighted system")
            elif abs(result.contribution - expected_share) > ORACLE_TOLERANCE:
                problems.append(f"zone contribution {result.contribution:g} differs from the recomputed "
                                f"{expected_share:.2f}")
        if result.intensity is not None and not 0 <= result.intensity <= 3:
            problems.append(f"interpretation intensity {result.intensity} is outside 0–3")
        checks.append(ScoreCheck(code, judged, result.contribution, expected_share, tuple(problems)))
    return checks


def consistency_problems(report: SeverityReport, request: SeverityRequest) -> list[str]:
    """Where a severity report disagrees with its request: systems, echoed answers."""
    problems = []
    asked, got = list(dict.fromkeys(request.systems)), list(report.systems)
    if sorted(asked) != sorted(got):
        problems.append(f"results for {got or 'no system'}, but {asked} were requested")
    for code in asked:
        result = report.systems.get(code)
        sent = dict(request.answers.get(code, {}))
        if result is None or not sent:
            continue
        echoed = result.echoed_answers
        differ = {item: (value, echoed.get(item)) for item, value in sent.items()
                  if echoed.get(item) is None or abs(echoed[item] - value) > 1e-9}
        if differ:
            problems.append(f"{code}: echoed answers differ from those sent: "
                            + ", ".join(f"{item} sent {a:g}, echoed {b}" for item, (a, b) in differ.items()))
    return problems


def check_severity_report(clinic: Clinic, reply: Reply, request: SeverityRequest) -> SeverityReport:
    """Reads a severity reply: a result for each requested system, answers echoed, every score recomputed."""
    status_is(reply, 200)
    report = clinic.dialect.read_severity(reply)
    check_subject(clinic, reply, report.resource)
    check_rankings(report.conditions, report.images)
    check_conclusion(report.resource, report.conditions)
    problems = consistency_problems(report, request)
    require("results-for-requested-systems", not problems, "; ".join(problems),
            f"a result for each requested system ({', '.join(report.systems)}), answers echoed as sent")
    for result in score_checks(report, request):
        require(f"score-oracle-{result.system}", result.ok, result.line(), result.line())
    return report


@cache
def _device_elements(schema: str) -> frozenset[str]:
    return device_elements(schema)


def check_fhir(clinic: Clinic, reply: Reply, kind: str) -> None:
    """The reply is valid against the device's report schema, and its standard elements against FHIR R4."""
    body = reply.json()
    schema = clinic.dialect.report_schema
    own = validate_device_schema(body, kind, schema)
    require("device-schema", own.ok, own.summary(), own.summary())
    standard = validate_fhir(body, _device_elements(schema))
    require("fhir-r4", standard.ok, standard.summary(), standard.summary())
