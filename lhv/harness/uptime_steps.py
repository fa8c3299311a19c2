"""What PLAN_018's steps do: open the probe store, probe a live window, run the soak, judge and attach."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from lhv.checks.outcomes import Finding, require_findings
from lhv.core.errors import CheckFailed, ConfigError, Inconclusive, NotApplicable, TargetError
from lhv.core.evidence import CheckResult, Step, current_case
from lhv.core.pacing import ANONYMOUS, AUTHENTICATED
from lhv.load.burst import LoadDriver
from lhv.session.profile import UptimeSection
from lhv.session.run import RunState
from lhv.session.target import Target
from lhv.uptime.config import display_url, make_probes, prober_id_for, store_url_for
from lhv.uptime.judgement import FAILED, INCONCLUSIVE, PASSED, Judgement, Window, judge_window, live_window
from lhv.uptime.probes import ProbeCounts, probe_continuously
from lhv.uptime.report import WrittenFile, write_probes_csv, write_uptime_record
from lhv.uptime.soak import Soak, SoakResult
from lhv.uptime.store import ProbeStore, open_store


def quiet_before_live_window(target: Target) -> float:
    """When a budget is spent (a burst just before), waits until the harness's own earlier requests have left its
    window, so that the pacer does not hold the prober back during the window; returns the seconds waited."""
    pacer = target.pacer
    return sum(pacer.wait_quiet(scope) for scope in (ANONYMOUS, AUTHENTICATED) if pacer.delay(scope) > 0)


def soak_refusal(target: Target, load: LoadDriver) -> str | None:
    """Returns why the profile's soak does not run, or None when it runs."""
    if target.profile.uptime.soak.users == 0:
        return "the profile sets no soak (uptime.soak.users = 0)"
    if target.profile.target.production:
        return "no load on a production profile (target.production = true)"
    try:
        load.require_consent()
    except NotApplicable as exc:
        return str(exc)
    return None


def soak_for(target: Target, folder: Path) -> Soak:
    """Returns the profile's soak on the health route, its reports going into folder."""
    uptime = target.profile.uptime
    return Soak(target.base_url, target.dialect.route("health").path, target.ca_file, uptime.soak,
                uptime.timeout_seconds, folder)


@contextmanager
def open_probe_store(target: Target) -> Iterator[tuple[ProbeStore, str]]:
    """Opens the profile's probe store; yields it and its URL as the record shows it (no password)."""
    url = store_url_for(target.profile, target.expand)
    label = display_url(url)
    try:
        store = open_store(url)
    except ValueError as exc:
        raise ConfigError(target.profile.source, "uptime.store_url", str(exc)) from None
    except Exception as exc:  # the driver's own errors: unreachable server, unreadable file
        raise TargetError(f"cannot open the probe store {label}: {type(exc).__name__}: {exc}") from None
    try:
        yield store, label
    finally:
        store.close()


def probes_text(uptime: UptimeSection) -> str:
    """Returns what the prober probes, in words: the health route and the transaction, with their intervals."""
    text = f"the health route every {uptime.interval_seconds:g} s"
    tx = uptime.transaction
    if tx.intent:
        text += f" and, every {tx.interval_seconds:g} s, a login then the '{tx.intent}' request"
    return text


def probe_live_window(target: Target, store: ProbeStore) -> tuple[Window, ProbeCounts]:
    """Probes the target for the profile's live window, which starts on the slower probe's interval grid."""
    uptime = target.profile.uptime
    tx = uptime.transaction
    credentials = None
    if tx.intent:
        account = target.credentials(tx.account)
        credentials = (account.username, account.password)
    probes = make_probes(target.profile, target.base_url, target.dialect, target.verify, credentials, target.pacer)
    grid = tx.interval_seconds if tx.intent else uptime.interval_seconds
    now = datetime.now(UTC)
    window = live_window(now, uptime.window_seconds, grid)
    try:
        counts = probe_continuously(store, probes, prober_id=prober_id_for(target.profile),
                                    interval_s=uptime.interval_seconds,
                                    transaction_interval_s=tx.interval_seconds if tx.intent else None,
                                    duration_s=(window.end - now).total_seconds())
    finally:
        probes.close()
    return window, counts


def require_data(name: str, condition: bool, missing: str, present: str) -> None:
    """Records a check on the data to judge; raises Inconclusive (not a failure of the device) when it is missing."""
    case = current_case()
    if case is not None:
        case.keep_check(CheckResult(name, bool(condition), present if condition else missing))
    if not condition:
        raise Inconclusive(missing)


def soak_finding(result: SoakResult, target_pct: float) -> Finding:
    """Returns the soak's check: at least the target share of its requests succeeded."""
    return Finding("soak-requests-succeeded", result.success_pct is not None and result.success_pct >= target_pct,
                   f"under load: {result.summary()}; target {target_pct:g} %")


def require_judgement(judgement: Judgement, more: list[Finding]) -> None:
    """Records each probe kind's availability and probe-success checks and more (the soak's); a miss fails, and
    too little data to judge is inconclusive."""
    findings = list(more)
    for kind in judgement.kinds:
        verdict = kind.verdict
        if verdict.outcome in (PASSED, FAILED):
            findings.append(Finding(f"{kind.kind}-availability", verdict.outcome == PASSED, verdict.reason))
        if kind.share.percent is not None:
            findings.append(Finding(f"{kind.kind}-probes-succeeded", kind.share.percent >= verdict.target_pct,
                                    f"{kind.share.percent:.2f} % of {kind.kind} probes succeeded "
                                    f"({kind.share.basis}); target {verdict.target_pct:g} %"))
    require_findings(findings)
    lacking = [f"{kind.kind}: {kind.verdict.reason}" for kind in judgement.kinds
               if kind.verdict.outcome == INCONCLUSIVE]
    require_data("window-probed", not lacking, "; ".join(lacking),
                 "every probe kind has the data to be judged: coverage at least uptime.min_coverage, no gap without "
                 "data longer than allowed")
    if judgement.outcome == INCONCLUSIVE:
        raise Inconclusive(judgement.reason)
    if judgement.outcome != PASSED:  # every failed kind has a failed finding above: this is a harness defect
        raise CheckFailed("uptime-judgement", judgement.reason)


def judge_and_attach(store: ProbeStore, window: Window, store_label: str, target: Target, lhv_run: RunState,
                     folder: Path, record: Step) -> Judgement:
    """Judges the window, writes the uptime record (JSON, charts, page) as the step's attachments, and notes the
    judgement and every method in the step."""
    uptime = target.profile.uptime
    judgement = judge_window(store, window, uptime, store_label=store_label)
    profile = target.profile
    files = write_uptime_record(judgement, folder, {
        "Target": target.base_url, "Profile": f"{profile.source} (sha256 {profile.sha256[:16]}…)",
        "Recorded by": f"lhv verify, run {lhv_run.run_id}"})
    attach(record, files, folder, lhv_run.record_dir)
    record.actual.extend(judgement.summary_lines())
    record.actual.append(judgement.method)
    record.actual.extend(kind.verdict.method for kind in judgement.kinds)
    return judgement


def attach(step: Step, files: list[WrittenFile], folder: Path, record_dir: Path) -> None:
    """Lists written files as the step's attachments, named relative to the record folder."""
    base = folder.relative_to(record_dir).as_posix()
    step.attachments.extend({"name": f"{base}/{f.name}", "description": f.description} for f in files)


def keep_probes(store: ProbeStore, window: Window, folder: Path) -> WrittenFile:
    """Writes the live window's probes as CSV into folder."""
    folder.mkdir(parents=True, exist_ok=True)
    return write_probes_csv(store, window.start, window.end, folder / "probes.csv")
