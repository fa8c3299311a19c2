"""v2's questionnaire-only route on the reference device over real HTTPS: the cases, the oracle, the faults."""

from __future__ import annotations

import ssl
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from lhv.contract import oracle
from lhv.contract.payloads import error_problems
from lhv.device.launcher import start_device
from lhv.device.settings import DeviceSettings
from lhv.harness.clinical_steps import _manual_case

REPO = Path(__file__).resolve().parents[1]
CASES = [_manual_case(path) for path in sorted((REPO / "payloads" / "v2" / "manual").glob("*.case"))]
IMAGES = REPO / "fixtures" / "images"
PATH = "/severity-assessment/manual"
FAULTS = ["manual-score-off", "manual-echo-altered", "manual-images-optional", "manual-range-unchecked",
          "manual-score-block-docs-2026"]


@pytest.fixture(scope="module")
def devices():
    """A clean v2 device and one with every manual-route fault, each with a logged-in HTTPS client."""
    with tempfile.TemporaryDirectory() as clean_dir, tempfile.TemporaryDirectory() as faulty_dir:
        settings = [DeviceSettings(state_dir=clean_dir, dialect="v2"),
                    DeviceSettings(state_dir=faulty_dir, dialect="v2", faults=FAULTS)]
        with ThreadPoolExecutor(2) as pool:
            running = list(pool.map(start_device, settings))
        clients = []
        for device in running:
            client = httpx.Client(base_url=device.https_url, timeout=20,
                                  verify=ssl.create_default_context(cafile=str(device.ca_cert)))
            token = client.post("/login", data=device.credentials["user"]).json()["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"
            clients.append(client)
        yield dict(zip(("clean", "faulty"), clients))
        for client, device in zip(clients, running):
            client.close()
            device.stop()


def _items(entry: dict) -> dict:
    return {code: item["value"] for code, item in entry["item"].items()}


def test_the_cases_cover_every_system():
    systems = {system for case in CASES for system in case.body["scoringSystem"]}
    assert systems >= {"pasi", "scorad", "dlqi", "uas", "ihs4"} and len(CASES) == 21


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_clean_device_answers_each_case_as_the_oracle_and_the_file_say(devices, case):
    reply = devices["clean"].post(PATH, json=case.resolved(IMAGES))
    assert reply.status_code == case.status, reply.text[:300]
    if not case.valid:
        assert not error_problems(case.expect["errors"], reply.json()["detail"]), reply.text[:500]
        return
    evolution = reply.json()["patientEvolution"]
    for system, entry in case.body["scoringSystem"].items():
        sent = entry["questionnaireResponse"]["item"]
        result = evolution[system]
        assert _items(result) == sent
        assert result["score"]["value"] == pytest.approx(oracle.recompute(system, None, sent), abs=0.005)
        assert 0 <= result["score"]["interpretation"]["intensity"] <= 3


def test_the_clean_device_requires_images(devices):
    body = {key: value for key, value in CASES[1].resolved(IMAGES).items() if key != "payload"}
    reply = devices["clean"].post(PATH, json=body)
    assert reply.status_code == 422 and reply.json()["detail"][0]["loc"] == ["body", "payload"]


def test_the_faults_change_what_the_route_answers(devices):
    case = next(case for case in CASES if case.name == "uas-moderate")
    sent = case.body["scoringSystem"]["uas"]["questionnaireResponse"]["item"]
    body = case.resolved(IMAGES)
    result = devices["faulty"].post(PATH, json=body).json()["patientEvolution"]["uas"]
    assert result["score"]["value"] == pytest.approx(oracle.recompute("uas", None, sent) + 0.5)  # manual-score-off
    assert _items(result)["wheals"] != sent["wheals"] and _items(result)["pruritus"] == sent["pruritus"]  # echo
    assert "severity" in result["score"] and "interpretation" not in result["score"]  # docs-2026 block
    no_images = {key: value for key, value in body.items() if key != "payload"}
    assert devices["faulty"].post(PATH, json=no_images).status_code == 200  # manual-images-optional
    out_of_range = next(case for case in CASES if case.name == "uas-invalid-wheals-above-3")
    assert devices["faulty"].post(PATH, json=out_of_range.resolved(IMAGES)).status_code == 200  # range unchecked
