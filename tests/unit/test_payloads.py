"""Payload files: the packaged cases load and resolve; a bad file gets one message naming the file and JSON path."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from lhv.contract.payloads import (
    ENCODINGS,
    IMAGES_DIR,
    PAYLOADS_DIR,
    PayloadError,
    discover,
    echo_matches,
    encode_image,
    error_problems,
    find,
    load,
)
from lhv.core.secrets import SecretBook

JPEG = (IMAGES_DIR / "atopic_dermatitis.jpg").read_bytes()
# The seed's PLAN_017 Payload 1, as its text shows it, with the image's base64 in place of the placeholder.
SEED_PAYLOAD_1 = {
    "subject": {"reference": "fake-patient-id"},
    "media": {"contentType": "image/jpeg", "data": base64.b64encode(JPEG).decode()},
    "known_condition": {"conclusion": {"code": "EA80", "display": "Atopic dermatitis", "system_alias": "ICD-11"}},
    "body_site": "arm_left",
    "scoring_systems": ["apasi", "ascorad"],
    "questionnaire_response": [
        {"questionnaire": "apasi", "item": [{"code": "surface", "answer": [{"value": 4}]}]},
        {"questionnaire": "ascorad", "item": [{"code": "surface", "answer": [{"value": 78}]},
                                              {"code": "itchiness", "answer": [{"value": 4}]},
                                              {"code": "sleeplessness", "answer": [{"value": 6}]}]},
    ],
}


def _write(tmp_path: Path, data, name: str = "case.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def _valid(**changes) -> dict:
    case = {"description": "one image", "operation": "diagnose",
            "body": {"media": [{"contentType": "image/jpeg", "data": {"$image": "psoriasis.jpg"}}]},
            "expect": {"status": 200}}
    return {**case, **changes}


def test_every_packaged_payload_loads_and_resolves():
    payloads = discover(PAYLOADS_DIR)
    assert len(payloads) >= 50
    assert {p.operation for p in payloads} == {"diagnose", "assess_severity"}
    for payload in payloads:
        body = payload.resolved()
        assert "$image" not in json.dumps(body)
    names = {p.name for p in payloads}
    for system in ("apasi", "ascorad", "asalt", "auas", "aihs4"):
        assert {f"{system}-mild", f"{system}-moderate", f"{system}-severe"} <= names
        assert any(name.startswith(f"{system}-invalid-") for name in names)


def test_seed_payload_1_is_the_seeds_text_exactly():
    payload = find("plan-017-payload-1", "plan")
    assert payload.resolved() == SEED_PAYLOAD_1
    assert list(payload.resolved()) == list(SEED_PAYLOAD_1)  # and in the seed's key order
    assert payload.expect == {"status": 200}


def test_seed_payloads_without_body_site_expect_the_seeds_error():
    for number in (1, 2):
        seed, without = find(f"plan-017-payload-{number}", "plan"), find(f"plan-017-payload-{number}-without-body-site",
                                                                          "plan")
        body = {k: v for k, v in seed.resolved().items() if k != "body_site"}
        assert without.resolved() == body
        (error,) = without.resolved_expect()["errors"]
        assert error == {"type": "missing", "loc": ["body", "bodySite"], "msg": "Field required", "input": body}


def test_malformed_json_names_the_file_and_the_position(tmp_path):
    path = _write(tmp_path, '{"description": "x",\n "operation": }')
    with pytest.raises(PayloadError) as caught:
        load(path)
    message = str(caught.value)
    assert str(path) in message and "$" in message and "line 2" in message


@pytest.mark.parametrize(("case", "where", "words"), [
    ({k: v for k, v in _valid().items() if k != "description"}, "$.description", "required"),
    (_valid(description="two\nlines"), "$.description", "one non-empty line"),
    (_valid(operation="diagnosis"), "$.operation", "not one of"),
    (_valid(dialect="v3"), "$.dialect", "not one of"),
    (_valid(body=[]), "$.body", "JSON object"),
    (_valid(extra=1), "$.extra", "unknown key"),
    (_valid(expect={}), "$.expect.status", "required"),
    (_valid(expect={"status": "200"}), "$.expect.status", "HTTP status"),
    (_valid(expect={"status": 200, "errors": [{"type": "missing"}]}), "$.expect.errors", "only a 4xx"),
    (_valid(expect={"status": 422, "errors": []}), "$.expect.errors", "non-empty list"),
    (_valid(expect={"status": 422, "errors": [{"loc": "body"}]}), "$.expect.errors[0].loc", "list of keys"),
    (_valid(body={"media": [{"data": {"$image": "a.jpg", "encoding": "hex"}}]}),
     "$.body.media[0].data.encoding", "not one of"),
    (_valid(body={"media": [{"data": {"$image": "a.jpg", "type": "x"}}]}), "$.body.media[0].data.type",
     "holds only"),
    (_valid(body={"media": [{"data": {"$image": "../secret.jpg"}}]}), "$.body.media[0].data.$image",
     "inside the images folder"),
    (_valid(body={"media": [{"data": {"$image": ""}}]}), "$.body.media[0].data.$image", "must name"),
])
def test_a_bad_field_gets_one_message_naming_file_and_json_path(tmp_path, case, where, words):
    path = _write(tmp_path, case)
    with pytest.raises(PayloadError) as caught:
        load(path)
    assert caught.value.source == str(path) and caught.value.field == where
    assert words in caught.value.problem


def test_duplicate_keys_are_refused(tmp_path):
    path = _write(tmp_path, '{"description": "a", "description": "b", "operation": "diagnose", "body": {}, '
                            '"expect": {"status": 200}}')
    with pytest.raises(PayloadError, match="duplicate key 'description'"):
        load(path)


def test_a_missing_image_names_file_json_path_and_image(tmp_path):
    payload = load(_write(tmp_path, _valid(body={"media": [{"data": {"$image": "nowhere.jpg"}}]})))
    with pytest.raises(PayloadError) as caught:
        payload.resolved(IMAGES_DIR)
    error = caught.value
    assert error.source.endswith("case.json") and error.field == "$.body.media[0].data.$image"
    assert "nowhere.jpg" in error.problem


def test_discover_refuses_a_missing_folder_and_find_a_missing_name(tmp_path):
    with pytest.raises(PayloadError, match="no such payload folder"):
        discover(tmp_path / "none")
    _write(tmp_path, _valid())
    with pytest.raises(PayloadError, match="no payload file named other.json"):
        find("other", "plan", tmp_path)


def test_encodings_write_the_same_bytes_otherwise():
    standard = base64.b64encode(JPEG).decode()
    written = {encoding: encode_image(JPEG, encoding) for encoding in ENCODINGS}
    assert written["base64"] == standard
    assert written["data-uri"] == f"data:image/jpeg;base64,{standard}"
    assert base64.urlsafe_b64decode(written["urlsafe"]) == JPEG and written["urlsafe"] != standard
    assert written["whitespace"].replace("\n", "") == standard and "\n" in written["whitespace"]
    assert written["raw"].encode("latin-1") == JPEG
    assert written["bad-padding"] != standard and standard.startswith(written["bad-padding"].rstrip("="))
    assert len(written["bad-padding"]) % 4 != 0
    with pytest.raises(ValueError, match="no \\+ or /"):
        encode_image(b"\x00\x00\x00", "urlsafe")


def test_image_text_written_otherwise_is_redacted_to_a_hash():
    book = SecretBook()
    wrapped = encode_image(JPEG, "whitespace")
    book.add_image(wrapped)
    redacted = book.redact(f"before {wrapped} after")
    assert wrapped.splitlines()[3] not in redacted and "[image data:" in redacted


def test_an_echo_may_cut_image_data_to_a_prefix_and_reorder_keys():
    sent = {"media": {"contentType": "image/jpeg", "data": "A" * 100}, "scoring_systems": ["apasi"]}
    echoed = {"scoring_systems": ["apasi"], "media": {"data": "A" * 31 + "...", "contentType": "image/jpeg"}}
    assert echo_matches(sent, echoed)
    assert echo_matches(sent, json.loads(json.dumps(sent)))
    assert not echo_matches(sent, {**echoed, "body_site": "arm_left"})
    assert not echo_matches(sent, {**echoed, "media": {"data": "B" * 31 + "...", "contentType": "image/jpeg"}})
    assert not echo_matches({"value": 1}, {"value": True})


def test_error_problems_compare_the_given_keys_and_the_count():
    expected = [{"type": "missing", "loc": ["body", "bodySite"]}]
    exact = [{"type": "missing", "loc": ["body", "bodySite"], "msg": "Field required", "input": {}}]
    assert error_problems(expected, exact) == []
    assert error_problems(expected, exact * 2)[0].startswith("expected 1 error(s), the reply has 2")
    wrong_loc = [{"type": "missing", "loc": ["body", "body_site"]}]
    (problem,) = error_problems(expected, wrong_loc)
    assert "no error matches" in problem and "differs in loc" in problem
    assert error_problems(expected, None) == ["the reply has no detail list (got null)"]
