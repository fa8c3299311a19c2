"""A broken profile gives one precise error naming the file and the key."""

import pytest

from lhv.core.errors import ConfigError
from lhv.session.profile import embedded_profile, load_profile, parse_profile

VALID = b"""
[target]
name = "pre"
base_url = "https://api.example.org"
[credentials]
user = { username_env = "U", password_env = "P" }
"""


def test_embedded_profile_loads():
    profile = embedded_profile()
    assert profile.target.embedded and profile.auth.token_lifetime_seconds > 0


def test_valid_profile_loads_with_defaults():
    profile = parse_profile(VALID, "pre.toml")
    assert profile.auth.lockout_threshold == 5 and profile.target.dialect == "plan" and len(profile.sha256) == 64


@pytest.mark.parametrize(("raw", "key", "problem"), [
    (VALID.replace(b'name = "pre"', b'name = "pre"\ncolour = 1'), "target.colour", "unknown key"),
    (VALID + b"[auth]\ntoken_lifetime_seconds = 'long'\n", "auth.token_lifetime_seconds", "integer"),
    (VALID + b"[auth]\nlockout_threshold = 0\n", "auth.lockout_threshold", "greater than 0"),
    (VALID.replace(b'base_url = "https://api.example.org"', b""), "target.base_url", "required"),
    (VALID.replace(b"[credentials]\n", b"[credentials]\n").replace(b'user = {', b'usr = {'),
     "credentials.user", "Field required"),
    (VALID + b'[target.x\n', None, "not valid TOML"),
])
def test_broken_profile_names_file_and_key(raw, key, problem):
    with pytest.raises(ConfigError) as caught:
        parse_profile(raw, "pre.toml")
    message = str(caught.value)
    assert message.startswith("pre.toml")
    assert problem in message
    if key:
        assert caught.value.field == key


def test_missing_profile_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read profile"):
        load_profile(tmp_path / "nope.toml")


def test_unset_credential_variable_is_named(monkeypatch):
    profile = parse_profile(VALID, "pre.toml")
    monkeypatch.delenv("P", raising=False)
    monkeypatch.setenv("U", "someone@example.org")
    with pytest.raises(ConfigError, match="environment variable P is not set"):
        profile.credentials.user.resolve("pre.toml [credentials.user]")


def test_shipped_example_profile_is_valid():
    from pathlib import Path

    profile = load_profile(Path(__file__).resolve().parents[2] / "profiles" / "example-preproduction.toml")
    assert not profile.target.embedded and profile.credentials.admin is not None
