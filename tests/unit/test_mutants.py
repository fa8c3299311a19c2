"""Generated mutants: stable ids in the hundreds across both dialects, and each operator really changes the answer."""

import json
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lhv.app.selftest import QUICK, Item, _packaged_equivalents, judge, load_equivalents, mutant_checks, mutant_item
from lhv.contract.clauses import contract
from lhv.core.errors import ConfigError
from lhv.device.app import create_app
from lhv.device.context import DeviceContext
from lhv.device.mutants import all_mutants, mutant_named, mutate_json, mutated_settings
from lhv.device.settings import DeviceSettings

PASSWORD = "a long enough password"


def test_ids_are_unique_stable_and_in_the_hundreds_for_both_dialects():
    mutants = all_mutants()
    ids = [m.id for m in mutants]
    assert len(ids) == len(set(ids)) >= 300
    by_dialect = Counter(m.dialect for m in mutants)
    assert by_dialect["plan"] >= 150 and by_dialect["v2"] >= 150, by_dialect
    assert {m.kind for m in mutants} == {"reply", "status", "header", "number", "log", "key", "cover", "accept",
                                         "method", "cors", "token", "password", "echo", "errors", "auth"}
    all_mutants.cache_clear()
    assert [m.id for m in all_mutants()] == ids  # generated again, the same ids in the same order
    assert ids[0] == "plan:reply:GET/:200:$.name:drop"


def test_every_mutant_names_plans_and_checks_that_can_kill_it():
    for mutant in all_mutants():
        assert mutant.plans and all(p.startswith("PLAN_") for p in mutant.plans), mutant.id
        assert mutant_checks(mutant, mutant.plans), f"{mutant.id}: no clause of {mutant.areas} has a check"


def test_quick_sample_names_generated_mutants_with_one_of_their_plans():
    for mutant_id, plan in QUICK:
        assert plan in mutant_named(mutant_id).plans
    assert {mutant_named(m).kind for m, _ in QUICK} == {"reply", "status", "header", "number", "log"}
    assert {mutant_named(m).dialect for m, _ in QUICK} == {"plan", "v2"}


def test_an_unknown_mutant_is_refused_by_name():
    with pytest.raises(KeyError, match="unknown mutant 'plan:reply:nowhere'"):
        mutant_named("plan:reply:nowhere")


@pytest.mark.parametrize(("path", "op", "expected"), [
    ("$.a", "drop", {"l": [{"x": 1}, {"x": 2}], "s": "bearer"}),
    ("$.a", "null", {"a": None, "l": [{"x": 1}, {"x": 2}], "s": "bearer"}),
    ("$.a", "plus1", {"a": 4, "l": [{"x": 1}, {"x": 2}], "s": "bearer"}),
    ("$.a", "double", {"a": 6, "l": [{"x": 1}, {"x": 2}], "s": "bearer"}),
    ("$.s", "alter", {"a": 3, "l": [{"x": 1}, {"x": 2}], "s": "bearex"}),
    ("$.l", "reverse", {"a": 3, "l": [{"x": 2}, {"x": 1}], "s": "bearer"}),
    ("$.l", "dup-first", {"a": 3, "l": [{"x": 1}, {"x": 1}, {"x": 2}], "s": "bearer"}),
    ("$.l", "drop-last", {"a": 3, "l": [{"x": 1}], "s": "bearer"}),
    ("$.l[*].x", "minus1", {"a": 3, "l": [{"x": 0}, {"x": 1}], "s": "bearer"}),
    ("$.l[*].x", "drop", {"a": 3, "l": [{}, {}], "s": "bearer"}),
    ("$.missing.x", "drop", {"a": 3, "l": [{"x": 1}, {"x": 2}], "s": "bearer"}),
])
def test_mutate_json_changes_exactly_the_named_leaf(path, op, expected):
    original = {"a": 3, "l": [{"x": 1}, {"x": 2}], "s": "bearer"}
    assert mutate_json(original, path, op) == expected
    assert original == {"a": 3, "l": [{"x": 1}, {"x": 2}], "s": "bearer"}  # a copy is changed


def test_other_picks_another_value_of_the_documented_enum():
    assert mutate_json({"status": "final"}, "$.status", "other")["status"] != "final"


def test_number_mutants_move_the_device_number_only():
    base = DeviceSettings(state_dir="/nowhere", lockout_threshold=5, rate_window_seconds=3, max_body_bytes=1000)
    moved = mutated_settings(DeviceSettings(**{**base.__dict__, "mutants": [
        "plan:number:lockout_threshold:plus1", "plan:number:rate_window_seconds:half",
        "plan:number:max_body_bytes:double"]}))
    assert (moved.lockout_threshold, moved.rate_window_seconds, moved.max_body_bytes) == (6, 1.5, 2000)
    assert mutated_settings(base) == base


def _device(tmp_path: Path, *mutants: str, dialect: str = "plan") -> tuple[TestClient, DeviceContext]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    ctx = DeviceContext(DeviceSettings(state_dir=str(tmp_path), dialect=dialect, mutants=list(mutants)))
    ctx.users.add("someone@example.org", PASSWORD)
    return TestClient(create_app(ctx), base_url="https://testserver"), ctx


def _login(client: TestClient):
    return client.post("/login", data={"username": "someone@example.org", "password": PASSWORD})


def test_clean_device_answers_as_documented(tmp_path):
    client, _ = _device(tmp_path)
    reply = _login(client)
    assert reply.status_code == 200 and reply.json()["token_type"] == "bearer"
    assert "strict-transport-security" in client.get("/").headers


def test_reply_mutant_rewrites_the_leaf_and_the_length(tmp_path):
    client, _ = _device(tmp_path, "plan:reply:POST/login:200:$.expires_in_minutes:plus1")
    reply = _login(client)
    plain = _login(_device(tmp_path / "clean")[0])
    assert reply.json()["expires_in_minutes"] == plain.json()["expires_in_minutes"] + 1
    assert int(reply.headers["content-length"]) == len(reply.content)
    assert client.get("/").json()["name"]  # other routes untouched


def test_status_mutant_swaps_only_that_status_of_that_route(tmp_path):
    client, _ = _device(tmp_path, "plan:status:GET/device-information:401:403")
    assert client.get("/device-information").status_code == 403
    token = _login(client).json()["access_token"]
    assert client.get("/device-information", headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.mark.parametrize(("mutant", "route", "header", "expected"), [
    ("plan:header:GET/:*:strict-transport-security:drop", "/", "strict-transport-security", None),
    ("plan:header:GET/:*:strict-transport-security:weaken", "/", "strict-transport-security", "max-age=86400"),
    ("plan:header:GET/device-information:401:www-authenticate:drop", "/device-information", "www-authenticate",
     None),
])
def test_header_mutant_drops_or_weakens_the_header(tmp_path, mutant, route, header, expected):
    client, _ = _device(tmp_path, mutant)
    assert client.get(route).headers.get(header) == expected


def test_reply_mutant_of_v2_acts_on_the_v2_device_only(tmp_path):
    client, _ = _device(tmp_path, "v2:reply:POST/login:200:$.access_token:drop", dialect="v2")
    assert "access_token" not in _login(client).json()
    with pytest.raises(ValueError, match="of the v2 dialect; the device serves plan"):
        _device(tmp_path / "other", "v2:reply:POST/login:200:$.access_token:drop")


def test_log_mutant_corrupts_one_field_of_its_event(tmp_path):
    _, ctx = _device(tmp_path, "plan:log:rate_limit_exceeded:user:drop", "plan:log:rate_limit_exceeded:count:alter")
    ctx.log.write("rate_limit_exceeded", user="u@example.org", count=7, client_ip="127.0.0.1")
    ctx.log.write("login_failed", user="u@example.org")
    lines = [json.loads(line) for line in (tmp_path / "device.log").read_text().splitlines()]
    assert "user" not in lines[0] and lines[0]["count"] == 8 and lines[0]["client_ip"] == "127.0.0.1"
    assert lines[1]["user"] == "u@example.org"


# ---- judging a row ---------------------------------------------------------------------------------------------

def _results(plan: str, check: str, verdict: str = "failed") -> dict:
    return {"plans": [{"id": plan, "verdict": verdict, "cases": [
        {"verdict": verdict, "reason": "", "steps": [{"checks": [{"name": check, "passed": False, "detail": ""}]}]}]}]}


ROW = Item("plan:status:POST/login:200:201", "status", "plan", ("PLAN_001",), frozenset({"status-is"}), "")


def test_a_row_is_killed_only_by_one_of_its_named_checks():
    assert judge(ROW, 1, _results("PLAN_001", "status-is"), None, {}).status == "killed"
    unrelated = judge(ROW, 1, _results("PLAN_001", "jwt-shape"), None, {})
    assert unrelated.status == "survived" and unrelated.other_failures == {"PLAN_001": ["jwt-shape"]}
    assert judge(ROW, 2, {}, None, {}).status == "survived"


def test_a_listed_survivor_is_equivalent_and_a_listed_kill_is_flagged():
    passed = {"plans": [{"id": "PLAN_001", "verdict": "passed", "cases": []}]}
    assert judge(ROW, 0, passed, None, {ROW.id: "why"}).status == "equivalent"
    killed = judge(ROW, 1, _results("PLAN_001", "status-is"), None, {ROW.id: "why"})
    assert killed.status == "killed" and "listed as equivalent but killed" in killed.note


def test_the_equivalents_file_parses_and_names_generated_mutants_with_reasons(tmp_path):
    for mutant_id, reason in load_equivalents(_packaged_equivalents()).items():
        assert mutant_named(mutant_id) and reason.strip()
    bad = tmp_path / "eq.toml"
    bad.write_text('[equivalent]\n"plan:nope" = "a reason"\n')
    with pytest.raises(ConfigError, match="unknown mutant"):
        load_equivalents(bad)
    bad.write_text('[equivalent]\n"plan:status:POST/login:200:201" = ""\n')
    with pytest.raises(ConfigError, match="needs the reason"):
        load_equivalents(bad)


@pytest.mark.parametrize(("absent", "why"), [
    ("plan:reply:GET/device-information:200:$.name:alter", "the device's name is free text"),
    ("v2:reply:POST/login:200:$.token_type:alter", "token_type's text differs between builds (AUTH-LOGIN-02)"),
    ("plan:reply:POST/diagnosis-support:200:$.code.coding:reverse", "the report's code is not fixed"),
    ("plan:reply:POST/diagnosis-support:200:$.imagingAnalysis[*].mediaValidity.score:double", "a quality score "
     "within 0-100 is free"),
    ("plan:reply:POST/login:401:$.detail:drop", "a 401's body need only be JSON (ERR-JSON-01)"),
    ("plan:reply:POST/users:201:$.id:null", "the registration's 201 body is open (ACC-REG-08)"),
    ("plan:reply:GET/device-information:200:$.udi:drop", "udi is optional"),
    ("plan:number:lockout_seconds:plus1", "a second more is within the clock skew"),
])
def test_no_mutant_changes_what_the_contract_leaves_free(absent, why):
    assert absent not in {m.id for m in all_mutants()}, why


@pytest.mark.parametrize(("present", "clause"), [
    ("plan:reply:GET/device-information:200:$.name:drop", "ROUTE-DEVINFO-01"),
    ("plan:reply:GET/device-information:200:$.version:alter", "ROUTE-DEVINFO-02"),
    ("v2:reply:POST/diagnosis-support:200:$.imagingAnalysis:reverse", "DIAG-ANALYSIS-02"),
    ("v2:reply:POST/diagnosis-support:200:$.imagingAnalysis:dup-first", "DIAG-ANALYSIS-01"),
    ("plan:reply:POST/diagnosis-support:200:$.imagingAnalysis[*].mediaValidity.score:set-101", "IMG-VALID-01"),
    ("plan:reply:POST/severity-assessment:200:$.subject.reference:alter", "DIAG-SUBJ-01"),
    ("plan:header:POST/login:423:retry-after:drop", "LOCK-03"),
    ("plan:header:GET/device-information:429:retry-after:drop", "RATE-429-01"),
])
def test_a_mutant_names_the_clause_it_breaks(present, clause):
    assert mutant_named(present).clauses == (clause,)


def _small_limits(tmp_path: Path, *mutants: str) -> TestClient:
    tmp_path.mkdir(parents=True, exist_ok=True)
    ctx = DeviceContext(DeviceSettings(state_dir=str(tmp_path), mutants=list(mutants), anonymous_limit=2,
                                       authenticated_limit=2, rate_window_seconds=600))
    ctx.users.add("someone@example.org", PASSWORD)
    return TestClient(create_app(ctx), base_url="https://testserver")


def test_a_route_left_out_of_its_limit_is_never_refused_while_the_others_are(tmp_path):
    client = _small_limits(tmp_path, "plan:cover:GET/")
    assert [client.get("/").status_code for _ in range(4)] == [200] * 4
    assert [_login(client).status_code for _ in range(3)] == [200, 200, 429]


def test_a_budget_kept_per_token_lets_a_new_token_of_the_same_user_through(tmp_path):
    clean, mutated = (_small_limits(tmp_path / "clean"),
                      _small_limits(tmp_path / "mutant", "plan:key:authenticated:token"))
    for client, expected in ((clean, 429), (mutated, 200)):
        first, second = (_login(client).json()["access_token"] for _ in range(2))
        for _ in range(2):
            client.get("/device-information", headers={"Authorization": f"Bearer {first}"})
        assert client.get("/device-information", headers={"Authorization": f"Bearer {second}"}).status_code == expected


def test_every_mutant_names_clauses_that_one_of_its_plans_verifies():
    clauses = contract().clauses
    for mutant in all_mutants():
        assert mutant.clauses, f"{mutant.id}: names no clause it breaks"
        for clause_id in mutant.clauses:
            assert clause_id in clauses, f"{mutant.id}: unknown clause {clause_id}"
            assert set(mutant.plans) & set(clauses[clause_id].plans), \
                f"{mutant.id}: none of its plans {mutant.plans} verifies {clause_id} ({clauses[clause_id].plans})"


def test_a_row_runs_the_plans_of_its_own_clauses_first_quickest_first():
    mutant = mutant_named("plan:reply:POST/diagnosis-support:200:$.code.coding:null")  # FHIR-06: PLAN_009 only
    assert mutant_item(mutant).plans == ("PLAN_009", "PLAN_010", "PLAN_012")
    assert mutant_item(mutant_named("v2:accept:image:whitespace")).plans == ("PLAN_011", "PLAN_009")


def test_the_kills_file_keeps_each_mutants_newest_outcome_and_names_the_campaigns(tmp_path):
    from lhv.app.selftest import Campaign, Outcome, merge_kills

    def campaign(status: str) -> Campaign:
        item = mutant_item(mutant_named("plan:reply:POST/login:200:$.access_token:drop"))
        caught = {"PLAN_001": ["reply-documented"]} if status == "killed" else {}
        return Campaign(outcomes=[Outcome(item, status, 1, {}, caught, {})], harness={"commit": "abc"})

    kills = tmp_path / "kills.json"
    merge_kills(kills, campaign("survived"), "first")
    merge_kills(kills, campaign("killed"), "second")
    data = json.loads(kills.read_text())
    assert data["mutants"] == {"plan:reply:POST/login:200:$.access_token:drop": {
        "status": "killed", "caught_by": {"PLAN_001": ["reply-documented"]}, "run_id": "second"}}
    assert [run["run_id"] for run in data["campaigns"]] == ["first", "second"]


def test_a_campaign_can_keep_to_the_mutants_a_glob_matches():
    from lhv.app.selftest import campaign_items

    rows = campaign_items(faults=False, match=["v2:accept:image:*"])
    assert rows and all(row.id.startswith("v2:accept:image:") for row in rows)
    assert not campaign_items(faults=False, match=["nothing:*"])
