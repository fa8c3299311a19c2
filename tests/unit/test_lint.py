"""lhv check-payload's checks: each faulty payload is reported at its path with its reason; valid ones pass."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from lhv.contract import payloads
from lhv.lint import check_file
from lhv.lint.model import FileReport

REPO = Path(__file__).resolve().parents[2]
FAULTY = REPO / "tests" / "data" / "faulty_payloads"
EXPECTED = tomllib.loads((FAULTY / "expected.toml").read_text(encoding="utf-8"))
FAULTY_FILES = sorted(FAULTY.glob("*.json"))
ALL_PAYLOADS = sorted((REPO / "payloads").rglob("*.json"))
VALID = [path for path in ALL_PAYLOADS if payloads.load(path).valid]
INVALID = [path for path in ALL_PAYLOADS if not payloads.load(path).valid]


def _found(report: FileReport) -> set[tuple[str, str]]:
    return {(problem.type, json.dumps(problem.loc)) for problem in report.problems}


def _expected(path: Path) -> set[tuple[str, str]]:
    return {(error["type"], json.dumps(error["loc"])) for error in payloads.load(path).expect["errors"]}


def test_every_faulty_payload_has_its_expected_finding():
    assert FAULTY_FILES and sorted(EXPECTED) == [path.name for path in FAULTY_FILES]


@pytest.mark.parametrize("path", FAULTY_FILES, ids=[path.stem for path in FAULTY_FILES])
def test_faulty_payload_is_reported_at_its_path_with_its_reason(path):
    report = check_file(path)
    wanted = EXPECTED[path.name]
    assert report.unreadable is None and report.status == 422 == payloads.load(path).status
    assert _found(report) == _expected(path), [p.as_json() for p in report.problems]
    first = next(p for p in report.problems if p.path == wanted["path"])
    assert first.type == wanted["type"] and first.message and first.allowed
    reason = payloads.load(path).expect["errors"][0].get("ctx", {}).get("reason")
    assert first.reason == reason


@pytest.mark.parametrize("path", FAULTY_FILES[:6], ids=[path.stem for path in FAULTY_FILES[:6]])
def test_a_raw_request_body_gets_the_same_findings_at_paths_without_the_wrapper(path, tmp_path):
    raw = tmp_path / "body.json"
    raw.write_text(json.dumps(payloads.load(path).resolved()), encoding="utf-8")
    as_file, as_body = check_file(path), check_file(raw)
    assert as_body.kind == "request body" and as_body.operation == as_file.operation
    assert [(p.path, p.type) for p in as_body.problems] == \
        [(p.path.replace("$.body", "$", 1), p.type) for p in as_file.problems]


@pytest.mark.parametrize("path", VALID, ids=[str(path.relative_to(REPO / "payloads")) for path in VALID])
def test_valid_payloads_pass(path):
    report = check_file(path)
    assert report.exit_code == 0 and report.status == 200, [p.as_json() for p in report.problems]
    assert report.images and all("declared" in image for image in report.images)


@pytest.mark.parametrize("path", INVALID, ids=[str(path.relative_to(REPO / "payloads")) for path in INVALID])
def test_invalid_payloads_are_predicted_as_their_files_expect(path):
    payload = payloads.load(path)
    report = check_file(path)
    assert report.status == payload.status
    for error in payload.expect.get("errors", []):
        assert any(error.get("type", p.type) == p.type and error.get("loc", p.loc) == p.loc
                   for p in report.problems), (error, [p.as_json() for p in report.problems])


def _body(tmp_path: Path, body: object, name: str = "body.json") -> Path:
    path = tmp_path / name
    path.write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")
    return path


def _seed_body(**changes) -> dict:
    body = payloads.load(REPO / "payloads" / "customer" / "apasi-arm-left.json").resolved()
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def test_a_camel_case_body_is_located_in_its_own_spelling(tmp_path):
    body = _seed_body()
    body["scoringSystems"] = body.pop("scoring_systems")
    body["questionnaireResponse"] = body.pop("questionnaire_response")
    body["questionnaireResponse"][0]["item"][0]["answer"][0]["value"] = 9
    (problem,) = check_file(_body(tmp_path, body)).problems
    assert problem.path == "$.questionnaireResponse[0].item[0].answer[0].value"
    assert problem.type == "less_than_equal" and "0 to 6" in problem.allowed and "PASI area score" in problem.hint


def test_hints_name_the_code_meant(tmp_path):
    (site,) = check_file(_body(tmp_path, _seed_body(body_site="armLeft"))).problems
    assert site.hint == "did you mean 'arm_left'?" and "arm_left" in site.allowed
    (system,) = check_file(_body(tmp_path, _seed_body(scoring_systems=["APASI"], questionnaire_response=None),
                                 "s.json")).problems
    assert system.hint == "did you mean 'apasi'?"


def test_a_missing_body_site_names_the_systems_that_need_it(tmp_path):
    (problem,) = check_file(_body(tmp_path, _seed_body(body_site=None))).problems
    assert problem.path == "$.body_site" and problem.loc == ["body", "bodySite"] and problem.type == "missing"
    assert "apasi" in problem.message and "34 body-site codes" in problem.allowed


def test_invalid_json_is_a_problem_located_by_line_and_column(tmp_path):
    report = check_file(_body(tmp_path, '{\n  "media": [],\n}'))
    (problem,) = report.problems
    assert report.exit_code == 1 and problem.type == "json_invalid" and problem.status == 422
    assert "line 3, column 1" in problem.message


def test_a_body_that_is_no_object_is_a_problem(tmp_path):
    (problem,) = check_file(_body(tmp_path, [1, 2])).problems
    assert problem.path == "$" and problem.type == "dict_type"


def test_a_body_over_the_size_limit_gets_413(tmp_path, monkeypatch):
    monkeypatch.setattr("lhv.lint.check.MAX_BODY_BYTES", 1000)
    report = check_file(_body(tmp_path, _seed_body()))
    assert report.status == 413 and [p.type for p in report.problems] == ["too_large"]


@pytest.mark.parametrize("content, reason", [
    ('{"subject": {"reference": "x"}}', "cannot tell whether"),
    (b"\xff\xd8\xff\xe0 not text", "not UTF-8"),
])
def test_unreadable_inputs_say_why(tmp_path, content, reason):
    path = tmp_path / "x.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    report = check_file(path)
    assert report.exit_code == 2 and reason in report.unreadable and report.status is None


def test_the_operation_can_be_named_when_the_keys_do_not_tell(tmp_path):
    report = check_file(_body(tmp_path, {"subject": {"reference": "x"}}), operation="diagnose")
    assert [(p.path, p.type) for p in report.problems] == [("$.media", "missing")]


def test_a_payload_file_with_a_missing_image_is_unreadable(tmp_path):
    source = json.loads((REPO / "payloads" / "customer" / "apasi-arm-left.json").read_text())
    source["body"]["media"]["data"] = {"$image": "no-such-photo.jpg"}
    report = check_file(_body(tmp_path, source))
    assert report.exit_code == 2 and "no-such-photo.jpg" in report.unreadable


def test_a_plan_body_in_a_file_that_says_v2_gets_v2s_verdict_not_a_pass(tmp_path):
    source = json.loads((REPO / "payloads" / "customer" / "apasi-arm-left.json").read_text())
    source["dialect"] = "v2"
    report = check_file(_body(tmp_path, source))
    assert report.exit_code == 1 and report.dialect == "v2"
    assert ("$.body.media", "extra_forbidden") in [(p.path, p.type) for p in report.problems]
