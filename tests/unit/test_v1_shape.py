"""The v1 dialect's clinical shapes on the device: parsing into the one domain, errors and reports in v1's words."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from lhv.contract.dialects import dialect_named
from lhv.contract.fhir import device_elements, validate_device_schema
from lhv.contract.payloads import IMAGES_DIR, encode_image
from lhv.device.clinical import v1_shape
from lhv.device.clinical.imaging import decode_media
from lhv.device.clinical.service import ClinicalService
from lhv.device.clinical.shape_common import RequestInvalid, elide
from tests.dialect_samples import reply_from

JPEG_TEXT = encode_image((IMAGES_DIR / "atopic_dermatitis.jpg").read_bytes())
CONDITION = {"conclusion": {"display": "Atopic dermatitis", "code": "EA80", "systemAlias": "ICD-11"}}
ANSWERS = [{"questionnaire": "ascoradLocal", "item": [{"code": "surface", "answer": [{"value": 78}]},
                                                      {"code": "itchiness", "answer": [{"value": 4}]},
                                                      {"code": "sleeplessness", "answer": [{"value": 6}]}]}]
SERVICE = ClinicalService(lambda fault: False)


def body(**changes):
    return {"media": {"contentType": "image/jpeg", "data": JPEG_TEXT}, "knownCondition": CONDITION,
            "bodySite": "ARM_LEFT", "scoringSystems": ["ascoradLocal"], "questionnaireResponse": ANSWERS} | changes


def errors_of(received: dict) -> list[dict]:
    """The 422 errors the v1 device gives a body: shape errors, else the clinical rules' in v1's words."""
    try:
        parsed = v1_shape.read_severity(received)
    except RequestInvalid as invalid:
        return invalid.errors
    return v1_shape.rule_errors(SERVICE.validate_severity(parsed.request, elide(received),
                                                          v1_shape.loc_for(parsed.request)))


def test_a_v1_body_is_read_in_the_contracts_words_and_breaks_no_rule():
    parsed = v1_shape.read_severity(body())
    assert (parsed.request.condition, parsed.request.body_site, parsed.request.systems) == \
        ("EA80", "arm_left", ("ascorad",))
    assert parsed.request.answers == {"ascorad": {"surface": 78, "itchiness": 4, "sleeplessness": 6}}
    assert errors_of(body()) == []


@pytest.mark.parametrize("changes, loc, kind, shown", [
    ({"bodySite": "arm_left"}, ["body", "bodySite"], "literal_error", "arm_left"),
    ({"bodySite": "armLeft"}, ["body", "bodySite"], "literal_error", "armLeft"),
    ({"scoringSystems": ["ascorad"], "questionnaireResponse": []}, ["body", "scoringSystems", 0], "literal_error",
     "ascorad"),
    ({"scoringSystems": []}, ["body", "scoringSystems"], "too_short", None),
    ({"knownCondition": None}, ["body", "knownCondition"], "model_type", None),
    ({"bodySite": "ARM_LEFT", "scoringSystems": ["asaltLocal"], "questionnaireResponse": []}, ["body", "bodySite"],
     "value_error", "ARM_LEFT"),
])
def test_each_broken_rule_is_refused_at_its_v1_place_in_v1s_words(changes, loc, kind, shown):
    errors = [error for error in errors_of(body(**changes)) if error["loc"] == loc]
    assert errors, errors_of(body(**changes))
    assert errors[0]["type"] == kind.replace("model_type", "dict_type")
    if shown is not None:
        assert errors[0]["input"] == shown
    assert "\x00" not in repr(errors)


def test_rule_messages_name_v1s_codes():
    (error,) = [e for e in errors_of(body(scoringSystems=["asaltLocal"], questionnaireResponse=[]))
                if e["type"] == "value_error"]
    assert ("asaltLocal needs a scalp body site (HEAD_TOP, HEAD_BACK, HEAD_LEFT, HEAD_RIGHT), not ARM_LEFT"
            in error["msg"])
    (unknown,) = errors_of(body(scoringSystems=["pasi"], questionnaireResponse=[]))
    assert "'apasiLocal', 'ascoradLocal', 'asaltLocal', 'auasLocal' or 'aihs4Local'" in unknown["msg"]


def test_appendix_b_422_cases():
    without_answers = errors_of(body(questionnaireResponse=[]))
    assert [(e["type"], e["loc"], "input" in e) for e in without_answers] == \
        [("value_error", ["body", "questionnaireResponse"], False)]
    assert "ascoradLocal" in without_answers[0]["msg"]
    renamed = [{**ANSWERS[0], "item": [{"code": "surfaces", "answer": [{"value": 78}]}, *ANSWERS[0]["item"][1:]]}]
    assert sorted(e["type"] for e in errors_of(body(questionnaireResponse=renamed))) == ["extra_forbidden", "missing"]
    high = [{"questionnaire": "apasiLocal", "item": [{"code": "surface", "answer": [{"value": 7}]}]}]
    (error,) = errors_of(body(scoringSystems=["apasiLocal"], questionnaireResponse=high))
    assert (error["type"], error["loc"][-5:]) == ("less_than_equal", ["item", 0, "answer", 0, "value"])
    assert errors_of({k: v for k, v in body().items() if k != "media"})[0]["loc"] == ["body", "media"]


def test_keys_are_camel_case_only():
    snake = {("known_condition" if k == "knownCondition" else k): v for k, v in body().items()}
    types = {(e["type"], tuple(e["loc"])) for e in errors_of(snake)}
    assert ("extra_forbidden", ("body", "known_condition")) in types


def _results():
    image = decode_media("image/jpeg", JPEG_TEXT)
    parsed = v1_shape.read_severity(body(subject={"reference": "p-1"}))
    return SERVICE.diagnose([image, image], 0.0), SERVICE.assess_severity(image, parsed.request, 0.0), parsed


def test_the_device_reports_match_the_v1_schema_and_read_back_through_the_dialect():
    diagnosis, severity, parsed = _results()
    v1 = dialect_named("v1")
    diagnosis_body = v1_shape.diagnosis_report(diagnosis, "p-1")
    severity_body = v1_shape.severity_report(severity, parsed)
    assert validate_device_schema(diagnosis_body, "diagnosis", v1.report_schema).ok
    assert validate_device_schema(severity_body, "severity", v1.report_schema).ok
    assert isinstance(diagnosis_body["analysisDuration"], str) and diagnosis_body["analysisDuration"].endswith(" secs")
    report = v1.read_diagnosis(reply_from("https://d/diagnosis-support", diagnosis_body))
    assert len(report.images) == 2 and report.conditions[0].code == diagnosis.diagnosis.aggregate[0].code
    read = v1.read_severity(reply_from("https://d/severity-assessment", severity_body))
    assert list(severity_body["patientEvolution"]) == ["ascoradLocal"]
    assert read.systems["ascorad"].echoed_answers == {"surface": 78, "itchiness": 4, "sleeplessness": 6}
    assert read.systems["ascorad"].contribution == severity.scores[0].global_score_contribution


def test_the_schema_refuses_a_numeric_duration_and_names_v1s_elements():
    diagnosis, _, _ = _results()
    broken = {**v1_shape.diagnosis_report(diagnosis, None), "analysisDuration": 2.3}
    assert not validate_device_schema(broken, "diagnosis", "diagnostic_report_v1.schema.json").ok
    assert {"conclusions", "imagingStudySeries", "clinicalIndicators", "performanceIndicators",
            "patientEvolution", "analysisDuration"} <= device_elements("diagnostic_report_v1.schema.json")


def test_duration_text():
    assert (v1_shape.duration_text(2.3), v1_shape.duration_text(0.0)) == ("2.3 secs", "0.01 secs")


def test_the_request_models_document_v1s_codes():
    schema = v1_shape.SeverityBody.model_json_schema()
    assert Draft202012Validator.check_schema(schema) is None
    text = repr(schema)
    assert "'ARM_LEFT'" in text and "'apasiLocal'" in text and "'arm_left'" not in text
