"""Plan steps of PLAN_019 and `lhv fuzz`: fuzzing the contract, the security pass, external scanner reports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lhv.checks.outcomes import Finding, require_findings
from lhv.contract.payloads import IMAGES_DIR
from lhv.core.errors import CheckFailed
from lhv.core.evidence import Step
from lhv.core.secrets import SECRETS
from lhv.fuzz.document import document_for, links
from lhv.fuzz.images import load_images
from lhv.fuzz.runner import CHECK_NAMES, FuzzBudget, Fuzzer, OperationRun, contract_bodies
from lhv.scanners.reports import ScannerReport, Severity, gate, load_report
from lhv.security.probe import Probe
from lhv.security.registry import Outcome, SecurityFinding
from lhv.session.accounts import Accounts
from lhv.session.clinic import profile_path
from lhv.session.run import RunState
from lhv.session.target import Api, Target

PLAN_ID = "PLAN_019"
FINDINGS_FILE = "findings.json"


class KeepGoing:
    """Lets a case run all its steps although one fails: each failed check is kept, the first is raised at the end.

    `with keep_going() as going:` then `with going, step(...):` for each step that must not stop the others.
    """

    def __init__(self) -> None:
        self.failures: list[CheckFailed] = []

    def __enter__(self) -> KeepGoing:
        return self

    def __exit__(self, kind, value, traceback) -> bool:
        if isinstance(value, CheckFailed):
            self.failures.append(value)
            return True
        return False


@contextmanager
def keep_going() -> Iterator[KeepGoing]:
    """Runs a block of steps to the end; raises the first failed check afterwards."""
    going = KeepGoing()
    yield going
    if going.failures:
        raise going.failures[0]


@dataclass
class FuzzSession:
    """An open fuzzer, its budget and the document it reads."""

    fuzzer: Fuzzer
    budget: FuzzBudget
    document_source: str
    stateful_note: str


@contextmanager
def fuzz_session(target: Target, api: Api, run: RunState, *, hunt: bool = False,
                 seed: int | None = None) -> Iterator[FuzzSession]:
    """Opens the fuzzer of the profile: its document, images, budget (PLAN_019's, or `lhv fuzz`'s with hunt),
    and seed (given, the profile's, or fresh)."""
    profile = target.profile
    settings = profile.fuzzing
    base = Path(profile.source).resolve().parent if Path(profile.source).is_file() else None
    document, source = document_for(profile, base=base)
    images = load_images(profile_path(target, profile.clinical.images_dir, IMAGES_DIR))
    budget = FuzzBudget.chosen(settings.hunt_cases if hunt else settings.cases,
                               settings.hunt_seconds if hunt else settings.seconds,
                               seed if seed is not None else settings.seed)
    run.seeds[f"{PLAN_ID} fuzzing"] = str(budget.seed)
    user = target.credentials("user")
    fuzzer = Fuzzer(document=document, base_url=target.base_url, client=api.client, dialect=api.dialect,
                    token=lambda: api.token(user), images=images, budget=budget, ca_file=target.ca_file,
                    contract_bodies=contract_bodies(api.dialect, images))
    try:
        found = links(document)
        note = ("the document has no OpenAPI links (no value of one answer feeds another request), so there is no "
                "stateful sequence to fuzz" if not found else
                f"the document has OpenAPI links ({', '.join(found)}); this harness fuzzes each operation on its own "
                "and does not follow them")
        yield FuzzSession(fuzzer, budget, source, note)
    finally:
        fuzzer.close()


def record_fuzzing(step: Step, outcome: OperationRun) -> None:
    """Files an operation's fuzzing in its step: counts, notes, each failure with its evidence, one check per kind."""
    step.actual.append(outcome.summary())
    step.actual.extend(outcome.notes)
    findings = []
    failed_checks = {failure.check for failure in outcome.failures}
    order = {name: index for index, name in enumerate(CHECK_NAMES)}
    for failure in sorted(outcome.failures, key=lambda failure: order.get(failure.check, -1)):
        step.exchanges.extend(failure.exchanges)
        findings.append(Finding(failure.finding_id, False, failure.describe()))
    checked = [name for name in CHECK_NAMES if name in outcome.checks and name not in failed_checks]
    if outcome.cases == 0:
        findings.append(Finding("fuzz:cases-sent", False, f"{outcome.label}: no case was sent within the budget"))
    elif checked:
        findings.append(Finding("fuzz:checks", True, f"{outcome.cases} case(s) held for: {', '.join(checked)}"))
    require_findings(findings)


def record_outcomes(step: Step, outcomes: list[Outcome], run: RunState) -> None:
    """Files security-check outcomes: not-applicable ones as notes, the rest as named checks (findings fail)."""
    findings = []
    for outcome in outcomes:
        if outcome.not_applicable is not None:
            step.actual.append(f"{outcome.check.id}: not applicable: {outcome.not_applicable}")
        elif outcome.finding is not None:
            findings.append(Finding(outcome.check.id, False, outcome.finding.describe()))
        else:
            findings.append(Finding(outcome.check.id, True, f"[{outcome.check.owasp}] {outcome.check.expectation}"))
    keep_findings(run, [outcome.finding for outcome in outcomes if outcome.finding is not None])
    require_findings(findings)


def keep_findings(run: RunState, findings: list[SecurityFinding]) -> None:
    """Adds findings to the record's attachments/PLAN_019/findings.json."""
    if not findings:
        return
    folder = run.record_dir / "attachments" / PLAN_ID
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FINDINGS_FILE
    kept = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
    kept += [SECRETS.redact_json(finding.as_json()) for finding in findings]
    path.write_text(json.dumps(kept, indent=2, ensure_ascii=False), encoding="utf-8")


def security_probe(target: Target, api: Api, accounts: Accounts) -> Probe:
    """The security pass's view of the target: routes, sample requests and the profile's first JPEG."""
    profile = target.profile
    document, _ = document_for(profile, base=Path(profile.source).resolve().parent
                               if Path(profile.source).is_file() else None)
    images = load_images(profile_path(target, profile.clinical.images_dir, IMAGES_DIR))
    jpeg = next(image for image in images if image.content_type == "image/jpeg")
    return Probe(target, api, accounts, document, jpeg)


def import_scanner_report(step: Step, path: str, run: RunState) -> ScannerReport:
    """Reads an external scanner report, lists its findings in the step and the file in the plan's test data."""
    report = load_report(path)
    run.add_test_data(PLAN_ID, Path(path), f"{report.tool} report ({report.kind}), imported with --scanner-report")
    for finding in report.findings:
        step.actual.append(SECRETS.redact(f"{finding.id} [{finding.severity}] {finding.title} at {finding.location}"
                                          + (f" ({finding.cwe})" if finding.cwe else "")))
    return report


def gate_scanner_report(report: ScannerReport, threshold: str) -> None:
    """Fails for each finding at or above the threshold; passes with a count otherwise."""
    blocking = gate(report.findings, threshold)
    findings = [Finding(f"scanner:{finding.id}", False,
                        SECRETS.redact(f"[{finding.severity}] {finding.title} at {finding.location}: "
                                       f"{finding.description}")) for finding in blocking]
    below = _below_counts(report, Severity.parse(threshold))
    findings.append(Finding("scanner-report-gate", not blocking,
                            f"{len(report.findings)} finding(s) from {report.tool} "
                            f"(sha256 {report.file_sha256[:16]}…); "
                            f"{len(blocking)} at or above {threshold}; below it: {below}"))
    require_findings(findings)


def _below_counts(report: ScannerReport, threshold: Severity) -> str:
    """Counts of the findings below a threshold by severity, e.g. "medium 2, low 1", or "none"."""
    counts: dict[str, int] = {}
    for finding in report.findings:
        if finding.severity < threshold:
            counts[str(finding.severity)] = counts.get(str(finding.severity), 0) + 1
    return ", ".join(f"{name} {count}" for name, count in counts.items()) or "none"
