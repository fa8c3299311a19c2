"""Tests of the [uptime] profile section, the store URL it resolves to, and the flapping fault's schedule."""

from __future__ import annotations

from pathlib import Path

import pytest

from lhv.core.errors import ConfigError
from lhv.core.secrets import SECRETS
from lhv.device.availability import FLAP_EVERY, flap_drop
from lhv.session.profile import embedded_profile, load_profile, parse_profile
from lhv.uptime.config import display_url, store_url_for

VALID = b"""
[target]
name = "pre"
base_url = "https://api.example.org"
[credentials]
user = { username_env = "U", password_env = "P" }
"""


@pytest.mark.parametrize(("section", "key", "problem"), [
    ("interval_seconds = 7", "uptime", "a day (86400 s) is not a whole number of interval_seconds (7 s)"),
    ('window = "live"\nwindow_seconds = 5\ninterval_seconds = 2', "uptime",
     "window_seconds (5 s) is not a whole number of interval_seconds (2 s)"),
    ('window = "2026-13"', "uptime.window", "is not \"previous-month\", \"live\" or a month written YYYY-MM"),
    ("degraded_seconds = 20", "uptime", "degraded_seconds is longer than timeout_seconds"),
    ("target_percent = 101", "uptime.target_percent", "less than or equal to 100"),
    ('maintenance = "ignored"', "uptime.maintenance", "'excluded' or 'counted'"),
    ("transaction = { account = \"root\" }", "uptime.transaction.account", "'user', 'second_user' or 'admin'"),
    ("soak = { users = -1 }", "uptime.soak.users", "greater than or equal to 0"),
    ("colour = 1", "uptime.colour", "unknown key"),
])
def test_a_broken_uptime_section_names_the_key(section: str, key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_profile(VALID + b"[uptime]\n" + section.encode() + b"\n", "pre.toml")
    assert caught.value.field == key
    assert problem in str(caught.value)


def test_the_store_defaults_to_a_sqlite_file_next_to_the_profile(tmp_path: Path) -> None:
    (tmp_path / "pre.toml").write_bytes(VALID)
    assert store_url_for(load_profile(tmp_path / "pre.toml")) == f"sqlite:///{tmp_path}/pre.uptime.sqlite3"
    (tmp_path / "rel.toml").write_bytes(VALID + b'[uptime]\nstore_url = "sqlite:///data/probes.db"\n')
    assert store_url_for(load_profile(tmp_path / "rel.toml")) == f"sqlite:///{tmp_path}/data/probes.db"
    (tmp_path / "pg.toml").write_bytes(VALID + b'[uptime]\nstore_url = "postgresql://prober@db/uptime"\n')
    assert store_url_for(load_profile(tmp_path / "pg.toml")) == "postgresql://prober@db/uptime"


def test_the_embedded_store_lies_in_the_device_state() -> None:
    profile = embedded_profile()
    url = store_url_for(profile, lambda text: text.replace("{device_state}", "/run/device"))
    assert url == "sqlite:////run/device/uptime.sqlite3"
    assert profile.uptime.window == "live" and profile.uptime.window_seconds <= 8


def test_a_store_password_never_reaches_the_record() -> None:
    assert display_url("postgresql://prober:hunter2-secret@db:5432/uptime") == \
        "postgresql://prober:[REDACTED]@db:5432/uptime"
    assert display_url("postgresql://prober@db/uptime?password=s3cret-value&sslmode=require") == \
        "postgresql://prober@db/uptime?password=[REDACTED]&sslmode=require"
    assert "hunter2-secret" not in SECRETS.redact("dsn postgresql://prober:hunter2-secret@db")
    assert display_url("sqlite:////tmp/probes.sqlite3") == "sqlite:////tmp/probes.sqlite3"


def test_flapping_drops_exactly_one_request_in_any_fifty_alternately() -> None:
    drops = [flap_drop(n) for n in range(1, 1_001)]
    for first in range(len(drops) - FLAP_EVERY + 1):
        assert sum(d is not None for d in drops[first:first + FLAP_EVERY]) == 1
    assert [d for d in drops if d] == ["503", "reset"] * 10


@pytest.mark.parametrize(("uptime", "target", "consent", "refused"), [
    ("soak = { users = 2 }", "", False, "no consent to load api.example.org"),
    ("soak = { users = 2 }", "", True, None),
    ("soak = { users = 2 }", "allow_load = true", False, None),
    ("soak = { users = 2 }", "allow_load = true\nproduction = true", True, "no load on a production profile"),
    ("soak = { users = 0 }", "allow_load = true", True, "the profile sets no soak"),
])
def test_the_soak_runs_only_when_set_consented_and_not_on_production(
        tmp_path: Path, uptime: str, target: str, consent: bool, refused: str | None) -> None:
    from lhv.harness.uptime_steps import soak_refusal
    from lhv.load.burst import LoadDriver
    from lhv.session.target import open_target

    raw = VALID.replace(b'base_url = "https://api.example.org"\n',
                        f'base_url = "https://api.example.org"\n{target}\n'.encode())
    profile = parse_profile(raw + f"[uptime]\n{uptime}\n".encode(), "pre.toml")
    opened = open_target(profile)
    load = LoadDriver(opened.base_url, None, tmp_path, consent or profile.target.allow_load)
    reason = soak_refusal(opened, load)
    assert reason == refused if refused is None else refused in reason
