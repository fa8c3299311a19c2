"""Runs `lhv verify` in this process; at exit writes the process's peak RSS and the waits of its rate pacer.

Usage: python -m bench.verify_probe OUT.json [lhv verify arguments...]. getrusage(RUSAGE_SELF) counts this
process only (the harness), not the device or Locust processes it starts. The pacer's methods are wrapped to
add up the seconds they return, per plan (from PYTEST_CURRENT_TEST), and so are the sleeps of modules that wait
for the pacer's delay themselves (PACING_CALLERS); what they do is unchanged. A thread notes the largest resident
set seen while each plan runs.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import re
import resource
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

from lhv.core.pacing import RatePacer
from lhv.harness.scheduler import RUNNING_PLAN

PACING_CALLERS = {"lhv.harness.clinical_steps"}  # sleep for RatePacer.delay() before taking a short-lived token
WAITS: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))  # plan → kind → seconds
RSS_BY_PLAN: dict[str, int] = defaultdict(int)  # plan → largest resident set seen while it ran, KiB
SAMPLE_S = 0.05


def _current_plan() -> str:
    if plan := RUNNING_PLAN.get():  # the plan whose thread this is (PYTEST_CURRENT_TEST is one per process)
        return plan
    found = re.search(r"plan_(\d{3})_", os.environ.get("PYTEST_CURRENT_TEST", ""))
    return f"PLAN_{found.group(1)}" if found else "outside a plan"


def _counting(kind: str, method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        waited = method(self, *args, **kwargs)
        if threading.current_thread() is threading.main_thread():  # other threads wait alongside the plan
            WAITS[_current_plan()][kind] += waited
        return waited
    return wrapper


def _counting_sleep(original):
    @functools.wraps(original)
    def sleep(seconds: float) -> None:
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if caller in PACING_CALLERS and threading.current_thread() is threading.main_thread():
            WAITS[_current_plan()]["pacing"] += max(0.0, seconds)
        original(seconds)
    return sleep


def _sample_rss() -> None:
    page_kib = os.sysconf("SC_PAGE_SIZE") // 1024
    statm = Path("/proc/self/statm")
    any_plan = False
    while True:
        plan = _current_plan()
        if plan.startswith("PLAN_"):
            any_plan = True
        elif any_plan:
            plan = "after the plans"  # closing the device, writing the record
        else:
            plan = "before the plans"  # start-up, imports, starting the device
        RSS_BY_PLAN[plan] = max(RSS_BY_PLAN[plan], int(statm.read_text().split()[1]) * page_kib)
        time.sleep(SAMPLE_S)


def _redaction_images() -> dict[str, int]:
    """How many image texts the redaction registry holds at the end, and their characters (it keeps them all)."""
    from lhv.core.secrets import SECRETS

    images = getattr(SECRETS, "_images", None) or ()
    return {"count": len(images), "chars": sum(len(text) for text in images)}


def _write(path: Path) -> None:
    path.write_text(json.dumps({"peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                                "pacer_waits_s": WAITS, "rss_by_plan_kib": RSS_BY_PLAN,
                                "redaction_images": _redaction_images()}))


if __name__ == "__main__":
    RatePacer.before_send = _counting("pacing", RatePacer.before_send)
    RatePacer.wait_quiet = _counting("quiet client", RatePacer.wait_quiet)
    time.sleep = _counting_sleep(time.sleep)  # after lhv.core.pacing is imported: the pacer keeps the original
    atexit.register(_write, Path(sys.argv[1]))
    threading.Thread(target=_sample_rss, name="rss-by-plan", daemon=True).start()
    from lhv.app.cli import run

    sys.argv = [sys.argv[0], "verify", *sys.argv[2:]]
    run()  # as the lhv program runs it
