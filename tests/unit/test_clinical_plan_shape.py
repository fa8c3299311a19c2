"""The plan dialect's clinical shapes and the service's fault hooks, as pure logic."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from lhv.contract.tables import BODY_SITES, SALT_WEIGHTS, SCORING_SYSTEMS
from lhv.device.clinical import plan_openapi
from lhv.device.clinical.plan_shape import read_severity
from lhv.device.clinical.scoring import zone_factor
from lhv.device.clinical.service import _wrong_zone_factor
from lhv.device.clinical.shape_common import RequestInvalid, elide, parse_json

JPEG_TEXT = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAQDAwMDAgQDAwMEBAQFBg=="
MINIMAL = {"media": {"contentType": "image/jpeg", "data": JPEG_TEXT}, "scoring_systems": ["aihs4"]}


def test_image_data_is_echoed_as_the_seed_shows_it():
    assert elide({"media": {"data": JPEG_TEXT}}) == {"media": {"data": "/9j/4AAQSkZJRgABAQAAAQABAAD/2wB..."}}


def test_short_data_and_ordinary_strings_are_echoed_whole():
    assert elide({"data": "QUJD", "subject": {"reference": "x" * 200}}) == {"data": "QUJD",
                                                                            "subject": {"reference": "x" * 200}}
    assert elide(["y" * 300])[0] == "y" * 31 + "..."


@pytest.mark.parametrize(("raw", "kind"), [
    (b"", "missing"), (b"   ", "missing"), (b"{", "json_invalid"), (b'{"a": NaN}', "json_invalid"),
    (b'{"a": -Infinity}', "json_invalid"), (b'{"a": 1e400}', "json_invalid"), (b"[" * 40 + b"]" * 40, "json_invalid"),
    (b'"\\udc00"', "json_invalid"), (b"\x80", "json_invalid"),
])
def test_bodies_that_cannot_be_read_or_echoed_are_refused(raw, kind):
    with pytest.raises(RequestInvalid) as caught:
        parse_json(raw)
    assert caught.value.errors[0]["type"] == kind


def test_error_locations_are_camel_case_whatever_the_spelling_sent():
    with pytest.raises(RequestInvalid) as caught:
        read_severity({**MINIMAL, "known_condition": {"conclusion": {"code": 1}}, "body_site": 2})
    assert sorted(e["loc"] for e in caught.value.errors) == [["body", "bodySite"],
                                                            ["body", "knownCondition", "conclusion", "code"]]


def test_repeated_questionnaires_items_and_systems_are_refused():
    answer = {"code": "itchiness", "answer": [{"value": 1}]}
    body = {**MINIMAL, "scoring_systems": ["auas", "auas"],
            "questionnaire_response": [{"questionnaire": "auas", "item": [answer, answer]},
                                       {"questionnaire": "auas", "item": [answer]}]}
    with pytest.raises(RequestInvalid) as caught:
        read_severity(body)
    assert [e["loc"] for e in caught.value.errors] == [
        ["body", "questionnaireResponse", 0, "item", 1, "code"], ["body", "questionnaireResponse", 1, "questionnaire"],
        ["body", "scoringSystems", 1]]


def test_the_lenient_fault_mode_drops_unknown_keys_and_reads_numbers_from_text():
    body = {**MINIMAL, "scoring_systems": ["auas"], "colour": "red",
            "questionnaire_response": [{"questionnaire": "auas", "item": [{"code": "itchiness",
                                                                           "answer": [{"value": "2"}]}]}]}
    with pytest.raises(RequestInvalid):
        read_severity(body)
    assert read_severity(body, lenient=True).request.answers == {"auas": {"itchiness": 2.0}}


@pytest.mark.parametrize("body", [
    {**MINIMAL, "known_condition": {"conclusion": {"code": "EA90"}}},
    {"media": {"contentType": "image/png", "data": "QUJD"}, "scoringSystems": ["apasi"], "bodySite": "arm_left",
     "knownCondition": {"conclusion": {"code": "EA90"}}},
])
def test_the_openapi_request_schema_takes_either_spelling(body):
    schema = plan_openapi.severity_operation()["openapi_extra"]["requestBody"]["content"]["application/json"]["schema"]
    Draft202012Validator(schema).validate(body)


@pytest.mark.parametrize("body", [
    {**MINIMAL, "scoringSystems": ["aihs4"]},  # both spellings
    {"media": MINIMAL["media"]},  # no systems in either spelling
    {**MINIMAL, "extra": 1},
    {**MINIMAL, "body_site": "moon"},
    MINIMAL,  # no known condition (CONTRACT.md §7: required; the device says so with its rule's `missing`)
])
def test_the_openapi_request_schema_refuses_what_the_device_refuses(body):
    schema = plan_openapi.severity_operation()["openapi_extra"]["requestBody"]["content"]["application/json"]["schema"]
    assert not Draft202012Validator(schema).is_valid(body)


@pytest.mark.parametrize("system", [s.code for s in SCORING_SYSTEMS if s.needs_zone])
def test_the_wrong_zone_factor_fault_is_wrong_on_every_site(system):
    sites = SALT_WEIGHTS if system == "asalt" else [site.code for site in BODY_SITES]
    for site in sites:
        assert _wrong_zone_factor(system, site) != float(zone_factor(system, site)), site
