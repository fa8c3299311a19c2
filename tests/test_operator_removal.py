"""PLAN_016's removed-account case on the embedded device: without the profile's removal command it is not run, and
the plan is inconclusive, never passed."""

import textwrap

import pytest

pytestmark = pytest.mark.slow


def test_without_a_removal_command_plan_016_is_inconclusive_not_passed(lhv, tmp_path):
    profile = tmp_path / "no-removal.toml"
    profile.write_text(textwrap.dedent("""
        [target]
        name = "Embedded reference device (no removal command)"
        environment = "loopback"
        embedded = true

        [credentials]
        user = { username_env = "LHV_EMBEDDED_USER", password_env = "LHV_EMBEDDED_PASSWORD" }
        admin = { username_env = "LHV_EMBEDDED_ADMIN", password_env = "LHV_EMBEDDED_ADMIN_PASSWORD" }

        [accounts]
        registration = "http"
    """))
    run = lhv("--profile", str(profile), "--plan", "PLAN_016")
    assert run.code == 1, run.output
    assert run.verdicts() == {"PLAN_016": "inconclusive"}
    (plan,) = run.results["plans"]
    verdicts = {case["name"]: case["verdict"] for case in plan["cases"]}
    assert verdicts.pop("test_a_removed_account_loses_its_token") == "not run"
    assert set(verdicts.values()) == {"passed"}, verdicts
    (removal,) = [case for case in plan["cases"] if case["name"] == "test_a_removed_account_loses_its_token"]
    assert "accounts.remove_command" in removal["reason"]
