"""Item 3: what the harness's fuzzing finds against what `schemathesis run` finds, with the same time budget.

Usage, from the repository root:
  .venv/bin/python -m bench.fuzz_vs_schemathesis [--budget S] [--faults N] [--mutants N] [--dialect D ...]
(`python -m bench --only 3` runs the defaults: every reachable fault and 24 mutants at 10 s, under 40 minutes on
2 busy cores; one tool run at a time, each with its own device process.)

Targets are the reference device served alone on loopback (`python -m lhv.device SETTINGS READY`, what
`lhv device serve` runs; it also takes generated mutants and lifted rate limits) once per fault or mutant the two
could reach: the behaviour faults some plan sees in single HTTPS answers of documented routes (ANSWER_PLANS; not
the evidence faults, which leave the device clean), and the generated mutants whose plans include PLAN_019 or whose
kind is reply, status or header on a route of the dialect's OpenAPI document, less those that change an answer
neither tool can get (OUT_OF_REACH), as a stratified sample (dialect × kind). Each tool run gets a fresh device, so
one cannot change what the other meets (a lock, a fault's one-off outage window).

The harness runs `lhv fuzz` (PLAN_019's fuzz case with the hunt budget) with a profile pointing at that device, its
budget the time (`hunt_seconds`; `hunt_cases` set so high that the time runs out first); `schemathesis run` gets the
same OpenAPI document (the harness's, adjusted by the same profile), a bearer token of the same account (from POST
/login; through the environment, never a command line) and `--max-time` = the same time, otherwise its defaults
(all its checks, all its phases, one worker). Both use the same seed.

Both tools run CLEAN_RUNS times against the clean device first; a target is killed by a tool when its run exits
non-zero with a failure (a check on an operation) that none of its clean runs had (bench/fuzz_kills.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.fuzz_kills import (
    KILLED,
    UNJUDGED,
    ToolRun,
    clean_judges,
    counted,
    goal_met,
    harness_failures,
    harness_fuzz_work,
    judge,
    merged,
    ratio,
    schemathesis_events,
    shown,
    stratified,
)
from bench.rows import Row, not_measured, ratio_row

REPO = Path(__file__).resolve().parents[1]
GOAL = 2.0
SEED = 7
BUDGET_S = 10.0
MUTANTS = 24  # stratified sample of the reachable mutants
FAULTS: int | None = None  # None: every reachable fault
CLEAN_RUNS = 2  # runs of each tool on the clean device, per dialect: a failure seen in any is not counted
NAME = "targets killed: harness fuzzing (`lhv fuzz`) ÷ `schemathesis run`, same time budget"
ANSWER_PLANS = frozenset({"PLAN_001", "PLAN_009", "PLAN_010", "PLAN_011", "PLAN_012", "PLAN_016", "PLAN_017",
                          "PLAN_018", "PLAN_019"})
MUTANT_KINDS = ("reply", "status", "header")
# Answers neither tool can get from the bench's device, so mutants that change only them are out of reach.
OUT_OF_REACH = {
    "429": "rate limits are lifted for both tools",
    "423": "neither tool locks an account (schemathesis logs in with names of no account; the harness does not "
           "repeat failed logins)",
    "413": "neither tool sends a body over the 20 MiB limit",
    "POST/users:201": "both fuzz as an ordinary user, whose registrations get 403",
    "POST/users:409": "both fuzz as an ordinary user, whose registrations get 403",
    "POST/login:200": "neither tool is given the account's password",
}
UNLIMITED = 10**6  # rate limits lifted on device and profile: neither tool is held back, no 429 to tell apart
CASES_PER_S = 500  # `lhv fuzz`'s case count per second of budget: far above its pace, so the time runs out first
START_S, FINISH_S = 120, 60  # beyond the budget: interpreter, imports, device login, record
# Hypothesis's character tables (seconds of CPU the first time a process generates text of a codec), computed once
# and copied into every tool run's working folder, as they would be cached for a user who runs either tool again.
WARM_UP = ("from hypothesis.internal.charmap import charmap, intervals_from_codec; charmap(); "
           "[intervals_from_codec(codec) for codec in ('utf-8', 'ascii')]")
LOGIN_TIMEOUT_S = 15
METHOD = ("Targets killed by the harness's fuzzing (`lhv fuzz`: PLAN_019's schemathesis fuzzing behind its "
          "recording client, with image variants, requests of the contract's space and the harness's contract "
          "checks) and by plain `schemathesis run` (its defaults: all checks, all phases, one worker; "
          "`--max-time` = the budget), each run against a fresh reference device served alone on loopback with "
          "rate limits lifted: twice clean, then once per reachable fault and per sampled generated mutant. Same "
          "OpenAPI document (the harness's, adjusted by the same profile), same account's bearer token, same seed "
          "and the same time budget per target (`lhv fuzz`: `hunt_seconds`, with a case count it cannot reach); "
          "both start with hypothesis's character tables cached, as on a second run. "
          "A kill: a non-zero exit with a failure (a check on an operation) that neither clean run of that tool "
          "had; an error, a timeout or a crash of either tool is no kill "
          "(bench/fuzz_vs_schemathesis.py, bench/fuzz_kills.py).")


@dataclass(frozen=True)
class Target:
    """A device to fuzz: clean, one fault or one generated mutant, in a dialect."""

    id: str
    kind: str  # clean, fault, or the mutant's kind
    dialect: str
    faults: tuple[str, ...] = ()
    mutants: tuple[str, ...] = ()


@dataclass
class Outcome:
    """Both tools' runs against one target."""

    target: Target
    harness: ToolRun
    schemathesis: ToolRun


@dataclass
class Campaign:
    """Everything one measurement ran: the clean runs per dialect (each tool's merged) and the targets."""

    budget_s: float
    clean: dict[str, Outcome] = field(default_factory=dict)
    clean_runs: dict[str, list[Outcome]] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0


# ---- which targets ----------------------------------------------------------------------------------------------

def reachable_faults() -> list[Target]:
    """The named faults some plan sees in single HTTPS answers of documented routes (all in the plan dialect)."""
    from lhv.device.faults import FAULTS

    return [Target(f.name, "fault", "plan", faults=(f.name,)) for f in FAULTS
            if ANSWER_PLANS & set(f.caught_by) and not getattr(f, "is_evidence", False)]


def reachable_mutants(dialects: tuple[str, ...] = ("plan", "v2")) -> list[Target]:
    """Generated mutants whose plans include PLAN_019, or reply/status/header ones on a documented route, less those
    that change only an answer out of reach (OUT_OF_REACH)."""
    from lhv.device.mutants import all_mutants
    from lhv.fuzz.document import operations, shipped_document

    routes = {d: {f"{method.upper()}{path}" for path, method, _ in operations(shipped_document(d))} for d in dialects}
    return [Target(m.id, m.kind, m.dialect, mutants=(m.id,)) for m in all_mutants()
            if m.dialect in routes and out_of_reach(m.id) is None
            and ("PLAN_019" in m.plans or (m.kind in MUTANT_KINDS and m.id.split(":")[2] in routes[m.dialect]))]


def out_of_reach(mutant_id: str) -> str | None:
    """Why neither tool can get the answer a mutant changes (`dialect:kind:ROUTE:STATUS:…`), or None."""
    parts = mutant_id.split(":")
    if len(parts) < 4 or parts[1] not in MUTANT_KINDS:
        return None
    route, status = parts[2], parts[3]
    return OUT_OF_REACH.get(status) or OUT_OF_REACH.get(f"{route}:{status}")


def chosen_targets(faults: int | None, mutants: int | None, dialects: tuple[str, ...]) -> list[Target]:
    """Reachable faults spread evenly (faults in the plan dialect only), then the stratified mutant sample."""
    from bench.fuzz_kills import evenly

    chosen = evenly(reachable_faults(), faults) if "plan" in dialects else []
    return chosen + stratified(reachable_mutants(dialects), lambda t: (t.dialect, t.kind), mutants)


# ---- one device, one run ----------------------------------------------------------------------------------------

@contextmanager
def served(target: Target, scratch: Path) -> Iterator:
    """A fresh reference device for the target, stopped and its state (credentials too) removed afterwards."""
    from lhv.core.secrets import SECRETS
    from lhv.device.launcher import start_device
    from lhv.device.mutants import mutated_settings
    from lhv.device.settings import DeviceSettings

    state = Path(tempfile.mkdtemp(prefix="device-", dir=scratch))
    settings = mutated_settings(DeviceSettings(
        state_dir=str(state), dialect=target.dialect, anonymous_limit=UNLIMITED, authenticated_limit=UNLIMITED,
        faults=list(target.faults), mutants=list(target.mutants)))
    try:
        device = start_device(settings)
        for account in device.credentials.values():
            SECRETS.add(account["password"], "password")
        try:
            yield device
        finally:
            device.stop()
    finally:
        shutil.rmtree(state, ignore_errors=True)


_ACCOUNTS = {"user": ("LHV_BENCH_USER", "LHV_BENCH_PASSWORD"),
             "second_user": ("LHV_BENCH_USER2", "LHV_BENCH_PASSWORD2"),
             "admin": ("LHV_BENCH_ADMIN", "LHV_BENCH_ADMIN_PASSWORD")}


def write_profile(path: Path, device, dialect: str, cases: int, seconds: float) -> Path:
    """A profile of the served device: its URL and CA, accounts by environment variable, limits lifted."""
    credentials = "\n".join(f'{label} = {{ username_env = "{user}", password_env = "{password}" }}'
                            for label, (user, password) in _ACCOUNTS.items())
    path.write_text(f"""[target]
name = "bench item 3: reference device served alone"
environment = "loopback"
embedded = false
base_url = {json.dumps(device.https_url)}
http_url = {json.dumps(device.http_url)}
dialect = "{dialect}"
trust_store = {json.dumps(str(device.ca_cert))}
allow_load = true

[credentials]
{credentials}

[auth]
token_lifetime_seconds = 3600
lockout_threshold = 5
lockout_seconds = 900
login_failure_status = 401
locked_statuses = [423]

[limits]
anonymous_requests = {UNLIMITED}
authenticated_requests = {UNLIMITED}
window_seconds = 60

[fuzzing]
hunt_cases = {cases}
hunt_seconds = {seconds:g}
""", encoding="utf-8")
    return path


def _redacted_tail(text: str, limit: int = 300) -> str:
    from lhv.core.secrets import SECRETS

    return " ".join(SECRETS.redact(text).split())[-limit:]


def run_harness(device, dialect: str, budget_s: float, scratch: Path) -> ToolRun:
    """`lhv fuzz` against the device with this time budget; its failures from the run's results.json."""
    bound = 2 * budget_s  # the last case of each operation may end after its time share
    profile = write_profile(scratch / "profile.toml", device, dialect, max(1, round(CASES_PER_S * budget_s)),
                            budget_s)
    env = dict(os.environ)
    for label, (user, password) in _ACCOUNTS.items():
        env[user], env[password] = device.credentials[label]["username"], device.credentials[label]["password"]
    reports = scratch / "reports"
    argv = [sys.executable, "-m", "lhv.app.cli", "fuzz", "--profile", str(profile), "--seed", str(SEED),
            "--reports-dir", str(reports), "--run-id", "bench", "--tester", "bench item 3"]
    try:
        done = subprocess.run(argv, cwd=scratch, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=bound + START_S + FINISH_S, check=False)
    except subprocess.TimeoutExpired:
        return ToolRun(None, error=f"timed out after {bound + START_S + FINISH_S:g} s")
    results_file = reports / "bench" / "results.json"
    if not results_file.is_file():
        return ToolRun(done.returncode, error=f"no results.json (exit {done.returncode}): "
                                              f"{_redacted_tail(done.stderr or done.stdout)}")
    results = json.loads(results_file.read_text(encoding="utf-8"))
    sent, seconds = harness_fuzz_work(results)
    error = "" if done.returncode in (0, 1) else f"exit {done.returncode}: {_error_line(done.stdout)}"
    return ToolRun(done.returncode, harness_failures(results), sent, seconds, error)


def _error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("E ") and "Error" in line]
    return _redacted_tail(lines[0] if lines else output, 200)


def login_token(device, dialect: str) -> str:
    """A bearer token of the profile's user account, from the device's login route."""
    import httpx

    from lhv.contract.dialects import dialect_named
    from lhv.core.secrets import SECRETS

    login, account = dialect_named(dialect).route("login"), device.credentials["user"]
    form = dialect_named(dialect).login_form(account["username"], account["password"])
    with httpx.Client(verify=ssl.create_default_context(cafile=str(device.ca_cert)), timeout=LOGIN_TIMEOUT_S) as c:
        reply = c.request(login.method, device.https_url + login.path, data=form)
    token = reply.json().get("access_token") if reply.status_code == 200 else None
    if not isinstance(token, str):
        raise RuntimeError(f"login as the device's user answered {reply.status_code} without a token")
    SECRETS.add(token, "token")
    return token


def run_schemathesis(command: Path, device, dialect: str, budget_s: float, scratch: Path) -> ToolRun:
    """`schemathesis run` with its defaults, the harness's document, the user's token and --max-time budget."""
    from lhv.fuzz.document import document_for
    from lhv.session.profile import load_profile

    profile = load_profile(write_profile(scratch / "profile.toml", device, dialect, 1, budget_s))
    document, _ = document_for(profile)
    (scratch / "openapi.json").write_text(json.dumps(document), encoding="utf-8")
    config, note = scratch / "schemathesis.toml", ""
    try:
        token = login_token(device, dialect)
    except Exception as exc:  # a login defect is for schemathesis to find too: it fuzzes without a token
        token, note = "", _redacted_tail(f"ran without a token: {type(exc).__name__}: {exc}", 160)
    # the token comes from the environment, never the command line
    config.write_text('headers = { Authorization = "Bearer ${LHV_BENCH_BEARER}" }\n' if token else "",
                      encoding="utf-8")
    reports = scratch / "schemathesis-report"
    argv = [str(command), "--config-file", str(config), "run", str(scratch / "openapi.json"), "--url",
            device.https_url, "--tls-verify", str(device.ca_cert), "--max-time", f"{budget_s:g}",
            "--seed", str(SEED), "--report", "ndjson", "--report-dir", str(reports)]
    try:  # cwd: its .hypothesis/ examples and caches stay in this run's scratch folder
        done = subprocess.run(argv, cwd=scratch, env={**os.environ, "LHV_BENCH_BEARER": token}, capture_output=True,
                              text=True, stdin=subprocess.DEVNULL, timeout=budget_s + START_S, check=False)
    except subprocess.TimeoutExpired:
        return ToolRun(None, error=f"timed out after {budget_s + START_S:g} s")
    events = next(reports.glob("*.ndjson"), None)
    if events is None:
        return ToolRun(done.returncode, error=f"no event log (exit {done.returncode}): "
                                              f"{_redacted_tail(done.stderr or done.stdout)}")
    failed, cases, running, errors = schemathesis_events(events.read_text(encoding="utf-8").splitlines())
    error = "; ".join(filter(None, (note, f"{errors} error(s) besides check failures" if errors else "")))
    return ToolRun(done.returncode, failed, cases, running, error)


def warm_caches(scratch: Path) -> Path:
    """Hypothesis's cache folder with its character tables computed (WARM_UP)."""
    subprocess.run([sys.executable, "-c", WARM_UP], cwd=scratch, stdin=subprocess.DEVNULL, capture_output=True,
                   timeout=START_S, check=True)
    return scratch / ".hypothesis"


def _once(target: Target, scratch: Path, run) -> ToolRun:
    """Runs one tool against a fresh device for the target, in a scratch folder of its own (with hypothesis's
    warmed caches, when the campaign made them)."""
    work = Path(tempfile.mkdtemp(prefix="run-", dir=scratch))
    if (scratch / ".hypothesis").is_dir():
        shutil.copytree(scratch / ".hypothesis", work / ".hypothesis")
    try:
        with served(target, work) as device:
            return run(device, work)
    except Exception as exc:  # a device that does not start, or a tool that breaks, is reported, not fatal
        return ToolRun(None, error=_redacted_tail(f"{type(exc).__name__}: {exc}"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def both(target: Target, budget_s: float, command: Path, scratch: Path) -> Outcome:
    """The harness, then schemathesis, each against its own fresh device for the target."""
    harness = _once(target, scratch, lambda device, work: run_harness(device, target.dialect, budget_s, work))
    external = _once(target, scratch, lambda device, work: run_schemathesis(command, device, target.dialect,
                                                                            budget_s, work))
    return Outcome(target, harness, external)


def campaign(targets: list[Target], budget_s: float, command: Path, progress=print) -> Campaign:
    """Runs the clean device CLEAN_RUNS times per dialect, then every target, both tools each time."""
    started, result = time.monotonic(), Campaign(budget_s)
    with tempfile.TemporaryDirectory(prefix="lhv-bench-fuzzkills-") as scratch_dir:
        scratch = Path(scratch_dir)
        warm_caches(scratch)
        for dialect in sorted({t.dialect for t in targets}):
            clean = Target("clean", "clean", dialect)
            runs = result.clean_runs[dialect] = [both(clean, budget_s, command, scratch) for _ in range(CLEAN_RUNS)]
            for run in runs:
                progress(f"  clean {dialect}: " + _describe(run, None))
            result.clean[dialect] = Outcome(clean, merged([run.harness for run in runs]),
                                            merged([run.schemathesis for run in runs]))
        for index, target in enumerate(targets, 1):
            outcome = both(target, budget_s, command, scratch)
            result.outcomes.append(outcome)
            progress(f"  [{index}/{len(targets)}] {target.id}: " + _describe(outcome, result.clean[target.dialect]))
    result.seconds = time.monotonic() - started
    return result


def _describe(outcome: Outcome, clean: Outcome | None) -> str:
    parts = []
    for tool, run, clean_run in (("harness", outcome.harness, clean and clean.harness),
                                 ("schemathesis", outcome.schemathesis, clean and clean.schemathesis)):
        verdict = judge(clean_run, run) if clean_run else ("passed" if run.exit_code == 0 else
                                                           f"exit {run.exit_code}")
        checks = counted(clean_run, run) if clean_run else run.failed
        parts.append(f"{tool} {verdict}" + (f" ({shown(checks)})" if checks else "")
                     + (f" [{run.error}]" if run.error else ""))
    return "; ".join(parts)


# ---- rows -------------------------------------------------------------------------------------------------------

def rows(result: Campaign) -> list[Row]:
    """The ratio row (goal ≥ 2) and one row per tool with its kills and the targets it missed."""
    tallies = {tool: _tally(result, tool) for tool in ("harness", "schemathesis")}
    ours, theirs = len(tallies["harness"][KILLED]), len(tallies["schemathesis"][KILLED])
    total = len(result.outcomes)
    value = ratio(ours, theirs)
    detail = f"harness {ours} of {total} ÷ schemathesis {theirs} of {total}; {result.budget_s:g} s per target"
    goal = f"≥ {GOAL:g}"
    head = (ratio_row("3", NAME, value, goal, goal_met(ours, theirs, GOAL), detail, GOAL) if theirs else
            Row("3", NAME, f"{'∞' if ours else 'none'} ({detail})", goal, goal_met(ours, theirs, GOAL), ratio=value))
    head.notes += _campaign_notes(result)
    only = {tool: [t.id for t in tallies[tool][KILLED] if t not in tallies[other][KILLED]]
            for tool, other in (("harness", "schemathesis"), ("schemathesis", "harness"))}
    neither = [o.target for o in result.outcomes if all(o.target not in tallies[tool][KILLED] for tool in tallies)]
    head.notes.append(f"only the harness killed: {', '.join(only['harness']) or 'none'}; only schemathesis killed: "
                      f"{', '.join(only['schemathesis']) or 'none'}; neither killed {len(neither)} of {total}")
    tool_rows = []
    for tool, title in (("harness", "killed by `lhv fuzz` (PLAN_019's fuzzing)"),
                        ("schemathesis", "killed by `schemathesis run`")):
        tally = tallies[tool]
        row = Row("3", title, f"{len(tally[KILLED])} of {total} ({_by_kind(result, tally[KILLED])})")
        row.notes.append("missed: " + (", ".join(t.id for t in tally["missed"]) or "none"))
        if tally[UNJUDGED]:
            row.notes.append("not judged (clean run unusable, or the run timed out or broke): "
                             + ", ".join(t.id for t in tally[UNJUDGED]))
        row.notes += _kill_notes(result, tool, tally[KILLED])
        tool_rows.append(row)
    return [head, *tool_rows]


def _run_of(outcome: Outcome, tool: str) -> ToolRun:
    return outcome.harness if tool == "harness" else outcome.schemathesis


def _tally(result: Campaign, tool: str) -> dict[str, list[Target]]:
    tally: dict[str, list[Target]] = {KILLED: [], "missed": [], UNJUDGED: []}
    for outcome in result.outcomes:
        clean = _run_of(result.clean[outcome.target.dialect], tool)
        tally[judge(clean, _run_of(outcome, tool))].append(outcome.target)
    return tally


def _by_kind(result: Campaign, killed: list[Target]) -> str:
    kinds: dict[str, list[int]] = {}
    for outcome in result.outcomes:
        group = "faults" if outcome.target.kind == "fault" else "mutants"
        counts = kinds.setdefault(group, [0, 0])
        counts[0] += outcome.target in killed
        counts[1] += 1
    return ", ".join(f"{group} {k}/{n}" for group, (k, n) in kinds.items()) or "no target"


def _kill_notes(result: Campaign, tool: str, killed: list[Target]) -> list[str]:
    lines = []
    for outcome in result.outcomes:
        if outcome.target in killed:
            clean = _run_of(result.clean[outcome.target.dialect], tool)
            lines.append(f"{outcome.target.id}: {shown(counted(clean, _run_of(outcome, tool)))}")
    return ["killed, with the failures that counted: " + "; ".join(lines)] if lines else []


def _campaign_notes(result: Campaign) -> list[str]:
    faults = [o.target.id for o in result.outcomes if o.target.kind == "fault"]
    mutants = [o for o in result.outcomes if o.target.kind != "fault"]
    kinds = sorted({(o.target.dialect, o.target.kind) for o in mutants})
    reasons = "; ".join(f"{what}: {why}" for what, why in OUT_OF_REACH.items())
    notes = [
        f"targets: {len(faults)} of the {len(reachable_faults())} behaviour faults some plan sees in single HTTPS "
        f"answers of documented routes ({', '.join(sorted(ANSWER_PLANS))}; rate limits are lifted, so limit, "
        "lockout, TLS, plain-HTTP, storage and statistics faults are out of reach, and evidence faults leave the "
        f"device clean), spread evenly; and {len(mutants)} of the {len(reachable_mutants())} generated mutants "
        "whose plans include PLAN_019 or that change a reply, status or header of a documented route, less those "
        f"that change only an answer neither tool can get ({reasons}), a stratified sample over dialect × kind"
        + (" (" + ", ".join(f"{d} {k} {sum(1 for o in mutants if (o.target.dialect, o.target.kind) == (d, k))}"
                            for d, k in kinds) + ")" if kinds else "")
        + ", so that a run ends in reasonable time: `python -m bench.fuzz_vs_schemathesis --faults N --mutants N "
          "--budget S` sets the scale",
        f"budget per target: {result.budget_s:g} s of fuzzing for each tool (schemathesis: --max-time; the harness: "
        f"[fuzzing] hunt_seconds, hunt_cases {CASES_PER_S} a second, more than it can send); seed {SEED}; each "
        f"tool run on a fresh device, one run at a time; the whole measurement took {result.seconds / 60:.1f} min",
    ]
    for dialect, clean in sorted(result.clean.items()):
        notes.append(f"clean device ({dialect}, {len(result.clean_runs.get(dialect, []))} runs each): harness "
                     f"{_clean_text(clean.harness)}; schemathesis {_clean_text(clean.schemathesis)}")
    for tool in ("harness", "schemathesis"):
        runs = [_run_of(o, tool) for o in result.outcomes if _run_of(o, tool).seconds > 0]
        if runs:
            seconds = sorted(run.seconds for run in runs)
            cases = sorted(run.cases for run in runs)
            notes.append(f"{tool}: median {seconds[len(seconds) // 2]:.1f} s of fuzzing and "
                         f"{cases[len(cases) // 2]} test cases per target "
                         f"(range {seconds[0]:.1f}–{seconds[-1]:.1f} s)")
    broken = [f"{o.target.id} {tool}: {_run_of(o, tool).error}" for o in result.outcomes
              for tool in ("harness", "schemathesis") if _run_of(o, tool).error]
    if broken:
        notes.append("runs that reported an error (no kill without a failing check): " + "; ".join(broken))
    return notes


def _clean_text(run: ToolRun) -> str:
    if run.exit_code == 0:
        return f"passed ({run.cases} cases in {run.seconds:.1f} s)"
    if not clean_judges(run):
        return f"could not judge ({run.error or f'exit {run.exit_code}'}): its kills are not counted"
    return (f"failed on {shown(run.failed)} ({run.cases} cases in {run.seconds:.1f} s on average): those "
            "failures are not counted on the targets")


# ---- entry points -----------------------------------------------------------------------------------------------

def measure(budget_s: float = BUDGET_S, faults: int | None = FAULTS, mutants: int | None = MUTANTS,
            dialects: tuple[str, ...] = ("plan", "v2")) -> list[Row]:
    """Returns item 3's rows, or why they are not measured."""
    goal = f"≥ {GOAL:g}"
    command = Path(sys.executable).with_name("schemathesis")
    if not command.exists():
        return [not_measured("3", NAME, "schemathesis is not installed in the venv (pip install -e .)", goal)]
    targets = chosen_targets(faults, mutants, dialects)
    if not targets:
        return [not_measured("3", NAME, "no fault or mutant in reach for the dialects chosen", goal)]
    print(f"  {len(targets)} targets, {budget_s:g} s per tool each", flush=True)
    return rows(campaign(targets, budget_s, command, progress=lambda line: print(line, flush=True)))


def main(argv: list[str] | None = None) -> int:
    """Runs the measurement at the scale asked for and prints its rows (and their Markdown)."""
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz_vs_schemathesis", description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=BUDGET_S, help="seconds of fuzzing per tool and target")
    parser.add_argument("--faults", type=int, default=FAULTS, help="reachable faults, spread evenly (default: all)")
    parser.add_argument("--mutants", type=int, default=MUTANTS, help="mutants in the stratified sample")
    parser.add_argument("--dialect", action="append", choices=["plan", "v2"], help="only this dialect (repeatable)")
    args = parser.parse_args(argv)
    if args.budget <= 0 or (args.faults is not None and args.faults < 0) or args.mutants < 0:
        parser.error("--budget must be positive, --faults and --mutants not negative")
    from bench.rows import markdown_table

    found = measure(args.budget, args.faults, args.mutants, tuple(args.dialect or ("plan", "v2")))
    print()
    print(markdown_table(found))
    for row in found:
        print("\n".join(f"- {row.name}: {note}" for note in row.notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
