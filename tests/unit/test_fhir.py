"""FHIR validation: the device schema and FHIR R4 each judge a report, name themselves, and name what is wrong."""

from __future__ import annotations

import copy

import pytest

from lhv.contract.fhir import (
    device_elements,
    device_schema_validator,
    fhir_validator,
    standard_elements,
    validate_device_schema,
    validate_fhir,
)

SCHEMA = "diagnostic_report.schema.json"
RANKING = [{"code": "EA80", "display": "Atopic dermatitis", "probability": 97.5},
           {"code": "ED92.0", "display": "Hidradenitis suppurativa", "probability": 2.5}]
SEVERITY_REPORT = {
    "resourceType": "DiagnosticReport",
    "id": "0b9c6d5e-8a1f-4f7e-9a55-0d2f2d1f4c11",
    "status": "preliminary",
    "code": {"coding": [{"system": "urn:example", "code": "severity-assessment"}], "text": "Severity assessment"},
    "subject": {"reference": "fake-patient-id"},
    "issued": "2026-11-22T08:00:19.106Z",
    "conclusionCode": [{"coding": [{"system": "http://id.who.int/icd/release/11/mms", "code": "EA80",
                                    "display": "Atopic dermatitis"}], "text": "Atopic dermatitis"}],
    "analysisDuration": 0.012,
    "diagnosis": RANKING,
    "imagingAnalysis": [{"diagnosis": RANKING, "mediaValidity": {"isValid": True, "score": 100,
                                                                 "isDermatological": True}}],
    "patientEvolution": [{"code": "apasi", "display": "APASI",
                          "score": {"value": 1.6, "interpretation": {"category": "Mild", "intensity": 1}},
                          "item": [{"code": "surface", "value": 4}, {"code": "erythema", "value": 1}],
                          "additionalData": {"globalScoreContribution": 1.6}}],
}
DEVICE_ONLY = device_elements(SCHEMA)


def _report(**changes):
    report = copy.deepcopy(SEVERITY_REPORT)
    for key, value in changes.items():
        if value is None:
            report.pop(key)
        else:
            report[key] = value
    return report


def test_the_device_elements_are_those_fhir_does_not_have():
    assert DEVICE_ONLY == {"analysisDuration", "diagnosis", "imagingAnalysis", "patientEvolution"}
    assert set(standard_elements(SEVERITY_REPORT, DEVICE_ONLY)) == {
        "resourceType", "id", "status", "code", "subject", "issued", "conclusionCode"}


def test_a_conformant_report_passes_both_and_each_validator_names_itself():
    own, fhir = validate_device_schema(SEVERITY_REPORT, "severity", SCHEMA), validate_fhir(SEVERITY_REPORT, DEVICE_ONLY)
    assert own.ok and fhir.ok
    assert own.validator.startswith("jsonschema ") and "2020-12" in own.validator and "sha256" in own.validator
    assert fhir.validator.startswith("fhir.resources ") and "R4B" in fhir.validator and "4.3.0" in fhir.validator
    assert own.validator == device_schema_validator(SCHEMA) and fhir.validator == fhir_validator()
    assert "valid" in fhir.summary() and "issued" in fhir.scope
    assert validate_device_schema(_report(patientEvolution=None), "diagnosis", SCHEMA).ok


@pytest.mark.parametrize(("change", "element"), [
    ({"status": "Preliminary"}, "status"),
    ({"issued": "2026-11-22T08:00:19.106"}, "issued"),
    ({"issued": "2026-11-22"}, "issued"),
    ({"resourceType": None}, "resourceType"),
    ({"code": None}, "code"),
    ({"id": "x" * 65}, "id"),
    ({"id": "not an id"}, "id"),
    ({"subject": "fake-patient-id"}, "subject"),
    ({"patientNotes": "extra"}, "patientNotes"),
])
def test_fhir_names_the_element_that_is_not_r4(change, element):
    judgement = validate_fhir(_report(**change), DEVICE_ONLY)
    assert not judgement.ok
    assert any(problem.startswith(element) for problem in judgement.problems), judgement.problems
    assert element in judgement.summary()


@pytest.mark.parametrize(("change", "path"), [
    ({"patientEvolution": None}, "$"),
    ({"diagnosis": [{"code": "EA80", "display": "x", "probability": 120}]}, "$.diagnosis[0].probability"),
    ({"analysisDuration": 0}, "$.analysisDuration"),
    ({"imagingAnalysis": [{"diagnosis": RANKING, "mediaValidity": {"isValid": "yes", "score": 1,
                                                                   "isDermatological": True}}]},
     "$.imagingAnalysis[0].mediaValidity.isValid"),
    ({"conclusionCode": [{"coding": [{"code": "not icd"}]}]}, "$.conclusionCode[0].coding[0].code"),
])
def test_the_device_schema_names_the_path(change, path):
    judgement = validate_device_schema(_report(**change), "severity", SCHEMA)
    assert not judgement.ok
    assert any(problem.startswith(f"{path}:") for problem in judgement.problems), judgement.problems


def test_intensity_outside_0_to_3_breaks_the_device_schema():
    report = _report()
    report["patientEvolution"][0]["score"]["interpretation"]["intensity"] = 4
    assert not validate_device_schema(report, "severity", SCHEMA).ok


def test_a_reply_that_is_no_object_is_judged_not_crashed():
    assert not validate_fhir([], DEVICE_ONLY).ok
    assert not validate_device_schema([], "diagnosis", SCHEMA).ok
    with pytest.raises(ValueError):
        validate_device_schema({}, "prescription", SCHEMA)
