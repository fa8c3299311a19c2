"""Steps get their verdict from how they end, and a step that checks nothing is an error."""

import pytest

from lhv.checks.outcomes import require
from lhv.core.errors import Inconclusive, PlanDefect, TargetError
from lhv.core.evidence import CURRENT_CASE, CaseEvidence
from lhv.harness.steps import StepRecorder


@pytest.fixture
def case():
    evidence = CaseEvidence()
    token = CURRENT_CASE.set(evidence)
    yield evidence
    CURRENT_CASE.reset(token)


def test_passing_step_keeps_its_checks(case):
    step = StepRecorder(case)
    with step("look", expect="something"):
        require("thing-seen", True, "not seen", "seen")
    assert case.steps[0].verdict == "passed" and case.steps[0].checks[0].detail == "seen"


@pytest.mark.parametrize(("exc", "verdict"), [(TargetError("down"), "error"),
                                              (Inconclusive("too long"), "inconclusive"), (ValueError("bug"), "error")])
def test_step_verdict_follows_the_exception(case, exc, verdict):
    with pytest.raises(type(exc)):
        with StepRecorder(case)("act", expect="x"):
            require("pre", True, "")
            raise exc
    assert case.steps[0].verdict == verdict and case.steps[0].actual


def test_failed_check_is_reported_once(case):
    with pytest.raises(AssertionError):
        with StepRecorder(case)("act", expect="x"):
            require("thing-seen", False, "not seen")
    step = case.steps[0]
    assert step.verdict == "failed" and step.actual == [] and step.checks[0].detail == "not seen"


def test_step_without_a_check_is_a_plan_defect(case):
    with pytest.raises(PlanDefect):
        with StepRecorder(case)("do nothing", expect="anything"):
            pass
    assert case.steps[0].verdict == "error"


def test_a_carry_on_step_files_its_failure_and_lets_the_case_go_on(case):
    step = StepRecorder(case)
    for route, ok in (("/a", False), ("/b", True), ("/c", False)):
        with step(f"send {route}", expect="200", carry_on=True):
            require("route-answers", ok, f"{route} failed", f"{route} answered")
    assert [s.verdict for s in case.steps] == ["failed", "passed", "failed"]
    assert [str(failure) for failure in case.carried] == ["[route-answers] /a failed", "[route-answers] /c failed"]


def test_a_carry_on_step_still_raises_what_is_not_a_failed_check(case):
    with pytest.raises(TargetError):
        with StepRecorder(case)("send", expect="200", carry_on=True):
            require("pre", True, "")
            raise TargetError("down")
    assert not case.carried


def test_a_step_attaches_a_file_of_its_plan_folder_by_its_record_relative_name(case, tmp_path):
    steps = StepRecorder(case, tmp_path / "attachments" / "PLAN_005")
    with steps("scan", expect="a result"):
        path = steps.folder / "scan.json"
        path.write_text("{}")
        steps.attach(path, "the scan")
        require("scanned", True, "")
    assert case.steps[0].attachments == [{"name": "attachments/PLAN_005/scan.json", "description": "the scan"}]


def test_a_file_outside_the_record_or_a_run_cannot_be_attached(tmp_path):
    steps = StepRecorder(CaseEvidence(), tmp_path / "record" / "attachments" / "PLAN_005")
    with pytest.raises(PlanDefect, match="outside the record folder"), steps("scan", expect="a result"):
        steps.attach(tmp_path / "elsewhere.json", "a stray file")
    with pytest.raises(PlanDefect, match="outside a verification run"):
        StepRecorder(CaseEvidence()).folder  # noqa: B018


def test_test_data_is_listed_through_the_run(tmp_path):
    listed = []
    steps = StepRecorder(CaseEvidence(), tmp_path, lambda path, description: listed.append((path.name, description)))
    steps.uses(tmp_path / "payload.json", "a payload")
    assert listed == [("payload.json", "a payload")]
    with pytest.raises(PlanDefect, match="outside a verification run"):
        StepRecorder(CaseEvidence()).uses(tmp_path / "payload.json", "a payload")
