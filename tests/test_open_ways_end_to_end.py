"""End to end: the profile's [severity] decides what PLAN_009 expects of the open ways, against the real device."""

from __future__ import annotations

import textwrap

import pytest

from lhv.app.clauses import failed_checks

pytestmark = pytest.mark.slow

SDK_CHECKS = {"coding-null-as-profiled", "conclusion-without-text-as-profiled", "code-only-coding-as-profiled"}
SDK_FAULTS = ("coding-null-accepted", "conclusion-text-required", "coding-fields-required")


@pytest.fixture
def sdk_profile(tmp_path):
    """An embedded v2 profile whose [severity] keeps the public SDK's evidence on the known condition."""
    path = tmp_path / "sdk-like.toml"
    path.write_text(textwrap.dedent("""
        [target]
        name = "Embedded reference device, judged by the SDK's evidence"
        environment = "loopback"
        embedded = true
        dialect = "v2"

        [credentials]
        user = { username_env = "LHV_EMBEDDED_USER", password_env = "LHV_EMBEDDED_PASSWORD" }

        [severity]
        coding_null = "accepted"
        conclusion_text = "required"
        coding_fields = "all"
    """))
    return path


def test_a_device_that_does_what_the_profile_says_passes(lhv, sdk_profile):
    faults = [arg for fault in SDK_FAULTS for arg in ("--fault", fault)]
    run = lhv("--profile", str(sdk_profile), *faults, "--plan", "PLAN_009")
    assert run.code == 0, run.output
    assert run.verdicts() == {"PLAN_009": "passed"}


def test_the_reference_device_fails_a_profile_that_says_otherwise_on_exactly_those_checks(lhv, sdk_profile):
    run = lhv("--profile", str(sdk_profile), "--plan", "PLAN_009")
    assert run.code == 1, run.output
    failed = failed_checks(run.results, ["PLAN_009"], run.record)["PLAN_009"]
    assert {name for name in failed if name.endswith("-as-profiled")} == SDK_CHECKS, failed
    (plan,) = run.results["plans"]
    assert {case["name"] for case in plan["cases"] if case["verdict"] != "passed"} == \
        {"test_severity_requests_written_the_open_ways_get_the_answer_the_profile_says"}


def test_a_v1_profile_taking_both_body_site_spellings_gets_a_device_that_follows_it(lhv, tmp_path):
    """severity.v1_body_sites = "both": the embedded device takes arm_left beside ARM_LEFT, and PLAN_009 expects it."""
    path = tmp_path / "v1-both.toml"
    path.write_text(textwrap.dedent("""
        [target]
        name = "Embedded reference device, v1 taking both body-site spellings"
        environment = "loopback"
        embedded = true
        dialect = "v1"

        [credentials]
        user = { username_env = "LHV_EMBEDDED_USER", password_env = "LHV_EMBEDDED_PASSWORD" }

        [severity]
        v1_body_sites = "both"
    """))
    run = lhv("--profile", str(path), "--plan", "PLAN_009")
    assert run.code == 0, run.output
    checks = {check["name"]: check["passed"] for plan in run.results["plans"] for case in plan["cases"]
              for step in case["steps"] for check in step["checks"]}
    assert checks.get("snake-case-body-site-as-profiled") is True, checks
