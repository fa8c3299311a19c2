"""Importing external scanner reports and gating their findings by severity."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from lhv.core.errors import ConfigError
from lhv.scanners import Finding, ScannerReportError, Severity, gate, load_report
from lhv.scanners.reports import TEXT_LIMIT

REPORTS = Path(__file__).resolve().parent.parent / "data" / "scanner_reports"
ZAP = REPORTS / "zap_traditional.json"
INTRUDER_CSV = REPORTS / "intruder_issues.csv"
INTRUDER_JSON = REPORTS / "intruder_issues.json"
MALFORMED_ZAP = REPORTS / "zap_alert_without_riskcode.json"


def by_rule(findings: list[Finding], rule_id: str) -> list[Finding]:
    return [finding for finding in findings if finding.rule_id == rule_id]


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def test_zap_report_is_read_with_one_finding_per_rule_and_location() -> None:
    report = load_report(ZAP)
    assert (report.tool, report.kind, report.tool_version) == ("zap", "zap_json", "2.15.0")
    assert report.file_sha256 == hashlib.sha256(ZAP.read_bytes()).hexdigest()
    assert [(f.rule_id, f.severity) for f in report.findings] == [
        ("40018", Severity.HIGH), ("90022", Severity.MEDIUM), ("10038", Severity.MEDIUM),
        ("10038", Severity.MEDIUM), ("10036", Severity.LOW), ("10027", Severity.INFO)]


def test_zap_finding_fields() -> None:
    [sql] = by_rule(load_report(ZAP).findings, "40018")
    assert sql.title == "SQL Injection"
    assert sql.location == "POST https://device.example.test/login [param username]"
    assert sql.cwe == "CWE-89"
    assert sql.description == "SQL injection may be possible."
    assert sql.remediation.startswith("Do not trust client side input") and "<p>" not in sql.remediation


def test_zap_html_entities_are_decoded() -> None:
    [server] = by_rule(load_report(ZAP).findings, "10036")
    assert '"Server"' in server.description and server.evidence == "uvicorn/0.30.1"


def test_zap_alert_without_instances_is_located_at_the_site() -> None:
    [comments] = by_rule(load_report(ZAP).findings, "10027")
    assert comments.location == "https://device.example.test"


def test_zap_repeated_evidence_at_one_place_is_one_finding_keeping_the_first() -> None:
    [disclosure] = by_rule(load_report(ZAP).findings, "90022")
    assert disclosure.evidence.startswith("Traceback (most recent call last):")


def test_long_text_is_clipped_to_one_line() -> None:
    [disclosure] = by_rule(load_report(ZAP).findings, "90022")
    for text in (disclosure.evidence, disclosure.description, disclosure.remediation):
        assert len(text) <= TEXT_LIMIT and "\n" not in text
    assert disclosure.evidence.endswith("…")


def test_ids_are_stable_and_unique() -> None:
    first, second = load_report(ZAP), load_report(ZAP)
    assert [f.id for f in first.findings] == [f.id for f in second.findings]
    assert len({f.id for f in first.findings}) == len(first.findings)
    assert all(f.id.startswith(f"zap:{f.rule_id}:") for f in first.findings)


def test_zap_with_a_lone_site_object_is_read(tmp_path: Path) -> None:
    data = json.loads(ZAP.read_text(encoding="utf-8"))
    data["site"] = data["site"][0]
    path = write(tmp_path, "lone_site.json", json.dumps(data))
    assert len(load_report(path).findings) == len(load_report(ZAP).findings)


def test_intruder_csv_is_read() -> None:
    report = load_report(INTRUDER_CSV)
    assert (report.tool, report.kind) == ("intruder", "intruder_csv")
    assert [f.severity for f in report.findings] == [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM,
                                                     Severity.LOW, Severity.INFO]
    postgres = report.findings[1]
    assert (postgres.rule_id, postgres.location, postgres.cwe) == ("2203", "device.example.test:5432", "CWE-284")
    assert postgres.first_seen == "2026-11-03"
    hsts = report.findings[3]
    assert hsts.location == "https://device.example.test/health" and hsts.cwe is None
    assert "\n" not in hsts.description and "downgrade" in hsts.description


def test_intruder_csv_columns_match_ignoring_case_spacing_and_separators(tmp_path: Path) -> None:
    path = write(tmp_path, "export.csv",
                 " issue_title , SEVERITY,Target-Address,port\n"
                 "Weak Cipher Suites,moderate,device.example.test,443\n"
                 "\n"
                 "Open Redis Port,HIGH,device.example.test,6379\n")
    findings = load_report(path).findings
    assert [(f.title, f.severity, f.location) for f in findings] == [
        ("Weak Cipher Suites", Severity.MEDIUM, "device.example.test:443"),
        ("Open Redis Port", Severity.HIGH, "device.example.test:6379")]
    assert findings[0].rule_id == "weak-cipher-suites"


def test_intruder_json_is_read_with_one_finding_per_occurrence() -> None:
    report = load_report(INTRUDER_JSON)
    assert (report.tool, report.kind) == ("intruder", "intruder_json")
    tls = by_rule(report.findings, "1042")
    assert [f.location for f in tls] == ["device.example.test:443", "staging.device.example.test:443"]
    assert tls[0].first_seen == "2026-11-02T08:11:00Z"
    assert report.findings[0].severity is Severity.CRITICAL


def test_the_same_issue_has_the_same_id_in_intruder_csv_and_json() -> None:
    csv_ids = {f.id for f in load_report(INTRUDER_CSV).findings}
    json_ids = {f.id for f in load_report(INTRUDER_JSON).findings}
    assert {"intruder:5120:", "intruder:1042:"} <= {i[:14] for i in csv_ids & json_ids}


def test_intruder_api_results_shape_is_read(tmp_path: Path) -> None:
    issues = json.loads(INTRUDER_JSON.read_text(encoding="utf-8"))["issues"]
    path = write(tmp_path, "api.json", json.dumps({"count": len(issues), "next": None, "results": issues}))
    assert len(load_report(path).findings) == 4


def test_intruder_issue_without_occurrences_is_one_finding(tmp_path: Path) -> None:
    path = write(tmp_path, "bare.json", '[{"title": "Weak TLS", "severity": "Low"}]')
    [finding] = load_report(path).findings
    assert (finding.rule_id, finding.location) == ("weak-tls", "(no location given)")


def test_kind_can_be_given(tmp_path: Path) -> None:
    path = write(tmp_path, "export.txt", INTRUDER_CSV.read_text(encoding="utf-8"))
    assert load_report(path, kind="intruder_csv").kind == "intruder_csv"
    with pytest.raises(ScannerReportError, match="site: is missing"):
        load_report(INTRUDER_JSON, kind="zap_json")


@pytest.mark.parametrize(("threshold", "count"), [
    ("info", 6), ("low", 5), ("MEDIUM", 4), ("high", 1), (Severity.CRITICAL, 0)])
def test_gate_returns_findings_at_or_above_the_threshold(threshold: str | Severity, count: int) -> None:
    findings = load_report(ZAP).findings
    gated = gate(findings, threshold)
    assert len(gated) == count
    assert gated == [f for f in findings if f in gated]


def test_gate_rejects_an_unknown_threshold() -> None:
    with pytest.raises(ValueError, match="'severe' is not one of info, low, medium, high, critical"):
        gate([], "severe")


def test_severity_scale_is_ordered() -> None:
    assert Severity.INFO < Severity.LOW < Severity.MEDIUM < Severity.HIGH < Severity.CRITICAL
    assert Severity.parse(" Informational ") is Severity.INFO and str(Severity.HIGH) == "high"


def test_the_malformed_sample_names_the_missing_field_and_its_path() -> None:
    with pytest.raises(ScannerReportError) as raised:
        load_report(MALFORMED_ZAP)
    assert str(raised.value) == f"{MALFORMED_ZAP}: site[0].alerts[1].riskcode: is missing"
    assert isinstance(raised.value, ConfigError)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("cut.json", '{"site": [{"alerts": [', "cut.json: not valid JSON: Expecting value at line 1 column 23"),
    ("other.json", '{"runs": []}', "other.json: unrecognised JSON report: expected ZAP's 'site' or "
                                   "Intruder's 'issues'; found top-level keys runs"),
    ("notes.txt", "just some notes\n", "notes.txt: unrecognised report: neither JSON nor CSV"),
    ("empty.csv", " \n", "empty.csv: the file is empty"),
    ("risk.json", '{"site": [{"alerts": [{"pluginid": "1", "alert": "x", "riskcode": "7"}]}]}',
     "risk.json: site[0].alerts[0].riskcode: must be 0, 1, 2 or 3, got '7'"),
    ("nameless.json", '{"site": [{"alerts": [{"pluginid": "1", "riskcode": "1"}]}]}',
     "nameless.json: site[0].alerts[0].alert: is missing (and so is 'name')"),
    ("alerts.json", '{"site": [{"alerts": {"pluginid": "1"}}]}',
     "alerts.json: site[0].alerts: must be a list, got an object"),
    ("issue.json", '{"issues": [{"title": "x", "severity": "urgent"}]}',
     "issue.json: issues[0].severity: severity 'urgent' is not one of info, low, medium, high, critical"),
    ("untitled.json", '{"issues": [{"severity": "low"}]}', "untitled.json: issues[0].title: is missing"),
    ("columns.csv", "Title,Target\nx,y\n",
     "columns.csv: line 1: the header has no severity column (columns found: Title, Target)"),
    ("severity.csv", "Title,Severity,Target\nx,low,h\ny,urgent,h\n",
     "severity.csv: line 3: severity 'urgent' is not one of info, low, medium, high, critical"),
    ("short.csv", "Title,Severity,Target\nx,low\n", "short.csv: line 2: has 2 fields; the header has 3"),
    ("blank.csv", "Issue Title,Severity,Target\n,low,h\n", "blank.csv: line 2: the 'Issue Title' column is empty"),
])
def test_unreadable_reports_raise_one_clear_error(tmp_path: Path, name: str, content: str, message: str) -> None:
    with pytest.raises(ScannerReportError) as raised:
        load_report(write(tmp_path, name, content))
    assert message in str(raised.value)


def test_csv_line_numbers_count_physical_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "multiline.csv",
                 'Title,Severity,Target,Description\nx,low,h,"two\nlines"\ny,urgent,h,z\n')
    with pytest.raises(ScannerReportError, match="line 4: severity 'urgent'"):
        load_report(path)


def test_a_missing_file_and_an_unknown_kind_are_named(tmp_path: Path) -> None:
    with pytest.raises(ScannerReportError, match="absent.json: cannot be read"):
        load_report(tmp_path / "absent.json")
    with pytest.raises(ScannerReportError, match="unknown report kind 'nessus'"):
        load_report(ZAP, kind="nessus")
