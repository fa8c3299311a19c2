"""The reference device's clinical routes over real HTTPS: reports, the seed's PLAN_017 cases, refusals, faults."""

from __future__ import annotations

import base64
import copy
import json
import re
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from lhv.contract import oracle
from lhv.contract.tables import ICD11_SYSTEM, SCORING_SYSTEM_BY_CODE
from lhv.device.clinical import plan_openapi
from lhv.device.launcher import RunningDevice, start_device
from lhv.device.settings import DeviceSettings

IMAGES = Path(__file__).resolve().parents[1] / "fixtures" / "images"
# Images the stand-in AI classifies as their condition (tests/unit/test_clinical_model.py).
NAMED = {"psoriasis.jpg": "EA90", "atopic_dermatitis.jpg": "EA80", "alopecia.jpg": "ED70", "acne.jpg": "ED80",
         "urticaria.png": "EB00"}
# The faults of each faulty device; a device's faults do not mask one another in the tests that use them.
FAULTS_A = ["response-not-fhir", "rejects-png", "accepts-data-uri", "first-image-only", "body-site-optional",
            "wrong-zone-factor"]
FAULTS_B = ["accepts-malformed-body", "accepts-non-image-base64", "rejects-five-images", "no-multi-image-gain",
            "score-arithmetic-off"]
SEED_DATA_PREFIX = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wB..."  # how the seed's PLAN_017 error body shows the image
INSTANT = re.compile(plan_openapi.FHIR_INSTANT)
# The device's own OpenAPI response schemas: every reply in these tests must conform to them.
SCHEMAS = {(path, status): Draft202012Validator(
    operation["responses"][status]["content"]["application/json"]["schema"])
    for path, operation in (("/diagnosis-support", plan_openapi.diagnosis_operation()),
                            ("/severity-assessment", plan_openapi.severity_operation())) for status in (200, 422)}


class Device:
    """A running device with a logged-in HTTPS client."""

    def __init__(self, running: RunningDevice, faults: list[str]) -> None:
        self.running = running
        self.faults = faults
        self.client = httpx.Client(base_url=running.https_url, timeout=10,
                                   verify=ssl.create_default_context(cafile=str(running.ca_cert)))
        token = self.client.post("/login", data=running.credentials["user"]).json()["access_token"]
        self.auth = {"Authorization": f"Bearer {token}"}

    def post(self, path: str, body: object = None, *, raw: bytes | None = None) -> httpx.Response:
        content = raw if raw is not None else json.dumps(body).encode()
        reply = self.client.post(path, content=content, headers={**self.auth, "Content-Type": "application/json"})
        assert reply.status_code < 500, f"{path} answered {reply.status_code}: {reply.text[:300]}"
        if (path, reply.status_code) in SCHEMAS and not self.faults:
            SCHEMAS[path, reply.status_code].validate(reply.json())
        return reply

    def close(self) -> None:
        self.client.close()
        self.running.stop()


@pytest.fixture(scope="module")
def devices(tmp_path_factory):
    """A clean device and two faulty ones, started side by side."""
    settings_of = [DeviceSettings(state_dir=str(tmp_path_factory.mktemp(name)), faults=faults)
                   for name, faults in (("clean", []), ("faults-a", FAULTS_A), ("faults-b", FAULTS_B))]
    with ThreadPoolExecutor(3) as pool:
        running = list(pool.map(start_device, settings_of))
    started = [Device(device, settings.faults) for device, settings in zip(running, settings_of)]
    yield dict(zip(("clean", "a", "b"), started))
    for device in started:
        device.close()


@pytest.fixture(scope="module")
def clean(devices) -> Device:
    return devices["clean"]


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def image(name: str) -> dict:
    return {"contentType": "image/png" if name.endswith(".png") else "image/jpeg",
            "data": b64((IMAGES / name).read_bytes())}


def seed_payload_1() -> dict:
    return {
        "subject": {"reference": "fake-patient-id"},
        "media": image("atopic_dermatitis.jpg"),
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


def seed_payload_2() -> dict:
    return {
        "subject": {"reference": "fake-patient-id"},
        "media": image("alopecia.jpg"),
        "known_condition": {"conclusion": {"code": "ED70", "display": "Alopecia", "system_alias": "ICD-11"}},
        "body_site": "head_right",
        "scoring_systems": ["asalt"],
    }


SEEDS = {"payload-1": seed_payload_1, "payload-2": seed_payload_2}


def diagnosis_body(*names: str) -> dict:
    return {"subject": {"reference": "fake-patient-id"}, "media": [image(name) for name in names]}


def items_of(entry: dict) -> dict[str, float]:
    return {item["code"]: item["value"] for item in entry["item"]}


def assert_ranked(conditions: list[dict]) -> None:
    probabilities = [c["probability"] for c in conditions]
    assert abs(sum(probabilities) - 100) <= 0.1
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0 <= p <= 100 for p in probabilities) and all(c["code"] and c["display"] for c in conditions)


def assert_fhir_frame(report: dict, conclusion: str) -> None:
    assert report["resourceType"] == "DiagnosticReport"
    assert report["status"] == "preliminary"
    assert re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", report["id"])
    assert report["code"]["coding"] and report["code"]["text"]
    assert report["subject"] == {"reference": "fake-patient-id"}
    assert INSTANT.fullmatch(report["issued"]), report["issued"]
    assert report["conclusionCode"][0]["coding"][0] == {**report["conclusionCode"][0]["coding"][0],
                                                        "system": ICD11_SYSTEM, "code": conclusion}
    assert report["analysisDuration"] > 0


def errors(reply: httpx.Response) -> list[dict]:
    assert reply.status_code == 422, reply.text[:300]
    detail = reply.json()["detail"]
    assert detail and all({"type", "loc", "msg"} <= set(e) and e["loc"][0] == "body" for e in detail), detail
    return detail


# ---- diagnosis support ---------------------------------------------------------------------------

@pytest.mark.parametrize("count", [1, 3, 5])
def test_diagnosis_of_1_3_5_images_reports_each_image_in_order(clean, count):
    names = list(NAMED)[:count]
    reply = clean.post("/diagnosis-support", diagnosis_body(*names))
    assert reply.status_code == 200, reply.text[:300]
    report = reply.json()
    assert_fhir_frame(report, report["diagnosis"][0]["code"])
    assert_ranked(report["diagnosis"])
    assert [entry["diagnosis"][0]["code"] for entry in report["imagingAnalysis"]] == [NAMED[n] for n in names]
    for entry in report["imagingAnalysis"]:
        assert_ranked(entry["diagnosis"])
        assert entry["mediaValidity"] == {"isValid": True, "score": entry["mediaValidity"]["score"],
                                          "isDermatological": True}
        assert 0 <= entry["mediaValidity"]["score"] <= 100


def test_five_images_are_diagnosed_well_under_a_second(clean):
    body = diagnosis_body(*NAMED)
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        assert clean.post("/diagnosis-support", body).status_code == 200
        timings.append(time.perf_counter() - started)
    assert min(timings) < 0.5, timings


def test_an_unusable_image_gets_200_and_is_marked_invalid(clean):
    reply = clean.post("/diagnosis-support", diagnosis_body("psoriasis.jpg", "blank.png"))
    assert reply.status_code == 200
    validity = [entry["mediaValidity"]["isValid"] for entry in reply.json()["imagingAnalysis"]]
    assert validity == [True, False]


def test_diagnosis_without_subject_is_accepted_and_reports_none(clean):
    reply = clean.post("/diagnosis-support", {"media": [image("psoriasis.png")]})
    assert reply.status_code == 200 and "subject" not in reply.json()


@pytest.mark.parametrize(("count", "kind"), [(0, "too_short"), (6, "too_long"), (9, "too_long")])
def test_image_counts_outside_1_to_5_are_refused(clean, count, kind):
    detail = errors(clean.post("/diagnosis-support", {"media": [image("acne.jpg")] * count}))
    assert [(e["type"], e["loc"]) for e in detail] == [(kind, ["body", "media"])]
    assert image("acne.jpg")["data"][:60] not in json.dumps(detail)


# ---- severity assessment -------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_seed_payloads_are_scored_and_the_scores_agree_with_their_items(clean, seed):
    body = SEEDS[seed]()
    reply = clean.post("/severity-assessment", body)
    assert reply.status_code == 200, reply.text[:300]
    report = reply.json()
    assert_fhir_frame(report, body["known_condition"]["conclusion"]["code"])
    assert len(report["imagingAnalysis"]) == 1
    assert [entry["code"] for entry in report["patientEvolution"]] == body["scoring_systems"]
    answers = {q["questionnaire"]: {i["code"]: i["answer"][0]["value"] for i in q["item"]}
               for q in body.get("questionnaire_response", [])}
    for entry in report["patientEvolution"]:
        system = SCORING_SYSTEM_BY_CODE[entry["code"]]
        items = items_of(entry)
        assert set(items) == {spec.code for spec in (*system.answers, *system.ai_items)}
        assert {code: items[code] for code in answers.get(system.code, {})} == answers.get(system.code, {})
        verdict = oracle.check(system.code, body["body_site"], items, entry["score"]["value"])
        assert verdict.ok, verdict
        assert entry["additionalData"]["globalScoreContribution"] == pytest.approx(
            oracle.recompute_contribution(system.code, body["body_site"], items), abs=0.01)
        assert entry["score"]["interpretation"]["intensity"] in (0, 1, 2, 3)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_missing_body_site_gets_exactly_the_seeds_error(clean, seed):
    body = SEEDS[seed]()
    del body["body_site"]
    detail = errors(clean.post("/severity-assessment", body))
    echoed = {**copy.deepcopy(body), "media": {"contentType": "image/jpeg", "data": SEED_DATA_PREFIX}}
    assert detail == [{"type": "missing", "loc": ["body", "bodySite"], "msg": "Field required", "input": echoed}]


def test_camel_case_keys_are_accepted(clean):
    body = seed_payload_1()
    camel = {"subject": body["subject"], "media": body["media"],
             "knownCondition": {"conclusion": {"code": "EA80", "display": "Atopic dermatitis",
                                               "systemAlias": "ICD-11"}},
             "bodySite": "arm_left", "scoringSystems": ["apasi", "ascorad"],
             "questionnaireResponse": body["questionnaire_response"]}
    reply = clean.post("/severity-assessment", camel)
    assert reply.status_code == 200, reply.text[:300]
    assert [entry["code"] for entry in reply.json()["patientEvolution"]] == ["apasi", "ascorad"]


@pytest.mark.parametrize(("system", "answers", "site"), [
    ("auas", [{"code": "itchiness", "answer": [{"value": 2}]}], None),
    ("aihs4", None, None),
    ("ascorad", [{"code": "surface", "answer": [{"value": 12.5}]}, {"code": "itchiness", "answer": [{"value": 0}]},
                 {"code": "sleeplessness", "answer": [{"value": 10}]}], "genital"),
])
def test_every_scoring_system_is_scored_consistently(clean, system, answers, site):
    body = {"media": image("hidradenitis_suppurativa.jpg"),
            "known_condition": {"conclusion": {"code": "ED92.0"}}, "scoring_systems": [system],
            **({"questionnaire_response": [{"questionnaire": system, "item": answers}]} if answers else {}),
            **({"body_site": site} if site else {})}
    reply = clean.post("/severity-assessment", body)
    assert reply.status_code == 200, reply.text[:300]
    entry = reply.json()["patientEvolution"][0]
    assert oracle.check(system, site, items_of(entry), entry["score"]["value"]).ok
    assert ("additionalData" in entry) == SCORING_SYSTEM_BY_CODE[system].needs_zone


def test_an_unusable_image_still_gets_a_severity_report(clean):
    body = {**seed_payload_2(), "media": image("blank.png")}
    reply = clean.post("/severity-assessment", body)
    assert reply.status_code == 200
    assert reply.json()["imagingAnalysis"][0]["mediaValidity"]["isValid"] is False


@pytest.mark.parametrize(("change", "loc", "kind"), [
    ({"body_site": "moon"}, ["body", "bodySite"], "literal_error"),
    ({"body_site": "arm_left", "scoring_systems": ["asalt"]}, ["body", "bodySite"], "value_error"),
    ({"scoring_systems": []}, ["body", "scoringSystems"], "too_short"),
    ({"scoring_systems": ["apasi", "apasi"]}, ["body", "scoringSystems", 1], "value_error"),
    ({"known_condition": None}, ["body", "knownCondition"], "dict_type"),
    ({"questionnaire_response": [{"questionnaire": "apasi", "item": [
        {"code": "surface", "answer": [{"value": 7}]}]}]}, None, "less_than_equal"),
])
def test_clinical_rule_breaches_point_at_the_field(clean, change, loc, kind):
    body = {**seed_payload_1(), **change}
    detail = errors(clean.post("/severity-assessment", body))
    assert any(e["type"] == kind and (loc is None or e["loc"] == loc) for e in detail), detail


# ---- images --------------------------------------------------------------------------------------

JPEG = (IMAGES / "psoriasis.jpg").read_bytes()
PNG = (IMAGES / "psoriasis.png").read_bytes()
BASE64_PROBLEMS = {
    "data-uri": "data:image/jpeg;base64," + b64(JPEG),
    "whitespace": b64(JPEG)[:64] + "\n" + b64(JPEG)[64:],
    "url-safe": base64.urlsafe_b64encode(b"\xfb\xff" + JPEG).decode(),
    "bad-padding": b64(JPEG)[:-1],
    "not-a-string": 12345,
    "null": None,
}
CONTENT_PROBLEMS = {
    "text": ("image/jpeg", b64(b"this is plain text, not an image at all")),
    "png-labelled-jpeg": ("image/jpeg", b64(PNG)),
    "jpeg-labelled-png": ("image/png", b64(JPEG)),
    "truncated-jpeg": ("image/jpeg", b64(JPEG[: len(JPEG) // 3])),
}


def _bad_image_cases():
    for name, data in BASE64_PROBLEMS.items():
        yield pytest.param({"contentType": "image/jpeg", "data": data}, "data", True, id=name)
    for name, (content_type, data) in CONTENT_PROBLEMS.items():
        yield pytest.param({"contentType": content_type, "data": data}, "data", False, id=name)
    yield pytest.param({"contentType": "image/gif", "data": b64(JPEG)}, "contentType", False, id="gif-type")


@pytest.mark.parametrize(("media", "field", "base64_problem"), list(_bad_image_cases()))
def test_unacceptable_images_are_refused_on_both_routes(clean, media, field, base64_problem):
    replies = {
        ("body", "media", 1): clean.post("/diagnosis-support", {"media": [image("acne.jpg"), media]}),
        ("body", "media"): clean.post("/severity-assessment", {**seed_payload_2(), "media": media}),
    }
    for where, reply in replies.items():
        detail = errors(reply)
        assert [e["loc"] for e in detail] == [[*where, field]], detail
        if base64_problem:
            assert detail[0]["msg"].startswith("Only base64 data is allowed")
        if isinstance(media["data"], str):
            assert media["data"][40:100] not in reply.text, "image data is echoed"


def test_png_and_jpeg_are_both_accepted(clean):
    assert clean.post("/diagnosis-support", diagnosis_body("psoriasis.png", "psoriasis.jpg")).status_code == 200
    assert clean.post("/severity-assessment", {**seed_payload_2(), "media": image("psoriasis.png")}).status_code == 200


# ---- malformed bodies ----------------------------------------------------------------------------

MALFORMED_RAW = {
    "broken-json": b'{"media": [',
    "empty": b"",
    "not-utf8": b"\xff\xfe\x00",
    "nan": b'{"media": NaN}',
    "huge-number": b'{"media": 1e999}',
    "huge-integer": b'{"media": ' + b"9" * 5000 + b"}",
    "deep-nesting": b'{"x": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "lone-surrogate-key": b'{"\\ud800": 1}',
    "lone-surrogate-value": b'{"subject": {"reference": "\\udfff"}, "media": []}',
}
MALFORMED_JSON = {
    "list": [], "string": "media", "number": 4, "null": None,
    "unknown-key": {"media": [], "extra": 1},
    "media-as-string": {"media": "psoriasis"},
    "media-entry-as-list": {"media": [[1, 2]]},
    "subject-as-string": {"subject": "fake", "media": []},
}


@pytest.mark.parametrize("path", ["/diagnosis-support", "/severity-assessment"])
@pytest.mark.parametrize("name", [*MALFORMED_RAW, *MALFORMED_JSON])
def test_malformed_bodies_get_422_with_a_detail_list(clean, path, name):
    raw = MALFORMED_RAW[name] if name in MALFORMED_RAW else json.dumps(MALFORMED_JSON[name]).encode()
    errors(clean.post(path, raw=raw))


@pytest.mark.parametrize(("edit", "loc"), [
    (lambda b: b.update(colour="red"), ["body", "colour"]),
    (lambda b: b.update(bodySite="arm_left"), ["body", "bodySite"]),  # both spellings at once
    (lambda b: b["media"].update(title="x"), ["body", "media", "title"]),
    (lambda b: b["known_condition"]["conclusion"].update(system="x"),
     ["body", "knownCondition", "conclusion", "system"]),
    (lambda b: b["questionnaire_response"][0]["item"][0].update(note="x"),
     ["body", "questionnaireResponse", 0, "item", 0, "note"]),
])
def test_unknown_keys_are_refused_as_extra_forbidden(clean, edit, loc):
    body = seed_payload_1()
    edit(body)
    detail = errors(clean.post("/severity-assessment", body))
    assert {"type": "extra_forbidden", "loc": loc} in [{"type": e["type"], "loc": e["loc"]} for e in detail]


@pytest.mark.parametrize(("edit", "loc"), [
    (lambda b: b.update(scoring_systems="apasi"), ["body", "scoringSystems"]),
    (lambda b: b.update(body_site=3), ["body", "bodySite"]),
    (lambda b: b["questionnaire_response"][0]["item"][0]["answer"][0].update(value="4"),
     ["body", "questionnaireResponse", 0, "item", 0, "answer", 0, "value"]),
    (lambda b: b["questionnaire_response"][0]["item"][0]["answer"][0].update(value=True),
     ["body", "questionnaireResponse", 0, "item", 0, "answer", 0, "value"]),
    (lambda b: b["questionnaire_response"][0]["item"][0].update(answer=[]),
     ["body", "questionnaireResponse", 0, "item", 0, "answer"]),
    (lambda b: b["known_condition"]["conclusion"].pop("code"), ["body", "knownCondition", "conclusion", "code"]),
    (lambda b: b.pop("media"), ["body", "media"]),
])
def test_wrong_types_and_missing_fields_point_at_the_field(clean, edit, loc):
    body = seed_payload_1()
    edit(body)
    detail = errors(clean.post("/severity-assessment", body))
    assert loc in [e["loc"] for e in detail], detail


def test_clinical_routes_need_a_bearer_token(clean):
    for path in ("/diagnosis-support", "/severity-assessment"):
        reply = clean.client.post(path, json=seed_payload_1())
        assert reply.status_code == 401 and reply.headers["www-authenticate"] == "Bearer"


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                     max_leaves=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["/severity-assessment", "/diagnosis-support"]),
       key=st.sampled_from(["subject", "media", "known_condition", "body_site", "scoring_systems",
                            "questionnaire_response", "bodySite", "extra"]),
       value=_JSON)
def test_any_field_replaced_by_any_json_never_gets_a_5xx(clean, path, key, value):
    body = seed_payload_1() if path == "/severity-assessment" else diagnosis_body("acne.jpg")
    body[key] = value
    reply = clean.post(path, body)
    assert reply.status_code in (200, 422)
    if reply.status_code == 422:
        errors(reply)


# ---- faults --------------------------------------------------------------------------------------

def test_fault_response_not_fhir(devices):
    report = devices["a"].post("/diagnosis-support", diagnosis_body("acne.jpg")).json()
    assert report["status"] != "preliminary" and not INSTANT.fullmatch(report["issued"])


def test_fault_accepts_malformed_body(devices):
    body = seed_payload_1()
    body["colour"] = "red"
    body["questionnaire_response"][0]["item"][0]["answer"][0]["value"] = "4"
    assert devices["b"].post("/severity-assessment", body).status_code == 200
    assert devices["clean"].post("/severity-assessment", body).status_code == 422


def test_fault_rejects_png(devices):
    detail = errors(devices["a"].post("/diagnosis-support", diagnosis_body("psoriasis.png")))
    assert detail[0]["loc"] == ["body", "media", 0, "contentType"]


def test_fault_accepts_data_uri(devices):
    body = {"media": [{"contentType": "image/jpeg", "data": "data:image/jpeg;base64," + b64(JPEG)}]}
    assert devices["a"].post("/diagnosis-support", body).status_code == 200


@pytest.mark.parametrize("name", CONTENT_PROBLEMS)
def test_fault_accepts_non_image_base64(devices, name):
    content_type, data = CONTENT_PROBLEMS[name]
    reply = devices["b"].post("/diagnosis-support", {"media": [{"contentType": content_type, "data": data}]})
    assert reply.status_code == 200
    assert reply.json()["imagingAnalysis"][0]["mediaValidity"]["isValid"] is False


def test_fault_first_image_only(devices):
    report = devices["a"].post("/diagnosis-support", diagnosis_body("psoriasis.jpg", "acne.jpg", "alopecia.jpg")).json()
    assert len(report["imagingAnalysis"]) == 1


def test_fault_rejects_five_images(devices):
    assert devices["b"].post("/diagnosis-support", diagnosis_body(*list(NAMED)[:4])).status_code == 200
    detail = errors(devices["b"].post("/diagnosis-support", diagnosis_body(*NAMED)))
    assert detail[0]["type"] == "too_long"


def test_fault_no_multi_image_gain(devices):
    body = diagnosis_body("acne.jpg", "psoriasis.jpg", "psoriasis.png")
    faulty, clean = (devices[name].post("/diagnosis-support", body).json() for name in ("b", "clean"))
    assert faulty["diagnosis"] == faulty["imagingAnalysis"][0]["diagnosis"]
    assert faulty["diagnosis"][0]["code"] == "ED80" and clean["diagnosis"][0]["code"] == "EA90"


def test_fault_body_site_optional(devices):
    body = seed_payload_1()
    del body["body_site"]
    assert devices["a"].post("/severity-assessment", body).status_code == 200


@pytest.mark.parametrize(("name", "fault_device"), [("wrong-zone-factor", "a"), ("score-arithmetic-off", "b")])
@pytest.mark.parametrize("seed", SEEDS)
def test_fault_scores_disagree_with_their_items(devices, name, fault_device, seed):
    body = SEEDS[seed]()
    report = devices[fault_device].post("/severity-assessment", body).json()
    for entry in report["patientEvolution"]:
        assert not oracle.check(entry["code"], body["body_site"], items_of(entry), entry["score"]["value"]).ok


def test_the_generated_openapi_describes_both_request_bodies(tmp_path):
    from lhv.device.app import create_app
    from lhv.device.context import DeviceContext

    document = create_app(DeviceContext(DeviceSettings(state_dir=str(tmp_path)))).openapi()
    for path, required in (("/diagnosis-support", {"media"}), ("/severity-assessment", {"media"})):
        schema = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert required <= set(schema["required"]) and schema["additionalProperties"] is False
    severity = document["paths"]["/severity-assessment"]["post"]["requestBody"]["content"]["application/json"]
    assert {"body_site", "bodySite", "questionnaire_response"} <= set(severity["schema"]["properties"])


def test_every_answer_carries_the_security_headers_and_a_refusal_over_the_limit_says_when_to_retry(tmp_path):
    running = start_device(DeviceSettings(state_dir=str(tmp_path), anonymous_limit=2, rate_window_seconds=60))
    try:
        with httpx.Client(base_url=running.https_url, timeout=10,
                          verify=ssl.create_default_context(cafile=str(running.ca_cert))) as client:
            answers = [client.get("/") for _ in range(3)]
        log = (Path(running.state_dir) / "device.log").read_text()
    finally:
        running.stop()
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    for answer in answers:
        assert answer.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        assert (answer.headers["X-Content-Type-Options"], answer.headers["Cache-Control"]) == ("nosniff", "no-store")
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 60
    assert "Rate limit exceeded: at most 2 requests per 60 s (anonymous)" in answers[-1].json()["detail"]
    assert log.count("rate_limit_exceeded") == 1
