"""The pytest plugin: options, the target and evidence fixtures, verdicts and the record."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cache, partial
from html import escape
from importlib import resources
from pathlib import Path

import pytest

from lhv.checks.replies import judge_reply_shapes
from lhv.contract import catalog
from lhv.contract.dialect_names import DIALECT_NAMES
from lhv.contract.reply_shapes import ReplyShapes
from lhv.core import announce
from lhv.core.errors import ConfigError, HarnessFault, LhvError, TargetError
from lhv.core.evidence import CURRENT_CASE, CaseEvidence
from lhv.core.http import CertificateRejected
from lhv.core.secrets import SECRETS, install_console_redaction
from lhv.fuzz.document import document_for
from lhv.harness.scheduler import RUNNING_PLAN, release_claims, run_concurrently
from lhv.harness.steps import StepRecorder
from lhv.session import estimate, interrupts, preflight, trace, verdicts
from lhv.session.accounts import Accounts
from lhv.session.claims import claims_of
from lhv.session.profile import Profile
from lhv.session.run import CaseResult, PlanTiming, RunState, new_run_id
from lhv.session.target import Api, Target, open_target

_STATE = pytest.StashKey[RunState]()
_CASE = pytest.StashKey[CaseEvidence]()
_OUTCOME = pytest.StashKey[dict]()
_WAIVED = pytest.StashKey[bool]()
_PROGRESS = pytest.StashKey["Progress"]()
_NARROWED = pytest.StashKey[frozenset | None]()  # the plans a narrowed run may select
_SCOPED = pytest.StashKey[list]()  # the plan items the run's own selection kept, before pytest's -k and -m
LEFT_OUT = ("left out by pytest's own selection (-k or -m): the plan ran in part, so it cannot pass (to run only some "
            "cases and be judged on them, name them with --case)")
OPTION_PREFIX = "--lhv-"  # the plugin's pytest options: --lhv-profile, --lhv-plan, …
CERTIFICATE_PLANS = ("PLAN_005",)  # the plan that judges the certificate runs when it does not verify
DEFAULT_JOBS = 4  # plans at once at most: more only adds to the device's load on a small machine


def _option(group: pytest.OptionGroup, name: str, **kwargs) -> None:
    # namespaced, so that installing lhv adds no bare --profile or --plan to other projects' pytest sessions
    group.addoption(f"{OPTION_PREFIX}{name}", dest=kwargs.pop("dest", name.replace("-", "_")), **kwargs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lhv", "Legit.Health Plus verification (lhv verify takes the same options unprefixed)")
    _option(group, "profile", help="target profile (TOML); default: the embedded reference device")
    _option(group, "target-url", help="override the profile's base URL")
    _option(group, "tester", default=os.environ.get("LHV_TESTER", "unnamed tester"),
                    help='who runs the verification, e.g. "Jane Doe (JD-017)"')
    _option(group, "run-id", help="id of this run (default: UTC time and a random suffix)")
    _option(group, "fault", action="append", default=[], help="switch on a fault of the embedded device")
    _option(group, "mutant", action="append", default=[], help="switch on a generated mutant of the embedded "
                    "device (lhv selftest; python -m lhv.device.mutants lists them)")
    _option(group, "plan", action="append", default=[], help="run only this plan (repeatable), e.g. PLAN_002")
    _option(group, "suite", help="run only a suite of verification/catalog.toml, e.g. integration")
    _option(group, "case", action="append", default=[], help="run only this case (repeatable), e.g. "
                    "PLAN_002::test_token_expires")
    _option(group, "dialect", choices=DIALECT_NAMES,
                    help="the API dialect of the target, instead of the profile's target.dialect")
    _option(group, "reports-dir", default="reports", help="where reports/<run-id>/ is written")
    _option(group, "allow-load", action="store_true",
                    help="consent to load and bursts against a non-loopback target")
    _option(group, "scanner-report", help="an external scanner's report (ZAP JSON, Intruder CSV or JSON) for "
                    "PLAN_019 to list and gate at the profile's security.scanner_fail_at")
    _option(group, "fuzz-hunt", action="store_true",
                    help="PLAN_019's fuzzing uses the profile's hunt budget (lhv fuzz)")
    _option(group, "fuzz-seed", type=int, help="the seed of PLAN_019's fuzzing, instead of the profile's")
    _option(group, "quiet", dest="lhv_quiet", action="store_true",  # pytest's -q sets option.quiet itself
            help="print only the summary lines at the end (for CI logs): no progress, no waits, no expected "
                 "duration, none of pytest's own lines")
    _option(group, "serial", action="store_true",
            help="run the plans one after the other in plan order, as before the scheduler (for comparison)")
    _option(group, "jobs", type=int, default=DEFAULT_JOBS,
            help=f"at most this many plans at once, where their claims allow (default {DEFAULT_JOBS})")
    _option(group, "fail-on-open", action="store_true", help="with the integration checklist (--suite integration): "
                    "a row not met (open, not checked or not met) fails the run")


@pytest.hookimpl(trylast=True)  # after the terminal reporter exists: its writer is wrapped too
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("python_files", "plan_*.py")
    config.addinivalue_line("python_files", "*_checklist.py")  # checks (catalog kind "check"), run when named
    config.addinivalue_line("markers", "scanner_report: a case that runs only when --scanner-report is given")
    config.addinivalue_line("markers", "fuzzing: the contract fuzzing case (lhv fuzz runs only these)")
    install_console_redaction(config)  # redacted at the sink: everything printed, pytest's tracebacks included
    if config.option.lhv_quiet:  # the summary lines alone: pytest's own lines, failures and statistics go
        config.option.verbose = min(config.option.verbose, -2)
        config.option.no_summary = True


def plan_id_of(item: pytest.Item) -> str | None:
    """Returns the plan id of a test item, or None when it is not part of a plan."""
    module = getattr(item, "module", None)
    return getattr(module, "PLAN_ID", None)


def _exit(reason: str) -> None:
    pytest.exit(f"lhv: {reason}", returncode=verdicts.EXIT_ERROR)


def _start_run(config: pytest.Config) -> RunState:
    """Checks everything that needs no traffic, then reserves the run's record folder (exit 2 on a problem)."""
    option = config.option
    try:
        profile = preflight.run_profile(option.profile, option.dialect)
        chosen = preflight.check_run(profile, plans=option.plan, suite=option.suite, faults=option.fault,
                                     reports_dir=option.reports_dir, run_id=option.run_id,
                                     target_url=option.target_url, mutants=option.mutant, cases=option.case)
        trace_map = trace.load_trace(profile) or trace.catalog_trace()  # read once: the record shows these ids
    except ConfigError as exc:
        _exit(str(exc))
    if option.fail_on_open:
        from lhv.record.checklist import fail_on_open_refusal

        if refusal := fail_on_open_refusal(chosen):
            _exit(refusal)
    profile = _with_evidence(config, profile)
    state = RunState(run_id=option.run_id or new_run_id(), profile=profile, reports_dir=Path(option.reports_dir),
                     tester=option.tester, faults=tuple(option.fault), mutants=tuple(option.mutant))
    state.trace = trace_map
    try:
        state.record_dir.mkdir(parents=True, exist_ok=False)
    except OSError as exc:
        _exit(f"--run-id: cannot make the record folder {state.record_dir} ({exc.strerror or exc})")
    config.stash[_STATE] = state
    interrupts.install()
    return state


def _with_evidence(config: pytest.Config, profile: Profile) -> Profile:
    """Hands the run the wrong evidence its evidence faults bring (lhv/device/fault_areas/evidence.py): the profile
    keys they set, and the scanner report one gives, as --scanner-report would; the inputs go when the run ends."""
    from lhv.device.faults import fault_named

    evidence = [name for name in config.option.fault if fault_named(name).is_evidence]
    if not evidence:
        return profile
    folder = Path(tempfile.mkdtemp(prefix="lhv-evidence-"))
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    profile, report = preflight.with_evidence(profile, evidence, folder)
    if report is not None:
        if config.option.scanner_report:
            _exit(f"--scanner-report: --fault {', '.join(evidence)} brings its own scanner report; give only one")
        config.option.scanner_report = str(report)
    return profile


def _run_state(config: pytest.Config) -> RunState:
    return config.stash[_STATE]


# ---- a run you can watch: the expected duration, each plan's line as it ends, long waits -----------------------

@dataclass
class Progress:
    """What the console has been told: the cases each plan has left, and the lines printed while the run ran."""

    write: Callable[[str], None]
    left: dict[str, int]
    nodeids: frozenset[str] = frozenset()
    printed: Counter = field(default_factory=Counter)
    stop: Callable[[], None] = lambda: None

    def tell(self, line: str) -> None:
        """Prints one line and remembers it (the summary leaves out what was printed already)."""
        self.write(line)
        self.printed[SECRETS.redact(line)] += 1

    def announced(self, line: str) -> None:
        """Prints an announcement of the harness (a long wait), naming the plan that waits."""
        plan = RUNNING_PLAN.get()
        self.write(f"{plan:<8}  {line}" if plan else line)


def _console(config: pytest.Config) -> Callable[[str], None]:
    """Returns a writer of whole lines to the terminal (redacted there), also while a test's output is captured."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")

    def write(line: str) -> None:
        if reporter is None:
            return
        with capture.global_and_fixture_disabled() if capture is not None else nullcontext():
            reporter.write_line(line)
            reporter.flush()
    return write


def _start_progress(config: pytest.Config, state: RunState, items: list[pytest.Item]) -> None:
    """Prints the run's expected duration and starts telling the console each plan's end and each long wait."""
    progress = Progress(_console(config), Counter(plan_id_of(item) for item in items),
                        frozenset(item.nodeid for item in items))
    config.stash[_PROGRESS] = progress
    if config.option.lhv_quiet:
        return
    setting = preflight.Setting(state.profile, config.option.target_url or state.profile.target.base_url,
                                config.option.allow_load)
    running = [plan for plan in state.selected_plans
               if preflight.plan_readiness(setting, plan, state.suite).status not in (preflight.WAIVED,
                                                                                        preflight.REFUSED)]
    option = config.option
    scheduled = not option.serial and option.jobs > 1
    claims = {plan_id_of(item): claims_of(item.module) for item in items if plan_id_of(item) in running}
    expected = estimate.run_estimate(state.profile, running, state.suite, claims=claims if scheduled else None,
                                     jobs=option.jobs)
    progress.write(f"run {state.run_id}: {_case_selection(state)}{expected.line()}")
    progress.stop = announce.listen(progress.announced)
    config.add_cleanup(progress.stop)


def _case_selection(state: RunState) -> str:
    """Says, for a run of the cases --case names, how many of each plan's cases run ("" for another run)."""
    if state.suite is None or state.suite.name != catalog.CASE_SUITE:
        return ""
    named = Counter(entry.partition("::")[0] for entry in state.suite.cases)
    return ("only the cases named by --case: "
            + ", ".join(f"{plan} {count} of {state.case_totals.get(plan, count)}" for plan, count in named.items())
            + "; ")


def _plan_ended(config: pytest.Config, state: RunState, plan: str) -> None:
    """Counts a plan's case as done; when it was the plan's last, prints the plan's line."""
    progress = config.stash.get(_PROGRESS, None)
    if progress is None or plan not in progress.left:
        return
    progress.left[plan] -= 1
    if progress.left[plan] or config.option.lhv_quiet:
        return
    cases = [case for case in state.cases if case.plan_id == plan]
    verdict = verdicts.plan_verdict(case.verdict for case in cases)
    for line in announce.plan_lines(plan, verdict, round(sum(case.duration_s for case in cases), 3),
                                    catalog.plan(plan).title, cases[0].reason if cases else ""):
        progress.tell(line)


@pytest.hookimpl(wrapper=True)
def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config):
    """A plan's cases print no letters (dots): the plan's line, printed when it ends, says how they went."""
    status = yield
    progress = config.stash.get(_PROGRESS, None)
    if progress is not None and config.get_verbosity() <= 0 and report.nodeid in progress.nodeids:
        return status[0], "", ""
    return status


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Leaves out the plan modules of plans a narrowed run (--plan, --case, --suite) cannot select: importing the
    others would cost each such run a fifth of a second and change nothing it records."""
    if collection_path.suffix != ".py":
        return None
    if _NARROWED not in config.stash:
        config.stash[_NARROWED] = _plans_in_reach(config.option)
    plans = config.stash[_NARROWED]
    if plans is None or collection_path.parent.resolve() != _plans_folder():
        return None
    plan = catalog.plan_of_module(collection_path.name)
    return True if plan is not None and plan not in plans else None


@cache
def _plans_folder() -> Path:
    return Path(str(resources.files("lhv.plans"))).resolve()


def _plans_in_reach(option) -> frozenset[str] | None:
    """The plans the run's --plan, --case and --suite select (preflight.selected_plans), or None when the run names
    none, or names them wrongly: every plan is then collected and the run's own checks say what is wrong."""
    if not (option.plan or option.case or option.suite):
        return None
    try:
        return frozenset(preflight.selected_plans(option.plan, option.suite, option.case)) or None
    except ConfigError:
        return None


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    plan_items = [item for item in items if plan_id_of(item)]
    if not plan_items or config.option.collectonly:
        return  # collecting only lists the cases: no run, no record
    suite = _suite(config.option.suite, config.option.case, plan_items)
    state = _start_run(config)
    wanted = {p.upper() for p in config.option.plan}
    state.suite = suite
    kept, dropped = [], []
    for item in items:
        plan = plan_id_of(item)
        (kept if plan and _selected(plan, item, wanted, suite) else dropped).append(item)
        if plan and _awaits_scanner_report(item):
            state.optional_not_run.setdefault(plan, []).append(
                f"{_first_line(item)}: runs when --scanner-report PATH names an external scanner's report")
        elif plan:
            state.case_totals[plan] = state.case_totals.get(plan, 0) + 1
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
    profile = state.profile
    for item in items:
        plan = plan_id_of(item)
        waiver = profile.plans.skip.get(plan)
        if waiver is not None:
            item.stash[_WAIVED] = True
            item.add_marker(pytest.mark.skip(reason=f"waived by {profile.source} (plans.skip): {waiver}"))
        elif profile.target.production and plan in profile.plans.destructive:
            item.add_marker(pytest.mark.skip(reason=preflight.production_refusal(plan, profile.source)))
    state.selected_plans = sorted({plan_id_of(item) for item in items})
    state.case_order = {item.nodeid: index for index, item in enumerate(items)}
    config.stash[_SCOPED] = list(items)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Files the cases pytest's own -k or -m left out of a plan in scope as not run, then starts the progress."""
    config = session.config
    state, scoped = config.stash.get(_STATE, None), config.stash.get(_SCOPED, None)
    if state is None or scoped is None:
        return
    running = {item.nodeid for item in session.items}
    for item in scoped:
        if item.nodeid not in running:
            state.cases.append(CaseResult(item.nodeid, plan_id_of(item), item.name, _doc(item), verdicts.NOT_RUN,
                                          LEFT_OUT, 0.0, CaseEvidence()))
    _start_progress(config, state, [item for item in scoped if item.nodeid in running])


def _suite(name: str | None, cases: list[str], plan_items: list[pytest.Item]) -> catalog.Suite | None:
    """The suite --suite names, or the cases --case names; every case must exist in the plans collected (else
    exit 2)."""
    if not name and not cases:
        return None
    try:
        chosen = catalog.named_cases(cases) if cases else catalog.suite(name)
    except ConfigError as exc:
        _exit(f"{'--case' if cases else '--suite'}: {exc.problem}")
    collected = {(plan_id_of(item), getattr(item, "originalname", item.name)) for item in plan_items}
    plans = {plan for plan, _ in collected}
    for entry in chosen.cases:
        plan, _, case = entry.partition("::")
        if plan in plans and case and (plan, case) not in collected:
            where = "--case" if cases else f"--suite {name}"
            _exit(f"{where}: {entry} names a case {plan} does not have"
                  f"{'' if cases else ' (verification/catalog.toml)'}")
    return chosen


def _selected(plan: str, item: pytest.Item, wanted: set[str], suite: catalog.Suite | None) -> bool:
    """Whether an item runs: in --plan (when given), in --suite (when given); else every plan, and no check."""
    if wanted and plan not in wanted:
        return False
    if _awaits_scanner_report(item):
        return False  # the external-report case exists only when a report is given
    if suite is not None:
        return suite.selects(plan, getattr(item, "originalname", item.name))
    entry = catalog.catalog().get(plan)
    return bool(wanted) or entry is None or entry.kind == "plan"


def _awaits_scanner_report(item: pytest.Item) -> bool:
    """Whether an item gates an external scanner report and none was given."""
    return bool(item.get_closest_marker("scanner_report")) and not item.config.option.scanner_report


def _first_line(item: pytest.Item) -> str:
    doc = getattr(getattr(item, "function", None), "__doc__", None) or item.name
    return doc.strip().splitlines()[0].rstrip(".")


def _judges_certificate(plan_id: str) -> bool:
    return plan_id in CERTIFICATE_PLANS


@pytest.hookimpl(trylast=True)  # after the target fixture's set-up, which finds the trust problem
def pytest_runtest_setup(item: pytest.Item) -> None:
    state = item.config.stash.get(_STATE, None)
    plan = plan_id_of(item)
    if state is not None and plan and state.trust_problem and not _judges_certificate(plan):
        raise TargetError(f"not judged: {state.trust_problem}")


@pytest.fixture(scope="session")
def lhv_run(request: pytest.FixtureRequest) -> RunState:
    """The run's state: id, profile, tester, record folder."""
    return _run_state(request.config)


@pytest.fixture(scope="session")
def target(lhv_run: RunState, request: pytest.FixtureRequest):
    """The target under verification, reachable; the embedded device is started here."""
    option = request.config.option
    try:
        tgt = open_target(lhv_run.profile, faults=lhv_run.faults, target_url=option.target_url,
                          mutants=lhv_run.mutants)
    except (ConfigError, TargetError) as exc:
        lhv_run.aborted = str(exc)
        _exit(str(exc))
    lhv_run.target_url = tgt.base_url
    lhv_run.watch = tgt.died
    probe = tgt.client()
    try:
        route = tgt.dialect.route("root")
        probe.request(route.method, route.path)
    except CertificateRejected as exc:
        trust = lhv_run.profile.target.trust_store
        problem = (f"the target's certificate does not verify against target.trust_store ({trust}): {exc}; "
                   "set target.trust_store to the CA that issued the target's certificate")
        if not any(_judges_certificate(plan) for plan in lhv_run.selected_plans):
            lhv_run.aborted = problem
            tgt.stop()
            _exit(problem)
        lhv_run.trust_problem = problem  # the certificate plan judges it; every other plan is not judged
    except TargetError as exc:
        problem = preflight.tls_refusal(tgt.base_url, tgt.verify, lhv_run.profile.target.timeout_seconds)
        if problem is None or not any(_judges_certificate(plan) for plan in lhv_run.selected_plans):
            lhv_run.aborted = problem or f"target unreachable: {exc}"
            tgt.stop()
            _exit(lhv_run.aborted)
        lhv_run.trust_problem = problem  # as with an untrusted certificate: PLAN_005 judges it, no other plan
    finally:
        probe.close()
    judge_reply_shapes(ReplyShapes(document_for(lhv_run.profile, base=Path(lhv_run.profile.source).resolve().parent)[0],
                                   tgt.base_url))
    yield tgt
    judge_reply_shapes(None)
    tgt.stop()


@pytest.fixture(scope="session")
def api(target: Target, lhv_run: RunState):
    """The device's API in the plans' words, with one recording client for the run."""
    client = target.client()
    session_api = Api(target, client)
    try:
        lhv_run.device = session_api.device_info(target.credentials("user"))
    except (LhvError, AssertionError):
        lhv_run.device = None  # the record shows "not reported"; plans judge the device themselves
    yield session_api
    client.close()


@pytest.fixture(scope="session")
def accounts(target: Target, api: Api, lhv_run: RunState):
    """The profile's accounts and disposable ones made for this run."""
    book = Accounts(target, api)
    yield book
    lhv_run.accounts_left.extend(book.created)


@pytest.fixture(scope="session")
def load(target: Target, lhv_run: RunState, request: pytest.FixtureRequest):
    """Bounded Locust bursts, consented for a non-loopback target; their reports go into the record."""
    from lhv.load.burst import LoadDriver

    consent = target.profile.target.allow_load or bool(request.config.option.allow_load)
    limits = target.profile.limits
    host, _, port = limits.load_master.rpartition(":")
    return LoadDriver(target.base_url, target.ca_file, lhv_run.record_dir, consent, workers=limits.load_workers,
                      local_workers=limits.load_local_workers, master_bind_host=host or "127.0.0.1",
                      master_port=int(port or 0), join_bound_s=limits.load_join_seconds)


@pytest.fixture(scope="session")
def clinic(target: Target, api: Api, lhv_run: RunState):
    """The clinical routes in the plans' words: images, payload files and requests as the profile's user."""
    from lhv.session.clinic import Clinic

    return Clinic(target, api, lhv_run)


@pytest.fixture
def step(request: pytest.FixtureRequest) -> StepRecorder:
    """Records plan steps: `with step("do this", expect="that"):`."""
    case = request.node.stash.get(_CASE, None)
    if case is None:
        case = request.node.stash[_CASE] = CaseEvidence()
    state, plan = request.config.stash.get(_STATE, None), plan_id_of(request.node)
    if state is None or not plan:
        return StepRecorder(case)
    return StepRecorder(case, state.record_dir / "attachments" / plan, partial(state.add_test_data, plan),
                        release=release_claims)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    if not plan_id_of(item):
        return (yield)
    case = item.stash.setdefault(_CASE, CaseEvidence())
    token = CURRENT_CASE.set(case)
    try:
        result = yield
    finally:
        CURRENT_CASE.reset(token)
    if case.carried:  # carry-on steps failed: the case fails with the first failure (each is filed in its step)
        more = f" (and {len(case.carried) - 1} more failed step(s))" if len(case.carried) > 1 else ""
        raise type(case.carried[0])(case.carried[0].check, str(case.carried[0]).split("] ", 1)[-1] + more)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    plan = plan_id_of(item)
    if not plan:
        return report
    outcome = item.stash.setdefault(_OUTCOME, {"verdict": None, "reason": "", "duration": 0.0})
    outcome["duration"] += report.duration
    _time_plan(item, plan, report)
    _abort_if_the_harness_broke(item, call)
    if report.skipped and outcome["verdict"] is None:
        waived = item.stash.get(_WAIVED, False)
        outcome["verdict"], outcome["reason"] = verdicts.WAIVED if waived else verdicts.NOT_RUN, _skip_reason(report)
    elif call.excinfo is not None and outcome["verdict"] in (None, verdicts.PASSED):
        verdict = verdicts.verdict_of_exception(call.excinfo.type)
        if call.when != "call" and verdict == verdicts.FAILED:
            verdict = verdicts.ERROR
        outcome["verdict"], outcome["reason"] = verdict, str(call.excinfo.value).strip()
        if verdict in (verdicts.NOT_RUN, verdicts.INCONCLUSIVE):
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, f"{verdict}: {outcome['reason']}")
    elif call.when == "call" and report.passed and outcome["verdict"] is None:
        outcome["verdict"] = verdicts.PASSED
    if call.when == "call":
        _html_extras(item, report)
    if call.when == "teardown":
        state = item.config.stash.get(_STATE, None)
        if state is not None:
            state.cases.append(CaseResult(item.nodeid, plan, item.name, _doc(item),
                                          outcome["verdict"] or verdicts.ERROR, outcome["reason"],
                                          round(outcome["duration"], 3),
                                          item.stash.get(_CASE, CaseEvidence())))
            _plan_ended(item.config, state, plan)
    return report


def _doc(item: pytest.Item) -> str:
    return (getattr(item, "function", None).__doc__ or "").strip() if hasattr(item, "function") else ""


# ---- pytest-html (optional: `pip install lhv[html]`): each case's steps and exchange hashes in its report ---------

def _time_plan(item: pytest.Item, plan: str, report: pytest.TestReport) -> None:
    """Keeps when the plan's first case began and its last ended (in a serial run; the scheduler keeps them too)."""
    state = item.config.stash.get(_STATE, None)
    if state is None:
        return
    timing = state.plan_timings.get(plan)
    if timing is None:
        timing = state.plan_timings[plan] = PlanTiming(ready=report.start, claims=claims_of(item.module).described())
    if not timing.started:
        timing.started = report.start
    timing.ended = max(timing.ended, report.stop)


def _html_extras(item: pytest.Item, report: pytest.TestReport) -> None:
    """With pytest --html, adds the case's steps and exchanges (method, URL, status, SHA-256) to pytest-html's report
    through its extras; the record stays the artefact a reviewer files."""
    if not item.config.getoption("htmlpath", None):
        return
    try:
        from pytest_html import extras
    except ImportError:  # --html belongs to pytest-html: without it there is no such option
        return
    evidence = item.stash.get(_CASE, None)
    if evidence is not None and (evidence.steps or evidence.loose_exchanges):
        report.extras = [*getattr(report, "extras", []), extras.html(SECRETS.redact(_evidence_html(evidence)))]


def _evidence_html(evidence: CaseEvidence) -> str:
    def exchanges(items: list) -> str:
        rows = "".join(f"<tr><td><code>{escape(e.method)} {escape(e.url)}</code></td>"
                       f"<td>{escape(str(e.status if e.status is not None else 'no answer'))}</td>"
                       f"<td><code>{escape(e.sha256)}</code></td></tr>" for e in items)
        head = "<tr><th>exchange</th><th>status</th><th>evidence SHA-256</th></tr>"
        return f"<table>{head}{rows}</table>" if rows else ""

    parts = ['<div class="lhv-steps">']
    for step in evidence.steps:
        actual = [f"{'✔' if c.passed else '✘'} <code>{escape(c.name)}</code> {escape(c.detail)}" for c in step.checks]
        actual += [escape(line) for line in step.actual]
        parts.append(f"<p><strong>Step {step.number}: {escape(step.action)}</strong> — {escape(step.verdict)}<br>"
                     f"expected: {escape(step.expected)}</p><ul>{''.join(f'<li>{a}</li>' for a in actual)}</ul>"
                     f"{exchanges(step.exchanges)}")
    if evidence.loose_exchanges:
        parts.append(f"<p>Exchanges outside the steps</p>{exchanges(evidence.loose_exchanges)}")
    return "".join(parts) + "</div>"


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_html(report: pytest.TestReport, data: list) -> None:
    """Redacts what pytest-html shows of a test's output (captured output, tracebacks) before it is written."""
    data[:] = [SECRETS.redact(str(part)) for part in data]


def _abort_if_the_harness_broke(item: pytest.Item, call: pytest.CallInfo) -> None:
    """Aborts the run when a process it depends on died: what follows would blame the device for it."""
    state = item.config.stash.get(_STATE, None)
    if state is None or state.aborted:
        return
    why = state.watch() if state.watch else None
    if why is None and call.excinfo is not None and call.excinfo.errisinstance(HarnessFault):
        why = str(call.excinfo.value)
    if why:
        state.aborted = f"{why}, while running {item.nodeid}"
        item.session.shouldstop = state.aborted
        outcome = item.stash[_OUTCOME]
        outcome["verdict"], outcome["reason"] = verdicts.ERROR, f"not judged: {why}"


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    state = item.config.stash.get(_STATE, None)
    if state is not None:
        state.running = item.nodeid  # an interrupted run's record names what was running
    RUNNING_PLAN.set(plan_id_of(item) or "")


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    """Runs the plans at the same time where their claims allow (lhv.harness.scheduler); --lhv-serial, a single
    plan, or cases outside the plans leave pytest's own loop to run them one after the other."""
    config, state = session.config, session.config.stash.get(_STATE, None)
    if state is None or config.option.collectonly or session.testsfailed or config.option.serial:
        return None
    if hasattr(config, "workerinput") or getattr(config.option, "numprocesses", None):
        return None  # pytest-xdist runs the loop (its workers get their cases from its controller)
    if config.option.jobs < 1:
        _exit(f"--jobs {config.option.jobs}: give at least 1")
    by_plan: dict[str, list[pytest.Item]] = {}
    for item in session.items:
        plan = plan_id_of(item)
        if plan is None:
            return None
        by_plan.setdefault(plan, []).append(item)
    if len(by_plan) < 2 or config.option.jobs == 1:
        return None
    try:
        claims = {plan: claims_of(items[0].module) for plan, items in by_plan.items()}
    except TypeError as exc:
        _exit(f"a plan's claims: {exc}")
    state.scheduled = config.option.jobs
    for plan, held in claims.items():
        state.plan_timings[plan] = PlanTiming(ready=0.0, claims=held.described())
    expected = {plan: estimate.plan_estimate(state.profile, plan, state.suite).seconds for plan in by_plan}

    def broken(plan: str, exc: BaseException) -> None:
        state.aborted = state.aborted or f"{plan} stopped part-way: the harness broke ({type(exc).__name__}: {exc})"

    run_concurrently(session, by_plan, claims, config.option.jobs, state.plan_timings, expected, broken)
    return True


@pytest.hookimpl(trylast=True)  # after the fixtures' teardown: the device is stopped, the accounts counted
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(_STATE, None)
    if state is None:
        return
    from lhv.record.writer import plan_verdicts, write_record

    ended_normally = (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED)
    if not state.aborted and session.exitstatus not in ended_normally:
        cause = interrupts.received() or ("SIGINT" if session.exitstatus == pytest.ExitCode.INTERRUPTED
                                          else f"pytest ended with {pytest.ExitCode(session.exitstatus).name}")
        state.aborted = f"interrupted by {cause} while running {state.running or 'the run set-up'}"
    state.finished = dt.datetime.now(dt.UTC)
    if session.config.option.fail_on_open and not state.aborted:
        _gate_on_the_checklist(state)
    write_record(state)
    session.exitstatus = verdicts.exit_code(plan_verdicts(state).values(), aborted=bool(state.aborted))


def _gate_on_the_checklist(state: RunState) -> None:
    """--fail-on-open: adds the checklist's gate case, failed while a row of the checklist is not met."""
    from lhv.record.checklist import CHECK_ID, gate
    from lhv.record.writer import results

    data = results(state)["checklist"]
    if data is not None:
        state.cases.append(gate(data))
        state.case_totals[CHECK_ID] = state.case_totals.get(CHECK_ID, 0) + 1


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is None:
        return
    from lhv.record.writer import summary_lines

    progress = config.stash.get(_PROGRESS, None)
    printed = Counter(progress.printed) if progress is not None else Counter()
    if not config.option.lhv_quiet:
        terminalreporter.section("verification record")
    for line in summary_lines(state):
        if printed[line]:  # a plan's line printed as the plan ended
            printed[line] -= 1
            continue
        terminalreporter.write_line(line)
