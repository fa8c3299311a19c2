"""Plan steps shared by the clinical plans: images and payload files, requests, report checks and the score oracle.

Every severity reply a plan sees goes through `check_severity_report`, which recomputes each
system's score and zone contribution with lhv.contract.oracle from the items and echoed answers the
reply holds and the body site the request gave; a disagreement beyond ORACLE_TOLERANCE fails
the plan that saw it. The record shows the device's score beside the recomputed one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from functools import cache

from lhv.contract import oracle
from lhv.checks.replies import status_is
from lhv.checks.outcomes import require
from lhv.contract.tables import ICD11_SYSTEM, MANUAL_SYSTEM_BY_CODE, SCORING_SYSTEM_BY_CODE
from lhv.core.errors import CheckFailed
from lhv.core.evidence import CURRENT_CASE, CaseEvidence, Step
from lhv.contract.fhir import device_elements, validate_device_schema, validate_fhir
from lhv.session.clinic import Clinic
from lhv.core.http import Reply
from lhv.contract.intents import (OPEN_WAYS, DiagnosisReport, ManualReport, ManualRequest, OpenWay, RequestField,
                                  SeverityReport, SeverityRequest)
from lhv.contract.dialects import dialect_named
from lhv.contract.payloads import PayloadError, PayloadFile, describe_error, error_problems
from lhv.contract.payloads import _checked as _checked_payload, _no_duplicate_keys  # see MANUAL_SUFFIX
from lhv.session.manual_profile import manual_scores_of

ORACLE_TOLERANCE = 0.01  # CONTRACT.md §7: a score further than this from its recomputation is wrong
PROBABILITY_SUM_TOLERANCE = 0.1  # CONTRACT.md §6: probabilities sum to 100 ± 0.1
REPORT_KIND = {"diagnose": "diagnosis", "assess_severity": "severity"}  # operation → lhv.contract.fhir report kind


@dataclass
class Collected:
    """What a block of collected checks reports when all of them passed."""

    success: str = ""


@contextmanager
def checks_collected(step: Step, name: str) -> Iterator[Collected]:
    """Runs many requests' checks as one: they stay out of the step, which gets one check named `name`
    (failed with the first failing check's message, or passed with the block's `success` text); the
    requests themselves are filed in the step."""
    scratch = CaseEvidence(steps=[Step(number=0, action=name, expected="", verdict="running")])
    collected = Collected()
    token = CURRENT_CASE.set(scratch)
    failure: CheckFailed | None = None
    try:
        yield collected
    except CheckFailed as error:
        failure = error
    finally:
        CURRENT_CASE.reset(token)
        step.exchanges.extend(scratch.steps[0].exchanges + scratch.loose_exchanges)
        step.actual.extend(note for note in scratch.steps[0].actual if note not in step.actual)
    require(name, failure is None, str(failure), collected.success)


# ---- payload files ------------------------------------------------------------------------------------

def expect_payload_outcome(clinic: Clinic, payload: PayloadFile, reply: Reply) -> None:
    """The reply has the payload file's expected status and, for a refusal, exactly its expected errors."""
    status_is(reply, payload.status)
    if reply.status == 422:
        check_no_image_echo(reply)
    expected = payload.resolved_expect(clinic.images_dir).get("errors")
    if expected:
        body = reply.json()
        detail = body.get("detail") if isinstance(body, dict) else None
        problems = error_problems(expected, detail)
        require("expected-errors", not problems, f"{payload.name}: " + "; ".join(problems),
                f"{payload.name}: " + "; ".join(describe_error(error) for error in detail or []))


# ---- refusals --------------------------------------------------------------------------------------------

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


# ---- ways the contract leaves open: the profile decides ---------------------------------------------------

def writable_open_ways(clinic: Clinic, record: Step) -> list[OpenWay]:
    """The open ways the target's dialect can write; the step records the others as not applicable, with why (never
    as a pass)."""
    writable = [way for way in OPEN_WAYS if way.name in clinic.dialect.open_ways]
    for way in OPEN_WAYS:
        if way not in writable:
            record.actual.append(f"{way.name}: not applicable in the {clinic.dialect.name} dialect: "
                                 f"{clinic.dialect.open_way_absent(way.name)}")
    require("open-ways-writable", bool(writable), f"the {clinic.dialect.name} dialect writes none of the open ways",
            f"the {clinic.dialect.name} dialect writes {', '.join(way.name for way in writable)}")
    return writable


def open_way_expectation(clinic: Clinic, request: SeverityRequest, way: OpenWay) -> str:
    """What the profile says the target answers to a request written this way, for the step's expectation."""
    severity = clinic.target.profile.severity
    if severity.accepts(way.name):
        outcome = "200 with a severity report for the requested systems"
    else:
        places = " or ".join(str(list(loc)) for loc in clinic.dialect.open_way_locs(request, way.name))
        outcome = f"422 with an error at {places}, never a 5xx"
    return f"{outcome} ({severity.setting(way.name)})"


def check_open_way(clinic: Clinic, record: Step, request: SeverityRequest, way: OpenWay) -> None:
    """Sends a valid request written the open way and requires the answer the profile says: a severity report, or a
    refusal pointing at the place the way changes. Judged as one check named `<way>-as-profiled`."""
    severity = clinic.target.profile.severity
    taken = severity.accepts(way.name)
    reply = clinic.send("assess_severity", clinic.dialect.open_way_body(request, way.name))
    with checks_collected(record, f"{way.name}-as-profiled") as collected:
        if taken:
            report = check_severity_report(clinic, reply, request)
            collected.success = (f"taken, as {severity.setting(way.name)} says: 200 with a severity report, "
                                 f"{', '.join(report.systems)} scored as recomputed")
        else:
            errors = _refused_at_any(clinic, reply, clinic.dialect.open_way_locs(request, way.name))
            collected.success = (f"refused, as {severity.setting(way.name)} says: "
                                 + "; ".join(describe_error(error) for error in errors))


def _refused_at_any(clinic: Clinic, reply: Reply, places: Sequence[tuple]) -> list[dict]:
    """The reply is a 422 (never a 5xx) with an error at or below one of the places; returns those errors."""
    check_refusal(reply)
    errors = clinic.dialect.validation_errors(reply)
    at = [error for error in errors if isinstance(error.get("loc"), list)
          and any(tuple(error["loc"][:len(place)]) == tuple(place) for place in places)]
    require("error-at-open-way", bool(at),
            f"no error points at {' or '.join(str(list(place)) for place in places)}; the errors: "
            + ("; ".join(describe_error(error) for error in errors) or "none"),
            "; ".join(describe_error(error) for error in at))
    return at


# ---- diagnosis reports -----------------------------------------------------------------------------------

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
            f"conclusionCode codings outside the ICD-11 system or the aggregate ranking: {', '.join(wrong) or 'none given'}",
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


# ---- severity reports and the score oracle ------------------------------------------------------------------

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


# ---- FHIR ------------------------------------------------------------------------------------------------

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


def severity_request_of(clinic: Clinic, payload: PayloadFile) -> SeverityRequest:
    """A severity payload file's request in the plans' words (for the oracle and error locations)."""
    return clinic.dialect.severity_request_of(payload.resolved(clinic.images_dir))


# ---- questionnaire-only scores (CONTRACT.md Appendix B: v2's POST /severity-assessment/manual) ------------------

MANUAL_INTENT = "assess_manually"
MANUAL_FOLDER = ("v2", "manual")  # below the payloads folder
# The cases are payload files of the operation assess_manually. lhv.contract.payloads does not know that operation
# yet (its discover() reads every *.json and would refuse them), so they carry the suffix .case, and are read here.
MANUAL_SUFFIX = ".case"


def manual_route_absent(clinic: Clinic) -> str:
    """Why the target's dialect cannot send questionnaire-only requests; "" when it can."""
    if MANUAL_INTENT in clinic.dialect.routes and hasattr(clinic.dialect, "manual_body"):
        return ""
    return (f"the {clinic.dialect.name} dialect has no questionnaire-only route (CONTRACT.md Appendix B: "
            "POST /severity-assessment/manual is v2's)")


def manual_cases(clinic: Clinic) -> list[PayloadFile]:
    """Every questionnaire-only case under the payloads folder (any dialect), in name order."""
    folder = clinic.payloads_dir.joinpath(*MANUAL_FOLDER)
    return [_manual_case(path) for path in sorted(folder.glob(f"*{MANUAL_SUFFIX}"))] if folder.is_dir() else []


def _manual_case(path: Path) -> PayloadFile:
    """A case file read with the payload files' checks (lhv.contract.payloads), its operation assess_manually."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicate_keys)
    except (OSError, ValueError) as exc:
        raise PayloadError(str(path), "$", f"not a readable JSON case: {exc}") from None
    if not isinstance(data, dict) or data.get("operation") != MANUAL_INTENT:
        raise PayloadError(str(path), "$.operation", f"a questionnaire-only case has operation {MANUAL_INTENT!r}")
    return replace(_checked_payload({**data, "operation": "assess_severity"}, path), operation=MANUAL_INTENT)


def check_manual_cases_listed(clinic: Clinic, step: Step, cases: Sequence[PayloadFile]) -> list[PayloadFile]:
    """Every case is written in a dialect that has the route (none lies unsent); the target's dialect's cases cover
    each questionnaire-only system with a valid and an invalid case. Returns the target dialect's cases."""
    unsendable = [case.name for case in cases if MANUAL_INTENT not in dialect_named(case.dialect).routes]
    require("manual-cases-sendable", not unsendable,
            f"cases written in a dialect without the questionnaire-only route: {', '.join(unsendable)}",
            f"{len(cases)} questionnaire-only cases, each in a dialect that has the route")
    absent = manual_route_absent(clinic)
    if absent:
        step.note(f"questionnaire-only scores: not applicable: {absent}")
        return []
    mine = [case for case in cases if case.dialect == clinic.dialect.name]
    covered = {system: {case.valid for case in mine if system in (case.body.get("scoringSystem") or {})}
               for system in MANUAL_SYSTEM_BY_CODE}
    thin = [system for system, kinds in covered.items() if kinds != {True, False}]
    require("manual-cases-cover-systems", not thin,
            f"no valid and invalid case for {', '.join(thin)}",
            f"{len(mine)} cases in the {clinic.dialect.name} dialect: a valid and an invalid one for "
            + ", ".join(MANUAL_SYSTEM_BY_CODE))
    return mine


def send_manual(clinic: Clinic, body: dict) -> Reply:
    """Sends a questionnaire-only body to the route that serves it."""
    return clinic.send(MANUAL_INTENT, body)


def check_manual_case(clinic: Clinic, case: PayloadFile) -> None:
    """Sends a case: an invalid one gets exactly its errors; a valid one every score recomputed and item echoed."""
    reply = send_manual(clinic, case.resolved(clinic.images_dir))
    if not case.valid:
        expect_payload_outcome(clinic, case, reply)
        return
    check_manual_report(clinic, reply, clinic.dialect.manual_request_of(case.resolved(clinic.images_dir)))


def check_manual_report(clinic: Clinic, reply: Reply, request: ManualRequest) -> ManualReport:
    """A 200 whose score block has the profile's shape, a result per system, every answer echoed as sent, every
    score equal within ORACLE_TOLERANCE to the oracle's recomputation from the answers sent."""
    status_is(reply, 200)
    block = manual_scores_of(clinic.target.profile).score_block
    report = clinic.dialect.read_manual(reply, block)
    asked, got = sorted(request.systems), sorted(report.systems)
    require("manual-results-for-systems", asked == got, f"results for {got or 'no system'}, but {asked} were asked",
            f"a result for each system asked ({', '.join(asked)})")
    differ = [f"{system}.{item} sent {value:g}, echoed {report.systems[system].items.get(item)}"
              for system, items in request.answers.items() for item, value in items.items()
              if report.systems[system].items.get(item) != value]
    extra = [f"{system}.{item}" for system, result in report.systems.items()
             for item in result.items if item not in request.answers.get(system, {})]
    require("manual-items-echoed", not differ and not extra,
            "; ".join(differ + [f"{name} echoed but not sent" for name in extra]),
            f"every answer echoed as sent ({sum(len(items) for items in request.answers.values())} items)")
    for system, items in request.answers.items():
        result = report.systems[system]
        judged = oracle.check(system, None, items, result.score, ORACLE_TOLERANCE)
        line = f"{system}: device {result.score:g}, recomputed {judged.formula_text}"
        require(f"manual-score-oracle-{system}", judged.ok, line + ("; " + "; ".join(judged.problems)
                                                                    if judged.problems else ""), line)
        require("manual-score-grade", not _grade_problems(result, block), f"{system}: " + "; ".join(
            _grade_problems(result, block)), f"{system}: {block} grade {result.grade} ({result.category})")
    return report


def _grade_problems(result, block: str) -> list[str]:
    """What is wrong with a score's grade: the SDK's intensity 0–3 and a category; or the 2026 documentation's
    severity value 1–3 and bands, one of which holds the score."""
    if block == "sdk":
        problems = [] if result.grade is not None and 0 <= result.grade <= 3 else [
            f"interpretation intensity {result.grade} is not 0–3"]
        return problems + ([] if result.category else ["the interpretation has no category"])
    problems = [] if result.grade is not None and 1 <= result.grade <= 3 else [
        f"severity value {result.grade} is not 1–3"]
    return problems + ([] if result.category else [f"no interpretation band holds the score {result.score:g}"])


def manual_images_expectation(clinic: Clinic) -> str:
    """What the profile says a questionnaire-only request without images gets, for the step's expectation."""
    section = manual_scores_of(clinic.target.profile)
    outcome = "200 with every score recomputed" if section.images == "optional" else \
        "422 with an error at the images, never a 5xx"
    return f"{outcome} ({section.setting('images')})"


def check_manual_images(clinic: Clinic, record: Step, case: PayloadFile) -> None:
    """A valid case sent without images gets what the profile's manual_scores.images says: 422 at the images when
    required, 200 with the scores recomputed when optional. Judged as one check, manual-images-as-profiled."""
    section = manual_scores_of(clinic.target.profile)
    request = replace(clinic.dialect.manual_request_of(case.resolved(clinic.images_dir)), images=())
    reply = send_manual(clinic, clinic.dialect.manual_body(request))
    with checks_collected(record, "manual-images-as-profiled") as collected:
        if section.images == "optional":
            check_manual_report(clinic, reply, request)
            collected.success = f"{case.name} without images taken, as {section.setting('images')} says"
        else:
            check_refusal(reply)
            at = clinic.dialect.errors_at(reply, MANUAL_INTENT, "images")
            require("error-at-images", bool(at), "no error at the images; the errors: " + (
                "; ".join(describe_error(error) for error in clinic.dialect.validation_errors(reply)) or "none"))
            collected.success = (f"{case.name} without images refused, as {section.setting('images')} says: "
                                 + "; ".join(describe_error(error) for error in at))
