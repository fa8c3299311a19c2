"""The reference device's operator commands (add-user, remove-user), the profile keys that name them and the
harness's runs of them; and the device faults issue 16 added around accounts, renewals and refusals."""

import io
import sqlite3
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from lhv.app.cli import main
from lhv.core.errors import ConfigError, NotApplicable
from lhv.device.clinical.imaging import ANALYSIS_SIDE, DecodedImage
from lhv.device.clinical.service import ClinicalService
from lhv.device.clinical.validation import SeverityRequest, plan_loc_for
from lhv.device.settings import DeviceSettings
from lhv.device.tokens import TokenService
from lhv.device.users import PasswordScheme, UserStore
from lhv.session.accounts import Accounts
from lhv.session.profile import parse_profile

PASSWORD = "a long enough password"
PROFILE = ('[target]\nname = "pre"\nbase_url = "https://api.example.org"\n'
           '[credentials]\nuser = { username_env = "U", password_env = "P" }\n')


def _settle(state_dir, *faults):
    DeviceSettings(state_dir=str(state_dir), faults=list(faults)).save(state_dir / "settings.json")


def _command(monkeypatch, *args, stdin=""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    monkeypatch.delenv("LHV_NEW_PASSWORD", raising=False)
    return main(["device", *args])


def _emails(state_dir):
    return [row[0] for row in sqlite3.connect(state_dir / "users.sqlite3").execute("SELECT email FROM users")]


# ---- lhv device remove-user, and the add-user fault ------------------------------------------------------------

def test_remove_user_removes_the_account_and_says_so(monkeypatch, capsys, tmp_path):
    assert _command(monkeypatch, "add-user", "--state-dir", str(tmp_path), "a@example.org", stdin=PASSWORD) == 0
    assert _command(monkeypatch, "add-user", "--state-dir", str(tmp_path), "b@example.org", stdin=PASSWORD) == 0
    assert _command(monkeypatch, "remove-user", "--state-dir", str(tmp_path), "a@example.org") == 0
    assert "removed a@example.org" in capsys.readouterr().out
    assert _emails(tmp_path) == ["b@example.org"]


@pytest.mark.parametrize(("exists", "message"), [(True, "no user has the e-mail"),
                                                 (False, "not a device state directory")])
def test_remove_user_refuses_what_it_cannot_remove(monkeypatch, capsys, tmp_path, exists, message):
    state = tmp_path if exists else tmp_path / "absent"
    if exists:
        UserStore(tmp_path / "users.sqlite3", PasswordScheme([]))
    assert _command(monkeypatch, "remove-user", "--state-dir", str(state), "nobody@example.org") == 1
    assert message in capsys.readouterr().err


def test_add_user_exits_zero_on_refusal_only_with_its_fault(monkeypatch, capsys, tmp_path):
    UserStore(tmp_path / "users.sqlite3", PasswordScheme([]))
    args = ("add-user", "--state-dir", str(tmp_path), "short@example.org")
    assert _command(monkeypatch, *args, stdin="too short") == 1
    _settle(tmp_path, "add-user-exits-zero-on-refusal")
    assert _command(monkeypatch, *args, stdin="too short") == 0
    assert capsys.readouterr().err.count("refused") == 2 and "short@example.org" not in _emails(tmp_path)


# ---- the profile keys ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "problem"), [
    ("rm-user {user}", "unknown placeholder(s) {user}"),
    ("rm-user {username} {password}", "must not contain {password}"),
    ("rm-user '{username}", "cannot be split into arguments"),
    ("x{lhv} remove-user {username}", "must be an argument of its own"),
])
@pytest.mark.parametrize("key", ["remove_command", "command"])
def test_a_bad_account_command_stops_at_profile_load_in_one_line(key, value, problem):
    with pytest.raises(ConfigError) as caught:
        parse_profile((PROFILE + f"[accounts]\n{key} = \"{value}\"\n").encode(), "pre.toml")
    assert caught.value.field == f"accounts.{key}" and problem in str(caught.value)
    assert "\n" not in str(caught.value) and "Value error" not in str(caught.value)


def _accounts(tmp_path, accounts_table: str) -> Accounts:
    profile = parse_profile((PROFILE + accounts_table).encode(), "pre.toml")
    target = SimpleNamespace(profile=profile, expand=lambda text: text.replace("{device_state}", str(tmp_path)))
    return Accounts(target, api=None)


def test_the_registration_paths_are_the_profiles_and_the_command_named_beside_http(tmp_path):
    assert _accounts(tmp_path, '[accounts]\nregistration = "http"\n').registration_paths == ("http",)
    both = '[accounts]\nregistration = "http"\ncommand = "add {username}"\n'
    assert _accounts(tmp_path, both).registration_paths == ("http", "command")
    assert _accounts(tmp_path, '[accounts]\nregistration = "command"\ncommand = "add"\n').registration_paths == \
        ("command",)
    assert _accounts(tmp_path, '[accounts]\ncommand = "add {username}"\n').registration_paths == ()


def test_the_removal_command_runs_lhv_itself_and_forgets_the_removed_account(tmp_path):
    store = UserStore(tmp_path / "users.sqlite3", PasswordScheme([]))
    store.add("gone@example.org", PASSWORD)
    accounts = _accounts(tmp_path, '[accounts]\nremove_command = "{lhv} device remove-user --state-dir '
                                   '{device_state} {username}"\n')
    assert accounts._command_for("remove_command", "gone@example.org")[:3] == [sys.executable, "-m", "lhv.app.cli"]
    accounts.created.append("gone@example.org")
    outcome = accounts.remove_by_command("gone@example.org")
    assert outcome.returncode == 0 and store.find("gone@example.org") is None and accounts.created == []
    again = accounts.remove_by_command("gone@example.org")
    assert again.returncode == 1 and "no user has the e-mail" in again.output


def test_without_a_removal_command_removal_is_not_applicable(tmp_path):
    accounts = _accounts(tmp_path, '[accounts]\nregistration = "http"\n')
    assert not accounts.can_remove
    with pytest.raises(NotApplicable, match="accounts.remove_command"):
        accounts.remove_by_command("someone@example.org")


# ---- the device faults -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("faults", "known_after_removal"), [([], False), (["token-outlives-account"], True)])
def test_an_account_removed_by_another_process_stays_known_only_with_the_cache_fault(tmp_path, faults,
                                                                                  known_after_removal):
    device = UserStore(tmp_path / "users.sqlite3", PasswordScheme(faults))
    device.add("cached@example.org", PASSWORD)
    assert device.find("cached@example.org") is not None
    operator = UserStore(tmp_path / "users.sqlite3", PasswordScheme(faults))  # the operator's own connection
    assert operator.delete("cached@example.org")
    assert (device.find("cached@example.org") is not None) is known_after_removal
    assert not device.delete("cached@example.org") and device.find("cached@example.org") is None


class _Clock:
    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now


def _exp(service: TokenService, subject: str = "a@example.org") -> int:
    import jwt

    return jwt.decode(service.issue(subject), options={"verify_signature": False})["exp"]


def test_a_renewal_expires_before_the_token_it_renews_only_with_its_fault(monkeypatch):
    from lhv.device import tokens

    clock = _Clock(1_000_000.25)
    monkeypatch.setattr(tokens, "time", clock)
    clean, faulty = TokenService(600, []), TokenService(600, ["renewal-expires-sooner"])
    first, faulty_first = _exp(clean), _exp(faulty)
    clock.now += 10
    assert _exp(clean) >= first
    renewed = _exp(faulty)
    assert renewed == faulty_first - 1 and _exp(faulty) == renewed - 1  # each renewal a second shorter
    assert _exp(faulty, "b@example.org") == int(clock.now) + 600  # another account starts its own session
    clock.now += 300  # half a lifetime after the last login: a new session, a full lifetime
    assert _exp(faulty) == int(clock.now) + 600


def _image() -> DecodedImage:
    return DecodedImage(np.full((ANALYSIS_SIDE, ANALYSIS_SIDE, 3), 128, dtype=np.uint8), "image/jpeg",
                        ANALYSIS_SIDE, ANALYSIS_SIDE, 0)


@pytest.mark.parametrize(("faults", "request_", "reported"), [
    (["report-on-refusal"], SeverityRequest("EA90", None, ("apasi",), {"apasi": {"surface": 4}}), True),
    ([], SeverityRequest("EA90", None, ("apasi",), {"apasi": {"surface": 4}}), False),
    (["report-on-refusal"], SeverityRequest("EA90", None, ("apasi",), {"apasi": {"surface": 99}}), False),
    (["report-on-refusal"], SeverityRequest("EA90", "elbow", ("apasi",), {"apasi": {"surface": 4}}), False),
])
def test_a_refusal_is_analysed_only_with_its_fault_and_only_for_a_missing_body_site(faults, request_, reported):
    service = ClinicalService(lambda fault: fault in faults)
    assert service.validate_severity(request_, {}, plan_loc_for(request_))  # the request is refused
    result = service.preliminary_severity([_image()], request_, {}, plan_loc_for(request_), 0.0)
    assert (result is not None) is reported
    if result is not None:
        assert [score.system for score in result.scores] == ["apasi"]
