"""`lhv verify --suite integration`: the production-safe subset on the embedded device, its checklist page, and
the production profile's refusal of destructive plans."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from lhv.contract import payloads
from lhv.record.integrity import verify

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
SUITE_PLANS = {"IVCL", "PLAN_001", "PLAN_002", "PLAN_004", "PLAN_005"}
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.")
EMBEDDED = resources.files("lhv.profiles").joinpath("embedded.toml").read_text(encoding="utf-8")


def _profile(tmp_path: Path, *, production: bool = False, integration: str = "") -> Path:
    text = EMBEDDED.replace("embedded = true", "embedded = true\nproduction = true") if production else EMBEDDED
    if integration:
        text = text.replace("[integration]\n", f"[integration]\n{integration}\n", 1)
    path = tmp_path / "profile.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_suite_passes_on_the_embedded_device_and_writes_the_checklist(lhv):
    run = lhv("--suite", "integration")
    assert run.code == 0, run.output
    assert run.verdicts() == dict.fromkeys(SUITE_PLANS, "passed")
    results = run.results
    assert results["suite"]["name"] == "integration"
    plan_001 = next(plan for plan in results["plans"] if plan["id"] == "PLAN_001")
    assert len(plan_001["cases"]) == 1 < plan_001["cases_available"]
    checklist = results["checklist"]
    assert checklist["verdict"] == "open" and checklist["counts"] == {"met": 3, "not met": 0, "open": 7,
                                                                      "not checked": 0}
    assert [row["id"] for row in checklist["rows"]] == [f"IVCL-{n:02d}" for n in range(1, 11)]
    assert [v["reports_per_month"] for v in checklist["volume"]] == [36_000, 364_000]
    page = (run.record / "checklist.html").read_text(encoding="utf-8")
    assert "Retry on 429 honouring Retry-After" in page and 'href="record.html#IVCL-test_volume_fits' in page
    assert 'id="IVCL-test_volume_fits_the_rate_limits"' in (run.record / "record.html").read_text(encoding="utf-8")
    assert (run.record / "markdown" / "checklist.md").is_file()
    assert verify(run.record).ok
    assert "integration checklist: OPEN (7 open)" in run.output
    _no_token_or_image_data_in(run.record, run.output)


def _no_token_or_image_data_in(record: Path, console: str) -> None:
    """No JWT and no slice of a sent image's base64 in any artefact of the run (or on the console)."""
    images = {ref.name for path in (REPO / "payloads" / "customer").rglob("*.json")
              for ref in payloads.load(path).images()}
    slices = []
    for name in images:
        text = base64.b64encode((payloads.IMAGES_DIR / name).read_bytes()).decode()
        slices += [text[len(text) // 3:len(text) // 3 + 64], text[2 * len(text) // 3:2 * len(text) // 3 + 64]]
    for path in [p for p in record.rglob("*") if p.is_file()]:
        text = path.read_text(errors="replace") + (console if path.name == "results.json" else "")
        assert not JWT.search(text), f"a token leaked into {path}"
        assert not any(piece in text for piece in slices), f"image data leaked into {path}"


def test_customer_examples_and_confirmation_complete_the_checklist(lhv, tmp_path):
    examples = tmp_path / "client-requests"
    examples.mkdir()
    for path in sorted((REPO / "payloads" / "customer").glob("*.json")):  # as the client sends them
        (examples / path.name).write_text(json.dumps(payloads.load(path).resolved()), encoding="utf-8")
    shutil.copytree(REPO / "payloads" / "customer" / "mistakes", examples / "mistakes")
    (tmp_path / "evidence.txt").write_text("client test log: 429 → waited Retry-After; 401 → login; 422 shown\n")
    (tmp_path / "confirmation.toml").write_text(
        'attested_by = "Test Person, QA lead, Example integrator"\ndate = 2026-01-15\n'
        'examined = "client release 1.0"\nmethod = "integration tests against pre-production"\n'
        'evidence = ["evidence.txt"]\n[answers]\nhandles_errors = true\nhonours_retry_after = true\n'
        'renews_token_before_expiry = true\n', encoding="utf-8")
    profile = _profile(tmp_path, integration='payloads = ["client-requests"]\nattestation = "confirmation.toml"\n'
                                             'body_sites = ["arm_left", "knee_right", "scalp", "trunk_back"]')
    run = lhv("--suite", "integration", "--profile", str(profile))
    assert run.code == 0, run.output
    checklist = run.results["checklist"]
    assert checklist["verdict"] == "complete", [(r["id"], r["verdict"], r["customer_part"]) for r in checklist["rows"]]
    assert checklist["own_examples"] and "Test Person" in checklist["attestation"]["byline"]


def test_a_production_profile_runs_the_suite_and_refuses_destructive_plans_clearly(lhv, tmp_path):
    profile = _profile(tmp_path, production=True)
    suite = lhv("--suite", "integration", "--profile", str(profile))
    assert suite.code == 0 and suite.verdicts() == dict.fromkeys(SUITE_PLANS, "passed"), suite.output
    refused = lhv("--plan", "PLAN_003", "--plan", "PLAN_016", "--profile", str(profile))
    assert refused.code == 1, refused.output  # selected but refused: the run is incomplete, never a pass
    assert refused.results["verdict"] == "incomplete"
    for plan in refused.results["plans"]:
        assert plan["verdict"] == "not run"
        reason = plan["cases"][0]["reason"]
        assert reason.startswith(f"refused on a production target: {plan['id']} ") and str(profile) in reason
        assert "target.production = true" in reason and "--suite integration" in reason
    assert "locks an account for the lock period" in refused.output
    assert refused.results["accounts_left_behind"] == []


def test_plain_pytest_takes_the_suite_option_and_an_unknown_suite_exits_2(tmp_path):
    command = [sys.executable, "-m", "pytest", "--pyargs", "lhv.plans", "-p", "no:cacheprovider"]
    unknown = subprocess.run(command + ["--lhv-reports-dir", str(tmp_path / "unknown"), "--lhv-suite", "no-such-suite"],
                             capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert unknown.returncode == 2 and "no such suite (known: integration, fuzzing)" in unknown.stdout + unknown.stderr
    done = subprocess.run(command + ["--lhv-reports-dir", str(tmp_path / "reports"), "--lhv-suite", "integration",
                                     "--lhv-plan", "IVCL"], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    (record,) = (tmp_path / "reports").iterdir()
    assert [plan["id"] for plan in json.loads((record / "results.json").read_text())["plans"]] == ["IVCL"]
    assert (record / "checklist.html").is_file()
