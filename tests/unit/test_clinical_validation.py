"""Rules of a severity-assessment request (CONTRACT.md §7), against the seed's PLAN_017 payloads."""

from __future__ import annotations

import copy

import pytest

from lhv.device.clinical.validation import SeverityRequest, plan_loc_for, validate_severity_request

IMAGE = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wB..."
SEED_PAYLOAD_1 = {
    "subject": {"reference": "fake-patient-id"},
    "media": {"contentType": "image/jpeg", "data": IMAGE},
    "known_condition": {"conclusion": {"code": "EA80", "display": "Atopic dermatitis", "system_alias": "ICD-11"}},
    "body_site": "arm_left",
    "scoring_systems": ["apasi", "ascorad"],
    "questionnaire_response": [
        {"questionnaire": "apasi", "item": [{"code": "surface", "answer": [{"value": 4}]}]},
        {"questionnaire": "ascorad", "item": [
            {"code": "surface", "answer": [{"value": 78}]},
            {"code": "itchiness", "answer": [{"value": 4}]},
            {"code": "sleeplessness", "answer": [{"value": 6}]},
        ]},
    ],
}
SEED_PAYLOAD_2 = {
    "subject": {"reference": "fake-patient-id"},
    "media": {"contentType": "image/jpeg", "data": IMAGE},
    "known_condition": {"conclusion": {"code": "ED70", "display": "Alopecia", "system_alias": "ICD-11"}},
    "body_site": "head_right",
    "scoring_systems": ["asalt"],
}


def domain(body: dict) -> SeverityRequest:
    """The neutral form of a plan-dialect body, as the device's parser builds it."""
    answers = {q["questionnaire"]: {item["code"]: item["answer"][0]["value"] for item in q["item"]}
               for q in body.get("questionnaire_response", [])}
    condition = body.get("known_condition", {}).get("conclusion", {}).get("code")
    return SeverityRequest(condition, body.get("body_site"), tuple(body["scoring_systems"]), answers)


def errors_of(body: dict, **options) -> list[dict]:
    return validate_severity_request(domain(body), body, **options)


def without(body: dict, key: str) -> dict:
    return {name: copy.deepcopy(value) for name, value in body.items() if name != key}


def edited(body: dict, **changes) -> dict:
    return {**copy.deepcopy(body), **changes}


@pytest.mark.parametrize("body", [SEED_PAYLOAD_1, SEED_PAYLOAD_2], ids=["payload-1", "payload-2"])
def test_seed_payloads_are_valid(body):
    assert errors_of(body) == []


def test_payload_1_without_body_site_gets_exactly_the_seeds_error():
    body = without(SEED_PAYLOAD_1, "body_site")
    assert errors_of(body) == [{"type": "missing", "loc": ["body", "bodySite"], "msg": "Field required",
                                "input": body}]


def test_the_missing_body_site_error_carries_the_body_as_received():
    body = without(SEED_PAYLOAD_1, "body_site")
    assert errors_of(body)[0]["input"] == {
        "subject": {"reference": "fake-patient-id"},
        "media": {"contentType": "image/jpeg", "data": IMAGE},
        "known_condition": {"conclusion": {"code": "EA80", "display": "Atopic dermatitis", "system_alias": "ICD-11"}},
        "scoring_systems": ["apasi", "ascorad"],
        "questionnaire_response": SEED_PAYLOAD_1["questionnaire_response"],
    }


def test_payload_2_without_body_site_is_refused():
    body = without(SEED_PAYLOAD_2, "body_site")
    assert errors_of(body) == [{"type": "missing", "loc": ["body", "bodySite"], "msg": "Field required",
                                "input": body}]


def test_fault_hook_body_site_optional():
    assert errors_of(without(SEED_PAYLOAD_1, "body_site"), require_body_site=False) == []


def test_systems_without_a_zone_factor_need_no_body_site():
    body = {"known_condition": {"conclusion": {"code": "EB00"}}, "scoring_systems": ["auas", "aihs4"],
            "questionnaire_response": [{"questionnaire": "auas", "item": [{"code": "itchiness",
                                                                          "answer": [{"value": 2}]}]}]}
    assert errors_of(body) == []


def test_unknown_body_site():
    [error] = errors_of(edited(SEED_PAYLOAD_1, body_site="elbow"))
    assert (error["type"], error["loc"], error["input"]) == ("literal_error", ["body", "bodySite"], "elbow")
    assert "'arm_left'" in error["msg"] and "'lower_leg_right'" in error["msg"]


@pytest.mark.parametrize("site", ["arm_left", "scalp", "head_front"])
def test_asalt_outside_the_four_scalp_views_is_refused(site):
    [error] = errors_of(edited(SEED_PAYLOAD_2, body_site=site))
    assert (error["type"], error["loc"], error["input"]) == ("value_error", ["body", "bodySite"], site)
    assert error["msg"].startswith("Value error, asalt needs a scalp body site")


@pytest.mark.parametrize("site", ["head_top", "head_back", "head_left", "head_right"])
def test_asalt_on_a_scalp_view_is_accepted(site):
    assert errors_of(edited(SEED_PAYLOAD_2, body_site=site)) == []


def test_a_listed_system_needing_answers_without_its_questionnaire():
    body = edited(SEED_PAYLOAD_1, questionnaire_response=SEED_PAYLOAD_1["questionnaire_response"][1:])
    [error] = errors_of(body)
    assert (error["type"], error["loc"]) == ("value_error", ["body", "questionnaireResponse"])
    assert "apasi" in error["msg"]


def test_no_questionnaire_at_all():
    body = without(SEED_PAYLOAD_1, "questionnaire_response")
    assert [(e["type"], e["loc"]) for e in errors_of(body)] == [("value_error", ["body", "questionnaireResponse"])] * 2


def test_a_questionnaire_for_a_system_that_is_not_listed():
    body = edited(SEED_PAYLOAD_1, scoring_systems=["ascorad"])
    [error] = errors_of(body)
    assert (error["type"], error["loc"], error["input"]) == (
        "value_error", ["body", "questionnaireResponse", 0, "questionnaire"], "apasi")


def answer_error(value: float, questionnaire: int = 0, item: int = 0) -> dict:
    body = copy.deepcopy(SEED_PAYLOAD_1)
    body["questionnaire_response"][questionnaire]["item"][item]["answer"][0]["value"] = value
    [error] = errors_of(body)
    assert error["loc"] == ["body", "questionnaireResponse", questionnaire, "item", item, "answer", 0, "value"]
    return error


def test_an_answer_above_its_range():
    error = answer_error(7)
    assert (error["type"], error["msg"], error["input"], error["ctx"]) == (
        "less_than_equal", "Input should be less than or equal to 6", 7, {"le": 6})


def test_an_answer_below_its_range():
    error = answer_error(-1, questionnaire=1, item=2)
    assert (error["type"], error["msg"], error["input"], error["ctx"]) == (
        "greater_than_equal", "Input should be greater than or equal to 0", -1, {"ge": 0})


def test_percentages_may_have_decimals_but_area_scores_may_not():
    assert answer_error(100.5, questionnaire=1)["type"] == "less_than_equal"
    assert answer_error(2.5)["type"] == "int_from_float"
    body = copy.deepcopy(SEED_PAYLOAD_1)
    body["questionnaire_response"][1]["item"][0]["answer"][0]["value"] = 78.5
    assert errors_of(body) == []


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_answers_are_refused_without_echoing_them(value):
    error = answer_error(value)
    assert error["type"] == "finite_number"
    assert "input" not in error  # strict JSON cannot carry NaN or Infinity


def test_an_unknown_item_code():
    body = copy.deepcopy(SEED_PAYLOAD_1)
    body["questionnaire_response"][1]["item"].append({"code": "pruritus", "answer": [{"value": 3}]})
    [error] = errors_of(body)
    assert error == {"type": "extra_forbidden", "loc": ["body", "questionnaireResponse", 1, "item", 3, "code"],
                     "msg": "Extra inputs are not permitted", "input": "pruritus"}


def test_a_questionnaire_missing_one_of_its_answers():
    body = copy.deepcopy(SEED_PAYLOAD_1)
    del body["questionnaire_response"][1]["item"][1]
    [error] = errors_of(body)
    assert (error["type"], error["loc"]) == ("value_error", ["body", "questionnaireResponse", 1, "item"])
    assert "itchiness" in error["msg"]


def test_system_list_must_be_non_empty_and_known():
    [error] = errors_of(edited(SEED_PAYLOAD_2, scoring_systems=[]))
    assert (error["type"], error["loc"]) == ("too_short", ["body", "scoringSystems"])
    [error] = errors_of(edited(SEED_PAYLOAD_2, scoring_systems=["asalt", "pasi"]))
    assert (error["type"], error["loc"], error["input"]) == ("literal_error", ["body", "scoringSystems", 1], "pasi")


def test_known_condition_is_required():
    body = without(SEED_PAYLOAD_2, "known_condition")
    assert errors_of(body) == [{"type": "missing", "loc": ["body", "knownCondition"], "msg": "Field required",
                                "input": body}]


def test_every_broken_rule_is_reported():
    body = without(SEED_PAYLOAD_1, "body_site")
    body["scoring_systems"] = ["apasi", "ascorad", "asalt"]
    body["questionnaire_response"][0]["item"][0]["answer"][0]["value"] = 9
    assert [e["type"] for e in errors_of(body)] == ["missing", "less_than_equal"]


def test_another_dialect_reuses_the_rules_with_its_own_locations():
    seen = []

    def v2_loc(path):
        seen.append(path)
        if path[0] == "body_site":
            return ["body", "bodySite"]
        return ["body", "scoringSystem", *path[1:2], "questionnaireResponse", "item", *path[2:3]]

    request = SeverityRequest("EA80", "arm_left", ("apasi",), {"apasi": {"surface": 9}})
    [error] = validate_severity_request(request, {}, loc_for=v2_loc)
    assert error["loc"] == ["body", "scoringSystem", "apasi", "questionnaireResponse", "item", "surface"]
    assert seen == [("answers", "apasi", "surface", "value")]


def test_plan_locations_follow_the_order_answers_were_given():
    request = SeverityRequest("EA80", "arm_left", ("ascorad",),
                              {"ascorad": {"sleeplessness": 1, "itchiness": 2, "surface": 3}})
    where = plan_loc_for(request)
    assert where(("answers", "ascorad", "surface", "value")) == [
        "body", "questionnaireResponse", 0, "item", 2, "answer", 0, "value"]
    assert where(("answers", "ascorad", "surface")) == ["body", "questionnaireResponse", 0, "item", 2, "code"]
    assert where(("answers", "apasi")) == ["body", "questionnaireResponse"]
    assert where(("systems", "0")) == ["body", "scoringSystems", 0]
