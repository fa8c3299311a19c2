"""The clinical plans' shared judgements: the score oracle on a report, consistency with the request, rankings."""

from __future__ import annotations

import pytest

from lhv.clinical.reports import consistency_problems, ranking_problems, score_checks
from lhv.contract.intents import ConditionScore, Image, SeverityReport, SeverityRequest, SystemScore

IMAGE = Image("image/jpeg", "AAAA", "test.jpg")
REQUEST = SeverityRequest(IMAGE, "EA80", "Atopic dermatitis", "arm_left", ("apasi", "ascorad"),
                          {"apasi": {"surface": 4}, "ascorad": {"surface": 78, "itchiness": 4, "sleeplessness": 6}})
APASI_ITEMS = {"surface": 4, "erythema": 1, "induration": 1, "desquamation": 0}
ASCORAD_ITEMS = {"surface": 78, "itchiness": 4, "sleeplessness": 6, "erythema": 0, "swelling": 2, "crusting": 0,
                 "excoriation": 3, "lichenification": 3, "dryness": 3}


def report(apasi=1.6, apasi_share=1.6, ascorad=49.9, ascorad_share=1.404, apasi_items=None, intensity=1):
    systems = {"apasi": SystemScore("apasi", apasi, "Mild", intensity, apasi_items or APASI_ITEMS, apasi_share),
               "ascorad": SystemScore("ascorad", ascorad, "Moderate", 2, ASCORAD_ITEMS, ascorad_share)}
    return SeverityReport(systems, {})


def test_a_report_that_agrees_with_its_items_passes_and_shows_both_figures():
    checks = score_checks(report(), REQUEST)
    assert [c.ok for c in checks] == [True, True]
    assert checks[0].line() == ("apasi: device 1.6, recomputed 0.2 × (1+1+0) × 4 = 1.60; zone contribution: "
                                "device 1.6, recomputed 1.60")
    assert "A = 78 × 9 / 100 = 7.02" in checks[1].line()


@pytest.mark.parametrize(("changes", "words"), [
    ({"apasi": 2.1}, "differs from the recomputed 1.60"),
    ({"apasi": 1.61}, None),  # within 0.01
    ({"apasi": 1.62}, "differs"),
    ({"apasi_share": 2.4}, "zone contribution 2.4 differs"),
    ({"apasi_share": None}, "no zone contribution"),
    ({"apasi_items": {"surface": 4, "erythema": 5, "induration": 1, "desquamation": 0}, "apasi": 2.4},
     "erythema = 5 is outside 0–4"),
    ({"apasi_items": {"surface": 4, "erythema": 1}}, "cannot recompute"),
    ({"intensity": 4}, "intensity 4 is outside 0–3"),
])
def test_a_score_or_contribution_off_by_more_than_0_01_fails(changes, words):
    apasi = score_checks(report(**changes), REQUEST)[0]
    if words is None:
        assert apasi.ok
    else:
        assert not apasi.ok and words in apasi.line()


def test_a_wrong_site_factor_shows_against_the_requests_site():
    on_head = SeverityRequest(IMAGE, "EA80", None, "head_front", ("apasi",), {"apasi": {"surface": 4}})
    (apasi,) = score_checks(SeverityReport({"apasi": report().systems["apasi"]}, {}), on_head)
    assert not apasi.ok and "0.1 × (1+1+0) × 4 = 0.80" in apasi.line()


def test_consistency_needs_each_requested_system_and_the_answers_sent():
    assert consistency_problems(report(), REQUEST) == []
    only_apasi = SeverityReport({"apasi": report().systems["apasi"]}, {})
    assert "were requested" in consistency_problems(only_apasi, REQUEST)[0]
    echoed_wrong = report()
    echoed_wrong.systems["ascorad"] = SystemScore("ascorad", 49.9, "x", 2, {**ASCORAD_ITEMS, "itchiness": 5}, 1.404)
    (problem,) = consistency_problems(echoed_wrong, REQUEST)
    assert "itchiness sent 4, echoed 5" in problem


def test_rankings_must_sum_to_100_and_be_sorted():
    good = [ConditionScore("EA80", "x", 60.05), ConditionScore("EA90", "y", 39.9)]
    assert ranking_problems(good, "aggregate") == []
    assert "sum to 99.000" in ranking_problems([ConditionScore("EA80", "x", 99)], "aggregate")[0]
    assert "not sorted" in ranking_problems(list(reversed(good)), "aggregate")[0]
    assert "outside 0–100" in ranking_problems([ConditionScore("EA80", "x", 101), ConditionScore("E", "y", -1)],
                                               "aggregate")[0]
    assert ranking_problems([], "image 1") == ["image 1: no conditions"]
