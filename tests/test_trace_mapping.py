"""Traceability a profile completes: an integrator's mapping replaces the catalog's ids (the device maker's) in the
record, the cover warns while anything in the run is untraced, JUnit carries only real ids, and a wrong mapping
stops the run before any traffic (exit 2, no record)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

pytestmark = pytest.mark.slow

EMBEDDED = resources.files("lhv.profiles").joinpath("embedded.toml").read_text(encoding="utf-8")
PLANS = ("--plan", "PLAN_001", "--plan", "PLAN_004", "--plan", "PLAN_017")
MAPPING = textwrap.dedent("""
    [plans.PLAN_001]
    requirements = ["ACME-SRS-1"]
    risk_controls = ["ACME-RC-1"]

    [cases."PLAN_004::test_https_responses_carry_hsts"]
    requirements = ["ACME-SRS-9"]
""")


def _profile(folder: Path, mapping: str, *, organisation: str = "Acme Clinics") -> Path:
    (folder / "acme-trace.toml").write_text(mapping, encoding="utf-8")
    path = folder / "profile.toml"
    path.write_text(EMBEDDED + f'\n[trace]\nmapping = "acme-trace.toml"\norganisation = "{organisation}"\n',
                    encoding="utf-8")
    return path


def _junit(record: Path) -> dict[str, dict]:
    """Plan id → its suite's properties (name → values) and each case's own properties."""
    found = {}
    for suite in ET.parse(record / "junit.xml").getroot().iter("testsuite"):
        props = {}
        for prop in suite.find("properties"):
            props.setdefault(prop.get("name"), []).append(prop.get("value"))
        cases = {case.get("name"): [(p.get("name"), p.get("value")) for p in case.iter("property")]
                 for case in suite.iter("testcase")}
        found[props["plan_id"][0]] = {"props": props, "cases": cases}
    return found


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The same three plans with the catalog's ids, and with an integrator's mapping."""
    from tests.conftest import run_lhv

    base = tmp_path_factory.mktemp("trace")
    catalog = run_lhv([*PLANS], base / "catalog")
    mapped_folder = base / "mapped"
    mapped_folder.mkdir()
    mapped = run_lhv(["--profile", str(_profile(mapped_folder, MAPPING)), *PLANS], mapped_folder / "reports")
    assert catalog.code == 0 and mapped.code == 0, catalog.output + mapped.output
    return catalog, mapped, mapped_folder / "acme-trace.toml"


def test_a_profiles_mapping_replaces_the_makers_ids_and_says_whose_they_are(runs):
    _, mapped, mapping = runs
    data = mapped.results
    jsonschema.validate(data, json.loads(resources.files("lhv.record").joinpath("results.schema.json").read_text()))
    assert data["trace"]["ids"]["owner"] == "Acme Clinics" and data["trace"]["ids"]["kind"] == "profile"
    assert data["trace"]["ids"]["source"] == str(mapping) and len(data["trace"]["ids"]["sha256"]) == 64
    plans = {plan["id"]: plan for plan in data["plans"]}
    assert (plans["PLAN_001"]["requirements"], plans["PLAN_001"]["risk_controls"]) == (["ACME-SRS-1"], ["ACME-RC-1"])
    assert (plans["PLAN_017"]["requirements"], plans["PLAN_017"]["risk_controls"]) == ([], [])
    hsts = next(case for case in plans["PLAN_004"]["cases"] if case["name"] == "test_https_responses_carry_hsts")
    assert hsts["requirements"] == ["ACME-SRS-9"]
    assert data["trace"]["requirements"] == {
        "ACME-SRS-1": ["PLAN_001"], "ACME-SRS-9": ["PLAN_004::test_https_responses_carry_hsts"],
        "not traced": ["PLAN_004::test_plain_http_never_serves_data", "PLAN_017"]}
    assert data["trace"]["untraced"] == ["PLAN_004::test_plain_http_never_serves_data", "PLAN_017"]
    for name in ("results.json", "junit.xml", "record.html", "markdown/PLAN_017.md"):
        assert "REQ_011" not in (mapped.record / name).read_text(encoding="utf-8"), name  # the maker's id of PLAN_017


def test_the_cover_warns_while_anything_is_untraced_and_names_the_mapping(runs):
    catalog, mapped, mapping = runs
    page = (mapped.record / "record.html").read_text(encoding="utf-8")
    cover = page.split("<h2>Summary</h2>", 1)[0]
    assert "<strong>Not traced:</strong> 2 of this run" in cover
    assert "<code>PLAN_004::test_plain_http_never_serves_data</code>, <code>PLAN_017</code>" in cover
    assert f"ids of <strong>Acme Clinics</strong>, from <code>{mapping}</code>" in cover
    assert "<code>PLAN_004::test_https_responses_carry_hsts</code> <span class=\"verdict v-passed\">" in page
    index = (mapped.record / "markdown" / "index.md").read_text(encoding="utf-8")
    assert "**Not traced**" in index and "`PLAN_017`" in index and str(mapping) in index
    maker = (catalog.record / "record.html").read_text(encoding="utf-8").split("<h2>Summary</h2>", 1)[0]
    assert "<strong>Not traced:</strong> 2 of this run" in maker and "<code>PLAN_001</code>, <code>PLAN_004</code>" \
        in maker and "ids of <strong>the device maker</strong>, from <code>verification/catalog.toml</code>" in maker


def test_junit_carries_only_real_ids(runs):
    catalog, mapped, _ = runs
    for run in runs[:2]:
        text = (run.record / "junit.xml").read_text(encoding="utf-8")
        assert "not traced" not in text
    by_catalog = _junit(catalog.record)
    assert "requirement" not in by_catalog["PLAN_001"]["props"]
    assert by_catalog["PLAN_017"]["props"]["requirement"] == ["REQ_011"]
    assert len(by_catalog["PLAN_017"]["props"]["risk_control"]) == 4
    by_mapping = _junit(mapped.record)
    assert by_mapping["PLAN_001"]["props"]["requirement"] == ["ACME-SRS-1"]
    assert by_mapping["PLAN_001"]["props"]["risk_control"] == ["ACME-RC-1"]
    assert "requirement" not in by_mapping["PLAN_017"]["props"] and "requirement" not in by_mapping["PLAN_004"]["props"]
    assert by_mapping["PLAN_004"]["cases"] == {"test_plain_http_never_serves_data": [],
                                               "test_https_responses_carry_hsts": [("requirement", "ACME-SRS-9")]}


@pytest.mark.parametrize(("mapping", "line"), [
    ("[plans.PLAN_042]\nrequirements = ['ACME-1']\n", "acme-trace.toml: plans.PLAN_042: not a plan id"),
    ("[cases.\"PLAN_001::test_it_works\"]\nrequirements = ['ACME-1']\n",
     "acme-trace.toml: cases.\"PLAN_001::test_it_works\": 'test_it_works' is not a case of PLAN_001"),
    ("[plans.PLAN_001]\nrequirements = ['']\n", "acme-trace.toml: plans.PLAN_001.requirements: an id is empty"),
])
def test_a_wrong_mapping_stops_the_run_before_any_traffic(lhv, tmp_path, mapping, line):
    run = lhv("--profile", str(_profile(tmp_path, mapping)), "--plan", "PLAN_001")
    assert run.code == 2 and run.record is None, run.output
    assert line in run.output and len(run.output.strip().splitlines()) == 1, run.output


def test_plain_pytest_refuses_a_wrong_mapping_too(tmp_path):
    profile = _profile(tmp_path, "[plans.PLAN_042]\nrequirements = ['ACME-1']\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "lhv.plans", "-p", "no:cacheprovider",
                           "--lhv-profile", str(profile), "--lhv-plan", "PLAN_001",
                           "--lhv-reports-dir", str(tmp_path / "reports")],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "acme-trace.toml: plans.PLAN_042: not a plan id" in done.stdout + done.stderr
    assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").iterdir())
