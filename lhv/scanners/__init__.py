"""External security-scanner reports: imported into the record and gated by severity."""

from lhv.scanners.reports import (
    REPORT_KINDS,
    Finding,
    ScannerReport,
    ScannerReportError,
    Severity,
    gate,
    load_report,
)

__all__ = [
    "REPORT_KINDS",
    "Finding",
    "ScannerReport",
    "ScannerReportError",
    "Severity",
    "gate",
    "load_report",
]
