"""The pytest plugin: options, the target and evidence fixtures, verdicts and the record."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from lhv import catalog
from lhv.errors import ConfigError, LhvError, TargetError
from lhv.evidence import CURRENT_CASE, CaseEvidence
from lhv.harness import verdicts
from lhv.harness.accounts import Accounts
from lhv.harness.run import CaseResult, RunState, new_run_id
from lhv.harness.steps import StepRecorder
from lhv.harness.target import Api, Target, open_target
from lhv.http import CertificateRejected
from lhv.profile import embedded_profile, load_profile

_STATE = pytest.StashKey[RunState]()
_CASE = pytest.StashKey[CaseEvidence]()
_OUTCOME = pytest.StashKey[dict]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lhv", "Legit.Health Plus verification")
    group.addoption("--profile", help="target profile (TOML); default: the embedded reference device")
    group.addoption("--target-url", help="override the profile's base URL")
    group.addoption("--tester", default=os.environ.get("LHV_TESTER", "unnamed tester"),
                    help='who runs the verification, e.g. "Jane Doe (JD-017)"')
    group.addoption("--run-id", help="id of this run (default: UTC time and a random suffix)")
    group.addoption("--fault", action="append", default=[], help="switch on a fault of the embedded device")
    group.addoption("--plan", action="append", default=[], help="run only this plan (repeatable), e.g. PLAN_002")
    group.addoption("--reports-dir", default="reports", help="where reports/<run-id>/ is written")
    group.addoption("--allow-load", action="store_true",
                    help="consent to load and bursts against a non-loopback target")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "plan(id): the verification plan a test belongs to")
    config.addinivalue_line("python_files", "plan_*.py")


def plan_id_of(item: pytest.Item) -> str | None:
    """Returns the plan id of a test item, or None when it is not part of a plan."""
    module = getattr(item, "module", None)
    return getattr(module, "PLAN_ID", None)


def _exit(reason: str) -> None:
    pytest.exit(f"lhv: {reason}", returncode=verdicts.EXIT_ERROR)


def _run_state(config: pytest.Config) -> RunState:
    if _STATE not in config.stash:
        option = config.option
        try:
            profile = load_profile(option.profile) if option.profile else embedded_profile()
        except ConfigError as exc:
            _exit(str(exc))
        config.stash[_STATE] = RunState(run_id=option.run_id or new_run_id(), profile=profile,
                                        reports_dir=Path(option.reports_dir), tester=option.tester,
                                        faults=tuple(option.fault))
    return config.stash[_STATE]


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    plan_items = [item for item in items if plan_id_of(item)]
    if not plan_items:
        return
    state = _run_state(config)
    wanted = {p.upper() for p in config.option.plan}
    try:
        for plan in wanted:
            catalog.plan(plan)
    except ConfigError as exc:
        _exit(f"--plan: {exc.field} is not a plan id")
    kept, dropped = [], []
    for item in items:
        plan = plan_id_of(item)
        (dropped if plan is None or (wanted and plan not in wanted) else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
    profile = state.profile
    for item in items:
        plan = plan_id_of(item)
        reason = profile.plans.skip.get(plan)
        if reason is None and profile.target.production and plan in profile.plans.destructive:
            reason = "refused: destructive plan on a production profile (target.production = true)"
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
    state.selected_plans = sorted({plan_id_of(item) for item in items})


@pytest.fixture(scope="session")
def lhv_run(request: pytest.FixtureRequest) -> RunState:
    """The run's state: id, profile, tester, record folder."""
    return _run_state(request.config)


@pytest.fixture(scope="session")
def target(lhv_run: RunState, request: pytest.FixtureRequest):
    """The target under verification, reachable; the embedded device is started here."""
    option = request.config.option
    try:
        tgt = open_target(lhv_run.profile, faults=lhv_run.faults, target_url=option.target_url)
    except (ConfigError, TargetError) as exc:
        lhv_run.aborted = str(exc)
        _exit(str(exc))
    lhv_run.target_url = tgt.base_url
    probe = tgt.client()
    try:
        route = tgt.dialect.route("root")
        probe.request(route.method, route.path)
    except CertificateRejected:
        pass  # it answers, but its certificate does not verify: PLAN_005 judges that, other plans error on it
    except TargetError as exc:
        lhv_run.aborted = f"target unreachable: {exc}"
        tgt.stop()
        _exit(lhv_run.aborted)
    finally:
        probe.close()
    yield tgt
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
    return LoadDriver(target.base_url, target.ca_file, lhv_run.record_dir, consent,
                      workers=target.profile.limits.load_workers)


@pytest.fixture
def step(request: pytest.FixtureRequest) -> StepRecorder:
    """Records plan steps: `with step("do this", expect="that"):`."""
    case = request.node.stash.get(_CASE, None)
    if case is None:
        case = request.node.stash[_CASE] = CaseEvidence()
    return StepRecorder(case)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    if not plan_id_of(item):
        return (yield)
    case = item.stash.setdefault(_CASE, CaseEvidence())
    token = CURRENT_CASE.set(case)
    try:
        return (yield)
    finally:
        CURRENT_CASE.reset(token)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    plan = plan_id_of(item)
    if not plan:
        return report
    outcome = item.stash.setdefault(_OUTCOME, {"verdict": None, "reason": "", "duration": 0.0})
    outcome["duration"] += report.duration
    if report.skipped and outcome["verdict"] is None:
        outcome["verdict"], outcome["reason"] = verdicts.NOT_RUN, _skip_reason(report)
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
    if call.when == "teardown":
        state = item.config.stash.get(_STATE, None)
        if state is not None:
            doc = (getattr(item, "function", None).__doc__ or "").strip() if hasattr(item, "function") else ""
            state.cases.append(CaseResult(item.nodeid, plan, item.name, doc, outcome["verdict"] or verdicts.ERROR,
                                          outcome["reason"], round(outcome["duration"], 3),
                                          item.stash.get(_CASE, CaseEvidence())))
    return report


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(_STATE, None)
    if state is None:
        return
    from lhv.record.writer import plan_verdicts, write_record

    state.finished = dt.datetime.now(dt.timezone.utc)
    write_record(state)
    if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or state.aborted:
        session.exitstatus = verdicts.exit_code(plan_verdicts(state).values(), aborted=bool(state.aborted))


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is None:
        return
    from lhv.record.writer import summary_lines

    terminalreporter.section("verification record")
    for line in summary_lines(state):
        terminalreporter.write_line(line)
