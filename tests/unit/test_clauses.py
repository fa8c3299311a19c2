"""The contract's clauses (verification/clauses.toml): well-formed, citing only what exists, and in step with docs."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from lhv.app.clauses import (
    CheckNames,
    _scan_sources,
    clause_gaps,
    failed_checks,
    known_checks,
    known_kills,
    render_markdown,
)
from lhv.contract.catalog import catalog
from lhv.contract.clauses import clause_coverage, clause_trace, contract, parse_contract
from lhv.core.errors import ConfigError
from lhv.device.faults import FAULTS
from lhv.session.profile import Profile

REPO = Path(__file__).resolve().parents[2]
CONTRACT_PAGE = REPO / "docs" / "contract.md"

GOOD = """
[areas]
auth = "Login"

[clauses.AUTH-LOGIN-01]
area = "auth"
text = "A wrong password gets 401."
plans = ["PLAN_001"]
checks = ["status-is"]
kills = ["token-for-wrong-password"]
"""


OPEN_LIST = Path(__file__).resolve().parents[2] / "verification" / "clauses_open.toml"


def _clauses():
    return list(contract().clauses.values())


def _listed(gaps: dict[str, list[str]]) -> str:
    """The clauses with something wrong, one a line, for the failure message."""
    return "\n".join(f"{cid}: {', '.join(items)}" for cid, items in gaps.items() if items)


def test_the_contract_loads_with_clauses_in_every_area():
    loaded = contract()
    assert len(loaded.clauses) >= 100
    assert {clause.area for clause in loaded.clauses.values()} == set(loaded.areas)


def test_a_clause_id_given_twice_is_refused_naming_the_file():
    with pytest.raises(ConfigError, match="clauses.toml: not valid TOML"):
        parse_contract(GOOD + GOOD.split("\n", 4)[-1], "verification/clauses.toml")


def test_every_named_check_exists_in_the_code():
    known = known_checks()
    unknown = {clause.id: [name for name in clause.checks if not known.knows(name)] for clause in _clauses()}
    assert not _listed(unknown), f"checks no code records:\n{_listed(unknown)}"


def test_every_kill_names_a_known_fault():
    faults = known_kills()
    unknown = {clause.id: [kill for kill in clause.kills if kill not in faults] for clause in _clauses()}
    assert not _listed(unknown), f"kills that are no fault:\n{_listed(unknown)}"


def test_every_plan_is_in_the_catalog_and_every_catalog_plan_verifies_a_clause():
    plans = set(catalog())
    unknown = {clause.id: sorted(set(clause.plans) - plans) for clause in _clauses()}
    assert not _listed(unknown), f"plans not in verification/catalog.toml:\n{_listed(unknown)}"
    assert not [plan for plan, ids in clause_coverage(sorted(plans)).items() if not ids]


def _profile_key_exists(path: str) -> bool:
    model: type[BaseModel] = Profile
    for part in path.split("."):
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return False
        model = field.annotation
    return True


def test_every_setting_is_a_profile_key():
    unknown = {clause.id: [key for key in clause.settings if not _profile_key_exists(key)] for clause in _clauses()}
    assert not _listed(unknown), f"settings that are no profile key:\n{_listed(unknown)}"
    assert _profile_key_exists("uptime.soak.users") and not _profile_key_exists("auth.no_such_key")


def test_every_fault_is_killed_by_name_in_some_clause():
    assert not [fault.name for fault in FAULTS if not contract().killing(fault.name)]


def test_every_clause_has_a_check_and_a_kill_or_is_listed_open():
    """A clause no check verifies, or whose checks no fault (run by the fault matrix) and no generated mutant (killed
    in the committed campaign evidence, verification/mutant_kills.json) is known to make fail, is not yet a verified
    clause: it is listed in verification/clauses_open.toml with its gap, and that list only shrinks."""
    open_now = clause_gaps()
    listed = tomllib.loads(OPEN_LIST.read_text(encoding="utf-8"))
    assert not {c: g for c, g in open_now.items() if listed.get(c) != g}, "open clauses not listed (or listed with " \
        f"another gap) in {OPEN_LIST.name}: {sorted(c for c, g in open_now.items() if listed.get(c) != g)}"
    assert not set(listed) - set(open_now), \
        f"listed open but verified now, strike them: {sorted(set(listed) - set(open_now))}"


def test_docs_contract_md_is_generated_from_the_clauses():
    assert CONTRACT_PAGE.read_text(encoding="utf-8") == render_markdown(), \
        "docs/contract.md differs from verification/clauses.toml: run `python -m lhv.app.clauses > docs/contract.md`"


def test_the_page_shows_each_clause_with_its_checks_kills_and_dialects():
    page = render_markdown(parse_contract(GOOD.replace('kills = ["token-for-wrong-password"]',
                                                       'kills = []\ndialects.v2 = "The same."')))
    assert "### AUTH-LOGIN-01\n\nA wrong password gets 401.\n" in page
    assert "- Dialect v2: The same." in page and "- Checks: `status-is`" in page and "- Kills: **none yet**" in page


def test_clause_coverage_lists_each_plans_clauses():
    coverage = clause_coverage(["PLAN_017", "NO_SUCH_PLAN"])
    assert "SEV-SITE-01" in coverage["PLAN_017"] and coverage["NO_SUCH_PLAN"] == ()
    assert all("PLAN_017" in contract().clauses[cid].plans for cid in coverage["PLAN_017"])


def test_clause_trace_maps_every_clause_to_the_plans_of_a_run_that_verify_it():
    trace = clause_trace(["PLAN_001", "PLAN_017", "PLAN_001"])
    assert list(trace) == list(contract().clauses)
    assert trace["AUTH-LOGIN-05"] == ["PLAN_001"] and trace["SEV-SITE-01"] == ["PLAN_017"]
    assert trace["TLS-CERT-01"] == []


@pytest.mark.parametrize(("change", "where"), [
    (('text = "A wrong password gets 401."\n', ""), "clauses.AUTH-LOGIN-01.text: missing"),
    (("kills = [", "colour = 1\nkills = ["), "clauses.AUTH-LOGIN-01.colour: unknown key"),
    (('area = "auth"\ntext', 'area = "tls"\ntext'), "clauses.AUTH-LOGIN-01.area: 'tls' is not an area"),
    (('checks = ["status-is"]', 'checks = "status-is"'), "clauses.AUTH-LOGIN-01.checks: must be a list"),
    (('checks = ["status-is"]', 'checks = ["status-is", "status-is"]'), "'status-is' is listed twice"),
    (('plans = ["PLAN_001"]', "plans = []"), "clauses.AUTH-LOGIN-01.plans: names no plan"),
    (("[clauses.AUTH-LOGIN-01]", "[clauses.auth-login-1]"), "clauses.auth-login-1: an id is upper-case"),
    (("kills = [", 'dialects.v3 = "x"\nkills = ['), "clauses.AUTH-LOGIN-01.dialects.v3: unknown dialect"),
    (("kills = [", 'settings = ["lockout threshold"]\nkills = ['), "clauses.AUTH-LOGIN-01.settings: 'lockout"),
    (("[areas]", "[area]"), "clauses.toml: area: unknown top-level table"),
])
def test_a_wrong_clause_is_named_by_id_and_key(change, where):
    old, new = change
    with pytest.raises(ConfigError) as raised:
        parse_contract(GOOD.replace(old, new), "verification/clauses.toml")
    assert where in str(raised.value)


# ---- the check names the code can record -------------------------------------------------------------------------

def test_known_checks_follow_helpers_that_pass_a_name_on_and_read_the_registries():
    known = known_checks()
    for name in ("same-body",  # require("same-body", …)
                 "https-redirect-or-refusal",  # send_plain(…, "https-redirect-or-refusal")
                 "zone-weighted-scores-hold",  # check_property(record, "zone-weighted-scores-hold", …)
                 "single-image-diagnoses",  # checks_collected(record, "single-image-diagnoses")
                 "diagnosis-reply-shape",  # ShapeReader.require("diagnosis-reply-shape", …)
                 "window-over",  # require_data("window-over", …)
                 "uptime-judgement",  # CheckFailed("uptime-judgement", …)
                 "limit-is-n", "chain-trusted",  # Finding("limit-is-n", …)
                 "jwt-alg-none-accepted",  # the security registry
                 "fuzz:not_a_server_error",  # schemathesis's checks
                 "score-oracle-apasi", "health-availability"):  # f"score-oracle-{system}", f"{kind}-availability"
        assert known.knows(name), name
    for name in ("no-such-check", "score-oracle-", "Same-Body", "status_is"):
        assert not known.knows(name), name


def test_the_scan_follows_forwarders_two_levels_deep_and_ignores_other_findings(tmp_path):
    (tmp_path / "a.py").write_text(
        "from lhv.core.evidence import CheckResult\n"
        "from lhv.scanners.reports import Finding\n"
        "def record(name, ok):\n    CheckResult(name, ok, '')\n"
        "class Block:\n    def judge(self, label, ok):\n        record(label, ok)\n"
        "def outer(step, *, check):\n    Block().judge(check, True)\n"
        "Finding('scanner-id', 1)\n", encoding="utf-8")
    (tmp_path / "b.py").write_text(
        "from a import Block, outer\n"
        "Block().judge('via-method', True)\nouter(None, check='via-keyword')\nrecord(f'{x}-dynamic', 1)\n"
        "record(name, 1)\n", encoding="utf-8")
    exact, patterns = _scan_sources([tmp_path / "a.py", tmp_path / "b.py"])
    assert exact == {"via-method", "via-keyword"}
    names = CheckNames(frozenset(exact), tuple(patterns))
    assert names.knows("x-dynamic") and not names.knows("scanner-id")


# ---- which checks failed in a run ----------------------------------------------------------------------------------

def _results() -> dict:
    def step(*checks):
        return {"checks": [{"name": name, "passed": passed, "detail": detail} for name, passed, detail in checks]}
    return {"plans": [
        {"id": "PLAN_001", "cases": [
            {"verdict": "failed", "reason": "[same-body] replies differ", "steps": [
                step(("status-is", True, "401"), ("same-body", False, "replies differ"))]},
            {"verdict": "failed", "reason": "[no-token] POST /login returned an access token", "steps": []}]},
        {"id": "PLAN_017", "cases": [
            {"verdict": "failed", "reason": "[zone-weighted-scores-hold] counterexample", "steps": [
                step(("zone-weighted-scores-hold", False,
                      "counterexample: $.item[0] [score-oracle-asalt] asalt: device 9, recomputed 8.5"))]},
            {"verdict": "error", "reason": "[not-a-check] the target did not answer", "steps": []}]},
        {"id": "PLAN_019", "cases": [{"verdict": "failed", "reason": "", "steps": [
            step(("jwt-alg-none-accepted", False, "[critical, API2:2023] accepted"), ("trace-enabled", True, ""))]}]},
    ]}


def test_failed_checks_are_read_from_steps_reasons_details_and_findings(tmp_path):
    findings = tmp_path / "attachments" / "PLAN_019" / "findings.json"
    findings.parent.mkdir(parents=True)
    findings.write_text(json.dumps([{"id": "cors-wildcard-with-credentials", "severity": "high"}]))
    failed = failed_checks(_results(), record_dir=tmp_path)
    assert failed == {"PLAN_001": {"same-body", "no-token"},
                      "PLAN_017": {"zone-weighted-scores-hold", "score-oracle-asalt"},
                      "PLAN_019": {"jwt-alg-none-accepted", "cors-wildcard-with-credentials"}}


def test_failed_checks_keep_to_the_plans_asked_for():
    assert failed_checks(_results(), ["PLAN_001"]) == {"PLAN_001": {"same-body", "no-token"}}


def test_a_generated_mutant_closes_a_clause_only_when_one_of_the_clauses_own_checks_killed_it(monkeypatch):
    import lhv.app.clauses as clauses

    clause = contract().clauses["ROUTE-DEVINFO-02"]
    mutant = "plan:reply:GET/device-information:200:$.version:alter"
    for caught, closes in (({"PLAN_001": ["version-is-release"]}, True), ({"PLAN_001": ["status-is"]}, False),
                           ({"PLAN_009": ["version-is-release"]}, False)):
        monkeypatch.setattr(clauses, "mutant_kills", lambda caught=caught: {
            mutant: {"status": "killed", "caught_by": caught, "run_id": "r"}})
        assert (mutant in clauses.generated_kills(clause)) is closes, caught
