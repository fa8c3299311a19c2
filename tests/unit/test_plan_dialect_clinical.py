"""The plan dialect's clinical side: bodies from intents, replies into intents, and where errors point."""

from __future__ import annotations

import pytest

from lhv.contract.dialects import dialect_named
from lhv.contract.intents import Image, RequestField, SeverityRequest
from lhv.contract.payloads import IMAGES_DIR, find
from lhv.core.errors import CheckFailed
from lhv.core.http import Reply
from tests.dialect_samples import IMAGE, RANKING, SEED_1, reply_from, report_with_evolution

PLAN = dialect_named("plan")


def reply(body, status=200) -> Reply:
    return reply_from("https://device/severity-assessment", body, status)


def severity_reply(**entry_changes):
    entry = {"code": "apasi", "display": "APASI",
             "score": {"value": 1.6, "interpretation": {"category": "Mild", "intensity": 1}},
             "item": [{"code": "surface", "value": 4, "source": "questionnaire"}, {"code": "erythema", "value": 1},
                      {"code": "induration", "value": 1}, {"code": "desquamation", "value": 0}],
             "additionalData": {"globalScoreContribution": 1.6}} | entry_changes
    return report_with_evolution([entry])


def test_severity_body_of_the_seed_request_is_the_seed_payload():
    assert PLAN.severity_body(SEED_1) == find("plan-017-payload-1", "plan").resolved()


def test_fields_left_none_are_left_out():
    bare = SeverityRequest(IMAGE, None, None, None, ("auas",), {}, subject=None)
    assert set(PLAN.severity_body(bare)) == {"media", "scoring_systems"}


def test_diagnosis_body_keeps_image_order():
    png = Image.from_file(IMAGES_DIR / "psoriasis.png")
    body = PLAN.diagnosis_body([IMAGE, png], "someone")
    assert body["subject"] == {"reference": "someone"}
    assert [m["contentType"] for m in body["media"]] == ["image/jpeg", "image/png"]
    assert "subject" not in PLAN.diagnosis_body([IMAGE], None)


@pytest.mark.parametrize("camel", [False, True])
def test_a_body_reads_back_into_its_request(camel):
    body = PLAN.severity_body(SEED_1)
    if camel:
        body = {"knownCondition" if k == "known_condition" else "bodySite" if k == "body_site" else
                "scoringSystems" if k == "scoring_systems" else "questionnaireResponse" if k == "questionnaire_response"
                else k: v for k, v in body.items()}
    request = PLAN.severity_request_of(body)
    assert (request.condition_code, request.body_site, request.systems) == ("EA80", "arm_left", ("apasi", "ascorad"))
    assert request.answers == SEED_1.answers and request.image.data == IMAGE.data


def test_read_severity_gives_scores_items_and_echoed_answers():
    report = PLAN.read_severity(reply(severity_reply()))
    apasi = report.systems["apasi"]
    assert (apasi.score, apasi.category, apasi.intensity, apasi.contribution) == (1.6, "Mild", 1, 1.6)
    assert apasi.items == {"surface": 4, "erythema": 1, "induration": 1, "desquamation": 0}
    assert apasi.echoed_answers == {"surface": 4}
    assert len(report.images) == 1 and report.images[0].conditions[0].code == "EA80"


def test_read_severity_names_every_missing_element_by_path():
    body = severity_reply(score={"interpretation": {"category": "Mild"}}, item=[{"code": "surface"}])
    with pytest.raises(CheckFailed) as caught:
        PLAN.read_severity(reply(body))
    message = str(caught.value)
    assert "severity-reply-shape" in message
    assert "$.patientEvolution[0].score.value is missing" in message
    assert "$.patientEvolution[0].item[0].value is missing" in message


def test_read_diagnosis_reads_rankings_and_image_analyses():
    report = PLAN.read_diagnosis(reply({"diagnosis": RANKING, "imagingAnalysis": [
        {"diagnosis": RANKING, "mediaValidity": {"isValid": False, "score": 12, "isDermatological": False}}]}))
    assert [c.code for c in report.conditions] == ["EA80", "EA90"]
    assert report.images[0].valid is False and report.images[0].quality == 12
    with pytest.raises(CheckFailed, match=r"\$.imagingAnalysis is missing"):
        PLAN.read_diagnosis(reply({"diagnosis": RANKING}))
    with pytest.raises(CheckFailed, match=r"\$ is a list"):
        PLAN.read_diagnosis(reply([]))


@pytest.mark.parametrize(("operation", "field", "loc"), [
    ("assess_severity", "body_site", ("body", "bodySite")),
    ("assess_severity", "image_data", ("body", "media", "data")),
    ("diagnose", RequestField("image_data", image=2), ("body", "media", 2, "data")),
    ("diagnose", RequestField("image_type", image=0), ("body", "media", 0, "contentType")),
    ("diagnose", "images", ("body", "media")),
    ("assess_severity", "condition", ("body", "knownCondition")),
    ("assess_severity", "systems", ("body", "scoringSystems")),
    ("assess_severity", RequestField("answers", system="ascorad"), ("body", "questionnaireResponse", 1)),
    ("assess_severity", RequestField("answers", system="auas"), ("body", "questionnaireResponse")),
    ("assess_severity", RequestField("answer", system="ascorad", item="itchiness"),
     ("body", "questionnaireResponse", 1, "item", 1)),
])
def test_field_locations_follow_the_body_the_dialect_builds(operation, field, loc):
    assert PLAN.field_loc(operation, field, SEED_1) == loc


def test_an_error_points_at_a_field_when_its_loc_lies_below_it():
    refused = reply({"detail": [{"type": "less_than_equal",
                                 "loc": ["body", "questionnaireResponse", 1, "item", 1, "answer", 0, "value"],
                                 "msg": "Input should be less than or equal to 10"}]}, 422)
    itch = RequestField("answer", system="ascorad", item="itchiness")
    assert PLAN.error_points_at(refused, "assess_severity", itch, SEED_1)
    assert not PLAN.error_points_at(refused, "assess_severity", RequestField("answer", system="ascorad",
                                                                            item="surface"), SEED_1)
    assert not PLAN.error_points_at(refused, "assess_severity", "body_site", SEED_1)
    assert PLAN.validation_errors(reply({"detail": "not a list"}, 422)) == []


def test_without_field_drops_either_spelling():
    body = PLAN.severity_body(SEED_1)
    assert "body_site" not in PLAN.without_field(body, "assess_severity", "body_site")
    camel = {**{k: v for k, v in body.items() if k != "body_site"}, "bodySite": "arm_left"}
    assert "bodySite" not in PLAN.without_field(camel, "assess_severity", "body_site")
    with pytest.raises(ValueError):
        PLAN.without_field(body, "assess_severity", "answer")


def test_unknown_request_fields_are_refused():
    with pytest.raises(ValueError, match="unknown request field"):
        RequestField("bodySite")
