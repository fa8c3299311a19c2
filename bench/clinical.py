"""The clinical requests item 6 measures: diagnosis with 1 and 5 images and one severity assessment.

Bodies come from the plan dialect (the same code the plans use) with the generated fixture images; each is
sent once first and must get 200, so that wrk measures served requests and not refusals.
"""

from __future__ import annotations

import json

import httpx

from lhv.contract.dialects import Dialect
from lhv.contract.intents import Image, SeverityRequest
from lhv.contract.payloads import IMAGES_DIR
from lhv.device.launcher import RunningDevice

DIAGNOSIS_IMAGES = ("psoriasis.jpg", "acne.jpg", "melanoma.jpg", "urticaria.jpg", "vitiligo.jpg")
# A psoriasis lesion on the front of the trunk scored with APASI: a zone and one patient answer.
SEVERITY = dict(image="psoriasis.jpg", condition=("EA90", "Psoriasis"), body_site="trunk_front",
                systems=("apasi",), answers={"apasi": {"surface": 2}})


def clinical_requests(device: RunningDevice, dialect: Dialect) -> list[tuple[str, str, bytes, str, str | None]]:
    """Returns (name, path, body, bearer token, why it is not measured or None) per clinical request."""
    names = ["diagnosis, 1 image", "diagnosis, 5 images", "severity assessment (APASI, 1 image)"]
    try:
        diagnose, severity = dialect.route("diagnose").path, dialect.route("assess_severity").path
        names = [f"POST {diagnose}, 1 image", f"POST {diagnose}, 5 images", f"POST {severity} (APASI, 1 image)"]
        token, bodies = _token_and_bodies(device, dialect)
    except Exception as exc:  # the dialect or the device is not ready for clinical requests
        return [(name, "", b"", "", f"{type(exc).__name__}: {exc}") for name in names]
    requests = []
    with httpx.Client(base_url=device.https_url, verify=str(device.ca_cert), timeout=30) as client:
        for name, (intent, body) in zip(names, bodies):
            path = dialect.route(intent).path
            reply = client.post(path, content=body, headers={"Authorization": f"Bearer {token}",
                                                              "Content-Type": "application/json"})
            refused = None if reply.status_code == 200 else \
                f"the device answered {reply.status_code} to the request ({reply.text[:200]})"
            requests.append((name, path, body, token, refused))
    return requests


def _token_and_bodies(device: RunningDevice, dialect: Dialect) -> tuple[str, list[tuple[str, bytes]]]:
    account = device.credentials["user"]
    login = dialect.route("login")
    with httpx.Client(base_url=device.https_url, verify=str(device.ca_cert), timeout=30) as client:
        reply = client.post(login.path, data=dialect.login_form(account["username"], account["password"]))
    reply.raise_for_status()
    token = reply.json()["access_token"]
    images = [Image.from_file(IMAGES_DIR / name) for name in DIAGNOSIS_IMAGES]
    code, display = SEVERITY["condition"]
    severity = SeverityRequest(Image.from_file(IMAGES_DIR / SEVERITY["image"]), code, display, SEVERITY["body_site"],
                               SEVERITY["systems"], SEVERITY["answers"])
    bodies = [("diagnose", dialect.diagnosis_body(images[:1], "bench-patient")),
              ("diagnose", dialect.diagnosis_body(images, "bench-patient")),
              ("assess_severity", dialect.severity_body(severity))]
    return token, [(intent, json.dumps(body).encode()) for intent, body in bodies]
