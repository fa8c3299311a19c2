"""Runs a session's plans at the same time where their claims allow: each plan's cases in order, in a thread of its own.

pytest runs items one after the other through one setup stack. Here each plan thread has a stack of its own that
shares the session's nodes (and so the session's fixtures, set up once in the main thread before any plan starts)
and tears down only its plan's module and cases. A plan starts when it conflicts with no running plan and no plan
waiting ahead of it (lhv.session.claims); what it waited for is kept for the record.
"""

from __future__ import annotations

import ast
import copy
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import pytest
from _pytest import runner
from _pytest.assertion import rewrite
from _pytest.runner import SetupState

from lhv.session.claims import Claims, may_start, start_order
from lhv.session.run import PlanTiming

RUNNING_PLAN: ContextVar[str] = ContextVar("lhv_running_plan", default="")
POLL_S = 0.5  # how often the main thread looks up from waiting (an interrupt reaches it within this)
_AST_LOCK = threading.RLock()


class _PlanStack(SetupState):
    """A plan thread's setup stack: starts with the session's nodes (their finalizers are the main stack's, so the
    main thread tears the session down) and, at the plan's end, tears down only what the plan set up."""

    def __init__(self, shared: dict) -> None:
        super().__init__()
        self.stack.update(shared)
        self._shared = list(shared)

    def teardown_exact(self, nextitem: pytest.Item | None) -> None:
        if nextitem is not None:
            return super().teardown_exact(nextitem)
        for node in self._shared:
            del self.stack[node]
        try:
            super().teardown_exact(None)
        finally:
            self.stack = {**{node: ([], None) for node in self._shared}, **self.stack}


class _PerThreadStack:
    """Stands for the session's setup stack: a plan thread gets its own, every other thread the main one."""

    def __init__(self, main: SetupState) -> None:
        self.main = main
        self._local = threading.local()

    def enter(self, stack: SetupState) -> None:
        self._local.stack = stack

    def __getattr__(self, name: str):
        return getattr(getattr(self._local, "stack", self.main), name)


def _current_test_var(item: pytest.Item, when: str | None) -> None:
    """pytest's PYTEST_CURRENT_TEST update, tolerant of another plan's thread having taken the variable away first."""
    if when:
        os.environ["PYTEST_CURRENT_TEST"] = f"{item.nodeid} ({when})".replace("\x00", "(null)")
    else:
        os.environ.pop("PYTEST_CURRENT_TEST", None)


def _alone(function):
    def one_at_a_time(*args, **kwargs):
        with _AST_LOCK:
            return function(*args, **kwargs)
    return one_at_a_time


@contextmanager
def _thread_safe_pytest(session: pytest.Session, stacks: _PerThreadStack) -> Iterator[None]:
    """Makes what pytest and CPython keep once per process safe for plan threads while they run; puts it back after.

    - the setup stack: one per plan thread (_PerThreadStack);
    - PYTEST_CURRENT_TEST: one variable per process, which pytest's own update fails on when two cases end at once;
    - warnings: pytest catches a case's warnings by swapping the process's filters in and out, which threads undo for
      each other; under this catch a warning that slips out goes to a list, never between the console's lines;
    - ast.parse and pytest's assertion rewriting (which compiles a parsed tree) take turns: CPython 3.11 keeps the
      AST converter's recursion depth per interpreter, so two threads converting at once fail with "AST constructor
      recursion depth mismatch" (a plan importing a module while hypothesis reads another module's constants)."""
    saved = (session._setupstate, runner._update_current_test_var, ast.parse, rewrite._rewrite_test)
    session._setupstate, runner._update_current_test_var = stacks, _current_test_var
    ast.parse, rewrite._rewrite_test = _alone(ast.parse), _alone(rewrite._rewrite_test)
    try:
        with warnings.catch_warnings(record=True):
            yield
    finally:
        session._setupstate, runner._update_current_test_var, ast.parse, rewrite._rewrite_test = saved


def _session_nodes(items: list[pytest.Item]) -> list[pytest.Node]:
    """The nodes every item descends from, above the plans' modules (the session and the plans' package)."""
    chains = [item.listchain() for item in items]
    common = []
    for nodes in zip(*chains):
        if any(node is not nodes[0] for node in nodes) or isinstance(nodes[0], (pytest.Module, pytest.Item)):
            break
        common.append(nodes[0])
    return common


def _set_up_session(session: pytest.Session, items: list[pytest.Item]) -> SetupState:
    """Sets up the session's nodes and every session-scoped fixture a plan uses, in the main thread, so that no two
    plan threads set up the same fixture; a fixture that fails keeps its error for the cases that use it."""
    main: SetupState = session._setupstate
    for node in _session_nodes(items):
        main.stack[node] = ([node.teardown], None)
        node.setup()
    for item in items:
        definitions = item._fixtureinfo.name2fixturedefs
        wanted = [name for name in item.fixturenames
                  if definitions.get(name) and definitions[name][-1].scope == "session"]
        # the item counts as set up while its request asks (pytest's own request of it, as its set-up makes it);
        # nothing is set up below the session, so nothing is left to tear down when it is taken off again
        below = [node for node in item.listchain() if node not in main.stack]
        main.stack.update({node: ([], None) for node in below})
        try:
            for name in wanted:
                try:
                    item._request.getfixturevalue(name)
                except pytest.exit.Exception:
                    raise
                except Exception:  # noqa: BLE001 - the cases that use it report it, as they would one by one
                    pass
        finally:
            for node in below:
                main.stack.pop(node, None)
    return main


def _private_fixtures(items: list[pytest.Item]) -> None:
    """Gives a plan's items copies of the fixture definitions below session scope: pytest caches a fixture's value
    on its definition, which plans running at the same time would otherwise share (one plan's `step` in another's
    case)."""
    copies: dict[int, object] = {}

    def private(definition):
        if definition.scope == "session":
            return definition
        if id(definition) not in copies:
            clone = copy.copy(definition)
            clone.cached_result, clone._finalizers = None, []
            copies[id(definition)] = clone
        return copies[id(definition)]

    for item in items:
        definitions = item._fixtureinfo.name2fixturedefs
        for name, chain in list(definitions.items()):
            definitions[name] = tuple(private(definition) for definition in chain)


HOLDS_NOTHING = Claims(alone=frozenset(), shared=frozenset())
# in a plan's thread while plans run at the same time: gives up what the plan holds, saying why
RELEASING: ContextVar[Callable[[str], None] | None] = ContextVar("lhv_releasing", default=None)


def release_claims(reason: str) -> bool:
    """Lets the running plan give up what it holds for the rest of its run; False when plans run one at a time."""
    releasing = RELEASING.get()
    if releasing is None:
        return False
    releasing(reason)
    return True


def run_concurrently(session: pytest.Session, plan_items: dict[str, list[pytest.Item]],
                     claims: dict[str, Claims], jobs: int, timings: dict[str, PlanTiming],
                     expected: dict[str, float], broken: Callable[[str, BaseException], None]) -> None:
    """Runs each plan's items in a thread of its own, at most jobs plans at once, never two whose claims conflict;
    expected (plan → seconds) puts the longest of equal standing first. A plan thread that breaks outside its cases
    (pytest or the harness itself) is reported to broken and stops the run: its plan's other cases never ran."""
    claims = dict(claims)  # a plan that gives up what it holds changes its entry here, not the caller's
    main = _set_up_session(session, [items[0] for items in plan_items.values()])
    for items in plan_items.values():
        _private_fixtures(items)
    stacks = _PerThreadStack(main)
    shared = dict(main.stack)
    changed = threading.Condition()
    running: dict[str, threading.Thread] = {}
    waiting = start_order(plan_items, claims, expected)
    now = time.time()
    for plan in waiting:
        timings.setdefault(plan, PlanTiming(ready=now)).ready = now

    def run_plan(plan: str) -> None:
        RUNNING_PLAN.set(plan)
        RELEASING.set(lambda reason: release(plan, reason))
        stacks.enter(_PlanStack(shared))
        items = plan_items[plan]
        try:
            for index, item in enumerate(items):
                following = items[index + 1] if index + 1 < len(items) else None
                item.ihook.pytest_runtest_protocol(item=item, nextitem=following)
                if session.shouldfail or session.shouldstop:
                    break
        except BaseException as exc:  # noqa: BLE001 - in a thread nothing else would see it; the run must not pass
            broken(plan, exc)
            session.shouldstop = f"{plan} stopped: {type(exc).__name__}: {exc}"
        finally:
            timings[plan].ended = time.time()
            with changed:
                running.pop(plan, None)
                changed.notify_all()

    def start_what_may_start() -> None:
        for plan in list(waiting):
            if session.shouldfail or session.shouldstop:
                waiting.clear()
                return
            if len(running) >= jobs or not may_start(plan, running, waiting[:waiting.index(plan)], claims):
                blockers = [other for other in running if claims[plan].conflicts(claims[other])]
                timings[plan].waited_for.extend(b for b in blockers if b not in timings[plan].waited_for)
                continue
            waiting.remove(plan)
            timings[plan].started = time.time()
            running[plan] = threading.Thread(target=run_plan, args=(plan,), name=f"lhv-{plan}", daemon=True)
            running[plan].start()

    def release(plan: str, reason: str) -> None:
        with changed:
            claims[plan] = HOLDS_NOTHING
            timings[plan].released, timings[plan].released_because = time.time(), reason
            changed.notify_all()

    with _thread_safe_pytest(session, stacks):
        _run_until_done(waiting, running, changed, start_what_may_start)
    # the session's fixtures are torn down at the session's end (pytest's runner does it), as after a serial run
    if session.shouldfail:
        raise session.Failed(session.shouldfail)
    if session.shouldstop:
        raise session.Interrupted(session.shouldstop)


def _run_until_done(waiting: list[str], running: dict, changed: threading.Condition,
                    start_what_may_start: Callable[[], None]) -> None:
    with changed:
        while waiting or running:
            start_what_may_start()
            if waiting or running:
                changed.wait(POLL_S)
