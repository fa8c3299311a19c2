"""PLAN_018 The device's API maintains an uptime of at least 99% over a one-month period.

Purpose: availability is judged from the probes an uptime prober records in a store (`lhv probe` runs
for the month in production): per interval, per probe kind (the health route, and an authenticated
transaction at a slower interval) and at request level (the share of probes that succeeded), with the
method, incidents, gaps and device versions in the record; time without a running prober counts as
missing data, never as uptime. On the embedded device the plan probes a short live window itself; on
a real profile it judges the configured calendar month from the profile's store. A bounded Locust soak
on the health route, when the profile sets one and load is consented, adds evidence under load.
"""

from datetime import UTC, datetime

import pytest

from lhv.checks.outcomes import require
from lhv.harness.uptime_steps import (
    attach,
    judge_and_attach,
    keep_probes,
    open_probe_store,
    probe_live_window,
    probes_text,
    quiet_before_live_window,
    require_data,
    require_judgement,
    soak_finding,
    soak_for,
    soak_refusal,
)
from lhv.session.claims import DEVICE_LOAD, alone
from lhv.uptime.judgement import configured_window

PLAN_ID = "PLAN_018"
CLAIMS = alone(DEVICE_LOAD)  # what it measures (answers and their times) is the device under no other plan's traffic


@pytest.mark.usefixtures("api")  # the record's cover names the device version even when this plan runs alone
def test_availability_over_the_window_meets_the_target(target, load, step, lhv_run):
    """Over the window every probe kind is up for at least the target share of intervals and of probes."""
    uptime, record_dir = target.profile.uptime, lhv_run.record_dir
    folder = record_dir / "attachments" / PLAN_ID
    target_pct, soak = f"{uptime.target_percent:g} %", uptime.soak
    refusal = soak_refusal(target, load)
    findings = []
    quiet_s = quiet_before_live_window(target) if uptime.window == "live" else 0.0
    with open_probe_store(target) as (store, store_label), soak_for(target, folder / "soak") as soak_run:
        if refusal is None:
            with step(f"Start a Locust soak on the health route: {soak.users} users (spawning {soak.spawn_rate:g}/s) "
                      f"for {soak_run.run_time_s} s, at most {soak.max_requests} requests",
                      expect="Locust's first user is sending requests"):
                soak_run.start()
                require("soak-running", soak_run.running, "Locust ended before the probing began",
                        "Locust is up and its first user is sending requests")
        if uptime.window == "live":
            with step(f"Probe the target for a live window of {uptime.window_seconds:g} s ({probes_text(uptime)}); "
                      f"store the probes in {store_label}", expect="probes of every kind recorded") as record:
                window, counts = probe_live_window(target, store)
                if quiet_s:
                    step.note(f"before the soak and the window, the harness waited {quiet_s:.1f} s for its own earlier "
                              "requests to leave the rate-limit windows (the prober is not held back by them)")
                attach(record, [keep_probes(store, window, folder)], folder, record_dir)
                step.note(f"window {window.start.isoformat()} to {window.end.isoformat()} (UTC)")
                probed = counts.health > 0 and (counts.transaction > 0 or not uptime.transaction.intent)
                require_data("window-probed", probed,
                             f"the prober recorded {counts.health} health and {counts.transaction} transaction probes",
                             f"{counts.health} health and {counts.transaction} transaction probes recorded")
        else:
            with step(f"Read the prober runs of the window '{uptime.window}' from the profile's probe store "
                      f"{store_label}", expect="the window has ended and prober runs cover it"):
                window = configured_window(uptime.window, datetime.now(UTC))
                runs = store.prober_runs(window.start, window.end)
                step.note(f"window {window.label}: {window.start.isoformat()} to {window.end.isoformat()} (UTC)")
                require_data("window-over", window.end <= datetime.now(UTC),
                             f"the window {window.label} has not ended: it is judged once it has",
                             f"the window ended at {window.end.isoformat()}")
                require_data("prober-runs", bool(runs), f"no prober ran during {window.label} in {store_label}",
                             f"{len(runs)} prober run(s) of {len({r.prober_id for r in runs})} prober(s)")
        if refusal is None:
            with step("Read the soak's Locust statistics", expect="Locust counted the requests it sent") as record:
                result = soak_run.finish()
                attach(record, result.files, folder / "soak", record_dir)
                require("soak-statistics", result.requests > 0, "Locust sent no request during the soak",
                        result.summary())
                findings.append(soak_finding(result, uptime.target_percent))
        with step("Judge each probe kind over the window by the recorded method, and the soak's requests",
                  expect=f"every kind up in at least {target_pct} of its intervals and of its probes, with coverage "
                         f"of at least {uptime.min_coverage:.0%}; at least {target_pct} of any soak's requests "
                         "succeeded") as record:
            step.release("its window and soak are over: the judgement reads the probe store and sends no request")
            if refusal:
                step.note(f"no soak: {refusal}")
            judgement = judge_and_attach(store, window, store_label, target, lhv_run, folder, record)
            require_judgement(judgement, findings)
