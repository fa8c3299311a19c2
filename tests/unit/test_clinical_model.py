"""The stand-in AI: pixel-driven, well-formed outputs, and a real gain from more images of one lesion."""

from __future__ import annotations

import csv
import io
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image, ImageFilter
from scipy.stats import binomtest

from lhv.contract.tables import CONDITIONS, SCORING_SYSTEM_BY_CODE, SCORING_SYSTEMS
from lhv.device.clinical import model
from lhv.device.clinical.model import Diagnosis, diagnose, features, grade_signs, hive_category, quality

IMAGES = Path(__file__).resolve().parents[2] / "fixtures" / "images"
NAMED = {"psoriasis.jpg": "EA90", "psoriasis.png": "EA90", "atopic_dermatitis.jpg": "EA80",
         "alopecia.jpg": "ED70", "acne.jpg": "ED80", "urticaria.jpg": "EB00", "urticaria.png": "EB00",
         "hidradenitis_suppurativa.jpg": "ED92.0", "melanoma.jpg": "2C30", "melanoma.png": "2C30",
         "vitiligo.jpg": "ED63.0"}


@cache
def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def top(diagnosis) -> str:
    return diagnosis[0].code


def assert_well_formed(ranked) -> None:
    probabilities = [entry.probability for entry in ranked]
    assert sorted({entry.code for entry in ranked}) == sorted(c.code for c in CONDITIONS)
    assert abs(sum(probabilities) - 100) <= 0.1
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0 <= p <= 100 and round(p, 2) == p for p in probabilities)


@pytest.mark.parametrize(("name", "code"), NAMED.items())
def test_clean_named_images_are_classified_as_their_condition(name, code):
    analysis = diagnose([pixels(IMAGES / name)]).images[0]
    assert top(analysis.diagnosis) == code
    assert analysis.quality.is_valid and analysis.quality.is_dermatological
    assert_well_formed(analysis.diagnosis)


def test_a_blank_image_is_unusable_but_still_analysed():
    analysis = diagnose([pixels(IMAGES / "blank.png")]).images[0]
    assert analysis.quality == model.ImageQuality(0, False, False)
    assert_well_formed(analysis.diagnosis)


@pytest.mark.parametrize(("degrade", "name"), [
    (lambda image: image.filter(ImageFilter.GaussianBlur(5)), "blur"),
    (lambda image: image.point(lambda value: value // 4), "under-exposure"),
    (lambda image: image.point(lambda value: min(255, value * 2)), "over-exposure"),
    (lambda image: Image.merge("RGB", (image.getchannel("B"), image.getchannel("G"), image.getchannel("R"))),
     "colour cast"),
])
def test_degraded_photographs_lose_quality(degrade, name):
    clean = Image.open(IMAGES / "psoriasis.png").convert("RGB")
    degraded = quality(np.asarray(degrade(clean)))
    assert quality(np.asarray(clean)).score >= 90
    assert degraded.score < model.VALID_QUALITY and not degraded.is_valid, name


def test_features_come_from_pixels_not_bytes():
    image = Image.open(IMAGES / "psoriasis.png")
    fast, small = io.BytesIO(), io.BytesIO()
    image.save(fast, "PNG", compress_level=0)
    image.save(small, "PNG", compress_level=9, optimize=True)
    assert fast.getvalue() != small.getvalue()
    assert np.array_equal(features(np.asarray(Image.open(fast))), features(np.asarray(Image.open(small))))
    assert not np.array_equal(features(pixels(IMAGES / "psoriasis.png")), features(pixels(IMAGES / "vitiligo.jpg")))


def test_the_same_lesion_as_jpeg_and_png_gets_the_same_answer():
    for stem in ("psoriasis", "urticaria", "melanoma"):
        jpeg, png = (model.classify(pixels(IMAGES / f"{stem}.{suffix}")) for suffix in ("jpg", "png"))
        assert top(jpeg) == top(png)


def test_diagnosis_is_deterministic():
    images = [pixels(IMAGES / name) for name in ("psoriasis.jpg", "acne.jpg", "blank.png")]
    assert diagnose(images) == diagnose(images)


def test_one_analysis_per_image_in_request_order():
    names = ["vitiligo.jpg", "psoriasis.jpg", "blank.png", "melanoma.png", "acne.jpg"]
    result = diagnose([pixels(IMAGES / name) for name in names])
    assert [top(analysis.diagnosis) for analysis in result.images][:2] == ["ED63.0", "EA90"]
    assert [analysis.quality.is_valid for analysis in result.images] == [True, True, False, True, True]
    assert len(result.images) == 5
    assert_well_formed(result.aggregate)


def test_unusable_images_do_not_sway_the_aggregate():
    lesion, blank = pixels(IMAGES / "melanoma.jpg"), pixels(IMAGES / "blank.png")
    assert diagnose([blank, lesion, blank]).aggregate == diagnose([lesion]).aggregate


def test_fault_hook_first_image_only_analyses_one_image():
    result = diagnose([pixels(IMAGES / "psoriasis.jpg"), pixels(IMAGES / "acne.jpg")], use_only_first=True)
    assert len(result.images) == 1
    assert top(result.aggregate) == "EA90"


def test_fault_hook_no_aggregation_returns_the_first_images_diagnosis():
    images = [pixels(IMAGES / "blank.png"), pixels(IMAGES / "psoriasis.jpg")]
    result = diagnose(images, aggregate=False)
    assert len(result.images) == 2
    assert result.aggregate == result.images[0].diagnosis
    assert top(diagnose(images).aggregate) == "EA90"


def test_diagnose_needs_an_image():
    with pytest.raises(ValueError):
        diagnose([])


@cache
def labelled_cases() -> tuple[tuple[str, tuple[np.ndarray, ...]], ...]:
    """(true ICD-11 code, images) per case of fixtures/images/labelled."""
    folder = IMAGES / "labelled"
    cases: dict[str, tuple[str, list[np.ndarray]]] = {}
    with (folder / "manifest.csv").open(encoding="utf-8") as manifest:
        for row in csv.DictReader(manifest):
            cases.setdefault(row["case_id"], (row["icd11"], []))[1].append(pixels(folder / row["image"]))
    return tuple((code, tuple(images)) for code, images in cases.values())


def paired_outcomes(**hooks) -> tuple[np.ndarray, np.ndarray]:
    """Top-1 correctness per case with the first image alone and with all of the case's images."""
    cases = labelled_cases()
    one = np.array([top(diagnose(images[:1], **hooks).aggregate) == code for code, images in cases])
    every = np.array([top(diagnose(images, **hooks).aggregate) == code for code, images in cases])
    return one, every


def mcnemar_exact_p(one: np.ndarray, every: np.ndarray) -> float:
    gained, lost = int(np.sum(~one & every)), int(np.sum(one & ~every))
    return 1.0 if gained + lost == 0 else binomtest(gained, gained + lost, 0.5).pvalue


def test_labelled_set_has_three_images_per_case_across_all_conditions():
    cases = labelled_cases()
    assert 30 <= len(cases) <= 40
    assert {len(images) for _, images in cases} == {3}
    assert {code for code, _ in cases} == {condition.code for condition in CONDITIONS}


def test_more_images_of_one_lesion_give_a_more_accurate_aggregate():
    one, every = paired_outcomes()
    assert 0.55 <= one.mean() <= 0.70
    assert every.mean() >= 0.85
    assert mcnemar_exact_p(one, every) < 0.05


def test_more_images_raise_the_mean_probability_of_the_true_condition():
    def truth(ranked, code):
        return next(entry.probability for entry in ranked if entry.code == code)

    cases = labelled_cases()
    one = np.mean([truth(diagnose(images[:1]).aggregate, code) for code, images in cases])
    every = np.mean([truth(diagnose(images).aggregate, code) for code, images in cases])
    assert every > one + 15


def test_without_aggregation_extra_images_add_nothing():
    one, every = paired_outcomes(aggregate=False)
    assert np.array_equal(one, every)
    assert mcnemar_exact_p(one, every) == 1.0


def test_grades_of_the_seed_images():
    eczema, alopecia = pixels(IMAGES / "atopic_dermatitis.jpg"), pixels(IMAGES / "alopecia.jpg")
    assert grade_signs(eczema, "ascorad")["erythema"] >= 0
    assert sum(grade_signs(eczema, "ascorad").values()) >= 6
    assert sum(grade_signs(eczema, "apasi").values()) >= 1
    assert 5 < grade_signs(alopecia, "asalt")["hair_loss"] < 60
    assert grade_signs(pixels(IMAGES / "psoriasis.jpg"), "apasi")["desquamation"] >= 1


def test_grades_follow_the_pixels():
    blank = pixels(IMAGES / "blank.png")
    assert set(grade_signs(blank, "ascorad").values()) == {0}
    assert grade_signs(blank, "asalt") == {"hair_loss": 100.0}
    assert grade_signs(blank, "aihs4") == {"nodule": 0, "abscess": 0, "draining_tunnel": 0}
    psoriasis = grade_signs(pixels(IMAGES / "psoriasis.jpg"), "apasi")
    urticaria = grade_signs(pixels(IMAGES / "urticaria.jpg"), "apasi")
    assert psoriasis["erythema"] > urticaria["erythema"]
    assert grade_signs(pixels(IMAGES / "alopecia.jpg"), "asalt")["hair_loss"] < grade_signs(
        pixels(IMAGES / "vitiligo.jpg"), "asalt")["hair_loss"]
    lesions = grade_signs(pixels(IMAGES / "hidradenitis_suppurativa.jpg"), "aihs4")
    assert sum(lesions.values()) >= 1


@pytest.mark.parametrize(("count", "category"), [(0, 0), (1, 1), (19, 1), (20, 2), (50, 2), (51, 3), (400, 3)])
def test_hive_category_bands(count, category):
    assert hive_category(count) == category


small_images = arrays(np.uint8, st.tuples(st.integers(1, 40), st.integers(1, 40), st.just(3)))


@settings(max_examples=40, deadline=None)
@given(st.lists(small_images, min_size=1, max_size=5))
def test_any_images_get_a_well_formed_diagnosis(images):
    result: Diagnosis = diagnose(images)
    assert len(result.images) == len(images)
    assert_well_formed(result.aggregate)
    for analysis in result.images:
        assert_well_formed(analysis.diagnosis)
        assert 0 <= analysis.quality.score <= 100
        assert not analysis.quality.is_valid or analysis.quality.is_dermatological


@settings(max_examples=30, deadline=None)
@given(small_images, st.sampled_from([system.code for system in SCORING_SYSTEMS]))
def test_grades_lie_in_their_contract_ranges(image, system_code):
    grades = grade_signs(image, system_code)
    specs = SCORING_SYSTEM_BY_CODE[system_code].ai_items
    assert set(grades) == {spec.code for spec in specs}
    for spec in specs:
        value = grades[spec.code]
        assert value >= spec.minimum and (spec.maximum is None or value <= spec.maximum)
        assert not spec.integer or isinstance(value, int)
