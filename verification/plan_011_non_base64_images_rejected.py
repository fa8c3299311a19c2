"""PLAN_011 Non-Base64 encoded images are rejected.

Purpose: image data that is not standard base64 of a JPEG or PNG matching its content type gets
422 with the error at the image data, on both clinical routes, never a 5xx: raw bytes, a `data:`
URI prefix, bad padding, the URL-safe alphabet, line breaks, base64 of something that is no
image, and a content type that is not the image's.
"""

from collections.abc import Callable

from lhv.clinical.reports import refused_at
from lhv.contract.intents import Image, RequestField, SeverityRequest
from lhv.contract.payloads import encode_image
from lhv.session.clinic import Clinic

PLAN_ID = "PLAN_011"
JPEG, PNG = "psoriasis.jpg", "psoriasis.png"
NOT_AN_IMAGE = b"%PDF-1.4\n% a document, not a photograph of skin\n" * 8


def _written(encoding: str) -> Callable[[Clinic], Image]:
    return lambda clinic: Image("image/jpeg", encode_image(clinic.image_bytes(JPEG), encoding), f"{JPEG} as {encoding}")


CASES: dict[str, Callable[[Clinic], Image]] = {
    "raw bytes instead of base64": _written("raw"),
    "a data: URI prefix before the base64": _written("data-uri"),
    "base64 without its = padding": _written("bad-padding"),
    "the URL-safe base64 alphabet (- and _)": _written("urlsafe"),
    "base64 broken into 76-character lines": _written("whitespace"),
    "base64 of a PDF document, not an image": lambda clinic: Image(
        "image/jpeg", encode_image(NOT_AN_IMAGE), "base64 of a PDF document"),
    "PNG bytes declared as image/jpeg": lambda clinic: clinic.image(PNG, "image/jpeg"),
}


def test_image_data_that_is_not_base64_of_its_image_is_rejected_on_both_routes(clinic, step):
    """Each kind of non-base64 or non-image data gets 422 at the image data on both routes, never a 5xx."""
    for case, make in CASES.items():
        image = make(clinic)
        request = SeverityRequest(image, "EA90", "Psoriasis", "arm_left", ("apasi",), {"apasi": {"surface": 3}})
        with step(f"Send image data written as {case} to diagnosis support and to severity assessment",
                  expect="422 on each route with an error at the image data; never a 5xx"):
            refused_at(clinic, clinic.diagnose([image]), "diagnose", RequestField("image_data", image=0))
            refused_at(clinic, clinic.assess(request), "assess_severity", RequestField("image_data"), request)
