"""PLAN_012 Diagnosis support endpoint accepts multiple images.

Purpose: diagnosis support takes 1 to 5 images of one lesion: 1, 3 and 5 images get 200 with one
image analysis per image, in request order (each image's analysis names the top condition that
image gets alone), and one aggregate diagnosis; 0 and 6 images get 422 at the image list.
"""

from lhv.checks.outcomes import require
from lhv.clinical.reports import check_diagnosis_report, refused_at
from lhv.contract.tables import DIAGNOSIS_MAX_IMAGES

PLAN_ID = "PLAN_012"
# Five drawings of different conditions, so that each image's analysis can be told apart.
IMAGES = ("psoriasis.jpg", "atopic_dermatitis.jpg", "alopecia.jpg", "acne.jpg", "urticaria.jpg")


def _tops(report):
    return [analysis.conditions[0].code if analysis.conditions else None for analysis in report.images]


def test_one_three_and_five_images_get_one_analysis_each_in_order(clinic, step):
    """1, 3 and 5 images get 200 with one analysis per image, in request order, and one aggregate."""
    images = [clinic.image(name) for name in IMAGES]
    with step(f"Send each of {len(images)} images of different conditions alone ({', '.join(IMAGES)})",
              expect="200 each, with one image analysis and an aggregate diagnosis"):
        alone = [_tops(check_diagnosis_report(clinic, clinic.diagnose([image]), 1))[0] for image in images]
        step.note("top condition of each image alone: " + ", ".join(f"{i.source} {c}" for i, c in zip(images, alone)))
    for count in (3, 5):
        with step(f"Send the first {count} images in one request",
                  expect=f"200 with {count} image analyses in request order (each naming its image's own top "
                         "condition) and one aggregate diagnosis"):
            report = check_diagnosis_report(clinic, clinic.diagnose(images[:count]), count)
            order = _tops(report)
            require("analyses-in-request-order", order == alone[:count],
                    f"analyses name {order}, the images alone give {alone[:count]}",
                    f"analyses name {order}, as the images do alone")


def test_zero_and_six_images_are_refused(clinic, step):
    """No image and six images get 422 at the image list."""
    images = [clinic.image(name) for name in IMAGES]
    with step("Send a diagnosis request with an empty image list", expect="422 with an error at the image list"):
        refused_at(clinic, clinic.diagnose([]), "diagnose", "images")
    too_many = [*images, images[0]][:DIAGNOSIS_MAX_IMAGES + 1]
    with step(f"Send {len(too_many)} images in one request", expect="422 with an error at the image list"):
        refused_at(clinic, clinic.diagnose(too_many), "diagnose", "images")
