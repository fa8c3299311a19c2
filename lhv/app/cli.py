"""The lhv command: a thin layer over pytest and the reference device."""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
from pathlib import Path

from lhv.app import payload_command, selftest_command
from lhv.contract.dialect_names import DIALECT_NAMES
from lhv.contract.dialects.base import LAYOUTS
from lhv.core.announce import duration_text
from lhv.core.errors import ConfigError
from lhv.lint import command as check_payload_command
from lhv.load import worker as load_worker
from lhv.uptime import command as probe_commands

EXIT_USAGE = 2


def _usage(problem: object) -> int:
    print(f"lhv: {problem}", file=sys.stderr)
    return EXIT_USAGE


def _pytest_refuses(argv: list[str]) -> str | None:
    """Returns pytest's complaint about arguments it does not know, before the run starts; None when it takes them."""
    import pytest
    from _pytest.config import _prepareconfig

    try:
        config = _prepareconfig(argv)
    except pytest.UsageError as exc:
        return " ".join(line.strip() for line in str(exc).splitlines() if "error:" in line) or str(exc)
    config._ensure_unconfigure()
    return None


def _positive_int(text: str) -> int:
    """Reads a whole number of at least 1 (argparse says which option when it is not)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not at least 1")
    return value


def _verify(args: argparse.Namespace, extra: list[str]) -> int:
    import pytest

    from lhv.session.preflight import check_run, run_profile

    try:
        profile = run_profile(args.profile, args.dialect)
        chosen = check_run(profile, plans=args.plan, suite=args.suite, faults=args.fault, reports_dir=args.reports_dir,
                           run_id=args.run_id, target_url=args.target_url, mutants=getattr(args, "mutant", []),
                           cases=getattr(args, "case", []))
    except ConfigError as exc:
        return _usage(exc)
    if getattr(args, "fail_on_open", False):
        from lhv.record.checklist import fail_on_open_refusal

        if refusal := fail_on_open_refusal(chosen):
            return _usage(refusal)
    if getattr(args, "scanner_report", None):
        from lhv.scanners.reports import load_report

        try:
            load_report(args.scanner_report)  # a report that cannot be read is a usage error, before any traffic
        except ConfigError as exc:
            return _usage(f"--scanner-report: {exc}")
    argv = ["--pyargs", "lhv.plans", "-q", "-p", "no:cacheprovider", "--strict-markers",
            "--lhv-reports-dir", args.reports_dir,
            "-W", "ignore::pytest.PytestAssertRewriteWarning"]  # lhv itself is imported before pytest starts
    for name in ("profile", "target_url", "run_id", "dialect", "tester", "scanner_report"):
        value = getattr(args, name, None)
        if value:
            argv += [f"--lhv-{name.replace('_', '-')}", value]
    for fault in args.fault:
        argv += ["--lhv-fault", fault]
    for mutant in getattr(args, "mutant", []):
        argv += ["--lhv-mutant", mutant]
    for plan in args.plan:
        argv += ["--lhv-plan", plan]
    for case in getattr(args, "case", []):
        argv += ["--lhv-case", case]
    if args.suite:
        argv += ["--lhv-suite", args.suite]
    if args.allow_load:
        argv.append("--lhv-allow-load")
    argv += [f"--lhv-{flag.replace('_', '-')}" for flag in ("quiet", "fail_on_open", "serial")
             if getattr(args, flag, False)]
    if getattr(args, "jobs", None) is not None:
        argv += ["--lhv-jobs", str(args.jobs)]
    refused = _pytest_refuses(argv + extra) if extra else None
    if refused:
        return _usage(f"{refused} (arguments after the lhv options go to pytest)")
    from lhv.session import interrupts

    restore_signals = interrupts.hold()  # a signal from here on aborts the run with its record, once it has one
    try:
        if not {"--collect-only", "--co", "-h", "--help"} & set(extra):
            from lhv.session.target import start_device_early

            # the embedded device boots while pytest collects the plans; the run takes it when its settings match
            start_device_early(profile, faults=tuple(args.fault), mutants=tuple(getattr(args, "mutant", [])))
        code = int(pytest.main(argv + extra))
    finally:
        restore_signals()
    return code if code in (0, 1, 2) else EXIT_USAGE


def _profile_check(args: argparse.Namespace) -> int:
    """Checks a profile and its environment without load; says what each plan of the catalog will do."""
    from lhv.contract import catalog
    from lhv.session import estimate, preflight
    from lhv.session.trace import load_trace

    try:
        profile = preflight.run_profile(args.profile, args.dialect)
        load_trace(profile)  # a wrong mapping file stops here, as it stops lhv verify before any traffic
        chosen = preflight.selected_plans(args.plan, args.suite)
        suite = catalog.suite(args.suite) if args.suite else None
        if args.target_url:
            preflight.check_target_url(args.target_url, "--target-url")
        elif not profile.target.embedded:
            preflight.check_target_url(profile.target.base_url, f"{profile.source}: target.base_url")
    except ConfigError as exc:
        return _usage(exc)
    url = args.target_url or profile.target.base_url
    where = "the embedded reference device, started by the run" if profile.target.embedded else url
    print(f"profile {profile.source} (sha256 {profile.sha256[:16]}): {profile.target.name} at {where}, "
          f"{profile.target.dialect} dialect{', production' if profile.target.production else ''}")
    findings = preflight.check_variables(profile, chosen)
    trust, context = preflight.check_trust(profile)
    findings.append(trust)
    if context is not None:
        findings.append(preflight.check_handshake(url, context, profile.target.timeout_seconds))
    findings += preflight.check_hooks(profile)
    for finding in findings:
        print(f"  {finding.state:<11}  {finding.what}: {finding.detail}")
    setting = preflight.Setting(profile, url, args.allow_load)
    ready = {plan: preflight.plan_readiness(setting, plan, suite) for plan in chosen}
    print("plans:")
    for plan, entry in catalog.catalog().items():
        if plan not in ready:
            why = "a check, run when named (--suite or --plan)" if entry.kind == "check" else "not selected"
            print(f"  {plan:<8}  {'—':<10}  {'':>11}  {why}")
            continue
        state = ready[plan]
        expected = f"~{duration_text(estimate.plan_estimate(profile, plan, suite).seconds)}" \
            if state.status in (preflight.RUNS, preflight.INCOMPLETE) else ""
        print(f"  {plan:<8}  {state.status:<10}  {expected:>11}  {entry.title}")
        for line in state.reasons + state.notes:
            print(f"{'':<37}{line}")
    running = [plan for plan, state in ready.items() if state.status in (preflight.RUNS, preflight.INCOMPLETE)]
    print(estimate.run_estimate(profile, running, suite).line())
    return _profile_verdict(findings, ready)


def _profile_verdict(findings: list, ready: dict) -> int:
    """Prints the check's last line; returns 2 on a problem of the configuration or target, 1 when a selected plan
    would not run in full, else 0."""
    from lhv.session import preflight

    problems = [finding for finding in findings if finding.state == preflight.PROBLEM]
    short = [plan for plan, state in ready.items() if state.status in (preflight.INCOMPLETE, preflight.REFUSED)]
    if not any(state.status != preflight.WAIVED for state in ready.values()):
        short = short or ["every selected plan is waived"]
    if problems:
        named = ", ".join(dict.fromkeys(finding.what for finding in problems))
        print(f"profile check: {len(problems)} problem(s) with the profile's environment or target ({named}): "
              "lhv verify would end in an error (exit 2)")
        return EXIT_USAGE
    if short:
        print(f"profile check: not every selected plan can run in full ({', '.join(short)}): the run would be "
              "incomplete (exit 1)")
        return 1
    print("profile check: every selected plan can run (exit 0)")
    return 0


def _fuzz(args: argparse.Namespace, extra: list[str]) -> int:
    """PLAN_019's contract fuzzing alone, with the profile's hunt budget ([fuzzing] hunt_cases, hunt_seconds)."""
    args.plan, args.suite, args.scanner_report = [], "fuzzing", None
    seed = ["--lhv-fuzz-seed", str(args.seed)] if args.seed is not None else []
    return _verify(args, ["--lhv-fuzz-hunt", *seed, *extra])


def _device_serve(args: argparse.Namespace) -> int:
    from lhv.device.faults import fault_named
    from lhv.device.server import PortInUse, serve
    from lhv.device.settings import DeviceSettings

    for fault in args.fault:
        try:
            named = fault_named(fault)
        except KeyError as exc:
            print(f"lhv: --fault: {exc.args[0]}", file=sys.stderr)
            return EXIT_USAGE
        if named.is_evidence:
            return _usage(f"--fault: {fault} is an evidence fault: the harness is handed wrong evidence, the device "
                          "does not change (use it with lhv verify)")
    state = Path(args.state_dir or tempfile.mkdtemp(prefix="lhv-device-"))
    settings = DeviceSettings(state_dir=str(state), token_lifetime_seconds=args.token_lifetime,
                              lockout_threshold=args.lockout_threshold, lockout_seconds=args.lockout_seconds,
                              faults=args.fault, host=args.host, https_port=args.port, http_port=args.http_port,
                              dialect=args.dialect, routes=dict(LAYOUTS[args.layout]) if args.layout else {})
    print(f"reference device state in {state} (credentials.json holds the generated passwords)", flush=True)
    try:
        serve(settings)
    except PortInUse as exc:
        return _usage(f"device serve: {exc}")
    except KeyboardInterrupt:
        pass
    return 0


def _device_faults(args: argparse.Namespace) -> int:
    from lhv.device.faults import DEVICE_FAULTS, EVIDENCE_FAULTS, FAULTS

    if args.json:
        print(json.dumps([{"name": f.name, "description": f.description, "caught_by": list(f.caught_by),
                           "kind": "evidence" if f.is_evidence else "device", "verdict": f.verdict}
                          for f in FAULTS], indent=2))
        return 0
    width = max(len(f.name) for f in FAULTS)
    for heading, faults in (("Device faults: the reference device misbehaves", DEVICE_FAULTS),
                            ("Evidence faults: the device runs clean; the harness is handed wrong evidence "
                             "(lhv verify only)", EVIDENCE_FAULTS)):
        print(heading)
        for fault in faults:
            print(f"  {fault.name:<{width}}  {', '.join(fault.caught_by):<20}  {fault.description}")
    return 0


def _device_add_user(args: argparse.Namespace) -> int:
    import getpass
    import os

    from lhv.device.operator import RegistrationRefused, add_user

    password = os.environ.get("LHV_NEW_PASSWORD")
    if password is None:
        password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\r\n")
    if not password:
        print("lhv: device add-user: no password (give it on stdin or in LHV_NEW_PASSWORD, never as an argument)",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        user = add_user(Path(args.state_dir), args.email, password, args.role)
    except RegistrationRefused as exc:
        print(f"lhv: device add-user: refused: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"added {user.email} (role {user.role})")
    return 0


def _device_remove_user(args: argparse.Namespace) -> int:
    from lhv.device.operator import RemovalRefused, remove_user

    try:
        remove_user(Path(args.state_dir), args.email)
    except RemovalRefused as exc:
        print(f"lhv: device remove-user: refused: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"removed {args.email}")
    return 0


def _record_folder(path: str) -> Path:
    folder = Path(path)
    if not (folder / "results.json").is_file():
        raise ConfigError(str(folder), None, "not a record folder (no results.json)")
    return folder


def _record(args: argparse.Namespace) -> int:
    from lhv.record import diff

    try:
        if args.record_command == "diff":
            for line in diff.diff(_record_folder(args.before), _record_folder(args.after)):
                print(line)
            return 0
        folder = _record_folder(args.folder)
    except ConfigError as exc:
        print(f"lhv: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return _RECORD_COMMANDS[args.record_command](folder, args)


def _record_sign(folder: Path, args: argparse.Namespace) -> int:
    from lhv.record import integrity

    try:
        entry = integrity.sign(folder, name=args.signer, role=args.role, meaning=args.meaning, gpg_key=args.gpg_key,
                               gnupg_home=args.gnupg_home)
    except integrity.RecordRefused as exc:
        print(f"lhv: record sign: {folder}: {exc}", file=sys.stderr)
        return exc.exit_code
    key = f", OpenPGP key {entry['gpg_fingerprint']}" if entry.get("gpg_fingerprint") else ""
    print(f"signed {folder} as {entry['name']} ({entry['role']}), {entry['meaning']}, {entry['signed_utc']}{key}: "
          f"entry {entry['seq']} {entry['entry_sha256']}")
    return 0


def _record_verify(folder: Path, args: argparse.Namespace) -> int:
    from lhv.record import integrity

    result = integrity.verify(folder, gnupg_home=args.gnupg_home)
    for problem in result.problems:
        print(f"TAMPERED {problem}")
    for check in result.signatures:
        entry = check.entry
        line = (f"signature {check.position}: {entry.get('name')} ({entry.get('role')}) {entry.get('meaning')} "
                f"{entry.get('signed_utc')}")
        if check.gpg and check.gpg.good:
            trust = f", {check.gpg.trust}" if check.gpg.trust else ""
            line += f" · OpenPGP good signature by {check.gpg.signer}, key {check.gpg.fingerprint}{trust}"
        elif entry.get("gpg_fingerprint"):
            line += f" · OpenPGP key {entry['gpg_fingerprint']}: not valid"
        print(line)
    if result.signatures and result.signatures[-1].entry.get("entry_sha256"):
        print(f"last signature entry: {result.signatures[-1].entry['entry_sha256']} (compare with the filed copy: "
              "removing the last entries leaves no trace in the chain)")
    for name, what in (("record.html", "rendered from the sealed files and the signatures, compared"),
                       ("record.pdf", "a print of record.html, not compared")):
        if name in result.views and (folder / name).exists():
            print(f"view: {name} ({what}; not in the manifest)")
    print(f"{folder}: {'intact' if result.ok else 'does not verify'}")
    return 0 if result.ok else 1


def _record_render(folder: Path, args: argparse.Namespace) -> int:
    from lhv.record import integrity

    try:
        path = integrity.render(folder)
    except integrity.RecordRefused as exc:
        print(f"lhv: record render: {folder}: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"rendered {path}")
    return 0


def _record_pdf(folder: Path, args: argparse.Namespace) -> int:
    from lhv.record import integrity, pdf

    if args.timeout <= 0:
        return _usage(f"record pdf: --timeout must be positive (got {args.timeout:g})")
    result = integrity.verify(folder)
    if not result.ok:
        print(f"lhv: record pdf: {folder} does not verify, refusing to print it: {'; '.join(result.problems)}",
              file=sys.stderr)
        return 1
    try:
        path = pdf.print_pdf(folder, timeout=args.timeout)
    except pdf.PrintError as exc:
        print(f"lhv: record pdf: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"printed {path} ({path.stat().st_size} bytes)")
    return 0


_RECORD_COMMANDS = {"sign": _record_sign, "verify": _record_verify, "render": _record_render, "pdf": _record_pdf}


def build_parser() -> argparse.ArgumentParser:
    """Returns the argument parser of the lhv command."""
    parser = argparse.ArgumentParser(prog="lhv", description="Verification harness for the Legit.Health Plus API")
    commands = parser.add_subparsers(dest="command", required=True)

    verify = commands.add_parser("verify", help="run the verification plans (extra arguments go to pytest)")
    verify.add_argument("--profile", help="target profile (TOML); default: the embedded reference device")
    verify.add_argument("--target-url", help="override the profile's base URL")
    verify.add_argument("--fault", action="append", default=[], help="switch on a fault of the embedded device")
    verify.add_argument("--mutant", action="append", default=[], help="switch on a generated mutant of the embedded "
                        "device (python -m lhv.device.mutants lists them; lhv selftest runs them)")
    verify.add_argument("--plan", action="append", default=[], help="run only this plan, e.g. PLAN_002")
    verify.add_argument("--case", action="append", default=[], help="run only this case, e.g. "
                        "PLAN_002::test_token_expires (repeatable; the record says the other cases did not run)")
    verify.add_argument("--dialect", choices=DIALECT_NAMES, help="the target's API dialect, instead of the "
                                                                   "profile's target.dialect (CONTRACT.md Appendix)")
    verify.add_argument("--suite", help="run only a suite of verification/catalog.toml, e.g. integration "
                                        "(production-safe)")
    verify.add_argument("--tester", help='who runs the verification, e.g. "Jane Doe (JD-017)" (default: $LHV_TESTER)')
    verify.add_argument("--run-id", help="id of this run")
    verify.add_argument("--reports-dir", default="reports", help="where reports/<run-id>/ goes")
    verify.add_argument("--allow-load", action="store_true", help="consent to load against a non-loopback target")
    verify.add_argument("--scanner-report", help="an external scanner's report for PLAN_019 (ZAP JSON, Intruder CSV "
                                                 "or JSON), gated at the profile's security.scanner_fail_at")
    verify.add_argument("--quiet", action="store_true", help="print only the summary lines at the end (for CI logs): "
                                                             "no progress, waits or expected duration")
    verify.add_argument("--fail-on-open", action="store_true", help="with --suite integration: a checklist row that "
                        "is open (or not checked, or not met) fails the run (exit 1)")
    verify.add_argument("--serial", action="store_true", help="run the plans one after the other in plan order "
                        "(by default plans run at the same time where what they hold allows)")
    verify.add_argument("--jobs", type=_positive_int, help="at most this many plans at once (default 4)")
    verify.set_defaults(handler=_verify)

    profile = commands.add_parser("profile", help="check a target profile").add_subparsers(dest="profile_command",
                                                                                           required=True)
    check_profile = profile.add_parser("check", help="validate a profile and its environment without load: "
                                       "variables, trust store, one TLS handshake, hooks; say what each plan will do")
    check_profile.add_argument("profile", help="the target profile (TOML)")
    check_profile.add_argument("--plan", action="append", default=[], help="only this plan (as lhv verify --plan)")
    check_profile.add_argument("--suite", help="only a suite, e.g. integration (as lhv verify --suite)")
    check_profile.add_argument("--target-url", help="override the profile's base URL")
    check_profile.add_argument("--dialect", choices=DIALECT_NAMES, help="the target's API dialect, instead of the "
                                                                         "profile's")
    check_profile.add_argument("--allow-load", action="store_true", help="as lhv verify --allow-load")
    check_profile.set_defaults(handler=lambda args, extra: _profile_check(args))

    fuzz = commands.add_parser("fuzz", help="run only PLAN_019's contract fuzzing, with the profile's larger hunt "
                                            "budget (extra arguments go to pytest)")
    fuzz.add_argument("--profile", help="target profile (TOML); default: the embedded reference device")
    fuzz.add_argument("--target-url", help="override the profile's base URL")
    fuzz.add_argument("--fault", action="append", default=[], help="switch on a fault of the embedded device")
    fuzz.add_argument("--dialect", choices=DIALECT_NAMES, help="the target's API dialect, instead of the profile's")
    fuzz.add_argument("--seed", type=int, help="the seed to generate from (a record names the seed it used)")
    fuzz.add_argument("--tester", help='e.g. "Jane Doe (JD-017)" (default: $LHV_TESTER)')
    fuzz.add_argument("--run-id", help="id of this run")
    fuzz.add_argument("--reports-dir", default="reports", help="where reports/<run-id>/ goes")
    fuzz.add_argument("--allow-load", action="store_true", help="consent to load against a non-loopback target")
    fuzz.set_defaults(handler=_fuzz)

    device = commands.add_parser("device", help="the reference device").add_subparsers(dest="device_command",
                                                                                        required=True)
    serve = device.add_parser("serve", help="run the reference device alone on loopback",
                              formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    serve.add_argument("--fault", action="append", default=[], help="switch on a fault (repeatable; lhv device faults)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--dialect", choices=DIALECT_NAMES, default="plan",
                       help="the API shape the device serves (CONTRACT.md; v2: its Appendix)")
    serve.add_argument("--layout", choices=sorted(LAYOUTS), help="serve a named route layout (e.g. release-1.1.0.0)")
    serve.add_argument("--port", type=int, default=8443, help="HTTPS port (0: any free port)")
    serve.add_argument("--http-port", type=int, default=8080, help="plain-HTTP redirect port (0: any free port)")
    serve.add_argument("--token-lifetime", type=int, default=3600, help="seconds")
    serve.add_argument("--lockout-threshold", type=int, default=5, help="failed logins that lock an account")
    serve.add_argument("--lockout-seconds", type=int, default=900, help="how long a lock lasts")
    serve.add_argument("--state-dir", help="where the CA, database, log and credentials go (default: a new "
                                           "temporary folder)")
    serve.set_defaults(handler=lambda args, extra: _device_serve(args))
    faults = device.add_parser("faults", help="list the faults and the plans that must catch them")
    faults.add_argument("--json", action="store_true")
    faults.set_defaults(handler=lambda args, extra: _device_faults(args))
    add_user = device.add_parser("add-user", help="register a user in a reference device's database; the "
                                 "password is read from stdin or LHV_NEW_PASSWORD, never from the command line")
    add_user.add_argument("email")
    add_user.add_argument("--state-dir", required=True, help="the device's state directory (holds users.sqlite3)")
    add_user.add_argument("--role", choices=["user", "admin"], default="user")
    add_user.set_defaults(handler=lambda args, extra: _device_add_user(args))
    remove_user = device.add_parser("remove-user", help="remove a user from a reference device's database; its "
                                    "tokens are refused from then on")
    remove_user.add_argument("email")
    remove_user.add_argument("--state-dir", required=True, help="the device's state directory (holds users.sqlite3)")
    remove_user.set_defaults(handler=lambda args, extra: _device_remove_user(args))

    probe_commands.add_parser(commands)
    check_payload_command.add_parser(commands)
    payload_command.add_parser(commands)
    load_worker.add_parser(commands)
    selftest_command.add_parser(commands)

    record = commands.add_parser("record", help="check, sign, print and compare test-run records "
                                 "(docs/record.md)").add_subparsers(dest="record_command", required=True)
    check = record.add_parser("verify", help="check every file against the manifest, the signature chain, each "
                                             "OpenPGP signature and the record.html view")
    check.add_argument("folder")
    signing = record.add_parser("sign", help="append a signature entry over the record's manifest and re-render "
                                             "record.html (the evidence and the manifest do not change)")
    signing.add_argument("folder")
    signing.add_argument("--as", dest="signer", required=True, help="printed name of the signer")
    signing.add_argument("--role", required=True, help="role id, e.g. JD-005 (the record's roles: its sign-off page)")
    signing.add_argument("--meaning", required=True, choices=["authored", "reviewed", "approved"])
    signing.add_argument("--gpg-key", help="also sign the entry with this OpenPGP secret key (fingerprint, key id or "
                                           "user id) through gpg")
    for sub in (check, signing):
        sub.add_argument("--gnupg-home", help="the GnuPG home holding the keys (default: $GNUPGHOME or ~/.gnupg)")
    render = record.add_parser("render", help="write record.html anew from the sealed files and the signatures")
    render.add_argument("folder")
    printing = record.add_parser("pdf", help="print record.html to record.pdf with headless Chromium")
    printing.add_argument("folder")
    printing.add_argument("--timeout", type=float, default=180.0, help="seconds Chromium may take (default 180)")
    compare = record.add_parser("diff", help="what changed between two runs")
    compare.add_argument("before")
    compare.add_argument("after")
    for sub in (check, signing, render, printing, compare):
        sub.set_defaults(handler=lambda args, extra: _record(args))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs the lhv command."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command not in ("verify", "fuzz"):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return args.handler(args, extra)
    except BrokenPipeError:  # the reader went away (`lhv device faults | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0 if args.command != "verify" else EXIT_USAGE


def run() -> None:
    """Runs the lhv command as a program (the console script)."""
    code = main()
    gc.freeze()  # the interpreter's last collection would walk every object the run made: half a second for nothing
    sys.exit(code)


if __name__ == "__main__":
    run()
