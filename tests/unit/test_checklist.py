"""The integration validation checklist's verdicts: what the cases saw, joined with the customer's own part."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lhv.record.checklist import _requirements, checklist, summary_line
from lhv.session.profile import embedded_profile
from lhv.session.run import RunState


def _plans(verdicts: dict[str, str]) -> list[dict]:
    """Record plans holding every case the checklist rows name, each with the given verdict (default passed)."""
    plans: dict[str, dict] = {}
    for row in _requirements():
        for reference in row["cases"]:
            plan_id, _, case = reference.partition("::")
            entry = plans.setdefault(plan_id, {"id": plan_id, "cases": []})
            if all(c["name"] != case for c in entry["cases"]):
                entry["cases"].append({"name": case, "description": case, "verdict": verdicts.get(reference, "passed"),
                                       "reason": "", "steps": [{"checks": [{"name": "a-check", "passed": True,
                                                                            "detail": "seen"}], "actual": []}]})
    return list(plans.values())


def _state(tmp_path: Path, **integration) -> RunState:
    profile = embedded_profile()
    profile = profile.model_copy(update={"integration": profile.integration.model_copy(update=integration)})
    (tmp_path / "profile.toml").write_text("# the profile the attestation path is relative to\n")
    profile.source = str(tmp_path / "profile.toml")
    return RunState("run", profile, tmp_path, "tester", (), selected_plans=["IVCL", "PLAN_001"])


def _attest(tmp_path: Path, **answers: bool) -> str:
    (tmp_path / "log.txt").write_text("evidence")
    lines = [f"{key} = {str(value).lower()}" for key, value in answers.items()]
    (tmp_path / "confirm.toml").write_text('attested_by = "A Person, QA"\ndate = 2026-01-01\nexamined = "client 1.0"\n'
                                           'method = "tests"\nevidence = ["log.txt"]\n[answers]\n' + "\n".join(lines))
    return "confirm.toml"


def _verdicts(data: dict) -> dict[str, str]:
    return {row["id"]: row["verdict"] for row in data["rows"]}


def test_without_the_customers_examples_or_confirmation_rows_stay_open(tmp_path):
    data = checklist(_state(tmp_path), _plans({}))
    verdicts = _verdicts(data)
    assert data["verdict"] == "open" and verdicts["IVCL-01"] == verdicts["IVCL-10"] == "met"
    assert verdicts["IVCL-03"] == "open" and "bundled examples" in data["rows"][2]["customer_part"]["text"]
    assert verdicts["IVCL-08"] == "open" and "honours_retry_after" in data["rows"][7]["customer_part"]["text"]
    assert summary_line(data) == "integration checklist: OPEN (7 open)"


def test_own_examples_and_a_full_confirmation_complete_it(tmp_path):
    state = _state(tmp_path, payloads=["requests"], attestation=_attest(
        tmp_path, handles_errors=True, honours_retry_after=True, renews_token_before_expiry=True))
    data = checklist(state, _plans({}))
    assert data["verdict"] == "complete" and set(_verdicts(data).values()) == {"met"}
    assert data["attestation"]["evidence"][0]["name"] == "log.txt"


@pytest.mark.parametrize("case_verdict, row_verdict", [("failed", "not met"), ("error", "not checked"),
                                                       ("inconclusive", "not checked"), ("not run", "not checked")])
def test_a_case_that_did_not_pass_decides_the_row(tmp_path, case_verdict, row_verdict):
    data = checklist(_state(tmp_path, payloads=["requests"]),
                     _plans({"IVCL::test_likely_mistakes_get_a_4xx_the_client_can_show": case_verdict}))
    assert _verdicts(data)["IVCL-07"] == row_verdict
    assert data["verdict"] == ("not met" if row_verdict == "not met" else "not checked")


def test_a_customer_answering_no_is_not_met_and_a_case_missing_from_the_run_is_not_checked(tmp_path):
    state = _state(tmp_path, attestation=_attest(tmp_path, handles_errors=False))
    plans = [plan for plan in _plans({}) if plan["id"] != "PLAN_005"]
    verdicts = _verdicts(checklist(state, plans))
    assert verdicts["IVCL-07"] == "not met" and verdicts["IVCL-09"] == "open"  # answers.renews… not given
    assert verdicts["IVCL-02"] == "not checked"  # PLAN_005's certificate case is not in the run


def test_an_unreadable_attestation_keeps_its_rows_open_and_says_why(tmp_path):
    data = checklist(_state(tmp_path, attestation="missing.toml"), _plans({}))
    assert "cannot read" in data["attestation"]["error"] and _verdicts(data)["IVCL-09"] == "open"


def test_no_checklist_without_the_integration_checks(tmp_path):
    state = dataclasses.replace(_state(tmp_path), selected_plans=["PLAN_001"])
    assert checklist(state, _plans({})) is None
