"""The contract's clinical data tables (CONTRACT.md §5–§7): body sites, scoring systems, conditions, limits.

Pure data and one-line lookups. Both the reference device and the harness read these
tables; the device's interpretation bands and the stand-in AI are not here, since they
are the device's choices, not the contract's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

# §5: image limits and accepted content types.
CONTENT_TYPES: tuple[str, ...] = ("image/jpeg", "image/png")
DIAGNOSIS_MIN_IMAGES = 1
DIAGNOSIS_MAX_IMAGES = 5
SEVERITY_IMAGES = 1

# §7: PASI region weights.
PASI_REGION_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"head": 0.1, "upper_limbs": 0.2, "trunk": 0.3, "lower_limbs": 0.4}
)

# §7: rule-of-nines areas and their share of the whole body surface, in per cent. "arm" and
# "leg" are one limb each, so head + 2 arms + 2 legs + trunk front + trunk back + genital = 100.
RULE_OF_NINES_SHARES: Mapping[str, float] = MappingProxyType(
    {"head": 9, "arm": 9, "leg": 18, "trunk_front": 18, "trunk_back": 18, "genital": 1}
)


@dataclass(frozen=True)
class BodySite:
    """A body-site code of the contract with its zone factors.

    `nines_area` is the rule-of-nines area that contains the site; `nines_share` is that
    whole area's share of the body in per cent. A sub-site (hand, elbow, knee, ear, …)
    takes the share of its containing area, so an ASCORAD `surface` answer is read as the
    per cent of that area affected; the contract names only the six area shares.
    """

    code: str
    camel: str
    pasi_region: str
    nines_area: str

    @property
    def pasi_weight(self) -> float:
        """The PASI weight of the site's region."""
        return PASI_REGION_WEIGHTS[self.pasi_region]

    @property
    def nines_share(self) -> float:
        """The rule-of-nines share, in per cent of the body, of the site's area."""
        return RULE_OF_NINES_SHARES[self.nines_area]


# The 34 sites, in the contract's order. Mapping choices the contract leaves open:
# scalp, ears, perioral and tongue are head; hands and the arm's sub-sites are the arm
# (the rule of nines counts the hand in the arm's 9 %); feet and the leg's sub-sites are
# the leg; genital is its own 1 % area and, as PASI counts the groin, trunk; nails are
# read as fingernails, the nails usually photographed: upper limbs and an arm's share (9 %).
BODY_SITES: tuple[BodySite, ...] = (
    BodySite("head_front", "headFront", "head", "head"),
    BodySite("head_back", "headBack", "head", "head"),
    BodySite("head_top", "headTop", "head", "head"),
    BodySite("head_left", "headLeft", "head", "head"),
    BodySite("head_right", "headRight", "head", "head"),
    BodySite("arm_left", "armLeft", "upper_limbs", "arm"),
    BodySite("arm_right", "armRight", "upper_limbs", "arm"),
    BodySite("trunk_front", "trunkFront", "trunk", "trunk_front"),
    BodySite("trunk_back", "trunkBack", "trunk", "trunk_back"),
    BodySite("leg_left", "legLeft", "lower_limbs", "leg"),
    BodySite("leg_right", "legRight", "lower_limbs", "leg"),
    BodySite("hand_left", "handLeft", "upper_limbs", "arm"),
    BodySite("hand_right", "handRight", "upper_limbs", "arm"),
    BodySite("foot_left", "footLeft", "lower_limbs", "leg"),
    BodySite("foot_right", "footRight", "lower_limbs", "leg"),
    BodySite("genital", "genital", "trunk", "genital"),
    BodySite("nails", "nails", "upper_limbs", "arm"),
    BodySite("scalp", "scalp", "head", "head"),
    BodySite("ear_left", "earLeft", "head", "head"),
    BodySite("ear_right", "earRight", "head", "head"),
    BodySite("perioral", "perioral", "head", "head"),
    BodySite("tongue", "tongue", "head", "head"),
    BodySite("elbow_left", "elbowLeft", "upper_limbs", "arm"),
    BodySite("elbow_right", "elbowRight", "upper_limbs", "arm"),
    BodySite("upper_arm_left", "upperArmLeft", "upper_limbs", "arm"),
    BodySite("upper_arm_right", "upperArmRight", "upper_limbs", "arm"),
    BodySite("lower_arm_left", "lowerArmLeft", "upper_limbs", "arm"),
    BodySite("lower_arm_right", "lowerArmRight", "upper_limbs", "arm"),
    BodySite("knee_left", "kneeLeft", "lower_limbs", "leg"),
    BodySite("knee_right", "kneeRight", "lower_limbs", "leg"),
    BodySite("upper_leg_left", "upperLegLeft", "lower_limbs", "leg"),
    BodySite("upper_leg_right", "upperLegRight", "lower_limbs", "leg"),
    BodySite("lower_leg_left", "lowerLegLeft", "lower_limbs", "leg"),
    BodySite("lower_leg_right", "lowerLegRight", "lower_limbs", "leg"),
)
BODY_SITE_BY_CODE: Mapping[str, BodySite] = MappingProxyType({site.code: site for site in BODY_SITES})
BODY_SITE_BY_CAMEL: Mapping[str, BodySite] = MappingProxyType({site.camel: site for site in BODY_SITES})

# §7: SALT weights of the four scalp views; ASALT is valid on these sites only.
SALT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"head_top": 0.40, "head_back": 0.24, "head_left": 0.18, "head_right": 0.18}
)


@dataclass(frozen=True)
class ItemSpec:
    """One item of a scoring system: its code, allowed range and whether it is a whole number."""

    code: str
    minimum: float
    maximum: float | None  # None: no upper bound (counts)
    integer: bool
    meaning: str


@dataclass(frozen=True)
class ScoringSystem:
    """A scoring system: which answers the patient gives and which items the AI grades."""

    code: str
    name: str
    needs_zone: bool
    answers: tuple[ItemSpec, ...]
    ai_items: tuple[ItemSpec, ...]
    score_maximum: float | None  # None: no upper bound (AIHS4)

    @property
    def needs_answers(self) -> bool:
        """True when the system cannot be scored without a questionnaire."""
        return bool(self.answers)

    def answer(self, code: str) -> ItemSpec | None:
        """The answer item with this code, or None."""
        return next((spec for spec in self.answers if spec.code == code), None)

    def ai_item(self, code: str) -> ItemSpec | None:
        """The AI item with this code, or None."""
        return next((spec for spec in self.ai_items if spec.code == code), None)


def _grade(code: str, maximum: int, meaning: str) -> ItemSpec:
    return ItemSpec(code, 0, maximum, True, meaning)


SCORING_SYSTEMS: tuple[ScoringSystem, ...] = (
    ScoringSystem(
        "apasi", "Automatic Psoriasis Area and Severity Index", True,
        answers=(_grade("surface", 6, "PASI area score of the site"),),
        ai_items=(_grade("erythema", 4, "redness"), _grade("induration", 4, "thickness"),
                  _grade("desquamation", 4, "scaling")),
        score_maximum=28.8,
    ),
    ScoringSystem(
        "ascorad", "Automatic SCORing Atopic Dermatitis", True,
        answers=(ItemSpec("surface", 0, 100, False, "per cent of the site affected"),
                 ItemSpec("itchiness", 0, 10, False, "pruritus, visual analogue scale"),
                 ItemSpec("sleeplessness", 0, 10, False, "sleep loss, visual analogue scale")),
        ai_items=(_grade("erythema", 3, "redness"), _grade("swelling", 3, "oedema or papulation"),
                  _grade("crusting", 3, "oozing or crusts"), _grade("excoriation", 3, "scratch marks"),
                  _grade("lichenification", 3, "skin thickening"), _grade("dryness", 3, "xerosis")),
        score_maximum=103,
    ),
    ScoringSystem(
        "asalt", "Automatic Severity of Alopecia Tool", True,
        answers=(),
        ai_items=(ItemSpec("hair_loss", 0, 100, False, "per cent of the scalp view without hair"),),
        score_maximum=40,
    ),
    # The plan dialect calls the wheal item "hive"; the v2 dialect renames it "wheals".
    ScoringSystem(
        "auas", "Automatic Urticaria Activity Score", False,
        answers=(_grade("itchiness", 3, "pruritus intensity"),),
        ai_items=(_grade("hive", 3, "wheal count category: 0 none, 1 <20, 2 20-50, 3 >50"),),
        score_maximum=6,
    ),
    ScoringSystem(
        "aihs4", "Automatic International Hidradenitis Suppurativa Severity Score System", False,
        answers=(),
        ai_items=(ItemSpec("nodule", 0, None, True, "inflammatory nodules"),
                  ItemSpec("abscess", 0, None, True, "abscesses"),
                  ItemSpec("draining_tunnel", 0, None, True, "draining tunnels")),
        score_maximum=None,
    ),
)
SCORING_SYSTEM_BY_CODE: Mapping[str, ScoringSystem] = MappingProxyType(
    {system.code: system for system in SCORING_SYSTEMS}
)

# Appendix: item codes the v2 dialect spells differently.
V2_ITEM_RENAMES: Mapping[str, str] = MappingProxyType({"itchiness": "pruritus", "hive": "wheals"})


@dataclass(frozen=True)
class Condition:
    """An ICD-11 condition the reference device's stand-in AI can name."""

    code: str
    display: str


ICD11_SYSTEM = "http://id.who.int/icd/release/11/mms"
CONDITIONS: tuple[Condition, ...] = (
    Condition("EA90", "Psoriasis"),
    Condition("EA80", "Atopic dermatitis"),
    Condition("ED70", "Alopecia areata"),
    Condition("ED80", "Acne"),
    Condition("EB00", "Urticaria"),
    Condition("ED92.0", "Hidradenitis suppurativa"),
    Condition("2C30", "Melanoma of skin"),
    Condition("ED63.0", "Vitiligo"),
)
CONDITION_BY_CODE: Mapping[str, Condition] = MappingProxyType({c.code: c for c in CONDITIONS})


# CONTRACT.md Appendix B ("v2 questionnaire-only scores"): systems scored from answers alone, on
# POST /severity-assessment/manual. Item codes are v2's (the route exists in v2 only); each item
# is echoed as sent. PASI is the whole-body index: every region's signs (0–4) and area score (0–6).
PASI_REGIONS: tuple[str, ...] = tuple(PASI_REGION_WEIGHTS)
PASI_SIGNS: tuple[str, ...] = ("erythema", "induration", "desquamation")
SCORAD_SIGNS: tuple[str, ...] = ("erythema", "swelling", "crusting", "excoriation", "lichenification", "dryness")
DLQI_QUESTIONS = 10


def pasi_item(region: str, part: str) -> str:
    """A PASI item code: a region's sign or area score (head_erythema, lower_limbs_area)."""
    return f"{region}_{part}"


MANUAL_SYSTEMS: tuple[ScoringSystem, ...] = (
    ScoringSystem(
        "pasi", "Psoriasis Area and Severity Index", False,
        answers=tuple(spec for region in PASI_REGIONS for spec in (
            *(_grade(pasi_item(region, sign), 4, f"{sign}, {region.replace('_', ' ')}") for sign in PASI_SIGNS),
            _grade(pasi_item(region, "area"), 6, f"area score, {region.replace('_', ' ')}"))),
        ai_items=(), score_maximum=72,
    ),
    ScoringSystem(
        "scorad", "SCORing Atopic Dermatitis", False,
        answers=(ItemSpec("extent", 0, 100, False, "A: per cent of the whole body affected"),
                 *(_grade(sign, 3, "B: intensity sign") for sign in SCORAD_SIGNS),
                 ItemSpec("pruritus", 0, 10, False, "C: pruritus, visual analogue scale"),
                 ItemSpec("sleeplessness", 0, 10, False, "C: sleep loss, visual analogue scale")),
        ai_items=(), score_maximum=103,
    ),
    ScoringSystem(
        "dlqi", "Dermatology Life Quality Index", False,
        answers=tuple(_grade(f"question{number}", 3, f"question {number}") for number in range(1, DLQI_QUESTIONS + 1)),
        ai_items=(), score_maximum=30,
    ),
    ScoringSystem(
        "uas", "Urticaria Activity Score", False,
        answers=(_grade("wheals", 3, "wheal count category: 0 none, 1 <20, 2 20-50, 3 >50"),
                 _grade("pruritus", 3, "pruritus intensity")),
        ai_items=(), score_maximum=6,
    ),
    ScoringSystem(
        "ihs4", "International Hidradenitis Suppurativa Severity Score System", False,
        answers=(ItemSpec("nodule", 0, None, True, "inflammatory nodules"),
                 ItemSpec("abscess", 0, None, True, "abscesses"),
                 ItemSpec("draining_tunnel", 0, None, True, "draining tunnels")),
        ai_items=(), score_maximum=None,
    ),
)
MANUAL_SYSTEM_BY_CODE: Mapping[str, ScoringSystem] = MappingProxyType(
    {system.code: system for system in MANUAL_SYSTEMS}
)
MANUAL_MAX_IMAGES = DIAGNOSIS_MAX_IMAGES  # the manual route's `payload` list: as many images as a diagnosis takes
