"""The harness's score oracle: recomputes a severity score from the items a response echoes.

Written apart from the reference device (it imports nothing from lhv.device) and in exact
rational arithmetic, so a device's rounding or formula slip shows as a disagreement. The
formulas are CONTRACT.md §7's, and Appendix B's for the questionnaire-only systems of v2's manual
route (pasi, scorad, dlqi, uas, ihs4); the zone and item tables come from lhv.contract.tables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from lhv.contract.tables import (
    BODY_SITE_BY_CODE,
    DLQI_QUESTIONS,
    MANUAL_SYSTEM_BY_CODE,
    PASI_REGION_WEIGHTS,
    PASI_SIGNS,
    SALT_WEIGHTS,
    SCORAD_SIGNS,
    SCORING_SYSTEM_BY_CODE,
    BodySite,
    ScoringSystem,
    pasi_item,
)


class OracleInputError(ValueError):
    """The items or the site do not allow a score to be recomputed."""


@dataclass(frozen=True)
class OracleResult:
    """A reported score set against the oracle's."""

    system: str
    expected: float | None  # None when the score cannot be recomputed
    reported: float
    ok: bool
    formula_text: str  # the arithmetic, e.g. "0.2 × (2+3+1) × 4 = 4.80"
    problems: tuple[str, ...] = ()  # items outside their contract range, or why nothing was recomputed


def recompute(system: str, body_site: str | None, items: Mapping[str, float]) -> float:
    """The exact score of a system (CONTRACT.md §7) from its items and answers, by code."""
    return float(_evaluate(system, body_site, items)[0])


def recompute_contribution(system: str, body_site: str | None, items: Mapping[str, float]) -> float | None:
    """A zone-weighted system's globalScoreContribution: the score for apasi and asalt, A/5 for ascorad."""
    if system == "ascorad":
        return float(_number(items, "surface") * _nines_share(body_site) / 100 / 5)
    if system in ("apasi", "asalt"):
        return recompute(system, body_site, items)
    return None


def check(system: str, body_site: str | None, items: Mapping[str, float], reported_score: float,
          tolerance: float = 0.01) -> OracleResult:
    """Recomputes a score and compares it with the reported one; items must also lie in their ranges."""
    try:
        expected, formula = _evaluate(system, body_site, items)
    except OracleInputError as error:
        return OracleResult(system, None, reported_score, False, f"cannot recompute: {error}", (str(error),))
    if isinstance(reported_score, bool) or not isinstance(reported_score, (int, float)):
        problem = f"the reported score is not a number: {reported_score!r}"
        return OracleResult(system, float(expected), reported_score, False, f"{formula} = {_show(expected, 2)}",
                            (problem,))
    problems = range_problems(system, items)
    agrees = abs(Fraction(str(reported_score)) - expected) <= Fraction(str(tolerance))
    return OracleResult(system, float(expected), reported_score, agrees and not problems,
                        f"{formula} = {_show(expected, 2)}", problems)


def range_problems(system: str, items: Mapping[str, float]) -> tuple[str, ...]:
    """Items whose values lie outside the contract's range for them, or are not whole where they must be."""
    spec = system_spec(system)
    problems = []
    for item in (*spec.answers, *spec.ai_items):
        if item.code not in items:
            continue
        value = items[item.code]
        if value < item.minimum or (item.maximum is not None and value > item.maximum):
            upper = "∞" if item.maximum is None else f"{item.maximum:g}"
            problems.append(f"{item.code} = {value} is outside {item.minimum:g}–{upper}")
        elif item.integer and value != int(value):
            problems.append(f"{item.code} = {value} is not a whole number")
    return tuple(problems)


def system_spec(system: str) -> ScoringSystem:
    """The contract's table of a system: an automatic one (§7) or a questionnaire-only one (Appendix B)."""
    spec = SCORING_SYSTEM_BY_CODE.get(system) or MANUAL_SYSTEM_BY_CODE.get(system)
    if spec is None:
        raise OracleInputError(f"unknown scoring system {system!r}")
    return spec


def _evaluate(system: str, body_site: str | None, items: Mapping[str, float]) -> tuple[Fraction, str]:
    """The exact score and the arithmetic that gives it, without the result."""
    if system == "apasi":
        weight = _pasi_weight(body_site)
        signs = [_number(items, code) for code in ("erythema", "induration", "desquamation")]
        surface = _number(items, "surface")
        return weight * sum(signs) * surface, f"{_show(weight)} × ({'+'.join(map(_show, signs))}) × {_show(surface)}"
    if system == "ascorad":
        share = _nines_share(body_site)
        surface = _number(items, "surface")
        signs = [_number(items, code) for code in
                 ("erythema", "swelling", "crusting", "excoriation", "lichenification", "dryness")]
        itch, sleep = _number(items, "itchiness"), _number(items, "sleeplessness")
        extent = surface * share / 100
        score = extent / 5 + 7 * sum(signs) / 2 + itch + sleep
        return score, (f"A = {_show(surface)} × {_show(share)} / 100 = {_show(extent)}; "
                       f"{_show(extent)}/5 + 7 × ({'+'.join(map(_show, signs))})/2 + ({_show(itch)}+{_show(sleep)})")
    if system == "asalt":
        weight = _salt_weight(body_site)
        loss = _number(items, "hair_loss")
        return loss * weight, f"{_show(loss)} × {_show(weight)}"
    if system == "auas":
        hive, itch = _number(items, "hive"), _number(items, "itchiness")
        return hive + itch, f"{_show(hive)} + {_show(itch)}"
    if system == "aihs4":
        nodules, abscesses, tunnels = (_number(items, code) for code in ("nodule", "abscess", "draining_tunnel"))
        return (nodules + 2 * abscesses + 4 * tunnels,
                f"{_show(nodules)} + 2 × {_show(abscesses)} + 4 × {_show(tunnels)}")
    if system in MANUAL_SYSTEM_BY_CODE:
        return _evaluate_manual(system, items)
    raise OracleInputError(f"unknown scoring system {system!r}")


def _evaluate_manual(system: str, items: Mapping[str, float]) -> tuple[Fraction, str]:
    """Appendix B's published formulas of the questionnaire-only systems, from the echoed answers alone."""
    if system == "pasi":  # Σ region weight × (E + I + D) × area score
        terms, texts = [], []
        for region, weight in PASI_REGION_WEIGHTS.items():
            signs = [_number(items, pasi_item(region, sign)) for sign in PASI_SIGNS]
            area = _number(items, pasi_item(region, "area"))
            terms.append(Fraction(str(weight)) * sum(signs) * area)
            texts.append(f"{weight:g} × ({'+'.join(map(_show, signs))}) × {_show(area)}")
        return sum(terms, Fraction(0)), " + ".join(texts)
    if system == "scorad":  # A/5 + 7B/2 + C
        extent = _number(items, "extent")
        signs = [_number(items, sign) for sign in SCORAD_SIGNS]
        itch, sleep = _number(items, "pruritus"), _number(items, "sleeplessness")
        return (extent / 5 + 7 * sum(signs) / 2 + itch + sleep,
                f"{_show(extent)}/5 + 7 × ({'+'.join(map(_show, signs))})/2 + ({_show(itch)}+{_show(sleep)})")
    if system == "dlqi":  # the sum of ten items 0–3
        answers = [_number(items, f"question{number}") for number in range(1, DLQI_QUESTIONS + 1)]
        return sum(answers, Fraction(0)), "+".join(map(_show, answers))
    if system == "uas":  # wheals 0–3 + pruritus 0–3
        wheals, itch = _number(items, "wheals"), _number(items, "pruritus")
        return wheals + itch, f"{_show(wheals)} + {_show(itch)}"
    nodules, abscesses, tunnels = (_number(items, code) for code in ("nodule", "abscess", "draining_tunnel"))
    return nodules + 2 * abscesses + 4 * tunnels, f"{_show(nodules)} + 2 × {_show(abscesses)} + 4 × {_show(tunnels)}"


def _number(items: Mapping[str, float], code: str) -> Fraction:
    if code not in items:
        raise OracleInputError(f"item {code!r} is missing")
    value = items[code]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise OracleInputError(f"item {code!r} is not a number: {value!r}")
    return Fraction(str(value))


def _site(body_site: str | None) -> BodySite:
    if body_site is None:
        raise OracleInputError("the system needs a body site and none was given")
    if body_site not in BODY_SITE_BY_CODE:
        raise OracleInputError(f"unknown body site {body_site!r}")
    return BODY_SITE_BY_CODE[body_site]


def _pasi_weight(body_site: str | None) -> Fraction:
    return Fraction(str(_site(body_site).pasi_weight))


def _nines_share(body_site: str | None) -> Fraction:
    return Fraction(str(_site(body_site).nines_share))


def _salt_weight(body_site: str | None) -> Fraction:
    _site(body_site)
    if body_site not in SALT_WEIGHTS:
        raise OracleInputError(f"asalt has no SALT weight for {body_site!r}: only the four scalp views have one")
    return Fraction(str(SALT_WEIGHTS[body_site]))


def _show(value: Fraction, places: int | None = None) -> str:
    """A number as a person writes it: 0.2, 4, 7.02; with `places`, exactly that many decimals, half up."""
    if places is not None:
        scale = 10**places
        whole = math.floor(abs(value) * scale + Fraction(1, 2))
        sign = "-" if value < 0 and whole else ""
        return f"{sign}{whole // scale}.{whole % scale:0{places}d}"
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.6f}".rstrip("0").rstrip(".")
