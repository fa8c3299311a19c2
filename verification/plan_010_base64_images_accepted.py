"""PLAN_010 Base64 encoded images are accepted.

Purpose: JPEG and PNG images sent as standard base64 get 200 on both clinical routes, with an
analysis for each image sent, valid for the skin photos: diagnosis support with one JPEG, one PNG and
both together, and a readable image that is no photo of skin, analysed with isValid false;
severity assessment with one JPEG and one PNG, every score recomputed.
"""

from lhv.checks.outcomes import require
from lhv.clinical.reports import check_diagnosis_report, check_severity_report, check_validity
from lhv.contract.intents import SeverityRequest

PLAN_ID = "PLAN_010"
IMAGES = {"JPEG": "psoriasis.jpg", "PNG": "psoriasis.png"}


def test_jpeg_and_png_are_accepted_by_diagnosis_support(clinic, step):
    """One JPEG, one PNG, and both together get 200 with one image analysis per image."""
    images = {kind: clinic.image(name) for kind, name in IMAGES.items()}
    for kind, image in images.items():
        with step(f"Send one {kind} image ({image.source}) as standard base64 to diagnosis support",
                  expect="200 with one image analysis and a ranked diagnosis"):
            check_diagnosis_report(clinic, clinic.diagnose([image]), 1, usable=True)
    with step("Send the JPEG and the PNG together in one request",
              expect="200 with two image analyses, both valid"):
        check_diagnosis_report(clinic, clinic.diagnose(list(images.values())), 2, usable=True)
    with step("Send a readable PNG that is no photo of skin (a white square)",
              expect="200 with one image analysis whose isValid is false"):
        check_diagnosis_report(clinic, clinic.diagnose([clinic.unusable_image()]), 1, usable=False)


def test_jpeg_and_png_are_accepted_by_severity_assessment(clinic, step):
    """One JPEG and one PNG each get 200 from severity assessment with the image analysed and the score recomputed."""
    for kind, name in IMAGES.items():
        request = SeverityRequest(clinic.image(name), "EA90", "Psoriasis", "arm_left", ("apasi",),
                                  {"apasi": {"surface": 3}})
        with step(f"Send one {kind} image ({name}) as standard base64 for an APASI assessment on the left arm",
                  expect="200 with the APASI result, its score equal to its recomputation, and one valid image "
                         "analysis"):
            report = check_severity_report(clinic, clinic.assess(request), request)
            require("image-analysed", len(report.images) == 1,
                    f"{len(report.images)} image analyses for the one image sent", "one image analysis")
            check_validity(report.images, usable=True)
