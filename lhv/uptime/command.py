"""The `lhv probe` commands: a long-running prober, and the record of a window judged from its store."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from lhv.core.errors import ConfigError, LhvError

if TYPE_CHECKING:  # the commands import their heavy parts (numpy, matplotlib) only when they run
    from lhv.session.profile import Profile, UptimeSection
    from lhv.uptime.judgement import Window
    from lhv.uptime.prober import ProbeResult
    from lhv.uptime.probes import HttpProbes
    from lhv.uptime.store import ProbeStore

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_CREDENTIAL_REFUSALS = (401, 403, 422)


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Adds `lhv probe` and `lhv probe report` to the lhv command's parser."""
    probe = commands.add_parser("probe", help="run the uptime prober (PLAN_018) until stopped or bounded")
    probe.add_argument("--profile", help="target profile (TOML) whose [uptime] section says what to probe")
    probe.add_argument("--store", help="store URL (default: the profile's uptime.store_url)")
    probe.add_argument("--prober-id", help="this prober's id (default: the profile's, or the host name)")
    probe.add_argument("--duration", type=float, help="stop after this many seconds")
    probe.add_argument("--max-probes", type=int, help="stop after this many health probes")
    probe.set_defaults(handler=lambda args, extra: run_probe(args))
    report = probe.add_subparsers(dest="probe_command").add_parser(
        "report", help="judge a window (a calendar month) from the probe store and write its record")
    # SUPPRESS: `lhv probe --profile P report` keeps the profile given before the word report
    report.add_argument("--profile", default=argparse.SUPPRESS,
                        help="target profile (TOML); default: the [uptime] defaults")
    report.add_argument("--store", default=argparse.SUPPRESS,
                        help="store URL (default: the profile's uptime.store_url)")
    report.add_argument("--month", help="the calendar month YYYY-MM (UTC); default: the profile's uptime.window")
    report.add_argument("--reports-dir", default="reports", help="where reports/<id>/ is written")
    report.set_defaults(handler=lambda args, extra: run_report(args))


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"lhv: {message}", file=sys.stderr)
    return code


def _open(url: str, source: str) -> ProbeStore:
    from lhv.uptime.config import display_url
    from lhv.uptime.store import open_store

    try:
        return open_store(url)
    except ValueError as exc:
        raise ConfigError(source, None, str(exc)) from None
    except Exception as exc:  # the driver's own errors: unreachable server, unreadable file
        raise ConfigError(display_url(url), None, f"cannot open the probe store ({type(exc).__name__}: {exc})") \
            from None


def run_probe(args: argparse.Namespace) -> int:
    """Probes the profile's target until stopped (SIGINT, SIGTERM) or bounded; returns the exit code."""
    from lhv.session.profile import load_profile
    from lhv.session.target import open_target
    from lhv.uptime.config import display_url, make_probes, prober_id_for, store_url_for
    from lhv.uptime.probes import probe_continuously

    if not args.profile:
        return _fail("lhv probe needs --profile: the profile names the target and its [uptime] settings")
    try:
        profile = load_profile(args.profile)
        if profile.target.embedded:
            raise ConfigError(profile.source, "target.embedded", "lhv probe probes a deployed target; PLAN_018 "
                                                                 "probes the embedded device itself")
        target = open_target(profile)
        tx = profile.uptime.transaction
        credentials = None
        if tx.intent:
            account = target.credentials(tx.account)
            credentials = (account.username, account.password)
        probes = make_probes(profile, target.base_url, target.dialect, target.verify, credentials, target.pacer)
        url = args.store or store_url_for(profile)
        store = _open(url, "--store" if args.store else f"{profile.source}: uptime.store_url")
    except LhvError as exc:
        return _fail(str(exc))
    prober_id = args.prober_id or prober_id_for(profile)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        print(_start_line(profile, probes, prober_id, display_url(url), args), flush=True)
        refusal = _credentials_refused(probes)
        if refusal:
            return _fail(f"{profile.source}: credentials.{tx.account}: {refusal}")
        counts = probe_continuously(store, probes, prober_id=prober_id, interval_s=profile.uptime.interval_seconds,
                                    transaction_interval_s=tx.interval_seconds if tx.intent else None,
                                    duration_s=args.duration, max_probes=args.max_probes, stop_event=stop,
                                    observe=_StateChanges())
    except Exception as exc:  # a failed store write ends the prober: the gap until a restart shows in the verdict
        return _fail(f"the prober stopped: {type(exc).__name__}: {exc} (restart it; the time it was down counts as "
                     "missing data)", EXIT_FAILED)
    finally:
        probes.close()
        store.close()
    print(f"{_now()} stopped: recorded {counts.health} health and {counts.transaction} transaction probes", flush=True)
    return EXIT_OK


def _credentials_refused(probes: HttpProbes) -> str | None:
    """Returns why the transaction's login is refused for the account (a profile problem), or None."""
    if probes.transaction_spec is None:
        return None
    result = probes.transaction()
    if result.error_class and result.error_class.startswith("login ") and result.status in _CREDENTIAL_REFUSALS:
        return f"the target refuses the login with {result.status}: check the account's credentials"
    return None


def _start_line(profile: Profile, probes: HttpProbes, prober_id: str, store: str, args: argparse.Namespace) -> str:
    uptime = profile.uptime
    what = f"{probes.url('health')} every {uptime.interval_seconds:g} s (timeout {uptime.timeout_seconds:g} s)"
    if probes.transaction_spec is not None:
        what += (f", and a login then {probes.url(probes.transaction_spec.intent)} every "
                 f"{uptime.transaction.interval_seconds:g} s")
    bounds = []
    if args.duration:
        bounds.append(f"for {args.duration:g} s")
    if args.max_probes:
        bounds.append(f"at most {args.max_probes} health probes")
    return (f"{_now()} prober {prober_id!r} probing {what} into {store}; "
            + (", ".join(bounds) if bounds else "until stopped (Ctrl-C or SIGTERM)"))


class _StateChanges:
    """Prints a line when a probe kind goes down or comes back, not for every probe."""

    def __init__(self) -> None:
        self._up: dict[str, bool] = {}
        self._lock = threading.Lock()

    def __call__(self, kind: str, result: ProbeResult) -> None:
        up = result.outcome != "down"
        with self._lock:
            was = self._up.get(kind)
            self._up[kind] = up
        if was is None and up:
            return
        if was is None or was != up:
            state = "up" if up else f"DOWN ({result.error_class}, status {result.status})"
            print(f"{_now()} {kind} {state}", flush=True)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def run_report(args: argparse.Namespace) -> int:
    """Judges a window from the store, prints the verdict and writes the record; returns the exit code."""
    from lhv.record.integrity import write_manifest
    from lhv.session.profile import UptimeSection, load_profile
    from lhv.uptime.config import display_url, store_url_for
    from lhv.uptime.judgement import PASSED, judge_window
    from lhv.uptime.report import HTML_NAME, write_uptime_record

    try:
        profile = load_profile(args.profile) if args.profile else None
        uptime = profile.uptime if profile else UptimeSection()
        if not args.store and profile is None:
            raise ConfigError("lhv probe report", None, "give --profile or --store")
        url = args.store or store_url_for(profile)
        window = _report_window(args.month, uptime, profile.source if profile else "")
        store = _open(url, "--store" if args.store else f"{profile.source}: uptime.store_url")
    except LhvError as exc:
        return _fail(str(exc))
    label = display_url(url)
    with store:
        judgement = judge_window(store, window, uptime, store_label=label)
    generated = datetime.now(UTC)
    folder = Path(args.reports_dir) / f"uptime-{window.label}-{generated:%Y%m%dT%H%M%SZ}"
    context = {"Profile": profile.source if profile else "none: the [uptime] defaults",
               "Target": (profile.target.base_url if profile else "") or "not named",
               "Generated (UTC)": generated.isoformat(timespec="seconds")}
    if window.end > generated:
        context["Note"] = "the window had not ended when this record was generated: it judges the window so far"
    write_uptime_record(judgement, folder, context)
    write_manifest(folder)
    for line in judgement.summary_lines():
        print(line)
    print(f"record: {folder / HTML_NAME}")
    return EXIT_OK if judgement.outcome == PASSED else EXIT_FAILED


def _report_window(month: str | None, uptime: UptimeSection, source: str) -> Window:
    from lhv.uptime.judgement import calendar_month, configured_window

    if month:
        try:
            return calendar_month(month)
        except ValueError as exc:
            raise ConfigError("--month", None, str(exc)) from None
    if uptime.window == "live":
        raise ConfigError(source, "uptime.window", "a live window is judged by PLAN_018 itself; give --month YYYY-MM")
    return configured_window(uptime.window, datetime.now(UTC))

