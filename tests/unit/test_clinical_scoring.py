"""The reference device's severity scores (CONTRACT.md §7)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lhv.contract.tables import BODY_SITES, SALT_WEIGHTS, SCORING_SYSTEM_BY_CODE
from lhv.device.clinical.scoring import (
    INTERPRETATION_BANDS,
    Interpretation,
    global_score_contribution,
    interpret,
    raw_score,
    score_system,
    zone_factor,
)

APASI_SIGNS = {"erythema": 2, "induration": 3, "desquamation": 1}
SCORAD_SIGNS = {"erythema": 2, "swelling": 1, "crusting": 0, "excoriation": 1, "lichenification": 2, "dryness": 1}
SEED_APASI_ANSWERS = {"surface": 4}
SEED_SCORAD_ANSWERS = {"surface": 78, "itchiness": 4, "sleeplessness": 6}


def test_contract_worked_example_arm_78_percent_gives_extent_7_02():
    factor = zone_factor("ascorad", "arm_left")
    assert factor == 9
    assert Decimal(78) * factor / 100 == Decimal("7.02")
    assert global_score_contribution("ascorad", {"surface": 78}, factor) == Decimal("1.404")


def test_seed_payload_1_apasi_on_the_left_arm():
    result = score_system("apasi", "arm_left", APASI_SIGNS, SEED_APASI_ANSWERS)
    assert result.value == 4.8  # 0.2 × (2+3+1) × 4
    assert result.items == {"surface": 4, **APASI_SIGNS}
    assert result.global_score_contribution == 4.8
    assert result.interpretation == Interpretation("Mild", 1)


def test_seed_payload_1_ascorad_on_the_left_arm():
    result = score_system("ascorad", "arm_left", SCORAD_SIGNS, SEED_SCORAD_ANSWERS)
    assert result.value == 35.9  # 7.02/5 + 7 × 7/2 + (4+6) = 1.404 + 24.5 + 10
    assert result.global_score_contribution == 1.4
    assert result.interpretation == Interpretation("Moderate", 2)


def test_seed_payload_2_asalt_on_the_right_of_the_head():
    result = score_system("asalt", "head_right", {"hair_loss": 23.2}, {})
    assert result.value == 4.18  # 23.2 × 0.18 = 4.176
    assert result.global_score_contribution == 4.18


def test_auas_and_aihs4_need_no_site():
    assert score_system("auas", None, {"hive": 2}, {"itchiness": 3}).value == 5
    aihs4 = score_system("aihs4", None, {"nodule": 3, "abscess": 2, "draining_tunnel": 1}, {})
    assert (aihs4.value, aihs4.global_score_contribution) == (11, None)
    assert aihs4.interpretation == Interpretation("Severe", 3)


@pytest.mark.parametrize(("system", "site", "factor"), [
    ("apasi", "head_top", "0.1"), ("apasi", "hand_left", "0.2"), ("apasi", "genital", "0.3"),
    ("apasi", "foot_right", "0.4"), ("ascorad", "trunk_back", "18"), ("ascorad", "genital", "1"),
    ("ascorad", "knee_left", "18"), ("asalt", "head_top", "0.4"), ("asalt", "head_back", "0.24"),
    ("auas", None, None), ("aihs4", "arm_left", None),
])
def test_zone_factors(system, site, factor):
    assert zone_factor(system, site) == (None if factor is None else Decimal(factor))


@pytest.mark.parametrize(("system", "site"), [("apasi", None), ("ascorad", None), ("asalt", None),
                                              ("asalt", "scalp"), ("asalt", "arm_left")])
def test_zone_weighted_systems_refuse_a_missing_or_wrong_site(system, site):
    with pytest.raises(ValueError):
        zone_factor(system, site)


def test_extremes_of_apasi():
    worst = {"erythema": 4, "induration": 4, "desquamation": 4}
    assert score_system("apasi", "leg_left", worst, {"surface": 6}).value == 28.8
    assert score_system("apasi", "leg_left", worst, {"surface": 0}).value == 0
    assert score_system("apasi", "leg_left", worst, {"surface": 0}).interpretation == Interpretation("None", 0)


def test_rounding_is_exact_decimal_half_up():
    assert round(23.25 * 0.18, 2) == 4.18  # binary floating point rounds this half down
    assert score_system("asalt", "head_right", {"hair_loss": 23.25}, {}).value == 4.19
    assert score_system("asalt", "head_top", {"hair_loss": 0.1}, {}).value == 0.04


@pytest.mark.parametrize(("system", "value", "category", "intensity"), [
    ("apasi", 0, "None", 0), ("apasi", 0.01, "Mild", 1), ("apasi", 4.99, "Mild", 1), ("apasi", 5, "Moderate", 2),
    ("apasi", 10, "Moderate", 2), ("apasi", 10.01, "Severe", 3), ("ascorad", 24.99, "Mild", 1),
    ("ascorad", 25, "Moderate", 2), ("ascorad", 50, "Moderate", 2), ("ascorad", 50.01, "Severe", 3),
    ("asalt", 20, "Mild", 1), ("asalt", 20.01, "Moderate", 2), ("auas", 2, "Mild", 1), ("auas", 3, "Moderate", 2),
    ("auas", 4, "Severe", 3), ("aihs4", 3, "Mild", 1), ("aihs4", 4, "Moderate", 2), ("aihs4", 10, "Moderate", 2),
    ("aihs4", 11, "Severe", 3),
])
def test_interpretation_bands(system, value, category, intensity):
    assert interpret(system, value) == Interpretation(category, intensity)


def test_every_system_has_bands_of_rising_intensity():
    for system, bands in INTERPRETATION_BANDS.items():
        assert system in SCORING_SYSTEM_BY_CODE
        assert [band.intensity for band in bands] == [1, 2, 3]
        assert [band.lower for band in bands] == sorted(band.lower for band in bands)


def test_fault_hook_wrong_zone_factor_changes_the_score_not_the_items():
    right = score_system("apasi", "arm_left", APASI_SIGNS, SEED_APASI_ANSWERS)
    wrong = score_system("apasi", "arm_left", APASI_SIGNS, SEED_APASI_ANSWERS, zone_factor_override=0.4)
    assert (right.value, wrong.value) == (4.8, 9.6)
    assert wrong.items == right.items


def test_fault_hook_score_offset_breaks_the_arithmetic_only():
    wrong = score_system("ascorad", "arm_left", SCORAD_SIGNS, SEED_SCORAD_ANSWERS, score_offset=1.5)
    assert wrong.value == 37.4  # 35.904 + 1.5
    assert wrong.items == {**SEED_SCORAD_ANSWERS, **SCORAD_SIGNS}


def test_unknown_system_is_an_error():
    with pytest.raises(ValueError):
        raw_score("pasi", {}, None)


def in_range_items(system: str):
    spec = SCORING_SYSTEM_BY_CODE[system]

    def value(item):
        upper = item.maximum if item.maximum is not None else 50
        if item.integer:
            return st.integers(int(item.minimum), int(upper))
        return st.decimals(item.minimum, upper, places=1).map(float)

    return st.fixed_dictionaries({item.code: value(item) for item in (*spec.answers, *spec.ai_items)})


def site_for(system: str):
    if system == "asalt":
        return st.sampled_from(list(SALT_WEIGHTS))
    return st.sampled_from([site.code for site in BODY_SITES])


@st.composite
def scoring_cases(draw):
    system = draw(st.sampled_from(list(SCORING_SYSTEM_BY_CODE)))
    return system, draw(site_for(system)), draw(in_range_items(system))


@settings(max_examples=300, deadline=None)
@given(scoring_cases())
def test_scores_lie_in_their_range_with_two_decimals(case):
    system, site, items = case
    spec = SCORING_SYSTEM_BY_CODE[system]
    answers = {code: value for code, value in items.items() if spec.answer(code)}
    ai_items = {code: value for code, value in items.items() if spec.ai_item(code)}
    result = score_system(system, site, ai_items, answers)
    assert 0 <= result.value
    assert spec.score_maximum is None or result.value <= spec.score_maximum
    assert round(result.value, 2) == result.value
    assert 0 <= result.interpretation.intensity <= 3
