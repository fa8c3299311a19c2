"""`lhv check-payload`: compiler-style text, --format json, and exit codes 0 clean, 1 problems, 2 unreadable."""

import json
import subprocess
import sys
from pathlib import Path

from lhv.app.cli import main

REPO = Path(__file__).resolve().parents[1]
CLEAN = REPO / "payloads" / "customer" / "apasi-arm-left.json"
FAULTY = REPO / "tests" / "data" / "faulty_payloads" / "surface-as-percent.json"


def test_clean_payloads_exit_0(capsys):
    assert main(["check-payload", str(CLEAN), str(REPO / "payloads" / "customer" / "image-quality-check.json")]) == 0
    out = capsys.readouterr().out
    assert f"{CLEAN}: ok:" in out and "the device would answer 200" in out and "2 clean" in out


def test_a_problem_is_reported_like_a_compiler_and_exits_1(capsys):
    assert main(["check-payload", str(FAULTY)]) == 1
    out = capsys.readouterr().out.splitlines()
    where = f"{FAULTY}:$.body.questionnaire_response[0].item[0].answer[0].value: error: "
    assert out[0].startswith(where) and "above its maximum 6" in out[0]
    assert out[1].strip().startswith("allowed: surface") and "0 to 6" in out[1]
    assert any(line.strip().startswith("hint:") and "PASI area score" in line for line in out)
    assert any(line.strip().startswith("device:  422") and '"less_than_equal"' in line for line in out)


def test_an_unreadable_file_exits_2_even_beside_problems(capsys, tmp_path):
    assert main(["check-payload", str(FAULTY), str(tmp_path / "missing.json")]) == 2
    assert "unreadable: cannot read the file" in capsys.readouterr().out


def test_json_format_for_ci(capsys, tmp_path):
    body = tmp_path / "request.json"
    body.write_text(json.dumps({"media": [{"contentType": "image/jpeg", "data": "data:image/jpeg;base64,AAAA"}]}))
    assert main(["check-payload", "--format", "json", str(body), str(CLEAN)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["exit_code"] == 1 and report["summary"] == {"files": 2, "clean": 1, "with_problems": 1,
                                                              "problems": 1, "unreadable": 0}
    first = report["files"][0]
    assert first["kind"] == "request body" and first["operation"] == "diagnose" and first["status"] == 422
    (problem,) = first["problems"]
    assert problem["path"] == "$.media[0].data" and problem["reason"] == "data_uri" and problem["status"] == 422
    assert problem["loc"] == ["body", "media", 0, "data"] and problem["allowed"] and problem["hint"]


def test_a_folder_is_checked_file_by_file(capsys):
    assert main(["check-payload", str(REPO / "payloads" / "customer")]) == 1  # mistakes/ holds refusals on purpose
    assert "10 file(s) checked: 5 clean, 5 with 5 problem(s), 0 unreadable" in capsys.readouterr().out


def test_the_installed_command_runs(tmp_path):
    done = subprocess.run([sys.executable, "-m", "lhv.app.cli", "check-payload", str(CLEAN)], capture_output=True,
                          text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
