"""The test-run record: its parts, its integrity, signatures, diffs, and how a browser shows it."""

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from importlib import resources

import jsonschema
import pytest

from lhv.app.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    """A clean run and a run with a fault, of PLAN_001 only."""
    from tests.conftest import run_lhv

    base = tmp_path_factory.mktemp("records")
    clean = run_lhv(["--plan", "PLAN_001", "--tester", "Jane Doe (JD-017)"], base / "reports")
    faulty = run_lhv(["--plan", "PLAN_001", "--fault", "user-enumeration"], base / "reports")
    assert clean.code == 0 and faulty.code == 1, clean.output + faulty.output
    return clean, faulty


def test_results_follow_the_shipped_schema(records):
    schema = json.loads(resources.files("lhv.record").joinpath("results.schema.json").read_text())
    for run in records:
        jsonschema.validate(run.results, schema)


def test_record_holds_cover_plans_trace_and_anomalies(records):
    clean, faulty = records
    data = clean.results
    assert data["tester"] == {"name": "Jane Doe", "role": "JD-017"}
    assert data["device"]["version"] and data["harness"]["commit"] and data["harness"]["soup"]
    assert data["profile"]["sha256"] and "not traced" in data["trace"]["requirements"]
    assert data["anomalies"] == []
    anomaly, = faulty.results["anomalies"]
    assert anomaly["plan"] == "PLAN_001" and anomaly["disposition"] == "" and "same-body" in anomaly["summary"]
    step = data["plans"][0]["cases"][0]["steps"][0]
    assert step["expected"] and step["checks"] and step["exchanges"][0]["sha256"]


def test_junit_and_markdown_carry_plan_ids(records):
    clean, _ = records
    suite = ET.parse(clean.record / "junit.xml").getroot().find("testsuite")
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["plan_id"] == "PLAN_001" and "requirement" not in props
    page = (clean.record / "markdown" / "PLAN_001.md").read_text()
    assert page.startswith("# Test run of PLAN_001") and "| # | action | expected | actual | verdict |" in page


def test_verify_detects_one_changed_byte_and_names_the_file(records, tmp_path, capsys):
    clean, _ = records
    copy = tmp_path / "record"
    shutil.copytree(clean.record, copy)
    assert main(["record", "verify", str(copy)]) == 0
    assert main(["record", "sign", str(copy), "--as", "Ann Approver", "--role", "JD-005", "--meaning", "approved"]) == 0
    assert main(["record", "verify", str(copy)]) == 0
    target = copy / "results.json"
    raw = bytearray(target.read_bytes())
    raw[10] ^= 1
    target.write_bytes(bytes(raw))
    capsys.readouterr()
    assert main(["record", "verify", str(copy)]) == 1
    out = capsys.readouterr().out
    assert "results.json: changed" in out and "Ann Approver" in out


def test_diff_shows_verdict_changes(records, capsys):
    clean, faulty = records
    assert main(["record", "diff", str(clean.record), str(faulty.record)]) == 0
    out = capsys.readouterr().out
    assert "PLAN_001: passed → failed" in out and "new anomaly" in out


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")
def test_browser_shows_the_record_without_errors_or_external_requests(records, tmp_path):
    _, faulty = records
    html = (faulty.record / "record.html").read_text()
    assert "http://" not in html.replace("http://localhost", "").split("<body>")[0]
    for tag in ("<script src", "<link rel=\"stylesheet\"", "<img src=\"http"):
        assert tag not in html
    shot = tmp_path / "record.png"
    done = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,1600", "--enable-logging=stderr", "--v=0",
         f"--screenshot={shot}", (faulty.record / "record.html").as_uri()],
        capture_output=True, text=True, timeout=90)
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == [], console


def test_the_trace_matrix_shows_the_clauses_each_plan_verifies(records):
    from lhv.contract.clauses import contract

    clean, _ = records
    clauses = contract().clauses
    plan, = clean.results["plans"]
    assert "AUTH-LOGIN-01" in plan["clauses"] and all("PLAN_001" in clauses[c].plans for c in plan["clauses"])
    trace = clean.results["trace"]["clauses"]
    assert trace["total"] == len(clauses) and trace["verified"] == len(plan["clauses"])
    assert "ROUTE-MAP-01" in trace["not_verified"]  # PLAN_001 alone leaves PLAN_004's and PLAN_019's clauses
    page = (clean.record / "record.html").read_text()
    assert "Contract clauses" in page and f"verify {len(plan['clauses'])} of the contract's {len(clauses)}" in page
