"""A run you can watch: its expected duration first, each plan's line as the plan ends, every long wait with its reason
and length (through the console's redaction), and --quiet for CI logs."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from lhv.core import announce
from lhv.core.evidence import CURRENT_CASE, CaseEvidence, Step
from lhv.core.pacing import ANONYMOUS, AUTHENTICATED, Budget, RatePacer
from tests.conftest import run_lhv

EMBEDDED = resources.files("lhv.profiles").joinpath("embedded.toml").read_text(encoding="utf-8")
PLAN_LINE = re.compile(r"^(PLAN_\d{3}|IVCL)\s{2,}(PASSED|FAILED|ERROR|INCONCLUSIVE|NOT RUN|WAIVED)\s+[\d.]+s\s{2}")

# A plugin the watched run loads from its working directory: during PLAN_001 it announces a wait whose reason holds the
# embedded user's password (the console must redact it), and files the password for the test to look for.
SAY_SECRET = '''
import os
from pathlib import Path
from lhv.core import announce

def pytest_runtest_call(item):
    if "plan_001" in item.nodeid and not Path("said.txt").exists():
        password = os.environ["LHV_EMBEDDED_PASSWORD"]
        Path("said.txt").write_text(password)
        announce.waiting(6, f"nothing: the password {password} must not show")
'''


class Clock:
    """A clock the test moves: sleeping moves it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def heard():
    lines: list[str] = []
    stop = announce.listen(lines.append)
    yield lines
    stop()


def test_a_wait_in_a_step_is_noted_in_the_step_and_a_blink_is_not():
    clock, case = Clock(), CaseEvidence(steps=[Step(number=1, action="wait", expected="", verdict="running")])
    token = CURRENT_CASE.set(case)
    try:
        announce.sleep(7, "the token to expire", pause=clock.sleep)
        announce.sleep(announce.NOTED_WAIT_S / 2, "a blink", pause=clock.sleep)
    finally:
        CURRENT_CASE.reset(token)
    assert case.steps[0].actual == ["waited 7 s for the token to expire"]
    announce.sleep(3, "nothing: no case runs", pause=clock.sleep)  # outside a case nothing is noted, nothing fails


def test_a_long_wait_is_announced_with_its_reason_and_length_and_a_short_one_is_not(heard):
    clock = Clock()
    assert announce.sleep(60, "the anonymous rate-limit window", pause=clock.sleep) == 60
    assert announce.sleep(announce.LONG_WAIT_S - 0.5, "a short pause", pause=clock.sleep) == announce.LONG_WAIT_S - 0.5
    assert announce.sleep(-3, "a moment already past", pause=clock.sleep) == 0
    assert heard == ["waiting 60 s for the anonymous rate-limit window"]
    assert clock.slept == [60, announce.LONG_WAIT_S - 0.5]


def test_nobody_hears_after_listening_stops():
    lines: list[str] = []
    stop = announce.listen(lines.append)
    announce.say("one")
    stop()
    announce.say("two")
    assert lines == ["one"]


def test_the_pacer_announces_its_long_waits_once_each(heard):
    clock = Clock()
    pacer = RatePacer({ANONYMOUS: Budget(2, 30.0), AUTHENTICATED: Budget(100, 30.0)}, clock=clock, sleep=clock.sleep)
    pacer.record(ANONYMOUS, 2)
    assert pacer.wait_quiet(ANONYMOUS) == 30
    assert heard == ["waiting 30 s for the anonymous rate-limit window (no anonymous request from the harness for "
                     "30 s)"]
    pacer.record(ANONYMOUS, 2)
    clock.now += 10
    assert pacer.before_send(ANONYMOUS) == 20
    assert heard[1:] == ["waiting 20 s for the anonymous rate-limit budget (2 requests per 30 s) to free up"]
    pacer.record(AUTHENTICATED, 1)
    clock.now += 27
    assert pacer.wait_quiet(AUTHENTICATED) == pytest.approx(3) and len(heard) == 2  # 3 s: not announced


@pytest.fixture(scope="module")
def watched(tmp_path_factory):
    """One run of PLAN_001 and PLAN_008 with a 10 s window: PLAN_008 first waits for the harness to be quiet."""
    folder = tmp_path_factory.mktemp("watched")
    (folder / "say_secret.py").write_text(SAY_SECRET)
    profile = folder / "profile.toml"
    profile.write_text(EMBEDDED.replace("window_seconds = 3\n", "window_seconds = 10\n", 1), encoding="utf-8")
    # --serial: PLAN_001 then PLAN_008, the order the lines below are read in (scheduled, PLAN_008 would go first)
    run = run_lhv(["--profile", str(profile), "--plan", "PLAN_001", "--plan", "PLAN_008", "--serial",
                   "-p", "say_secret"], folder / "reports", timeout=300)
    assert run.code == 0, run.output
    return run, [line for line in run.output.splitlines() if line.strip()], (folder / "said.txt").read_text()


def _index(lines: list[str], pattern: str) -> int:
    found = [n for n, line in enumerate(lines) if re.search(pattern, line)]
    assert len(found) == 1, (pattern, lines)
    return found[0]


def test_the_run_starts_by_printing_its_expected_duration(watched):
    run, lines, _ = watched
    assert re.fullmatch(rf"run {re.escape(run.record.name)}: expected duration: about \d+(\.\d)? s for 2 plans",
                        lines[0]), lines[0]


def test_each_plan_line_is_printed_as_its_plan_ends_and_not_again_at_the_end(watched):
    _, lines, _ = watched
    first, waiting = _index(lines, r"^PLAN_001\s+PASSED"), _index(lines, r"^PLAN_008\s+waiting ")
    second, section = _index(lines, r"^PLAN_008\s+PASSED"), _index(lines, "verification record")
    # PLAN_001's line comes before a line PLAN_008 printed while it ran: it was printed before the run ended
    assert first < waiting < second < section
    assert not [line for line in lines[section:] if PLAN_LINE.match(line)], lines[section:]
    assert [line.split(":")[0] for line in lines[section + 1:section + 3]] == ["overall", "record"]


def test_a_long_wait_is_announced_with_its_reason_and_length(watched):
    _, lines, _ = watched
    line = lines[_index(lines, r"^PLAN_008\s+waiting ")]
    assert re.fullmatch(r"PLAN_008  waiting \d+(\.\d)? s for the anonymous rate-limit window \(no anonymous request "
                        r"from the harness for 10\.\d s\)", line), line


def test_an_announcement_goes_through_the_console_redaction(watched):
    run, lines, password = watched
    assert len(password) >= 12 and password not in run.output
    line = lines[_index(lines, "must not show")]
    assert line == "PLAN_001  waiting 6 s for nothing: the password [REDACTED password] must not show", line


def test_quiet_prints_the_summary_lines_only(lhv, tmp_path):
    run = lhv("--plan", "PLAN_001", "--plan", "PLAN_005", "--fault", "user-enumeration", "--quiet")
    assert run.code == 1, run.output
    lines = [line for line in run.output.splitlines() if line.strip()]
    assert [line.split()[:2] for line in lines[:2]] == [["PLAN_001", "FAILED"], ["PLAN_005", "PASSED"]], lines
    assert lines[2:] == ["overall: failed (exit 1)", f"record: {run.record / 'record.html'}"], lines
    assert run.results["verdict"] == "failed"  # the record is the same: only the console is quieter
