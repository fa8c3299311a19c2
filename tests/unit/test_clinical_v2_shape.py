"""The v2 dialect's clinical shapes on the device: parsing into the one domain, errors and reports in v2's words."""

from __future__ import annotations

import numpy as np
import pytest
from jsonschema import Draft202012Validator

from lhv.contract.payloads import find
from lhv.contract.spelling import plan_text, v2_text
from lhv.contract.tables import SCORING_SYSTEM_BY_CODE
from lhv.device.clinical import plan_shape, v2_openapi, v2_shape
from lhv.device.clinical.imaging import DecodedImage
from lhv.device.clinical.service import ClinicalService, SeverityResult
from lhv.device.clinical.shape_common import RequestInvalid, elide

JPEG_TEXT = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAQDAwMDAgQDAwMEBAQFBg=="
ATTACHMENT = {"contentAttachment": {"contentType": "image/jpeg", "data": JPEG_TEXT}}
CONDITION = {"conclusion": {"coding": [{"code": "EA80", "display": "Atopic dermatitis"}]}}
ASCORAD = {"ascorad": {"questionnaireResponse": {"item": {"surface": 78, "pruritus": 4, "sleeplessness": 6}}}}


def body(**changes):
    return {"payload": ATTACHMENT, "knownCondition": CONDITION, "bodySite": "armLeft", "scoringSystem": ASCORAD} \
        | changes


def errors_of(received: dict) -> list[dict]:
    """The 422 errors the v2 device gives a body: shape errors, else the clinical rules' in v2's words."""
    try:
        parsed = v2_shape.read_severity(received)
    except RequestInvalid as invalid:
        return invalid.errors
    service = ClinicalService(lambda fault: False)
    return v2_shape.rule_errors(service.validate_severity(parsed.request, elide(received),
                                                          v2_shape.loc_for(parsed.request)))


def test_the_seed_payload_means_the_same_request_in_both_dialects():
    plan = plan_shape.read_severity(find("plan-017-payload-1", "plan").resolved())
    v2 = v2_shape.read_severity(find("plan-017-payload-1", "v2").resolved())
    assert v2.request == plan.request
    assert (v2.subject, v2.media, v2.condition_display) == (plan.subject, plan.media, plan.condition_display)


def test_a_valid_body_breaks_no_rule():
    assert errors_of(body()) == []


@pytest.mark.parametrize(("changes", "loc", "kind"), [
    ({"bodySite": None}, ["body", "bodySite"], "missing"),
    ({"bodySite": "arm_left"}, ["body", "bodySite"], "literal_error"),
    ({"scoringSystem": {}}, ["body", "scoringSystem"], "too_short"),
    ({"scoringSystem": ["ascorad"]}, ["body", "scoringSystem"], "dict_type"),
    ({"scoringSystem": {**ASCORAD, "pasi": {}}}, ["body", "scoringSystem", "pasi"], "literal_error"),
    ({"scoringSystem": {"ascorad": {}}}, ["body", "scoringSystem", "ascorad", "questionnaireResponse"],
     "value_error"),
    ({"scoringSystem": {"ascorad": {"questionnaireResponse": {"item": {"surface": 78, "pruritus": 11,
                                                                       "sleeplessness": 6}}}}},
     ["body", "scoringSystem", "ascorad", "questionnaireResponse", "item", "pruritus"], "less_than_equal"),
    ({"knownCondition": None}, ["body", "knownCondition"], "missing"),
    ({"knownCondition": {"conclusion": {"coding": []}}}, ["body", "knownCondition", "conclusion", "coding"],
     "too_short"),
    ({"media": ATTACHMENT}, ["body", "media"], "extra_forbidden"),
    ({"scoringSystem": {"asalt": {}}}, ["body", "bodySite"], "value_error"),
])
def test_each_broken_rule_is_refused_at_its_v2_location(changes, loc, kind):
    received = {key: value for key, value in body(**changes).items() if value is not None}
    found = [(error["loc"], error["type"]) for error in errors_of(received)]
    assert (loc, kind) in found, found


def test_the_plan_dialects_spellings_are_unknown_in_v2():
    itchy = {"ascorad": {"questionnaireResponse": {"item": {"surface": 78, "itchiness": 4, "sleeplessness": 6}}}}
    errors = errors_of(body(bodySite="arm_left", scoringSystem=itchy))
    where = ["body", "scoringSystem", "ascorad", "questionnaireResponse", "item"]
    assert [(e["loc"], e["type"], e.get("input")) for e in errors] == [
        (["body", "bodySite"], "literal_error", "arm_left"),
        ([*where, "itchiness"], "extra_forbidden", "itchiness"),
        ([*where, "pruritus"], "value_error", None)]
    assert "'armLeft'" in errors[0]["msg"] and "arm_left" not in errors[0]["msg"]
    assert errors[2]["msg"].endswith("has no answer for pruritus")


def test_a_scalp_rule_names_the_sites_in_v2s_words():
    errors = errors_of(body(scoringSystem={"asalt": {}}))
    assert errors[0]["msg"] == ("Value error, asalt needs a scalp body site (headTop, headBack, headLeft, headRight), "
                                "not armLeft")


def test_messages_translate_both_ways():
    text = "asalt needs a scalp body site (head_top, head_back), not upper_arm_left; no answer for itchiness or hive"
    assert v2_text(text) == "asalt needs a scalp body site (headTop, headBack), not upperArmLeft; no answer for " \
                            "pruritus or wheals"
    assert plan_text(v2_text(text)) == text


def test_the_lenient_fault_mode_drops_unknown_keys_and_reads_numbers_from_text():
    item = {"surface": "78", "pruritus": 4, "sleeplessness": 6}
    parsed = v2_shape.read_severity(body(colour="red", scoringSystem={"ascorad": {"questionnaireResponse": {
        "item": item, "extra": 1}}}), lenient=True)
    assert parsed.request.answers == {"ascorad": {"surface": 78.0, "itchiness": 4, "sleeplessness": 6}}
    with pytest.raises(RequestInvalid):
        v2_shape.read_severity(body(colour="red"))


def test_diagnosis_bodies_take_one_to_five_attachments():
    assert len(v2_shape.read_diagnosis({"payload": [ATTACHMENT] * 5}).media) == 5
    for count, kind in ((0, "too_short"), (6, "too_long")):
        with pytest.raises(RequestInvalid) as refused:
            v2_shape.read_diagnosis({"payload": [ATTACHMENT] * count})
        assert refused.value.errors[0]["type"] == kind and refused.value.errors[0]["loc"] == ["body", "payload"]


def test_the_severity_report_keys_every_supported_system_and_matches_the_v2_schema():
    parsed = v2_shape.read_severity(body(scoringSystem={**ASCORAD, "auas": {"questionnaireResponse": {
        "item": {"pruritus": 2}}}}))
    service = ClinicalService(lambda fault: False)
    pixels = np.full((64, 64, 3), 120, dtype=np.uint8)
    result: SeverityResult = service.assess_severity(DecodedImage(pixels, "image/jpeg", 64, 64, 100), parsed.request,
                                                     0.0)
    report = v2_shape.severity_report(result, parsed)
    evolution = report["patientEvolution"]
    assert list(evolution) == list(SCORING_SYSTEM_BY_CODE)
    assert evolution["apasi"] is None and evolution["ascorad"] is not None
    assert set(evolution["auas"]["item"]) == {"pruritus", "wheals"}
    assert evolution["ascorad"]["item"]["pruritus"] == {"value": 4, "source": "questionnaire"}
    schema = v2_openapi.severity_operation()["responses"][200]["content"]["application/json"]["schema"]
    Draft202012Validator(schema).validate(report)
