"""v1 payload files (CONTRACT.md Appendix B): written by `lhv payload convert --to v1`, read back, recognised."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lhv.app import cli
from lhv.contract.payload_convert import ConversionError, convert, dumps
from lhv.contract.payloads import PAYLOADS_DIR, discover, load
from lhv.lint.readers import detect_dialect

V1_DIR = PAYLOADS_DIR / "v1"
PLAN_FILES = [payload for payload in discover(PAYLOADS_DIR) if payload.dialect == "plan"]


def _relative(payload) -> str:
    return payload.path.relative_to(PAYLOADS_DIR).as_posix()


def _write(tmp_path: Path, data: dict, name: str = "case.json") -> Path:
    path = tmp_path / name
    path.write_text(dumps(data))
    return path


@pytest.mark.parametrize("payload", PLAN_FILES, ids=_relative)
def test_the_packaged_v1_files_are_their_plan_files_converted(payload):
    packaged = V1_DIR / _relative(payload)
    assert packaged.is_file(), f"{packaged} is missing: run lhv payload convert --to v1 payloads --out-dir payloads/v1"
    assert json.loads(packaged.read_text()) == convert(payload, "v1"), f"{packaged} is out of date"


def test_every_packaged_v1_file_has_a_plan_twin():
    twins = {_relative(payload) for payload in PLAN_FILES}
    packaged = {path.relative_to(V1_DIR).as_posix() for path in V1_DIR.rglob("*.json")}
    assert packaged == twins and all(load(V1_DIR / name).dialect == "v1" for name in packaged)


def test_a_v1_file_converts_back_to_the_plan_dialects_codes(tmp_path):
    seed = load(V1_DIR / "assess_severity" / "plan-017-payload-1.json")
    back = convert(seed, "plan")["body"]
    assert back["bodySite"] == "arm_left" and back["scoringSystems"] == ["apasi", "ascorad"]
    assert [entry["questionnaire"] for entry in back["questionnaireResponse"]] == ["apasi", "ascorad"]
    again = convert(load(_write(tmp_path, {**convert(seed, "plan")})), "v1")
    assert again == convert(seed, "v1")


def test_v1_and_v2_convert_by_way_of_the_plan_dialect():
    v2 = load(PAYLOADS_DIR / "v2" / "assess_severity" / "apasi-mild.json")
    v1 = convert(v2, "v1")
    assert v1 == json.loads((V1_DIR / "assess_severity" / "apasi-mild.json").read_text())


def test_expected_errors_take_v1s_words_and_a_missing_answer_is_missing(tmp_path):
    data = json.loads((PAYLOADS_DIR / "assess_severity" / "apasi-invalid-no-questionnaire.json").read_text())
    data["expect"]["errors"] = [
        {"type": "value_error", "loc": ["body", "questionnaireResponse"],
         "msg": "Value error, apasi needs a questionnaire response with its answers"},
        {"type": "value_error", "loc": ["body", "questionnaireResponse", 0, "item"],
         "msg": "Value error, questionnaire apasi has no answer for surface"},
        {"type": "literal_error", "loc": ["body", "bodySite"], "input": "arm_left"}]
    errors = convert(load(_write(tmp_path, data)), "v1")["expect"]["errors"]
    assert errors == [
        {"type": "value_error", "loc": ["body", "questionnaireResponse"],
         "msg": "Value error, apasiLocal needs a questionnaire response with its answers"},
        {"type": "missing", "loc": ["body", "questionnaireResponse", 0, "item"], "msg": "Field required"},
        {"type": "literal_error", "loc": ["body", "bodySite"], "input": "ARM_LEFT"}]


def test_a_plan_file_written_with_v1s_codes_is_not_converted(tmp_path):
    data = json.loads((PAYLOADS_DIR / "assess_severity" / "apasi-mild.json").read_text())
    data["body"]["body_site"] = "ARM_LEFT"
    with pytest.raises(ConversionError, match=r"body_site.*v1's spelling of arm_left"):
        convert(load(_write(tmp_path, data)), "v1")


def test_a_raw_v1_severity_body_is_recognised_and_a_diagnosis_body_stays_plan():
    body = load(V1_DIR / "assess_severity" / "apasi-mild.json").body
    assert detect_dialect(body) == "v1"
    assert detect_dialect(load(PAYLOADS_DIR / "assess_severity" / "apasi-mild.json").body) == "plan"
    assert detect_dialect(load(PAYLOADS_DIR / "v2" / "assess_severity" / "apasi-mild.json").body) == "v2"
    assert detect_dialect(load(V1_DIR / "diagnose" / "one-jpeg.json").body) == "plan"


def test_the_command_converts_a_folder_leaving_other_generations_out(tmp_path, capsys):
    out = tmp_path / "out"
    code = cli.main(["payload", "convert", "--to", "v1", str(PAYLOADS_DIR / "customer"), str(PAYLOADS_DIR / "v2"),
                     "--out-dir", str(out)])
    assert code == 0, capsys.readouterr().err
    written = sorted(path.relative_to(out).as_posix() for path in out.rglob("*.json"))
    assert written and all(load(out / name).dialect == "v1" for name in written)
    assert not any(name.startswith(("assess_severity", "diagnose")) for name in written)  # no v2 file was converted
