"""What a run tells its console while it runs: each plan's line as the plan ends, and every long wait.

Engines and steps announce; the harness's pytest plugin listens and writes each line to the console (through its
redaction). With no listener (unit tests, a quiet run) an announcement goes nowhere.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from lhv.core.evidence import current_case

LONG_WAIT_S = 5.0  # a wait this long or longer is announced: a console silent for longer looks stuck
NOTED_WAIT_S = 0.5  # a wait this long or longer is also noted in the running step: the record says what was waited for
TITLE_WIDTH = 70  # a plan's title is cut to this on its line

Sink = Callable[[str], None]
_sinks: list[Sink] = []
_lock = threading.RLock()  # one line at a time, whichever thread announces


def listen(sink: Sink) -> Callable[[], None]:
    """Sends every announcement to sink until the function returned is called."""
    with _lock:
        _sinks.append(sink)

    def stop() -> None:
        with _lock:
            if sink in _sinks:
                _sinks.remove(sink)
    return stop


def say(line: str) -> None:
    """Tells every listener one line."""
    with _lock:
        for sink in list(_sinks):
            sink(line)


def waiting(seconds: float, reason: str) -> bool:
    """Announces a wait of seconds for reason when it is long (LONG_WAIT_S or more); returns whether it did."""
    if seconds < LONG_WAIT_S:
        return False
    say(f"waiting {duration_text(seconds)} for {reason}")
    return True


def sleep(seconds: float, reason: str, *, pause: Callable[[float], None] = time.sleep) -> float:
    """Announces a long wait, then waits, and notes it in the running step (of a case, when one runs); returns the
    seconds waited (never negative)."""
    seconds = max(0.0, seconds)
    waiting(seconds, reason)
    if seconds:
        pause(seconds)
    case = current_case()
    if seconds >= NOTED_WAIT_S and case is not None and case.current is not None:
        case.current.actual.append(f"waited {duration_text(seconds)} for {reason}")
    return seconds


def duration_text(seconds: float) -> str:
    """Says a duration as a person reads it: "8 s", "2 min 5 s", "1 h 30 min"."""
    whole = round(seconds)
    if whole < 120:
        return f"{seconds:.0f} s" if seconds >= 9.5 or seconds == whole else f"{seconds:.1f} s"
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes} min" + (f" {rest} s" if rest else "")
    hours, rest = divmod(round(whole / 60), 60)
    return f"{hours} h" + (f" {rest} min" if rest else "")


def plan_line(plan_id: str, verdict: str, duration_s: float, title: str) -> str:
    """A plan's line on the console: id, verdict, duration and title, as the run prints it when the plan ends."""
    clipped = title if len(title) <= TITLE_WIDTH else title[: TITLE_WIDTH - 1].rstrip() + "…"
    return f"{plan_id:<8}  {verdict.upper():<12} {duration_s:>7.1f}s  {clipped}"


def plan_lines(plan_id: str, verdict: str, duration_s: float, title: str, reason: str) -> list[str]:
    """A plan's line, and below it why it did not run or was waived."""
    shown = [plan_line(plan_id, verdict, duration_s, title)]
    return shown + [f"          {reason}"] if verdict in ("not run", "waived") and reason else shown
