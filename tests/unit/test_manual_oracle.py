"""v2's questionnaire-only scores (Appendix B): the oracle's formulas, the device's, the reader, the cases."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from lhv.contract import oracle
from lhv.contract.dialects.plan import PlanDialect
from lhv.contract.dialects.v2 import V2Dialect
from lhv.contract.intents import ManualRequest
from lhv.contract.tables import MANUAL_SYSTEM_BY_CODE, MANUAL_SYSTEMS, PASI_REGIONS, pasi_item
from lhv.core.errors import CheckFailed
from lhv.core.evidence import Exchange
from lhv.core.http import Reply
from lhv.device.clinical import manual
from lhv.device.clinical.scoring import score_manual
from lhv.session.manual_profile import ManualScoresSection, manual_scores_of

CASES = Path(__file__).resolve().parents[2] / "payloads" / "v2" / "manual"


def _pasi(*rows):
    return {pasi_item(region, part): value for region, row in zip(PASI_REGIONS, rows)
            for part, value in zip(("erythema", "induration", "desquamation", "area"), row)}


SCORAD = {"extent": 30, "erythema": 2, "swelling": 1, "crusting": 1, "excoriation": 1, "lichenification": 1,
          "dryness": 2, "pruritus": 5, "sleeplessness": 3}


@pytest.mark.parametrize(("system", "items", "score"), [
    # 0.1×4×2 + 0.2×5×2 + 0.3×3×2 + 0.4×6×2 = 0.8 + 2 + 1.8 + 4.8
    ("pasi", _pasi((2, 1, 1, 2), (2, 2, 1, 2), (1, 1, 1, 2), (2, 2, 2, 2)), 9.4),
    ("pasi", _pasi((4, 4, 4, 6), (4, 4, 4, 6), (4, 4, 4, 6), (4, 4, 4, 6)), 72),
    ("scorad", SCORAD, 30 / 5 + 7 * 8 / 2 + 5 + 3),
    ("dlqi", {f"question{n}": 3 for n in range(1, 11)}, 30),
    ("uas", {"wheals": 2, "pruritus": 3}, 5),
    ("ihs4", {"nodule": 3, "abscess": 2, "draining_tunnel": 1}, 3 + 4 + 4),
])
def test_the_oracle_applies_the_published_formulas(system, items, score):
    assert oracle.recompute(system, None, items) == pytest.approx(score)
    assert oracle.check(system, None, items, score).ok
    assert not oracle.check(system, None, items, score + 0.5).ok


def test_the_oracle_names_items_out_of_range_and_missing():
    out = oracle.check("uas", None, {"wheals": 4, "pruritus": 0}, 4)
    assert not out.ok and "wheals = 4 is outside 0–3" in out.problems[0]
    missing = oracle.check("dlqi", None, {f"question{n}": 1 for n in range(1, 10)}, 9)
    assert not missing.ok and missing.expected is None and "question10" in missing.problems[0]


def _answers(system):
    return st.fixed_dictionaries({spec.code: st.integers(int(spec.minimum), int(spec.maximum or 40)) if spec.integer
                                  else st.decimals(spec.minimum, spec.maximum, places=1).map(float)
                                  for spec in system.answers})


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(MANUAL_SYSTEMS).flatmap(lambda system: st.tuples(st.just(system.code), _answers(system))))
def test_the_device_scores_as_the_oracle_recomputes(drawn):
    system, answers = drawn
    device = score_manual(system, answers)
    assert oracle.check(system, None, answers, device.value).ok, (device.value, oracle.recompute(system, None, answers))
    assert not oracle.check(system, None, answers, score_manual(system, answers, score_offset=0.5).value).ok


def _reply(body: dict) -> Reply:
    return Reply(200, httpx.Headers(), json.dumps(body), Exchange("POST", "https://device.test/", {}, None, 200, {},
                                                                   None, 1.0))


def _device_reply(answers: dict, *, docs_2026: bool = False, echo_altered: bool = False) -> Reply:
    scores = [score_manual(system, items) for system, items in answers.items()]
    return _reply(manual.manual_report(scores, "p", 0.1, echo_altered=echo_altered, docs_2026=docs_2026))


def test_the_reader_takes_the_block_the_profile_chose_and_refuses_the_other():
    answers = {"uas": {"wheals": 2, "pruritus": 1}, "ihs4": {"nodule": 1, "abscess": 0, "draining_tunnel": 0}}
    sdk = V2Dialect().read_manual(_device_reply(answers), "sdk")
    assert sdk.systems["uas"].score == 3 and sdk.systems["uas"].grade == 2 and sdk.systems["uas"].category
    assert sdk.systems["ihs4"].items == {"nodule": 1, "abscess": 0, "draining_tunnel": 0}
    docs = V2Dialect().read_manual(_device_reply(answers, docs_2026=True), "docs-2026")
    assert docs.systems["uas"].grade == 2 and docs.systems["uas"].category == "Moderate"
    assert docs.systems["uas"].bands[0].minimum == 0 and docs.systems["uas"].bands[-1].maximum is None
    with pytest.raises(CheckFailed, match="manual-reply-shape.*severity block"):
        V2Dialect().read_manual(_device_reply(answers, docs_2026=True), "sdk")
    with pytest.raises(CheckFailed, match="manual-reply-shape.*interpretation block"):
        V2Dialect().read_manual(_device_reply(answers), "docs-2026")


def test_an_altered_echo_reads_as_sent_otherwise():
    report = V2Dialect().read_manual(_device_reply({"uas": {"wheals": 3, "pruritus": 1}}, echo_altered=True), "sdk")
    assert report.systems["uas"].items["wheals"] == 2 and report.systems["uas"].score == 4


def test_only_v2_has_the_route_and_its_body_reads_back():
    assert "assess_manually" in V2Dialect().routes and "assess_manually" not in PlanDialect().routes
    request = ManualRequest({"uas": {"wheals": 1, "pruritus": 2}}, (), "EB00", "Urticaria", "arm_left")
    body = V2Dialect().manual_body(request)
    assert "payload" not in body and body["bodySite"] == "armLeft"
    assert body["scoringSystem"] == {"uas": {"questionnaireResponse": {"item": {"wheals": 1, "pruritus": 2}}}}
    assert V2Dialect().manual_request_of(body) == request


def test_the_profile_section_defaults_to_the_sdk_and_refuses_other_values():
    assert ManualScoresSection() == ManualScoresSection(images="required", score_block="sdk")
    assert manual_scores_of(object()) == ManualScoresSection()
    with pytest.raises(ValidationError):
        ManualScoresSection(score_block="docs-2025")
    with pytest.raises(ValidationError):
        ManualScoresSection(colour="blue")


def test_the_device_model_refuses_out_of_range_and_foreign_systems():
    with pytest.raises(ValidationError) as raised:
        manual.ManualBody.model_validate({"payload": [], "scoringSystem": {"apasi": {}}}, strict=True)
    kinds = {(error["type"], error["loc"]) for error in raised.value.errors()}
    assert ("too_short", ("payload",)) in kinds and ("extra_forbidden", ("scoringSystem", "apasi")) in kinds
    body = {"scoringSystem": {"uas": {"questionnaireResponse": {"item": {"wheals": 1, "pruritus": 2}}}}}
    assert manual.ManualBodyImagesOptional.model_validate(body, strict=True).payload == []


def _case(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("system", list(MANUAL_SYSTEM_BY_CODE))
def test_each_system_has_mild_moderate_severe_and_invalid_cases_in_order(system):
    scores = []
    for level in ("mild", "moderate", "severe"):
        case = _case(CASES / f"{system}-{level}.case")
        assert case["operation"] == "assess_manually" and case["dialect"] == "v2" and case["expect"] == {"status": 200}
        items = case["body"]["scoringSystem"][system]["questionnaireResponse"]["item"]
        assert oracle.check(system, None, items, oracle.recompute(system, None, items)).ok
        scores.append(oracle.recompute(system, None, items))
    assert scores == sorted(scores) and len(set(scores)) == 3
    invalid = [_case(path) for path in CASES.glob(f"{system}-invalid-*.case")]
    assert invalid and all(case["expect"]["status"] == 422 and case["expect"]["errors"] for case in invalid)
