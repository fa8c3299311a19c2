"""Sample intents and device replies shared by the dialect unit tests."""

from __future__ import annotations

import json

import httpx

from lhv.contract.intents import Image, SeverityRequest
from lhv.contract.payloads import IMAGES_DIR
from lhv.core.evidence import Exchange
from lhv.core.http import Reply

IMAGE = Image.from_file(IMAGES_DIR / "atopic_dermatitis.jpg")
SEED_1 = SeverityRequest(IMAGE, "EA80", "Atopic dermatitis", "arm_left", ("apasi", "ascorad"),
                         {"apasi": {"surface": 4}, "ascorad": {"surface": 78, "itchiness": 4, "sleeplessness": 6}})
RANKING = [{"code": "EA80", "display": "Atopic dermatitis", "probability": 90.0},
           {"code": "EA90", "display": "Psoriasis", "probability": 10.0}]


def reply_from(url: str, body, status: int = 200) -> Reply:
    """Wraps a JSON body as the device's reply to a POST on the given URL."""
    exchange = Exchange("POST", url, {}, None, status, {}, None, 1.0)
    return Reply(status, httpx.Headers({"content-type": "application/json"}), json.dumps(body), exchange)


def report_with_evolution(evolution) -> dict:
    """Builds a severity DiagnosticReport around the given patientEvolution."""
    return {"resourceType": "DiagnosticReport", "diagnosis": RANKING,
            "imagingAnalysis": [{"diagnosis": RANKING, "mediaValidity": {"isValid": True, "score": 100,
                                                                         "isDermatological": True}}],
            "patientEvolution": evolution}
