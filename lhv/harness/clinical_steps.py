"""Plan steps shared by the clinical plans: images and payload files, requests, report checks and the score oracle.

Every severity reply a plan sees goes through `check_severity_report`, which recomputes each
system's score and zone contribution with lhv.contract.oracle from the items and echoed answers the
reply holds and the body site the request gave; a disagreement beyond ORACLE_TOLERANCE fails
the plan that saw it. The record shows the device's score beside the recomputed one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from lhv.checks.outcomes import require
from lhv.checks.replies import status_is
from lhv.clinical.reports import ORACLE_TOLERANCE, check_no_image_echo, check_refusal, check_severity_report
from lhv.contract import oracle
from lhv.contract.dialects import dialect_named
from lhv.contract.intents import (
    OPEN_WAYS,
    ManualReport,
    ManualRequest,
    OpenWay,
    SeverityRequest,
)
from lhv.contract.payloads import PayloadError, PayloadFile, _no_duplicate_keys, describe_error, error_problems
from lhv.contract.payloads import _checked as _checked_payload  # see MANUAL_SUFFIX
from lhv.contract.tables import MANUAL_SYSTEM_BY_CODE
from lhv.core.errors import CheckFailed
from lhv.core.evidence import CURRENT_CASE, CaseEvidence, Step
from lhv.core.http import Reply
from lhv.session.clinic import Clinic
from lhv.session.manual_profile import manual_scores_of


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


# ---- severity reports and the score oracle ------------------------------------------------------------------


# ---- FHIR ------------------------------------------------------------------------------------------------


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
