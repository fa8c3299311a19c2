"""lhv check-payload predicts the reference device: every payload file, sent over HTTPS, gets the status and
exactly the (type, loc) errors the linter reports offline."""

from __future__ import annotations

import json
import ssl
from pathlib import Path

import httpx
import pytest

from lhv.contract import payloads
from lhv.device.launcher import start_device
from lhv.device.routes_clinical import PLAN_SHAPE
from lhv.device.routes_clinical_v1 import V1_SHAPE
from lhv.device.routes_clinical_v2 import V2_SHAPE
from lhv.device.settings import DeviceSettings
from lhv.lint import check_file

REPO = Path(__file__).resolve().parents[1]
FILES = sorted((REPO / "tests" / "data" / "faulty_payloads").glob("*.json")) + \
    sorted((REPO / "payloads").rglob("*.json"))
SHAPES = {"plan": PLAN_SHAPE, "v2": V2_SHAPE, "v1": V1_SHAPE}


@pytest.fixture(scope="module")
def devices(tmp_path_factory):
    """Starts, on first use, one reference device per dialect, each with a logged-in client."""
    started: dict[str, tuple[httpx.Client, object]] = {}

    def client_for(dialect: str) -> httpx.Client:
        if dialect not in started:
            running = start_device(DeviceSettings(state_dir=str(tmp_path_factory.mktemp(f"device-{dialect}")),
                                                  authenticated_limit=10_000, dialect=dialect))
            client = httpx.Client(base_url=running.https_url, timeout=30,
                                  verify=ssl.create_default_context(cafile=str(running.ca_cert)))
            token = client.post("/login", data=running.credentials["user"]).json()["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"
            started[dialect] = (client, running)
        return started[dialect][0]

    yield client_for
    for client, running in started.values():
        client.close()
        running.stop()


@pytest.mark.parametrize("path", FILES, ids=[str(path.relative_to(REPO)) for path in FILES])
def test_the_device_answers_what_the_linter_predicts(devices, path):
    payload = payloads.load(path)
    shape = SHAPES[payload.dialect]
    route = shape.diagnosis_path if payload.operation == "diagnose" else shape.severity_path
    report = check_file(path)
    reply = devices(payload.dialect).post(route, json=payload.resolved())
    answered = {(e["type"], json.dumps(e["loc"])) for e in reply.json()["detail"]} if reply.status_code == 422 \
        else set()
    predicted = {(p.type, json.dumps(p.loc)) for p in report.problems}
    assert (reply.status_code, answered) == (report.status, predicted)
