"""Reads external security-scanner reports into findings on one severity scale, and gates on it.

Supported kinds:

* ``zap_json``: OWASP ZAP's "traditional JSON" report: ``site[].alerts[]`` with ``pluginid``,
  ``alert`` (or ``name``), ``riskcode`` (0 informational … 3 high), ``desc``, ``solution``,
  ``cweid`` and ``instances[]`` (``uri``, ``method``, ``param``, ``evidence``).
* ``intruder_csv`` and ``intruder_json``: Intruder publishes no export schema, so these layouts
  are our assumption, modelled on its API's issues and occurrences. CSV: one row per occurrence,
  columns matched ignoring case, spaces, ``_`` and ``-``: issue title, severity (critical, high,
  medium, low, info), target (required); port, URL, description, remediation, first seen,
  issue id, CWE (optional). JSON: ``{"issues": [...]}`` (or the API's ``{"results": [...]}``),
  each issue with ``title``, ``severity``, optional ``id``, ``description``, ``remediation``,
  ``cwe`` and ``occurrences[]`` (``target``, ``port``, ``url``, ``first_seen``).
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

from lhv.core.errors import ConfigError

REPORT_KINDS = ("zap_json", "intruder_csv", "intruder_json")
TEXT_LIMIT = 200  # characters kept of any free text (descriptions, evidence) from a report


class Severity(IntEnum):
    """The one severity scale every scanner's ratings are mapped onto."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Reads a severity word as scanners write it (any case; 'informational', 'moderate')."""
        word = text.strip().lower()
        if word not in _SEVERITY_WORDS:
            raise ValueError(f"severity {text!r} is not one of {', '.join(str(s) for s in cls)}")
        return _SEVERITY_WORDS[word]


_SEVERITY_WORDS = {str(s): s for s in Severity} | {
    "informational": Severity.INFO, "information": Severity.INFO, "moderate": Severity.MEDIUM,
}
_ZAP_RISKS = {"0": Severity.INFO, "1": Severity.LOW, "2": Severity.MEDIUM, "3": Severity.HIGH}


@dataclass(frozen=True)
class Finding:
    """One issue a scanner reported at one location."""

    id: str  # "<tool>:<rule id>:<12 hex of the location's SHA-256>", stable across runs
    tool: str
    rule_id: str
    title: str
    severity: Severity
    location: str
    description: str
    cwe: str | None = None
    evidence: str = ""
    remediation: str = ""
    first_seen: str = ""  # as the scanner wrote it; ZAP reports have none


@dataclass(frozen=True)
class ScannerReport:
    """A scanner report as imported into the record: which tool, which file, what it found."""

    tool: str
    kind: str
    path: str
    file_sha256: str
    findings: list[Finding]
    tool_version: str | None = None


class ScannerReportError(ConfigError):
    """A scanner report that cannot be read; names the file and the field, path or line."""


def load_report(path: str | Path, kind: str | None = None) -> ScannerReport:
    """Reads a report, detecting its kind unless given; one finding per rule and location."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ScannerReportError(source, None, f"cannot be read: {exc.strerror}") from None
    if kind is not None and kind not in REPORT_KINDS:
        raise ScannerReportError(source, None,
                                 f"unknown report kind {kind!r}: use one of {', '.join(REPORT_KINDS)}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScannerReportError(source, None, f"not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise ScannerReportError(source, None, "the file is empty")
    is_json = kind in ("zap_json", "intruder_json") or kind is None and text.lstrip()[0] in "{["
    data = _parse_json(source, text) if is_json else None
    kind = kind or (_json_kind(source, data) if is_json else _text_kind(source, text))
    if kind == "intruder_csv":
        findings, version = _intruder_csv(source, text), None
    elif kind == "zap_json":
        findings, version = _zap(source, data)
    else:
        findings, version = _intruder_json(source, data), None
    tool = "zap" if kind == "zap_json" else "intruder"
    return ScannerReport(tool, kind, source, hashlib.sha256(raw).hexdigest(), _unique(findings), version)


def gate(findings: Iterable[Finding], threshold: str | Severity) -> list[Finding]:
    """Returns the findings at or above the threshold severity, in report order."""
    floor = threshold if isinstance(threshold, Severity) else Severity.parse(threshold)
    return [finding for finding in findings if finding.severity >= floor]


def _json_kind(source: str, data: Any) -> str:
    if isinstance(data, dict) and "site" in data:
        return "zap_json"
    if isinstance(data, list) or isinstance(data, dict) and {"issues", "results"} & data.keys():
        return "intruder_json"
    found = f"top-level keys {', '.join(sorted(data))}" if isinstance(data, dict) else _kind(data)
    raise ScannerReportError(source, None, "unrecognised JSON report: expected ZAP's 'site' or "
                             f"Intruder's 'issues'; found {found}")


def _text_kind(source: str, text: str) -> str:
    if source.lower().endswith(".csv") or "," in text.lstrip().splitlines()[0]:
        return "intruder_csv"
    raise ScannerReportError(source, None, "unrecognised report: neither JSON nor CSV")


def _parse_json(source: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScannerReportError(source, None,
                                 f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def _zap(source: str, data: Any) -> tuple[list[Finding], str | None]:
    report = _JsonReader(source)
    sites = report.field(data, "", "site")
    findings = []
    # Older ZAP versions write a lone site as an object rather than a one-item list.
    for site_path, site in report.items(sites if isinstance(sites, list) else [sites], "site"):
        for path, alert in report.items(report.field(site, site_path, "alerts", []), f"{site_path}.alerts"):
            rule = str(report.field(alert, path, "pluginid"))
            title = alert.get("alert") or alert.get("name")
            if not title:
                raise ScannerReportError(source, f"{path}.alert", "is missing (and so is 'name')")
            risk = str(report.field(alert, path, "riskcode"))
            if risk not in _ZAP_RISKS:
                raise ScannerReportError(source, f"{path}.riskcode", f"must be 0, 1, 2 or 3, got {risk!r}")
            cwe = str(alert.get("cweid", "")).strip()
            instances = report.field(alert, path, "instances", []) or [{}]
            for _, instance in report.items(instances, f"{path}.instances"):
                location = " ".join(str(instance.get(k, "")) for k in ("method", "uri") if instance.get(k))
                if instance.get("param"):
                    location += f" [param {instance['param']}]"
                findings.append(_finding(
                    "zap", rule, str(title), _ZAP_RISKS[risk], location or str(site.get("@name", "")),
                    description=str(alert.get("desc", "")), remediation=str(alert.get("solution", "")),
                    cwe=f"CWE-{cwe}" if cwe.isdigit() and cwe != "0" else None,
                    evidence=str(instance.get("evidence", ""))))
    return findings, data.get("@version")


def _intruder_json(source: str, data: Any) -> list[Finding]:
    report = _JsonReader(source)
    if isinstance(data, list):
        issues, issues_path = data, ""
    else:
        issues_path = "results" if isinstance(data, dict) and "results" in data else "issues"
        issues = report.field(data, "", issues_path)
    findings = []
    for path, issue in report.items(issues, issues_path):
        title = str(report.field(issue, path, "title"))
        try:
            severity = Severity.parse(str(report.field(issue, path, "severity")))
        except ValueError as exc:
            raise ScannerReportError(source, f"{path}.severity", str(exc)) from None
        rule = str(issue.get("id") or _slug(title))
        occurrences = report.field(issue, path, "occurrences", []) or [{}]
        for _, occurrence in report.items(occurrences, f"{path}.occurrences"):
            findings.append(_finding(
                "intruder", rule, title, severity,
                _intruder_location(*(str(occurrence.get(k) or "") for k in ("target", "port", "url"))),
                description=str(issue.get("description", "")),
                remediation=str(issue.get("remediation", "")), cwe=_cwe(str(issue.get("cwe") or "")),
                first_seen=str(occurrence.get("first_seen") or "")))
    return findings


_CSV_COLUMNS = {
    "title": ("issuetitle", "title", "issue", "name", "vulnerability"),
    "severity": ("severity", "risk"),
    "target": ("target", "host", "asset", "targetaddress"),
    "port": ("port",),
    "url": ("url", "uri"),
    "description": ("description", "details"),
    "remediation": ("remediation", "solution", "recommendation"),
    "first_seen": ("firstseen", "firstdetected"),
    "rule_id": ("issueid", "checkid", "pluginid", "id"),
    "cwe": ("cwe", "cweid"),
}
_REQUIRED_CSV_COLUMNS = ("title", "severity", "target")


def _intruder_csv(source: str, text: str) -> list[Finding]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
        columns = _csv_columns(source, header)
        return [_csv_finding(source, f"line {reader.line_num}", header, columns, row)
                for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise ScannerReportError(source, f"line {reader.line_num}", f"not valid CSV: {exc}") from None


def _csv_finding(source: str, line: str, header: list[str], columns: dict[str, int], row: list[str]) -> Finding:
    if len(row) != len(header):
        raise ScannerReportError(source, line, f"has {len(row)} fields; the header has {len(header)}")
    cell = {name: row[index].strip() for name, index in columns.items()}
    for name in _REQUIRED_CSV_COLUMNS:
        if not cell[name]:
            raise ScannerReportError(source, line, f"the {header[columns[name]].strip()!r} column is empty")
    try:
        severity = Severity.parse(cell["severity"])
    except ValueError as exc:
        raise ScannerReportError(source, line, str(exc)) from None
    return _finding(
        "intruder", cell.get("rule_id") or _slug(cell["title"]), cell["title"], severity,
        _intruder_location(cell["target"], cell.get("port", ""), cell.get("url", "")),
        description=cell.get("description", ""), remediation=cell.get("remediation", ""),
        cwe=_cwe(cell.get("cwe", "")), first_seen=cell.get("first_seen", ""))


def _csv_columns(source: str, header: list[str]) -> dict[str, int]:
    """Maps each known field to its column index, matching names loosely."""
    normalised = [re.sub(r"[\s_\-]+", "", name).lower() for name in header]
    columns: dict[str, int] = {}
    for name, aliases in _CSV_COLUMNS.items():
        index = next((normalised.index(alias) for alias in aliases if alias in normalised), None)
        if index is not None:
            columns[name] = index
    missing = [name for name in _REQUIRED_CSV_COLUMNS if name not in columns]
    if missing:
        raise ScannerReportError(source, "line 1", f"the header has no {' or '.join(missing)} column "
                                 f"(columns found: {', '.join(h.strip() for h in header)})")
    return columns


_REQUIRED = object()


class _JsonReader:
    """Walks a parsed JSON report; every error names the file and the JSON path."""

    def __init__(self, source: str):
        self._source = source

    def field(self, obj: Any, path: str, key: str, default: Any = _REQUIRED) -> Any:
        """Returns obj[key], or `default`; without a default, a missing key is an error."""
        if not isinstance(obj, dict):
            raise ScannerReportError(self._source, path or "(top level)",
                                     f"must be an object, got {_kind(obj)}")
        if key in obj:
            return obj[key]
        if default is _REQUIRED:
            raise ScannerReportError(self._source, f"{path}.{key}" if path else key, "is missing")
        return default

    def items(self, values: Any, path: str) -> Iterable[tuple[str, dict[str, Any]]]:
        """Yields (path, object) for each object of a JSON list."""
        if not isinstance(values, list):
            raise ScannerReportError(self._source, path or "(top level)",
                                     f"must be a list, got {_kind(values)}")
        for index, value in enumerate(values):
            if not isinstance(value, dict):
                raise ScannerReportError(self._source, f"{path}[{index}]",
                                         f"must be an object, got {_kind(value)}")
            yield f"{path}[{index}]", value


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _finding(tool: str, rule_id: str, title: str, severity: Severity, location: str, *, description: str,
             remediation: str, cwe: str | None, evidence: str = "", first_seen: str = "") -> Finding:
    location_hash = hashlib.sha256(location.encode()).hexdigest()[:12]
    return Finding(f"{tool}:{rule_id}:{location_hash}", tool, rule_id, _clip(title), severity,
                   _clip(location), _clip(description), cwe, _clip(evidence), _clip(remediation),
                   _clip(first_seen))


def _clip(text: str) -> str:
    """Turns report text (ZAP's is HTML) into one plain line of at most TEXT_LIMIT characters."""
    plain = " ".join(html.unescape(re.sub(r"<[^>]*>", " ", text)).split())
    return plain if len(plain) <= TEXT_LIMIT else plain[:TEXT_LIMIT - 1] + "…"


def _intruder_location(target: str, port: str, url: str) -> str:
    if url:
        return url
    if port:
        return f"{target}:{port}"
    return target or "(no location given)"


def _cwe(text: str) -> str | None:
    digits = re.sub(r"(?i)^cwe-?", "", text.strip())
    return f"CWE-{digits}" if digits.isdigit() else None


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def _unique(findings: list[Finding]) -> list[Finding]:
    """Keeps the first finding of each id: ZAP repeats a rule at one place for each piece of evidence."""
    first: dict[str, Finding] = {}
    for finding in findings:
        first.setdefault(finding.id, finding)
    return list(first.values())
