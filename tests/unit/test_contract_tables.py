"""The contract's clinical tables match CONTRACT.md §5–§7."""

from __future__ import annotations

import re

import pytest

from lhv.contract import tables as contract
from lhv.contract.tables import (
    BODY_SITE_BY_CAMEL,
    BODY_SITE_BY_CODE,
    BODY_SITES,
    CONDITION_BY_CODE,
    PASI_REGION_WEIGHTS,
    RULE_OF_NINES_SHARES,
    SALT_WEIGHTS,
    SCORING_SYSTEM_BY_CODE,
)

CONTRACT_SITES = (
    "head_front head_back head_top head_left head_right arm_left arm_right trunk_front trunk_back leg_left "
    "leg_right hand_left hand_right foot_left foot_right genital nails scalp ear_left ear_right perioral tongue "
    "elbow_left elbow_right upper_arm_left upper_arm_right lower_arm_left lower_arm_right knee_left knee_right "
    "upper_leg_left upper_leg_right lower_leg_left lower_leg_right"
).split()


def test_the_34_body_sites_are_the_contracts_in_its_order():
    assert [site.code for site in BODY_SITES] == CONTRACT_SITES
    assert len(BODY_SITE_BY_CODE) == 34


@pytest.mark.parametrize("site", BODY_SITES, ids=lambda site: site.code)
def test_camel_case_spelling_is_the_snake_case_code_camelised(site):
    head, *rest = site.code.split("_")
    assert site.camel == head + "".join(word.capitalize() for word in rest)
    assert re.fullmatch(r"[a-z]+([A-Z][a-z]+)*", site.camel)
    assert BODY_SITE_BY_CAMEL[site.camel] is site


def test_pasi_weights_are_the_standard_ones():
    assert dict(PASI_REGION_WEIGHTS) == {"head": 0.1, "upper_limbs": 0.2, "trunk": 0.3, "lower_limbs": 0.4}


def test_rule_of_nines_covers_the_whole_body():
    shares = RULE_OF_NINES_SHARES
    whole_body = (shares["head"] + 2 * shares["arm"] + 2 * shares["leg"] + shares["trunk_front"]
                  + shares["trunk_back"] + shares["genital"])
    assert whole_body == 100
    assert (shares["head"], shares["arm"], shares["leg"], shares["genital"]) == (9, 9, 18, 1)


@pytest.mark.parametrize(("code", "region", "weight", "share"), [
    ("head_front", "head", 0.1, 9), ("scalp", "head", 0.1, 9), ("tongue", "head", 0.1, 9),
    ("perioral", "head", 0.1, 9), ("ear_right", "head", 0.1, 9),
    ("arm_left", "upper_limbs", 0.2, 9), ("hand_right", "upper_limbs", 0.2, 9), ("nails", "upper_limbs", 0.2, 9),
    ("elbow_left", "upper_limbs", 0.2, 9), ("lower_arm_right", "upper_limbs", 0.2, 9),
    ("trunk_front", "trunk", 0.3, 18), ("trunk_back", "trunk", 0.3, 18), ("genital", "trunk", 0.3, 1),
    ("leg_right", "lower_limbs", 0.4, 18), ("foot_left", "lower_limbs", 0.4, 18),
    ("knee_right", "lower_limbs", 0.4, 18), ("upper_leg_left", "lower_limbs", 0.4, 18),
])
def test_site_zone_factors(code, region, weight, share):
    site = BODY_SITE_BY_CODE[code]
    assert (site.pasi_region, site.pasi_weight, site.nines_share) == (region, weight, share)


def test_every_site_has_a_known_region_and_area():
    for site in BODY_SITES:
        assert site.pasi_region in PASI_REGION_WEIGHTS
        assert site.nines_area in RULE_OF_NINES_SHARES


def test_salt_weights_are_the_four_scalp_views_and_sum_to_one():
    assert dict(SALT_WEIGHTS) == {"head_top": 0.40, "head_back": 0.24, "head_left": 0.18, "head_right": 0.18}
    assert sum(SALT_WEIGHTS.values()) == pytest.approx(1.0)
    assert set(SALT_WEIGHTS) <= set(BODY_SITE_BY_CODE)


def _ranges(specs):
    return {spec.code: (spec.minimum, spec.maximum, spec.integer) for spec in specs}


@pytest.mark.parametrize(("code", "needs_zone", "answers", "ai_items"), [
    ("apasi", True, {"surface": (0, 6, True)},
     {"erythema": (0, 4, True), "induration": (0, 4, True), "desquamation": (0, 4, True)}),
    ("ascorad", True, {"surface": (0, 100, False), "itchiness": (0, 10, False), "sleeplessness": (0, 10, False)},
     {sign: (0, 3, True) for sign in ("erythema", "swelling", "crusting", "excoriation", "lichenification",
                                      "dryness")}),
    ("asalt", True, {}, {"hair_loss": (0, 100, False)}),
    ("auas", False, {"itchiness": (0, 3, True)}, {"hive": (0, 3, True)}),
    ("aihs4", False, {}, {"nodule": (0, None, True), "abscess": (0, None, True), "draining_tunnel": (0, None, True)}),
])
def test_scoring_systems_match_the_contract_table(code, needs_zone, answers, ai_items):
    system = SCORING_SYSTEM_BY_CODE[code]
    assert system.needs_zone is needs_zone
    assert _ranges(system.answers) == answers
    assert _ranges(system.ai_items) == ai_items
    assert system.needs_answers is bool(answers)


def test_scoring_system_lookups():
    apasi = SCORING_SYSTEM_BY_CODE["apasi"]
    assert apasi.answer("surface").maximum == 6
    assert apasi.answer("erythema") is None
    assert apasi.ai_item("erythema").maximum == 4
    assert list(SCORING_SYSTEM_BY_CODE) == ["apasi", "ascorad", "asalt", "auas", "aihs4"]


def test_score_maxima_follow_from_the_formulas():
    assert SCORING_SYSTEM_BY_CODE["apasi"].score_maximum == pytest.approx(0.4 * (4 + 4 + 4) * 6)
    assert SCORING_SYSTEM_BY_CODE["ascorad"].score_maximum == pytest.approx(100 / 5 + 7 * 18 / 2 + 20)
    assert SCORING_SYSTEM_BY_CODE["asalt"].score_maximum == pytest.approx(100 * max(SALT_WEIGHTS.values()))
    assert SCORING_SYSTEM_BY_CODE["auas"].score_maximum == 3 + 3
    assert SCORING_SYSTEM_BY_CODE["aihs4"].score_maximum is None


def test_conditions_have_their_icd11_codes():
    expected = {"EA90": "Psoriasis", "EA80": "Atopic dermatitis", "ED70": "Alopecia areata", "ED80": "Acne",
                "EB00": "Urticaria", "ED92.0": "Hidradenitis suppurativa", "2C30": "Melanoma of skin"}
    for code, display in expected.items():
        assert CONDITION_BY_CODE[code].display == display
    assert len(CONDITION_BY_CODE) == len(contract.CONDITIONS)


def test_image_limits_and_v2_renames():
    assert (contract.DIAGNOSIS_MIN_IMAGES, contract.DIAGNOSIS_MAX_IMAGES, contract.SEVERITY_IMAGES) == (1, 5, 1)
    assert contract.CONTENT_TYPES == ("image/jpeg", "image/png")
    assert dict(contract.V2_ITEM_RENAMES) == {"itchiness": "pruritus", "hive": "wheals"}


def test_tables_are_read_only():
    with pytest.raises(TypeError):
        PASI_REGION_WEIGHTS["head"] = 1.0  # type: ignore[index]
    with pytest.raises(AttributeError):
        BODY_SITES[0].code = "x"  # type: ignore[misc]
