"""Severity scores of the reference device (CONTRACT.md §7), in exact decimal arithmetic.

    apasi    w(region) · (erythema + induration + desquamation) · surface
    ascorad  A/5 + 7·B/2 + C, A = surface % · share(site) / 100, B = sum of six signs,
             C = itchiness + sleeplessness
    asalt    hair_loss % · SALT weight(site)
    auas     hive + itchiness
    aihs4    nodule + 2 · abscess + 4 · draining_tunnel

The questionnaire-only systems of v2's manual route (CONTRACT.md Appendix B) are scored from answers alone:

    pasi     Σ over the four regions of weight · (erythema + induration + desquamation) · area score
    scorad   extent/5 + 7·(sum of six signs)/2 + pruritus + sleeplessness
    dlqi     question1 + … + question10
    uas      wheals + pruritus
    ihs4     nodule + 2 · abscess + 4 · draining_tunnel

Scores are rounded half up to 2 decimals. Fault hooks: `zone_factor_override` replaces the
site's zone factor (fault `wrong-zone-factor`); `score_offset` is added to the returned
value only, so the score disagrees with its own items (fault `score-arithmetic-off`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from lhv.contract.tables import (
    BODY_SITE_BY_CODE,
    DLQI_QUESTIONS,
    PASI_REGION_WEIGHTS,
    PASI_SIGNS,
    SALT_WEIGHTS,
    SCORAD_SIGNS,
    SCORING_SYSTEM_BY_CODE,
    pasi_item,
)

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Band:
    """An interpretation band: scores at or above `lower` (and below the next band) get this category."""

    lower: float
    category: str
    intensity: int


# A score of exactly 0 is "None" (intensity 0) in every system; otherwise the highest band whose
# lower bound the score reaches applies. Scores have 2 decimals, so "above x" is written x + 0.01.
# apasi: PASI < 5 mild, 5–10 moderate, > 10 severe (the "rule of tens", Finlay 2005), read on the site's score.
# ascorad: SCORAD < 25 mild, 25–50 moderate, > 50 severe (Kunz et al. 1997).
# asalt: SALT ≤ 20 mild, 21–49 moderate, ≥ 50 severe (King et al. 2022); one view adds at most 40.
# auas: UAS7 bands (7–15 mild, 16–27 moderate, 28–42 severe) divided by 7 for one day's 0–6 score.
# aihs4: IHS4 ≤ 3 mild, 4–10 moderate, ≥ 11 severe (Zouboulis et al. 2017).
NONE = Band(0, "None", 0)
INTERPRETATION_BANDS: Mapping[str, tuple[Band, ...]] = MappingProxyType({
    "apasi": (Band(0.01, "Mild", 1), Band(5, "Moderate", 2), Band(10.01, "Severe", 3)),
    "ascorad": (Band(0.01, "Mild", 1), Band(25, "Moderate", 2), Band(50.01, "Severe", 3)),
    "asalt": (Band(0.01, "Mild", 1), Band(20.01, "Moderate", 2), Band(50, "Severe", 3)),
    "auas": (Band(0.01, "Mild", 1), Band(3, "Moderate", 2), Band(4, "Severe", 3)),
    "aihs4": (Band(0.01, "Mild", 1), Band(4, "Moderate", 2), Band(11, "Severe", 3)),
})


# The manual route's systems: pasi, scorad, uas and ihs4 read as their automatic twins; dlqi by its published
# bands (0–1 no effect, 2–5 small, 6–10 moderate, 11–20 very large, 21–30 extremely large), the last two severe.
MANUAL_BANDS: Mapping[str, tuple[Band, ...]] = MappingProxyType({
    "pasi": INTERPRETATION_BANDS["apasi"], "scorad": INTERPRETATION_BANDS["ascorad"],
    "dlqi": (Band(2, "Mild", 1), Band(6, "Moderate", 2), Band(11, "Severe", 3)),
    "uas": INTERPRETATION_BANDS["auas"], "ihs4": INTERPRETATION_BANDS["aihs4"],
})


@dataclass(frozen=True)
class Interpretation:
    """What a score means clinically: a category and an intensity 0–3."""

    category: str
    intensity: int


@dataclass(frozen=True)
class SystemScore:
    """One scoring system's result: the score, its meaning, the items it was computed from."""

    system: str
    value: float
    interpretation: Interpretation
    items: Mapping[str, float]  # every AI item and every echoed answer, by code
    global_score_contribution: float | None  # zone-weighted systems only


def zone_factor(system: str, body_site: str | None) -> Decimal | None:
    """The site's factor in a system: PASI weight, rule-of-nines share (%) or SALT weight; None if unweighted."""
    spec = SCORING_SYSTEM_BY_CODE[system]
    if not spec.needs_zone:
        return None
    if body_site is None:
        raise ValueError(f"{system} needs a body site")
    if system == "asalt":
        if body_site not in SALT_WEIGHTS:
            raise ValueError(f"asalt needs a scalp view, not {body_site}")
        return _decimal(SALT_WEIGHTS[body_site])
    site = BODY_SITE_BY_CODE[body_site]
    return _decimal(site.pasi_weight if system == "apasi" else site.nines_share)


def raw_score(system: str, items: Mapping[str, float], factor: Decimal | None) -> Decimal:
    """The exact, unrounded score of a system from its items and its zone factor."""
    value = {code: _decimal(number) for code, number in items.items()}
    if system == "apasi":
        return _require(factor) * (value["erythema"] + value["induration"] + value["desquamation"]) * value["surface"]
    if system == "ascorad":
        extent = value["surface"] * _require(factor) / 100
        intensity = sum((value[code] for code in _SCORAD_SIGNS), Decimal(0))
        return extent / 5 + 7 * intensity / 2 + value["itchiness"] + value["sleeplessness"]
    if system == "asalt":
        return value["hair_loss"] * _require(factor)
    if system == "auas":
        return value["hive"] + value["itchiness"]
    if system == "aihs4":
        return value["nodule"] + 2 * value["abscess"] + 4 * value["draining_tunnel"]
    raise ValueError(f"unknown scoring system {system!r}")


def global_score_contribution(system: str, items: Mapping[str, float], factor: Decimal | None) -> Decimal | None:
    """What the site adds to the whole-body (or whole-scalp) score; None for systems without a zone.

    apasi and asalt: the score itself, since the whole-body PASI and the whole-scalp SALT are
    sums of such site terms; ascorad: A/5, the site's extent term (SCORAD's intensity and
    symptom terms are not sums over sites).
    """
    if system in ("apasi", "asalt"):
        return raw_score(system, items, factor)
    if system == "ascorad":
        return _decimal(items["surface"]) * _require(factor) / 100 / 5
    return None


def interpret(system: str, value: float) -> Interpretation:
    """The category and intensity of a score (INTERPRETATION_BANDS)."""
    chosen = NONE
    for band in bands_of(system):
        if value >= band.lower:
            chosen = band
    return Interpretation(chosen.category, chosen.intensity)


def bands_of(system: str) -> tuple[Band, ...]:
    """The interpretation bands of an automatic or a questionnaire-only system (above NONE)."""
    return INTERPRETATION_BANDS.get(system) or MANUAL_BANDS[system]


def manual_raw_score(system: str, answers: Mapping[str, float]) -> Decimal:
    """The exact score of a questionnaire-only system from its answers (Appendix B's formulas)."""
    value = {code: _decimal(number) for code, number in answers.items()}
    if system == "pasi":
        return sum((_decimal(weight) * sum((value[pasi_item(region, sign)] for sign in PASI_SIGNS), Decimal(0))
                    * value[pasi_item(region, "area")] for region, weight in PASI_REGION_WEIGHTS.items()), Decimal(0))
    if system == "scorad":
        signs = sum((value[sign] for sign in SCORAD_SIGNS), Decimal(0))
        return value["extent"] / 5 + 7 * signs / 2 + value["pruritus"] + value["sleeplessness"]
    if system == "dlqi":
        return sum((value[f"question{number}"] for number in range(1, DLQI_QUESTIONS + 1)), Decimal(0))
    if system == "uas":
        return value["wheals"] + value["pruritus"]
    if system == "ihs4":
        return value["nodule"] + 2 * value["abscess"] + 4 * value["draining_tunnel"]
    raise ValueError(f"unknown questionnaire-only system {system!r}")


def score_manual(system: str, answers: Mapping[str, float], *, score_offset: float = 0.0) -> SystemScore:
    """Scores one questionnaire-only system from its answers; `score_offset` is fault `manual-score-off`'s."""
    value = _cents(manual_raw_score(system, answers) + _decimal(score_offset))
    return SystemScore(system, value, interpret(system, value), dict(answers), None)


def score_system(system: str, body_site: str | None, ai_items: Mapping[str, float], answers: Mapping[str, float],
                 *, zone_factor_override: float | None = None, score_offset: float = 0.0) -> SystemScore:
    """Scores one system for one site from the AI's items and the patient's answers."""
    items = {**answers, **ai_items}
    factor = _decimal(zone_factor_override) if zone_factor_override is not None else zone_factor(system, body_site)
    value = _cents(raw_score(system, items, factor) + _decimal(score_offset))
    contribution = global_score_contribution(system, items, factor)
    return SystemScore(system, value, interpret(system, value), items,
                       None if contribution is None else _cents(contribution))


_SCORAD_SIGNS = ("erythema", "swelling", "crusting", "excoriation", "lichenification", "dryness")


def _decimal(number: float | int | Decimal) -> Decimal:
    """The decimal a JSON number means: 0.1 is one tenth, not the nearest binary fraction."""
    return number if isinstance(number, Decimal) else Decimal(str(number))


def _cents(value: Decimal) -> float:
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _require(factor: Decimal | None) -> Decimal:
    if factor is None:
        raise ValueError("a zone factor is needed")
    return factor
