"""Converting payload files between the plan and v2 dialects: lossless where the shapes allow, precise where not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lhv.app import cli
from lhv.contract.payload_convert import ConversionError, convert, convert_file, dumps
from lhv.contract.payloads import PAYLOADS_DIR, discover, load

V2_DIR = PAYLOADS_DIR / "v2"
PLAN_FILES = [payload for payload in discover(PAYLOADS_DIR) if payload.dialect == "plan"]
# Plan cases v2 cannot say, each with the JSON path the error names.
NOT_IN_V2 = {
    "assess_severity/auas-invalid-unlisted-questionnaire.json": "$.body.questionnaire_response[1].questionnaire",
    "assess_severity/invalid-systems-not-a-list.json": "$.body.scoring_systems",
    "customer/mistakes/body-site-camel-case.json": "$.body.body_site",
}
# v2 cases the plan dialect cannot say (their plan-dialect twins are the cases above).
ONLY_IN_V2 = {
    "assess_severity/invalid-systems-not-a-map.json": "$.body.scoringSystem",
    "assess_severity/ascorad-invalid-plan-item-name.json":
        "$.body.scoringSystem.ascorad.questionnaireResponse.item.itchiness",
    "customer/mistakes/body-site-snake-case.json": "$.body.bodySite",
}


def _relative(payload) -> str:
    return payload.path.relative_to(PAYLOADS_DIR).as_posix()


def _data(payload) -> dict:
    data = json.loads(payload.path.read_text())
    return {"dialect": "plan", **data}


def _write(tmp_path: Path, data: dict, name: str = "case.json") -> Path:
    path = tmp_path / name
    path.write_text(dumps(data))
    return path


@pytest.mark.parametrize("payload", [p for p in PLAN_FILES if _relative(p) not in NOT_IN_V2], ids=_relative)
def test_plan_files_convert_to_v2_and_back_unchanged(payload, tmp_path):
    v2 = convert(payload, "v2")
    assert v2["dialect"] == "v2" and v2["description"] == payload.description
    back = convert(load(_write(tmp_path, v2)), "plan")
    assert back == _data(payload)


@pytest.mark.parametrize("payload", [p for p in PLAN_FILES if _relative(p) not in NOT_IN_V2], ids=_relative)
def test_the_packaged_v2_files_are_their_plan_files_converted(payload):
    packaged = V2_DIR / _relative(payload)
    assert packaged.is_file(), f"{packaged} is missing: run lhv payload convert --to v2 payloads --out-dir payloads/v2"
    assert json.loads(packaged.read_text()) == convert(payload, "v2"), f"{packaged} is out of date"


def test_every_packaged_v2_file_has_a_plan_twin_or_is_listed_as_v2_only():
    for payload in discover(V2_DIR):
        relative = payload.path.relative_to(V2_DIR).as_posix()
        assert payload.dialect == "v2", relative
        assert (PAYLOADS_DIR / relative).is_file() != (relative in ONLY_IN_V2), relative


@pytest.mark.parametrize(("relative", "where"), NOT_IN_V2.items())
def test_a_plan_case_v2_cannot_say_names_file_and_json_path(relative, where):
    with pytest.raises(ConversionError) as failed:
        convert_file(PAYLOADS_DIR / relative, "v2")
    assert failed.value.source == str(PAYLOADS_DIR / relative) and failed.value.field == where


@pytest.mark.parametrize(("relative", "where"), ONLY_IN_V2.items())
def test_a_v2_case_the_plan_dialect_cannot_say_names_file_and_json_path(relative, where):
    with pytest.raises(ConversionError) as failed:
        convert_file(V2_DIR / relative, "plan")
    assert failed.value.field == where


def test_error_locations_move_to_where_the_other_dialect_points():
    converted = convert_file(PAYLOADS_DIR / "assess_severity/ascorad-invalid-itchiness-above-10.json", "v2")
    assert converted["expect"]["errors"][0]["loc"] == ["body", "scoringSystem", "ascorad", "questionnaireResponse",
                                                       "item", "pruritus"]
    converted = convert_file(PAYLOADS_DIR / "assess_severity/apasi-invalid-no-questionnaire.json", "v2")
    assert converted["expect"]["errors"][0]["loc"] == ["body", "scoringSystem", "apasi", "questionnaireResponse"]
    converted = convert_file(PAYLOADS_DIR / "assess_severity/aihs4-invalid-unknown-system.json", "v2")
    assert converted["expect"]["errors"][0]["loc"][:2] == ["body", "scoringSystem"]
    converted = convert_file(PAYLOADS_DIR / "diagnose/invalid-content-type.json", "v2")
    assert converted["expect"]["errors"][0]["loc"] == ["body", "payload", 0, "contentAttachment", "contentType"]


def test_a_missing_answer_is_placed_by_the_contract_and_messages_take_v2s_words(tmp_path):
    case = {"description": "ascorad without itchiness", "operation": "assess_severity",
            "body": {"media": {"contentType": "image/jpeg", "data": {"$image": "psoriasis.jpg"}},
                     "known_condition": {"conclusion": {"code": "EA80"}}, "body_site": "arm_left",
                     "scoring_systems": ["ascorad"],
                     "questionnaire_response": [{"questionnaire": "ascorad", "item": [
                         {"code": "surface", "answer": [{"value": 3}]},
                         {"code": "sleeplessness", "answer": [{"value": 3}]}]}]},
            "expect": {"status": 422, "errors": [{"type": "value_error", "loc": ["body", "questionnaireResponse", 0,
                                                                                 "item"],
                                                  "msg": "Value error, questionnaire ascorad has no answer for "
                                                         "itchiness"}]}}
    v2 = convert(load(_write(tmp_path, case)), "v2")
    assert v2["expect"]["errors"] == [{"type": "value_error", "loc": ["body", "scoringSystem", "ascorad",
                                                                      "questionnaireResponse", "item", "pruritus"],
                                       "msg": "Value error, questionnaire ascorad has no answer for pruritus"}]
    assert v2["body"]["bodySite"] == "armLeft"
    assert convert(load(_write(tmp_path, v2, "v2.json")), "plan") == {"dialect": "plan", **case}


def test_an_error_the_other_dialect_cannot_place_names_the_error(tmp_path):
    case = {"description": "two answers for one item", "operation": "assess_severity",
            "body": {"media": {"contentType": "image/jpeg", "data": {"$image": "psoriasis.jpg"}},
                     "scoring_systems": ["auas"],
                     "questionnaire_response": [{"questionnaire": "auas", "item": [
                         {"code": "itchiness", "answer": [{"value": 1}]}]}]},
            "expect": {"status": 422, "errors": [{"loc": ["body", "questionnaireResponse", 0, "item", 0,
                                                          "answer"]}]}}
    with pytest.raises(ConversionError) as failed:
        convert(load(_write(tmp_path, case)), "v2")
    assert failed.value.field == "$.expect.errors[0].loc"


def test_a_file_already_in_the_dialect_is_unchanged():
    payload = load(V2_DIR / "diagnose/one-jpeg.json")
    assert convert(payload, "v2") == json.loads(payload.path.read_text())


def test_the_command_prints_one_file_and_needs_an_out_dir_for_more(tmp_path, capsys):
    assert cli.main(["payload", "convert", "--to", "v2", str(PAYLOADS_DIR / "diagnose/one-png.json")]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["body"]["payload"][0]["contentAttachment"]["contentType"] == "image/png"
    assert cli.main(["payload", "convert", "--to", "v2", str(PAYLOADS_DIR / "diagnose")]) == 2
    assert "--out-dir" in capsys.readouterr().err


def test_the_command_converts_a_folder_and_names_what_it_cannot(tmp_path, capsys):
    out = tmp_path / "v2"
    code = cli.main(["payload", "convert", "--to", "v2", str(PAYLOADS_DIR / "assess_severity"), "--out-dir", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "auas-invalid-unlisted-questionnaire.json: $.body.questionnaire_response[1].questionnaire:" in err
    assert (out / "plan-017-payload-1.json").is_file()
    assert not (out / "auas-invalid-unlisted-questionnaire.json").exists()
