"""The v1 dialect (CONTRACT.md Appendix B): bodies from intents, replies into intents, and where errors point."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lhv.contract.dialect_names import DIALECT_NAMES
from lhv.contract.dialects import DIALECTS, dialect_named
from lhv.contract.dialects.v1 import V1Dialect
from lhv.contract.intents import RequestField
from lhv.contract.spelling import code_of_v1, site_of_v1, system_of_v1, v1_code, v1_site, v1_system, v1_text
from lhv.core.errors import CheckFailed
from tests.dialect_samples import IMAGE, SEED_1, reply_from

V1 = dialect_named("v1")
PLAN = dialect_named("plan")
CODING = {"code": "EA80", "display": "Atopic dermatitis", "system": "http://id.who.int/icd/release/11/mms",
          "systemAlias": "ICD-11"}
CONCLUSIONS = [{"probability": 90.0, "coding": CODING},
               {"probability": 10.0, "coding": {**CODING, "code": "EA90", "display": "Psoriasis"}}]
MEDIA = {"modality": "clinical", "validity": {"isValid": True, "metrics": {
    "quality": {"isValid": True, "score": 88, "category": "good"},
    "domain": {"isValid": True, "score": 100, "category": "dermatological"}}}}
INDICATORS = {"clinicalIndicators": {"hasCondition": 90.0, "pigmentedLesion": 0.0, "malignancy": 0.0,
                                     "urgentReferral": 0.0, "highPriorityReferral": 0.0},
              "performanceIndicators": {"sensitivity": 90.0, "specificity": 100.0, "entropy": 0.2}}


def diagnosis_reply(**changes) -> dict:
    return {"resourceType": "DiagnosticReport", "conclusions": CONCLUSIONS,
            "imagingStudySeries": [{"conclusions": CONCLUSIONS, "media": MEDIA}], **INDICATORS,
            "analysisDuration": "2.3 secs"} | changes


def severity_reply(**changes) -> dict:
    apasi = {"score": {"value": 1.6, "interpretation": {"category": "Mild", "intensity": 1}},
             "items": [{"coding": {"code": "surface"}, "value": 4}, {"coding": {"code": "erythema"}, "value": 1}],
             "additionalData": [{"coding": {"code": "globalScoreContribution"}, "value": 1.6}]}
    return {"resourceType": "DiagnosticReport", "conclusions": CONCLUSIONS, "media": MEDIA,
            "patientEvolution": {"apasiLocal": apasi}, "analysisDuration": "0.41 secs"} | changes


def test_v1_is_a_dialect_name_and_shares_the_plan_dialects_routes():
    assert "v1" in DIALECT_NAMES and DIALECTS["v1"] is V1Dialect and isinstance(V1, V1Dialect)
    assert V1.routes == PLAN.routes and V1.report_schema == "diagnostic_report_v1.schema.json"


def test_spellings_translate_both_ways():
    assert (v1_site("arm_left"), site_of_v1("ARM_LEFT"), site_of_v1("arm_left")) == ("ARM_LEFT", "arm_left", None)
    assert site_of_v1("arm_left", also=("snake_case",)) == "arm_left"
    assert (v1_system("aihs4"), system_of_v1("aihs4Local"), system_of_v1("apasi")) == ("aihs4Local", "aihs4", None)
    assert [v1_code(code) for code in ("head_top", "ascorad", "surface")] == ["HEAD_TOP", "ascoradLocal", "surface"]
    assert [code_of_v1(code) for code in ("HEAD_TOP", "ascoradLocal", "surface")] == ["head_top", "ascorad", "surface"]
    assert v1_text("asalt needs a scalp body site (head_top), not arm_left") == \
        "asaltLocal needs a scalp body site (HEAD_TOP), not ARM_LEFT"


def test_severity_body_is_the_appendix_b_shape():
    body = V1.severity_body(SEED_1)
    assert list(body) == ["subject", "media", "knownCondition", "bodySite", "scoringSystems", "questionnaireResponse"]
    assert body["media"] == {"contentType": "image/jpeg", "data": IMAGE.data}
    assert body["knownCondition"] == {"conclusion": {"display": "Atopic dermatitis", "code": "EA80",
                                                     "systemAlias": "ICD-11"}}
    assert body["bodySite"] == "ARM_LEFT" and body["scoringSystems"] == ["apasiLocal", "ascoradLocal"]
    assert body["questionnaireResponse"][0] == {"questionnaire": "apasiLocal",
                                                "item": [{"code": "surface", "answer": [{"value": 4}]}]}


def test_a_severity_body_reads_back_into_the_same_request():
    assert V1.severity_request_of(V1.severity_body(SEED_1)) == replace(SEED_1, image=replace(
        SEED_1.image, source="request body"))


def test_diagnosis_body_lists_media():
    assert V1.diagnosis_body([IMAGE, IMAGE], "p-1") == {
        "subject": {"reference": "p-1"}, "media": [{"contentType": "image/jpeg", "data": IMAGE.data}] * 2}


@pytest.mark.parametrize("field, loc", [
    (RequestField("body_site"), ("body", "bodySite")),
    (RequestField("condition"), ("body", "knownCondition")),
    (RequestField("systems"), ("body", "scoringSystems")),
    (RequestField("answers", system="ascorad"), ("body", "questionnaireResponse", 1)),
    (RequestField("answer", system="ascorad", item="itchiness"), ("body", "questionnaireResponse", 1, "item", 1)),
    (RequestField("image_data"), ("body", "media", "data")),
])
def test_field_locations_are_v1s_camel_case_places(field, loc):
    assert V1.field_loc("assess_severity", field, SEED_1) == loc


def test_open_ways_are_v1s_own_camel_case_only():
    assert V1.open_ways == ("camel-case-keys", "snake-case-body-site")
    assert V1.open_way_body(SEED_1, "camel-case-keys") == V1.severity_body(SEED_1)
    assert "camelCase only" in V1.open_way_absent("snake-case-keys")
    with pytest.raises(ValueError, match="v1 dialect cannot write"):
        V1.open_way_body(SEED_1, "coding-null")


def test_a_diagnosis_reply_is_read_from_conclusions_and_imaging_study_series():
    report = V1.read_diagnosis(reply_from("https://device/diagnosis-support", diagnosis_reply()))
    assert [(c.code, c.probability) for c in report.conditions] == [("EA80", 90.0), ("EA90", 10.0)]
    (image,) = report.images
    assert (image.valid, image.quality, image.dermatological) == (True, 88, True)
    assert image.conditions[0].display == "Atopic dermatitis"


@pytest.mark.parametrize("changes, words", [
    ({"analysisDuration": 2.3}, "$.analysisDuration is the number 2.3, not a string"),
    ({"analysisDuration": "2.3 seconds"}, "not a duration such as"),
    ({"conclusions": None}, "$.conclusions is missing"),
    ({"clinicalIndicators": {}}, "$.clinicalIndicators.malignancy is missing"),
    ({"imagingStudySeries": [{"conclusions": CONCLUSIONS, "media": {"modality": "clinical"}}]},
     "$.imagingStudySeries[0].media.validity is missing"),
])
def test_a_diagnosis_reply_lacking_the_v1_shape_fails_naming_what(changes, words):
    with pytest.raises(CheckFailed, match="diagnosis-reply-shape") as failure:
        V1.read_diagnosis(reply_from("https://device/diagnosis-support", diagnosis_reply(**changes)))
    assert words in str(failure.value)


def test_a_severity_reply_is_read_from_the_v1_keyed_patient_evolution():
    report = V1.read_severity(reply_from("https://device/severity-assessment", severity_reply()))
    score = report.systems["apasi"]
    assert (score.score, score.category, score.intensity, score.contribution) == (1.6, "Mild", 1, 1.6)
    assert score.items == {"surface": 4, "erythema": 1} and score.echoed_answers == {"surface": 4}
    assert report.conditions[0].code == "EA80" and report.images[0].conditions == report.conditions


@pytest.mark.parametrize("changes, words", [
    ({"patientEvolution": {"apasi": {}}}, "'apasi' is no automatic system's v1 code"),
    ({"patientEvolution": {"apasiLocal": {"score": {"value": 1}, "items": []}}},
     "$.patientEvolution.apasiLocal.score.interpretation is missing"),
    ({"media": None}, "$.media is missing"),
    ({"analysisDuration": 0.4}, "$.analysisDuration is the number 0.4, not a string"),
])
def test_a_severity_reply_lacking_the_v1_shape_fails_naming_what(changes, words):
    with pytest.raises(CheckFailed, match="severity-reply-shape") as failure:
        V1.read_severity(reply_from("https://device/severity-assessment", severity_reply(**changes)))
    assert words in str(failure.value)
