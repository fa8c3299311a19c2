"""Routes from the profile (issue 21): a run with the release 1.1.0.0 layout passes on the embedded device serving
it, sending every request to the mapped routes; the fault matrix's rows still fail against the remapped device; a
device serving the layout while the profile keeps the defaults stops the run with a target error naming the route."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lhv.contract.dialects import dialect_named
from lhv.contract.dialects.base import LAYOUTS
from lhv.device.faults import fault_named
from lhv.device.launcher import start_device
from lhv.device.settings import DeviceSettings
from tests.conftest import REPO
from tests.test_fault_matrix import _caught

pytestmark = pytest.mark.slow

LAYOUT = "release-1.1.0.0"
# Faults whose plans go through each route the layout moves: login, device information (and its violation log),
# diagnosis, severity, health; and the anonymous limit on the login route.
FAULTS = [("token-for-wrong-password", "plan"), ("no-anonymous-limit", "plan"), ("log-missing-user", "plan"),
          ("first-image-only", "plan"), ("wrong-zone-factor", "plan"), ("slow-health", "plan"),
          ("wrong-zone-factor", "v2"),
          ("http-served-clinical", "plan")]


def _layout_profile(tmp_path: Path, dialect: str = "plan") -> Path:
    text = (REPO / "lhv" / "profiles" / "embedded.toml").read_text(encoding="utf-8")
    text = text.replace('dialect = "plan"', f'dialect = "{dialect}"')
    path = tmp_path / f"layout-{dialect}.toml"
    path.write_text(text + f'\n[routes]\nlayout = "{LAYOUT}"\n', encoding="utf-8")
    return path


def _paths_sent(value, found: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """(method, path) of every exchange a results.json holds."""
    if isinstance(value, dict):
        if isinstance(value.get("url"), str) and isinstance(value.get("method"), str):
            found.add((value["method"], re.sub(r"^https?://[^/]+", "", value["url"]).split("?")[0]))
        for item in value.values():
            _paths_sent(item, found)
    elif isinstance(value, list):
        for item in value:
            _paths_sent(item, found)
    return found


def test_every_plan_passes_with_the_release_layout_and_uses_only_its_routes(lhv, tmp_path):
    run = lhv("--profile", str(_layout_profile(tmp_path)))
    results = run.results
    reasons = [f"{plan['id']} {case['name']}: {case['reason']}" for plan in results["plans"]
               for case in plan["cases"] if case["verdict"] != "passed"]
    assert run.code == 0, "\n".join(reasons) or run.output
    assert len(results["plans"]) == 19 and {plan["verdict"] for plan in results["plans"]} == {"passed"}
    sent = _paths_sent(results, set())
    for text in LAYOUTS[LAYOUT].values():
        method, path = text.split()
        assert (method, path) in sent, f"no plan sent {text}"
    defaults = dialect_named("plan")
    moved = {(defaults.route(intent).method, defaults.route(intent).path) for intent in LAYOUTS[LAYOUT]}
    assert not sent & moved, f"requests went to default routes the layout moves: {sorted(sent & moved)}"
    routes = {route["intent"]: route for route in results["target"]["routes"]}
    assert (routes["login"]["method"], routes["login"]["path"]) == ("POST", "/auth/login")
    assert routes["login"]["source"] == f'routes.layout "{LAYOUT}"'
    assert routes["register"]["source"] == "the plan dialect's default"
    page = (run.record / "record.html").read_text(encoding="utf-8")
    assert "<th>Routes</th>" in page and "GET /device/about" in page


@pytest.mark.parametrize(("fault", "dialect"), FAULTS)
def test_a_fault_is_caught_against_the_remapped_device(lhv, tmp_path, fault, dialect):
    _caught(lhv, fault_named(fault), f"{dialect}:{fault}", "--profile", str(_layout_profile(tmp_path, dialect)))


def test_a_device_with_the_layout_and_a_profile_with_the_defaults_is_a_target_error(lhv, tmp_path):
    device = start_device(DeviceSettings(state_dir=str(tmp_path / "device"), routes=dict(LAYOUTS[LAYOUT])))
    try:
        env = {}
        lines = []
        for label, (user_env, password_env) in {"user": ("LHV_T_USER", "LHV_T_PASSWORD")}.items():
            env[user_env] = device.credentials[label]["username"]
            env[password_env] = device.credentials[label]["password"]
            lines.append(f'{label} = {{ username_env = "{user_env}", password_env = "{password_env}" }}')
        profile = tmp_path / "defaults.toml"
        profile.write_text(f'[target]\nname = "a device serving the {LAYOUT} layout"\nenvironment = "loopback"\n'
                           f'base_url = "{device.https_url}"\ntrust_store = "{device.ca_cert}"\n\n'
                           "[credentials]\n" + "\n".join(lines) + "\n", encoding="utf-8")
        run = lhv("--profile", str(profile), "--plan", "PLAN_001", env=env)
    finally:
        device.stop()
    assert run.code == 2, run.output  # a target error: no plan is judged against routes the target does not serve
    assert "POST /login (login) answered 404" in run.output and "[routes]" in run.output, run.output
    if run.record is not None:
        assert "passed" not in set(run.verdicts().values()), run.verdicts()
