"""`lhv check-payload` in the v2 dialect: detection from the keys, v2's locations and words, the same verdicts."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from lhv.app import cli
from lhv.contract.payloads import IMAGES_DIR
from lhv.lint import check_file
from lhv.lint.readers import detect_dialect

JPEG = base64.b64encode((IMAGES_DIR / "psoriasis.jpg").read_bytes()).decode()
ATTACHMENT = {"contentAttachment": {"contentType": "image/jpeg", "data": JPEG}}
V2_SEVERITY = {"payload": ATTACHMENT, "bodySite": "armLeft",
               "knownCondition": {"conclusion": {"coding": [{"code": "EA90"}]}},
               "scoringSystem": {"apasi": {"questionnaireResponse": {"item": {"surface": 4}}}}}
PLAN_SEVERITY = {"media": {"contentType": "image/jpeg", "data": JPEG}, "body_site": "arm_left",
                 "known_condition": {"conclusion": {"code": "EA90"}}, "scoring_systems": ["apasi"],
                 "questionnaire_response": [{"questionnaire": "apasi",
                                             "item": [{"code": "surface", "answer": [{"value": 4}]}]}]}


def _body(tmp_path: Path, body: dict, name: str = "body.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(body))
    return path


def test_the_dialect_is_told_by_the_keys():
    assert detect_dialect(V2_SEVERITY) == "v2"
    assert detect_dialect({"payload": [ATTACHMENT]}) == "v2"
    assert detect_dialect(PLAN_SEVERITY) == "plan"
    assert detect_dialect({"bodySite": "armLeft", "knownCondition": {}, "scoringSystems": []}) == "plan"
    assert detect_dialect({"subject": {"reference": "x"}}) == "plan"  # the keys do not tell: the default


def test_a_valid_v2_body_is_clean_and_said_to_be_v2(tmp_path):
    report = check_file(_body(tmp_path, V2_SEVERITY))
    assert (report.dialect, report.operation, report.exit_code, report.status) == ("v2", "assess_severity", 0, 200)


def test_the_plan_dialects_spellings_are_problems_in_v2_with_a_hint(tmp_path):
    body = V2_SEVERITY | {"bodySite": "arm_left", "scoringSystem": {"auas": {"questionnaireResponse": {
        "item": {"itchiness": 2}}}}}
    problems = {problem.path: problem for problem in check_file(_body(tmp_path, body)).problems}
    assert problems["$.bodySite"].hint == "did you mean 'armLeft'?"
    itchy = problems["$.scoringSystem.auas.questionnaireResponse.item.itchiness"]
    assert itchy.type == "extra_forbidden" and "'pruritus'" in itchy.hint
    assert problems["$.scoringSystem.auas.questionnaireResponse.item.pruritus"].type == "value_error"


def test_a_range_error_names_the_v2_item(tmp_path):
    body = V2_SEVERITY | {"scoringSystem": {"ascorad": {"questionnaireResponse": {
        "item": {"surface": 10, "pruritus": 11, "sleeplessness": 1}}}}}
    [problem] = check_file(_body(tmp_path, body)).problems
    assert problem.path == "$.scoringSystem.ascorad.questionnaireResponse.item.pruritus"
    assert problem.message == "ascorad pruritus = 11 is above its maximum 10"


def test_the_command_reports_the_dialect_of_each_file(tmp_path, capsys):
    files = [str(_body(tmp_path, V2_SEVERITY, "v2.json")), str(_body(tmp_path, PLAN_SEVERITY, "plan.json"))]
    assert cli.main(["check-payload", *files]) == 0
    out = capsys.readouterr().out
    assert "(v2 dialect, request body)" in out and "(plan dialect, request body)" in out


def test_a_v2_body_checked_as_plan_names_the_dialect_its_keys_show(tmp_path):
    report = check_file(_body(tmp_path, {"payload": [ATTACHMENT]}), dialect="plan")
    assert report.exit_code == 2 and "--dialect v2" in report.unreadable
