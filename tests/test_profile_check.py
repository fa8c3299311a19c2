"""`lhv profile check PROFILE`: the profile and its environment checked without load (variables, trust store, one
TLS handshake, the hooks it names), and what each plan of the catalog will do, with its expected duration."""

from __future__ import annotations

import importlib
import pkgutil
import re
import sqlite3
from pathlib import Path

import pytest

import lhv.plans
from lhv.app.cli import main
from lhv.contract import catalog
from lhv.device.launcher import start_device
from lhv.device.settings import DeviceSettings
from lhv.session import preflight
from lhv.session.profile import parse_profile

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "profiles" / "example-preproduction.toml"
EXAMPLE_VARIABLES = ("LHV_USER", "LHV_PASSWORD", "LHV_USER2", "LHV_PASSWORD2", "LHV_ADMIN", "LHV_ADMIN_PASSWORD")
ENV = {"user": ("LHV_PC_USER", "LHV_PC_PASSWORD"), "second_user": ("LHV_PC_USER2", "LHV_PC_PASSWORD2"),
       "admin": ("LHV_PC_ADMIN", "LHV_PC_ADMIN_PASSWORD")}


def _check(capsys, *args: str) -> tuple[int, list[str], str]:
    code = main(["profile", "check", *args])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def _findings(lines: list[str]) -> dict[str, tuple[str, str]]:
    """what → (state, detail) of the findings printed before the plans."""
    found = {}
    for line in lines[:lines.index("plans:")]:
        match = re.match(r"^  (ok|problem|not checked)\s+(.+?): (.*)$", line)
        if match:
            found[match.group(2)] = (match.group(1), match.group(3))
    return found


def _plan_rows(lines: list[str]) -> dict[str, list[str]]:
    """plan id → [status, the lines that follow it (reasons, notes)] from the plans section."""
    rows: dict[str, list[str]] = {}
    current = None
    for line in lines[lines.index("plans:") + 1:]:
        match = re.match(r"^  ((?:PLAN_\d{3})|IVCL)\s+(\S+)", line)
        if match:
            current = match.group(1)
            rows[current] = [match.group(2)]
        elif line.startswith(" " * 10) and current:
            rows[current].append(line.strip())
        else:
            current = None
    return rows


def test_the_example_profile_says_its_target_is_not_reachable_and_exits_2(capsys, monkeypatch):
    for variable in EXAMPLE_VARIABLES:
        monkeypatch.setenv(variable, "set-for-the-check")
    code, lines, _ = _check(capsys, str(EXAMPLE))
    assert code == 2, lines
    handshake = [line for line in lines if line.startswith("  ") and "TLS handshake with preproduction-api" in line]
    assert len(handshake) == 1 and handshake[0].split()[0] == "problem" and "not reachable" in handshake[0], lines
    rows = _plan_rows(lines)
    assert list(rows) == list(catalog.catalog()), "every plan of the catalog is listed, in order"
    assert rows["PLAN_001"][0] == "runs" and rows["IVCL"][0] == "—"
    assert rows["PLAN_006"][0] == "refused" and any("no consent to load" in line for line in rows["PLAN_006"])
    assert rows["PLAN_008"][0] == "incomplete" and any("logs.kind" in line for line in rows["PLAN_008"])
    assert any(line.startswith("expected duration: about ") for line in lines)
    assert lines[-1].startswith("profile check: 1 problem(s)") and lines[-1].endswith("(exit 2)")
    assert "set-for-the-check" not in "\n".join(lines), "a variable's value is never printed"


def test_unset_variables_are_named_with_the_plans_that_need_them(capsys, monkeypatch):
    for variable in EXAMPLE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    code, lines, _ = _check(capsys, str(EXAMPLE), "--suite", "integration")
    assert code == 2
    user = next(line for line in lines if "[credentials] user:" in line)
    assert user.startswith("  problem") and "LHV_USER and LHV_PASSWORD not set (needed by IVCL, PLAN_001" in user
    admin = next(line for line in lines if "[credentials] admin:" in line)
    assert admin.startswith("  not checked") and "no selected plan needs them" in admin


def test_a_broken_profile_is_one_line_naming_file_and_key_exit_2(capsys, tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text('[target]\nname = "x"\nbase_url = "https://x"\n[auth]\nlockout_seconds = 0\n'
                      '[credentials]\nuser = { username_env = "A", password_env = "B" }\n')
    code, lines, err = _check(capsys, str(broken))
    assert code == 2 and not lines
    assert err.count("\n") == 1 and str(broken) in err and "auth.lockout_seconds" in err, err


@pytest.fixture(scope="module")
def device(tmp_path_factory):
    """A reference device on loopback, started by the test, with short timings."""
    running = start_device(DeviceSettings(state_dir=str(tmp_path_factory.mktemp("device")), token_lifetime_seconds=10,
                                          lockout_seconds=3, anonymous_limit=60, authenticated_limit=150,
                                          rate_window_seconds=3))
    yield running
    running.stop()


def _device_profile(tmp_path: Path, device, monkeypatch, *, replace: tuple[str, str] = ("", ""),
                    append: str = "") -> Path:
    for label, (user_env, password_env) in ENV.items():
        monkeypatch.setenv(user_env, device.credentials[label]["username"])
        monkeypatch.setenv(password_env, device.credentials[label]["password"])
    accounts = " ".join(f'{label} = {{ username_env = "{user}", password_env = "{password}" }}\n'
                        for label, (user, password) in ENV.items())
    state = device.state_dir
    text = (f'[target]\nname = "device of the test"\nbase_url = "{device.https_url}"\nhttp_url = "{device.http_url}"\n'
            f'trust_store = "{device.ca_cert}"\ntimeout_seconds = 5\n'
            f"[credentials]\n{accounts}"
            "[auth]\ntoken_lifetime_seconds = 10\nclock_skew_seconds = 2\nmax_wait_seconds = 30\nlockout_seconds = 3\n"
            "locked_statuses = [423]\n"
            f'[accounts]\nregistration = "http"\ncommand = "{{lhv}} device add-user --state-dir {state} {{username}}"\n'
            f'remove_command = "{{lhv}} device remove-user --state-dir {state} {{username}}"\n'
            "[limits]\nanonymous_requests = 60\nauthenticated_requests = 150\nwindow_seconds = 3\n"
            f'[logs]\nkind = "file"\npath = "{device.log_file}"\n'
            f'[inspection]\nkind = "sql"\ndatabase_url = "sqlite:///{device.database}"\n'
            'query = "SELECT password_hash FROM users WHERE email = :username"\n'
            '[uptime]\nwindow = "live"\nwindow_seconds = 8\ninterval_seconds = 1\ntimeout_seconds = 2\n'
            "degraded_seconds = 1\ntransaction = { interval_seconds = 2 }\n")
    path = tmp_path / "device.toml"
    path.write_text(text.replace(*replace) + append, encoding="utf-8")
    return path


def _users(device) -> int:
    with sqlite3.connect(device.database) as db:
        return db.execute("SELECT count(*) FROM users").fetchone()[0]


def test_a_profile_of_a_running_device_can_run_every_plan(capsys, monkeypatch, tmp_path, device):
    users = _users(device)
    code, lines, _ = _check(capsys, str(_device_profile(tmp_path, device, monkeypatch)))
    assert code == 0, "\n".join(lines)
    found = _findings(lines)
    handshake = found["TLS handshake with localhost:" + device.https_url.rsplit(":", 1)[1]]
    assert handshake[0] == "ok" and handshake[1].startswith("TLSv1."), handshake
    for key in ("accounts.command", "accounts.remove_command", "inspection.database_url", "logs.path",
                "[credentials] user", "[credentials] second_user", "[credentials] admin", "target.trust_store"):
        assert found[key][0] == "ok", (key, found)
    rows = _plan_rows(lines)
    assert {plan: row[0] for plan, row in rows.items() if plan != "IVCL"} == {
        plan: "runs" for plan, entry in catalog.catalog().items() if entry.kind == "plan"}
    assert lines[-1] == "profile check: every selected plan can run (exit 0)"
    assert _users(device) == users, "profile check registers no one and runs no command"


def test_missing_hooks_and_settings_make_plans_incomplete_or_the_check_fail(capsys, monkeypatch, tmp_path, device):
    lacking = _device_profile(tmp_path, device, monkeypatch, replace=('registration = "http"', 'registration = "none"'))
    lacking.write_text(lacking.read_text().replace('kind = "file"', 'kind = "none"'))
    code, lines, _ = _check(capsys, str(lacking))
    assert code == 1, "\n".join(lines)
    rows = _plan_rows(lines)
    assert {plan for plan, row in rows.items() if row[0] == "incomplete"} == {"PLAN_003", "PLAN_008", "PLAN_014",
                                                                              "PLAN_016"}
    assert any("accounts.registration" in line for line in rows["PLAN_014"]) and \
        any("logs.kind" in line for line in rows["PLAN_008"])
    assert lines[-1].startswith("profile check: not every selected plan can run in full") and "(exit 1)" in lines[-1]

    broken = _device_profile(tmp_path, device, monkeypatch, replace=(str(device.log_file),
                                                                     str(tmp_path / "no-such-folder" / "device.log")))
    broken.write_text(broken.read_text().replace("{lhv} device remove-user", "lhv-no-such-command remove-user"))
    code, lines, _ = _check(capsys, str(broken))
    assert code == 2, "\n".join(lines)
    problems = [line for line in lines if line.startswith("  problem")]
    assert len(problems) == 2 and "logs.path" in problems[0] + problems[1], problems
    assert any("accounts.remove_command: lhv-no-such-command: command not found" in line for line in problems)


def test_a_production_profile_refuses_its_destructive_plans(capsys, monkeypatch, tmp_path, device):
    profile = _device_profile(tmp_path, device, monkeypatch, replace=("timeout_seconds = 5", "timeout_seconds = 5\n"
                                                                                             "production = true"))
    code, lines, _ = _check(capsys, str(profile))
    assert code == 1, "\n".join(lines)
    rows = _plan_rows(lines)
    destructive = set(parse_profile(profile.read_bytes(), str(profile)).plans.destructive)
    assert {plan for plan, row in rows.items() if row[0] == "refused"} == destructive
    assert all(row[1].startswith(f"refused on a production target: {plan}") for plan, row in rows.items()
               if plan in destructive)


REMOTE = b"""
[target]
name = "remote"
base_url = "https://api.example.org"
[credentials]
user = { username_env = "U", password_env = "P" }
second_user = { username_env = "U2", password_env = "P2" }
"""


@pytest.mark.parametrize(("in_profile", "allow_load", "status"), [
    (False, False, preflight.REFUSED), (False, True, preflight.RUNS), (True, False, preflight.RUNS)],
    ids=["no-consent", "allow-load-option", "profile-consents"])
def test_load_needs_consent_on_a_remote_target(in_profile, allow_load, status):
    raw = REMOTE.replace(b'name = "remote"', b'name = "remote"\nallow_load = true') if in_profile else REMOTE
    profile = parse_profile(raw, "remote.toml")
    ready = preflight.plan_readiness(preflight.Setting(profile, profile.target.base_url, allow_load), "PLAN_007")
    assert ready.status == status, ready
    assert (status == preflight.REFUSED) == any("no consent to load api.example.org" in r for r in ready.reasons)


def test_every_case_a_need_names_is_a_case_of_its_plan():
    modules = {}
    for info in pkgutil.iter_modules(lhv.plans.__path__):
        module = importlib.import_module(f"lhv.plans.{info.name}")
        if hasattr(module, "PLAN_ID"):
            modules[module.PLAN_ID] = module
    for plan, needs in preflight.NEEDS.items():
        for case, _ in needs:
            assert not case or callable(getattr(modules[plan], case, None)), f"{plan} has no case {case}"
