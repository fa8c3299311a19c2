"""Generated mutants: stable ids in the hundreds across both dialects, and each operator really changes the answer."""

import json
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lhv.device.app import create_app
from lhv.device.context import DeviceContext
from lhv.device.mutants import all_mutants, mutant_named, mutate_json, mutated_settings
from lhv.device.settings import DeviceSettings
from lhv.errors import ConfigError
from lhv.selftest import QUICK, Item, judge, load_equivalents, mutant_checks, _packaged_equivalents

PASSWORD = "a long enough password"


def test_ids_are_unique_stable_and_in_the_hundreds_for_both_dialects():
    mutants = all_mutants()
    ids = [m.id for m in mutants]
    assert len(ids) == len(set(ids)) >= 300
    by_dialect = Counter(m.dialect for m in mutants)
    assert by_dialect["plan"] >= 150 and by_dialect["v2"] >= 150, by_dialect
    assert {m.kind for m in mutants} == {"reply", "status", "header", "number", "log"}
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
    client, _ = _device(tmp_path, "plan:reply:POST/login:200:$.token_type:alter")
    reply = _login(client)
    assert reply.json()["token_type"] == "bearex"
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


def test_reversals_listed_as_equivalent_leave_the_report_frame_unchanged():
    from lhv.device.clinical.shape_common import report_frame

    frame = report_frame("diagnosis-support", "Diagnosis support", "Patient/1", "EA90", "Psoriasis", False)
    reversals = [m for m in load_equivalents(_packaged_equivalents()) if m.endswith(":reverse")]
    assert reversals
    for mutant_id in reversals:
        json_path = mutant_id.split(":")[-2]
        assert mutate_json(frame, json_path, "reverse") == frame, mutant_id
