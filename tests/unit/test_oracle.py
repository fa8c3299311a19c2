"""The harness's score oracle: independent of the device, agrees with it, and catches its faults."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lhv.contract import oracle
from lhv.contract.oracle import check, recompute, recompute_contribution
from lhv.contract.tables import BODY_SITES, SALT_WEIGHTS, SCORING_SYSTEM_BY_CODE
from lhv.device.clinical.scoring import score_system

SEED_APASI = {"surface": 4, "erythema": 2, "induration": 3, "desquamation": 1}
SEED_ASCORAD = {"surface": 78, "itchiness": 4, "sleeplessness": 6, "erythema": 2, "swelling": 1, "crusting": 0,
                "excoriation": 1, "lichenification": 2, "dryness": 1}


def test_the_oracle_does_not_import_the_device():
    tree = ast.parse(Path(oracle.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not any(name and name.startswith("lhv.device") for name in imported)


def test_apasi_formula_text():
    result = check("apasi", "arm_left", SEED_APASI, 4.8)
    assert result.ok and result.expected == pytest.approx(4.8)
    assert result.formula_text == "0.2 × (2+3+1) × 4 = 4.80"


def test_ascorad_shows_the_contracts_worked_example():
    result = check("ascorad", "arm_left", SEED_ASCORAD, 35.9)
    assert result.ok
    assert result.formula_text == "A = 78 × 9 / 100 = 7.02; 7.02/5 + 7 × (2+1+0+1+2+1)/2 + (4+6) = 35.90"


@pytest.mark.parametrize(("system", "site", "items", "score", "text"), [
    ("asalt", "head_right", {"hair_loss": 23.2}, 4.18, "23.2 × 0.18 = 4.18"),
    ("asalt", "head_top", {"hair_loss": 100}, 40, "100 × 0.4 = 40.00"),
    ("auas", None, {"hive": 2, "itchiness": 3}, 5, "2 + 3 = 5.00"),
    ("aihs4", None, {"nodule": 3, "abscess": 2, "draining_tunnel": 1}, 11, "3 + 2 × 2 + 4 × 1 = 11.00"),
])
def test_other_systems(system, site, items, score, text):
    result = check(system, site, items, score)
    assert (result.ok, result.formula_text, result.problems) == (True, text, ())


def test_a_score_that_disagrees_with_its_items_fails():
    result = check("apasi", "arm_left", SEED_APASI, 9.6)
    assert not result.ok
    assert (result.expected, result.reported) == (pytest.approx(4.8), 9.6)


def test_tolerance_is_inclusive_and_exact():
    assert check("asalt", "head_right", {"hair_loss": 23.2}, 4.186).ok  # 4.176 + 0.01
    assert not check("asalt", "head_right", {"hair_loss": 23.2}, 4.187).ok
    assert check("asalt", "head_right", {"hair_loss": 23.2}, 4.2, tolerance=0.05).ok


@pytest.mark.parametrize(("system", "site", "items", "reason"), [
    ("apasi", "arm_left", {"surface": 4, "erythema": 2, "induration": 3}, "desquamation"),
    ("apasi", None, SEED_APASI, "body site"),
    ("apasi", "elbow", SEED_APASI, "unknown body site"),
    ("asalt", "arm_left", {"hair_loss": 10}, "only the four scalp views"),
    ("apasi", "arm_left", {**SEED_APASI, "surface": "4"}, "not a number"),
    ("nosuch", "arm_left", SEED_APASI, "unknown scoring system"),
])
def test_what_cannot_be_recomputed_fails_with_the_reason(system, site, items, reason):
    result = check(system, site, items, 4.8)
    assert not result.ok and result.expected is None
    assert reason in result.formula_text and reason in result.problems[0]


def test_items_outside_their_range_fail_even_when_the_arithmetic_holds():
    result = check("apasi", "arm_left", {**SEED_APASI, "erythema": 5}, 7.2)
    assert not result.ok
    assert result.problems == ("erythema = 5 is outside 0–4",)
    assert check("aihs4", None, {"nodule": 1.5, "abscess": 0, "draining_tunnel": 0}, 1.5).problems == (
        "nodule = 1.5 is not a whole number",)


def test_a_reported_score_that_is_not_a_number_fails():
    result = check("apasi", "arm_left", SEED_APASI, None)  # type: ignore[arg-type]
    assert not result.ok and result.expected == pytest.approx(4.8)


def test_global_contributions():
    assert recompute_contribution("ascorad", "arm_left", SEED_ASCORAD) == pytest.approx(1.404)
    assert recompute_contribution("apasi", "arm_left", SEED_APASI) == pytest.approx(4.8)
    assert recompute_contribution("auas", None, {"hive": 1, "itchiness": 1}) is None


def item_values(system: str):
    spec = SCORING_SYSTEM_BY_CODE[system]

    def value(item):
        upper = item.maximum if item.maximum is not None else 40
        if item.integer:
            return st.integers(int(item.minimum), int(upper))
        return st.decimals(item.minimum, upper, places=2).map(float)

    return st.fixed_dictionaries({item.code: value(item) for item in (*spec.answers, *spec.ai_items)})


@st.composite
def device_cases(draw):
    system = draw(st.sampled_from(list(SCORING_SYSTEM_BY_CODE)))
    sites = list(SALT_WEIGHTS) if system == "asalt" else [site.code for site in BODY_SITES]
    return system, draw(st.sampled_from(sites)), draw(item_values(system))


def device_score(system, site, items, **hooks):
    spec = SCORING_SYSTEM_BY_CODE[system]
    answers = {code: value for code, value in items.items() if spec.answer(code)}
    ai_items = {code: value for code, value in items.items() if spec.ai_item(code)}
    return score_system(system, site, ai_items, answers, **hooks)


@settings(max_examples=400, deadline=None)
@given(device_cases())
def test_oracle_agrees_with_the_device_on_random_inputs(case):
    system, site, items = case
    result = device_score(system, site, items)
    verdict = check(system, site, dict(result.items), result.value)
    assert verdict.ok, verdict.formula_text
    if result.global_score_contribution is not None:
        # half a rounding unit, plus float noise
        assert abs(result.global_score_contribution - recompute_contribution(system, site, items)) <= 0.005 + 1e-9


@settings(max_examples=200, deadline=None)
@given(device_cases(), st.sampled_from([0.05, 0.5, 1.0, 3.0]))
def test_oracle_catches_the_score_arithmetic_fault(case, offset):
    system, site, items = case
    result = device_score(system, site, items, score_offset=offset)
    assert not check(system, site, dict(result.items), result.value).ok


@settings(max_examples=200, deadline=None)
@given(device_cases().filter(lambda case: SCORING_SYSTEM_BY_CODE[case[0]].needs_zone), st.sampled_from([1.0, 0.5, 27]))
def test_oracle_catches_the_wrong_zone_factor_fault(case, wrong_factor):
    system, site, items = case
    honest = device_score(system, site, items)
    faulty = device_score(system, site, items, zone_factor_override=wrong_factor)
    assume(abs(faulty.value - honest.value) > 0.02)  # a zero extent or loss hides any factor
    assert not check(system, site, dict(faulty.items), faulty.value).ok


def test_recompute_is_exact():
    assert recompute("asalt", "head_right", {"hair_loss": 23.25}) == 4.185
    assert recompute("apasi", "lower_leg_left", {"surface": 6, "erythema": 4, "induration": 4,
                                                 "desquamation": 4}) == 28.8
