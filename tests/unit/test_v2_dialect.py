"""The v2 dialect (CONTRACT.md Appendix): bodies from intents, replies into intents, and where errors point."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lhv.contract.dialects import DIALECTS, dialect_named
from lhv.contract.dialects.v2 import V2Dialect
from lhv.contract.intents import Image, RequestField, SeverityRequest
from lhv.contract.payloads import IMAGES_DIR, find
from lhv.contract.tables import ICD11_SYSTEM, SCORING_SYSTEM_BY_CODE
from lhv.core.errors import CheckFailed
from lhv.core.http import Reply
from tests.dialect_samples import IMAGE, SEED_1, reply_from, report_with_evolution

V2 = dialect_named("v2")
PLAN = dialect_named("plan")


def reply(body, status=200) -> Reply:
    return reply_from("https://device/severity-assessment/automatic/local", body, status)


def severity_reply(**evolution_changes):
    apasi = {"display": "APASI", "score": {"value": 1.6, "interpretation": {"category": "Mild", "intensity": 1}},
             "item": {"surface": {"value": 4, "source": "questionnaire"}, "erythema": {"value": 1},
                      "induration": 1, "desquamation": {"value": 0}},
             "additionalData": {"globalScoreContribution": 1.6}}
    evolution = {code: None for code in SCORING_SYSTEM_BY_CODE} | {"apasi": apasi} | evolution_changes
    return report_with_evolution(evolution)


def test_a_profile_naming_v2_gets_the_v2_dialect():
    assert DIALECTS["v2"] is V2Dialect and isinstance(V2, V2Dialect)
    assert V2.route("assess_severity").path == "/severity-assessment/automatic/local"
    assert V2.route("diagnose").path == "/diagnosis-support"
    assert V2.route("login") == PLAN.route("login")


def test_severity_body_is_the_appendix_shape():
    request = SeverityRequest(IMAGE, "EA90", "Psoriasis", "arm_left", ("apasi",), {"apasi": {"surface": 4}},
                              subject=None)
    assert V2.severity_body(request) == {
        "payload": {"contentAttachment": {"contentType": "image/jpeg", "data": IMAGE.data}},
        "knownCondition": {"conclusion": {"coding": [{"system": ICD11_SYSTEM, "systemDisplay": "ICD-11",
                                                      "code": "EA90", "display": "Psoriasis"}],
                                          "text": "Psoriasis"}},
        "bodySite": "armLeft",
        "scoringSystem": {"apasi": {"questionnaireResponse": {"item": {"surface": 4}}}},
    }


def test_items_are_renamed_and_systems_without_answers_listed_empty():
    request = SeverityRequest(IMAGE, "EB00", None, "head_top", ("auas", "asalt"), {"auas": {"itchiness": 2}})
    body = V2.severity_body(request)
    assert body["scoringSystem"] == {"auas": {"questionnaireResponse": {"item": {"pruritus": 2}}}, "asalt": {}}
    assert body["bodySite"] == "headTop"
    assert body["knownCondition"] == {"conclusion": {"coding": [{"system": ICD11_SYSTEM, "systemDisplay": "ICD-11",
                                                                 "code": "EB00"}]}}


def test_the_seed_request_is_the_converted_seed_payload_and_reads_back():
    body = V2.severity_body(SEED_1)
    assert body == find("plan-017-payload-1", "v2").resolved()
    assert V2.severity_request_of(body) == replace(SEED_1, image=IMAGE.altered(source="request body"))


def test_answers_for_a_system_not_requested_cannot_be_written():
    unlisted = SeverityRequest(IMAGE, "EB00", None, None, ("auas",), {"auas": {"itchiness": 1},
                                                                      "apasi": {"surface": 2}})
    assert not V2.expresses(unlisted) and PLAN.expresses(unlisted)
    with pytest.raises(ValueError, match="scoringSystem"):
        V2.severity_body(unlisted)


def test_diagnosis_body_wraps_each_image_in_a_content_attachment():
    png = Image.from_file(IMAGES_DIR / "psoriasis.png")
    body = V2.diagnosis_body([IMAGE, png], "someone")
    assert body["subject"] == {"reference": "someone"}
    assert [entry["contentAttachment"]["contentType"] for entry in body["payload"]] == ["image/jpeg", "image/png"]


@pytest.mark.parametrize(("operation", "field", "loc"), [
    ("diagnose", RequestField("image_data", image=0), ("body", "payload", 0, "contentAttachment", "data")),
    ("diagnose", "images", ("body", "payload")),
    ("assess_severity", RequestField("image_data"), ("body", "payload", "contentAttachment", "data")),
    ("assess_severity", RequestField("image_type"), ("body", "payload", "contentAttachment", "contentType")),
    ("assess_severity", "body_site", ("body", "bodySite")),
    ("assess_severity", "condition", ("body", "knownCondition")),
    ("assess_severity", "systems", ("body", "scoringSystem")),
    ("assess_severity", RequestField("answers", system="apasi"), ("body", "scoringSystem", "apasi",
                                                                  "questionnaireResponse")),
    ("assess_severity", RequestField("answer", system="auas", item="itchiness"),
     ("body", "scoringSystem", "auas", "questionnaireResponse", "item", "pruritus")),
])
def test_field_locations_follow_the_appendix(operation, field, loc):
    assert V2.field_loc(operation, field, SEED_1) == loc


def test_without_field_drops_the_v2_key():
    body = V2.severity_body(SEED_1)
    assert "bodySite" not in V2.without_field(body, "assess_severity", "body_site")
    bare = V2.without_field(body, "assess_severity", "answers")
    assert bare["scoringSystem"] == {"apasi": {}, "ascorad": {}} and "questionnaireResponse" in \
        body["scoringSystem"]["apasi"]


def test_severity_reply_is_read_from_the_keyed_patient_evolution():
    report = V2.read_severity(reply(severity_reply(auas={
        "display": "AUAS", "score": {"value": 3, "interpretation": {"category": "Moderate", "intensity": 2}},
        "item": {"pruritus": {"value": 1}, "wheals": {"value": 2}}})))
    assert list(report.systems) == ["apasi", "auas"]
    assert report.systems["apasi"].items == {"surface": 4, "erythema": 1, "induration": 1, "desquamation": 0}
    assert report.systems["auas"].items == {"itchiness": 1, "hive": 2}
    assert report.systems["auas"].echoed_answers == {"itchiness": 1}
    assert report.systems["apasi"].contribution == 1.6


@pytest.mark.parametrize(("body", "words"), [
    ({**severity_reply(), "patientEvolution": [{"code": "apasi"}]}, "not an object"),
    (severity_reply() | {"patientEvolution": {"apasi": severity_reply()["patientEvolution"]["apasi"]}},
     "no key for ascorad, asalt, auas, aihs4"),
    (severity_reply(auas={"score": {"value": 1, "interpretation": {"category": "Mild"}}, "item": {"itchiness": 1}}),
     "'itchiness' is the plan dialect's name"),
    (severity_reply(asalt="severe"), "$.patientEvolution.asalt is neither an object nor null"),
])
def test_a_severity_reply_lacking_the_v2_shape_fails_naming_what(body, words):
    with pytest.raises(CheckFailed, match="severity-reply-shape") as failed:
        V2.read_severity(reply(body))
    assert words in str(failed.value)


def test_errors_point_at_v2_locations():
    refused = reply({"detail": [{"type": "missing", "loc": ["body", "bodySite"], "msg": "Field required"}]}, 422)
    assert V2.error_points_at(refused, "assess_severity", "body_site", SEED_1)
    assert not PLAN.error_points_at(reply({"detail": [{"type": "x", "loc": ["body", "payload", 0]}]}, 422),
                                    "diagnose", "images")
