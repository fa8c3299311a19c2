"""Writes a run's record from its state."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import platform
import subprocess
import sys
from collections import defaultdict
from email.message import Message
from email.parser import HeaderParser
from functools import cache
from importlib import metadata
from pathlib import Path
from xml.etree import ElementTree as ET

from lhv import __version__
from lhv.contract import catalog
from lhv.contract.clauses import clause_coverage, clause_trace
from lhv.core import announce
from lhv.core.secrets import SECRETS
from lhv.record.checklist import checklist, summary_line, write_checklist
from lhv.record.integrity import MANIFEST, write_manifest
from lhv.record.markdown import write_markdown
from lhv.record.roles import RecordSection, run_roles
from lhv.record.sink import redact_folder
from lhv.record.view import VIEWS, write_view
from lhv.session import trace, verdicts
from lhv.session.run import RunState

RESULTS_SCHEMA_VERSION = "1.0"
_sealed: tuple[RunState, dict] | None = None  # the last run whose record this process wrote, and its results


def _git(*args: str) -> subprocess.CompletedProcess | None:
    root = Path(__file__).resolve().parents[2]
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None


def _git_commit() -> str:
    done = _git("rev-parse", "--short=12", "HEAD")
    if done is None:
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 else "not a git checkout"


def _git_tree() -> str:
    """Tells whether the harness ran from its commit as committed, or with uncommitted changes to tracked files."""
    done = _git("status", "--porcelain", "--untracked-files=no")
    if done is None or done.returncode != 0:
        return "unknown"
    return "uncommitted changes" if done.stdout.strip() else "clean"


def _record_section(state: RunState) -> RecordSection | None:
    # the profile's [record] table (lhv/record/roles.py), once lhv/session/profile.py carries it
    section = getattr(state.profile, "record", None)
    return section if isinstance(section, RecordSection) else None


def _release(state: RunState) -> dict:
    """Returns the release version under test: the device's own word, else the profile's target.release."""
    expected = getattr(state.profile.target, "release", "")  # target.release: being added to lhv/session/profile.py
    reported = state.device.version if state.device and state.device.version else ""
    if reported:
        found = {"version": reported, "source": "the device-information reply"}
        return {**found, "expected": expected} if expected and expected != reported else found
    if expected:
        return {"version": expected,
                "source": f"{state.profile.source} target.release (the device did not report one)"}
    return {"version": None, "source": "not reported by the target, nor given by the profile (target.release)"}


def _routes(state: RunState) -> list[dict[str, str]]:
    """The routes the run used, intent by intent, and where each comes from (the profile's [routes] or the dialect)."""
    from lhv.contract.dialects import DIALECTS

    target, section = state.profile.target, getattr(state.profile, "routes", None)
    if target.dialect not in DIALECTS:
        return []
    route_map = section.resolved() if section is not None else {}
    defaults, used = DIALECTS[target.dialect].routes, DIALECTS[target.dialect](route_map).routes
    given = section.map if section is not None else {}
    layout = section.layout if section is not None else ""

    def source(intent: str) -> str:
        if intent in given:
            return f"routes.map.{intent}"
        return f"routes.layout \"{layout}\"" if intent in route_map else f"the {target.dialect} dialect's default"

    return [{"intent": intent, "method": route.method, "path": route.path, "source": source(intent),
             "default": f"{defaults[intent].method} {defaults[intent].path}"} for intent, route in used.items()]


def plan_verdicts(state: RunState) -> dict[str, str]:
    """Returns each selected plan's verdict."""
    by_plan: dict[str, list[str]] = defaultdict(list)
    for case in state.cases:
        by_plan[case.plan_id].append(case.verdict)
    result = {}
    for plan in state.selected_plans:
        result[plan] = verdicts.ERROR if state.aborted and plan not in by_plan else verdicts.plan_verdict(by_plan[plan])
    return result


@cache  # the installed distributions do not change while a run writes its record
def _soup() -> tuple[dict[str, str], ...]:
    names = {}
    for dist in metadata.distributions():
        headers = _metadata_headers(dist)
        name = headers["Name"]
        if name and name.lower() != "lhv":
            names[name.lower()] = {"name": name, "version": headers["Version"]}
    return tuple(names[key] for key in sorted(names))


def _metadata_headers(dist: metadata.Distribution) -> Message:
    """A distribution's metadata headers, read as Distribution.metadata reads them, without parsing the long
    description after them (a quarter of the time a record takes to list a hundred distributions)."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or dist.read_text("") or ""
    return HeaderParser().parsestr(text.split("\n\n", 1)[0])


def _anomalies(plans: list[dict]) -> list[dict]:
    found = []
    for plan in plans:
        for case in plan["cases"]:
            if case["verdict"] in (verdicts.FAILED, verdicts.ERROR, verdicts.INCONCLUSIVE):
                found.append({"id": f"ANOM-{len(found) + 1:03d}", "plan": plan["id"], "case": case["name"],
                              "verdict": case["verdict"],
                              "summary": f"{plan['id']} {case['name']}: {case['reason']}"[:500], "disposition": ""})
    return found


def _trace_map(state: RunState) -> trace.TraceMap:
    """The ids the run traces to: the profile's mapping, loaded when the run started, else the catalog's."""
    loaded = state.trace
    return loaded if loaded is not None else trace.load_trace(state.profile) or trace.catalog_trace()


def _trace(plans: list[dict], trace_map: trace.TraceMap, state: RunState) -> dict[str, object]:
    """The trace matrix (id → plans and cases), whose ids they are, and what in the run is not traced."""
    return {"requirements": trace.matrix(plans, "requirements"), "risk_controls": trace.matrix(plans, "risk_controls"),
            "clauses": _clause_trace(state.selected_plans), "ids": trace_map.described(),
            "untraced": trace.untraced(plans)}


def _case_ids(ids: trace.Ids) -> dict[str, list[str]]:
    return {"requirements": list(ids.requirements), "risk_controls": list(ids.risk_controls)}


def _clause_trace(plan_ids: list[str]) -> dict[str, object]:
    """How many of the contract's clauses the run's plans verify, and which they leave unverified."""
    trace = clause_trace(plan_ids)
    return {"total": len(trace), "verified": sum(1 for plans in trace.values() if plans),
            "not_verified": [clause for clause, plans in trace.items() if not plans]}


def _utc(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="milliseconds")


def _ran(state: RunState, plan_id: str) -> dict | None:
    """When the plan really started and ended, how long it waited for other plans' claims and for which, and what it
    held; None when it never started."""
    timing = state.plan_timings.get(plan_id)
    if timing is None or not timing.started:
        return None
    ended = timing.ended or timing.started
    queued = round(timing.queued_s, 3) if timing.ready else 0.0
    text = f"from {_utc(timing.started)} to {_utc(ended)} ({ended - timing.started:.1f} s)"
    if queued >= 0.05:
        text += f", after waiting {queued:.1f} s for " + (", ".join(timing.waited_for) or "a free place") + \
            " (what they held conflicts with what this plan holds)"
    if timing.released:
        text += f"; it gave up what it held {timing.released - timing.started:.1f} s in ({timing.released_because})"
    return {"started_utc": _utc(timing.started), "ended_utc": _utc(ended),
            "wall_s": round(max(0.0, ended - timing.started), 3), "queued_s": queued,
            "waited_for": list(timing.waited_for), "claims": timing.claims, "text": text}


def _split_tester(tester: str) -> dict[str, str]:
    name, _, role = tester.partition("(")
    return {"name": name.strip(), "role": role.rstrip(")").strip() or "not given"}


def results(state: RunState) -> dict:
    """Returns the run as the data behind every format of the record."""
    verdict_by_plan = plan_verdicts(state)
    coverage = clause_coverage(state.selected_plans)
    trace_map = _trace_map(state)
    plans = []
    for plan_id in state.selected_plans:
        entry, ids = catalog.plan(plan_id), trace_map.plan_ids(plan_id)
        cases = sorted((c for c in state.cases if c.plan_id == plan_id),
                       key=lambda c: state.case_order.get(c.nodeid, len(state.case_order)))
        plans.append({
            "id": plan_id, "title": entry.title, "version": entry.version,
            "requirements": list(ids.requirements), "risk_controls": list(ids.risk_controls),
            "clauses": list(coverage.get(plan_id, ())),
            "objective": entry.objective, "preconditions": list(entry.preconditions),
            "test_data": state.test_data.get(plan_id, []), "verdict": verdict_by_plan[plan_id],
            "cases_available": state.case_totals.get(plan_id, len(cases)),
            "optional_not_run": state.optional_not_run.get(plan_id, []),
            "duration_s": round(sum(c.duration_s for c in cases), 3),
            "ran": _ran(state, plan_id),
            "cases": [{"name": c.name, "description": c.doc, "verdict": c.verdict, "reason": SECRETS.redact(c.reason),
                       **_case_ids(trace_map.case_ids(plan_id, c.name)),
                       "duration_s": c.duration_s, "notes": c.evidence.notes,
                       "steps": [dataclasses.asdict(s) for s in c.evidence.steps],
                       "exchanges_outside_steps": [dataclasses.asdict(e) for e in c.evidence.loose_exchanges]}
                      for c in cases],
        })
    device = dataclasses.asdict(state.device) if state.device else None
    entries = [catalog.plan(p) for p in state.selected_plans]
    return {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "run_id": state.run_id,
        "started_utc": state.started.isoformat(timespec="seconds"),
        "finished_utc": state.finished.isoformat(timespec="seconds") if state.finished else None,
        "tester": _split_tester(state.tester),
        "roles": run_roles(_record_section(state), profile_source=state.profile.source, entries=entries),
        "release": _release(state),
        "command": SECRETS.redact(state.command),
        "target": {"name": state.profile.target.name, "environment": state.profile.target.environment,
                   "url": state.target_url, "dialect": state.profile.target.dialect,
                   "embedded": state.profile.target.embedded, "faults": list(state.faults),
                   "mutants": list(state.mutants), "routes": _routes(state)},
        "device": device,
        "harness": {"version": __version__, "commit": _git_commit(), "working_tree": _git_tree(),
                    "python": sys.version.split()[0],
                    "platform": platform.platform(), "soup": [dict(entry) for entry in _soup()]},
        "seeds": state.seeds,
        "profile": {"source": state.profile.source, "sha256": state.profile.sha256,
                    "content": state.profile.redacted()},
        "aborted": state.aborted,
        "verdict": verdicts.run_verdict(verdict_by_plan.values(), aborted=bool(state.aborted)),
        "exit_code": verdicts.exit_code(verdict_by_plan.values(), aborted=bool(state.aborted)),
        "incomplete": _incomplete(plans),
        "waived": [{"plan": plan["id"], "reason": plan["cases"][0]["reason"] if plan["cases"] else ""}
                   for plan in plans if plan["verdict"] == verdicts.WAIVED],
        "running_when_aborted": state.running if state.aborted else None,
        "schedule": {"plans_at_once": state.scheduled,
                     "mode": "serial: one plan after the other, in plan order" if state.scheduled == 1 else
                     f"scheduled: at most {state.scheduled} plans at once, never two whose claims conflict"},
        "accounts_left_behind": state.accounts_left,
        "anomalies": _anomalies(plans),
        "trace": _trace(plans, trace_map, state),
        "plans": plans,
        "suite": {"name": state.suite.name, "title": state.suite.title, "description": state.suite.description,
                  "cases": list(state.suite.cases)} if state.suite else None,
        "checklist": checklist(state, plans),
    }


def _incomplete(plans: list[dict]) -> list[dict]:
    """Returns the plans in scope that did not run, each with why (what the profile lacks)."""
    return [{"plan": plan["id"], "reason": next((c["reason"] for c in plan["cases"] if c["reason"]), "no case ran")}
            for plan in plans if plan["verdict"] == verdicts.NOT_RUN]


def write_record(state: RunState) -> Path:
    """Writes results.json, junit.xml, markdown and the checklist, seals them, then renders record.html."""
    global _sealed
    folder = state.record_dir
    folder.mkdir(parents=True, exist_ok=True)
    data = SECRETS.redact_json(results(state))
    _sealed = (state, data)
    (folder / "results.json").write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    _write_junit(data, folder / "junit.xml")
    write_markdown(data, folder / "markdown")
    write_checklist(data, folder)
    redact_folder(folder)
    write_manifest(folder, views=VIEWS)
    write_view(folder, MANIFEST)  # from the sealed results.json, naming the manifest's hash
    return folder


_JUNIT_TAG = {verdicts.FAILED: "failure", verdicts.ERROR: "error", verdicts.INCONCLUSIVE: "error",
              verdicts.NOT_RUN: "skipped", verdicts.WAIVED: "skipped"}


def _junit_cases(plan: dict, aborted: str | None) -> list[dict]:
    """Returns a plan's cases for JUnit; a plan the aborted run never reached is one erroring case."""
    if plan["cases"] or plan["verdict"] != verdicts.ERROR:
        return plan["cases"]
    return [{"name": "(plan not reached)", "verdict": verdicts.ERROR, "duration_s": 0.0,
             "reason": f"the run was aborted before this plan ran: {aborted or 'unknown cause'}"}]


def _junit_ids(props: ET.Element, traced: dict) -> None:
    """Adds the real requirement and risk-control ids of a plan or case; an untraced one gets none."""
    for kind, name in (("requirements", "requirement"), ("risk_controls", "risk_control")):
        for item in traced.get(kind, []):
            ET.SubElement(props, "property", name=name, value=item)


def _write_junit(data: dict, path: Path) -> None:
    record = f"record: {path.parent / 'record.html'} (run {data['run_id']}, verdict {data['verdict']}, " \
             f"exit {data['exit_code']})"
    suites = ET.Element("testsuites", name=f"lhv run {data['run_id']}")
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for plan in data["plans"]:
        cases = _junit_cases(plan, data["aborted"])
        counts = {"tests": len(cases), "failures": sum(_JUNIT_TAG.get(c["verdict"]) == "failure" for c in cases),
                  "errors": sum(_JUNIT_TAG.get(c["verdict"]) == "error" for c in cases),
                  "skipped": sum(_JUNIT_TAG.get(c["verdict"]) == "skipped" for c in cases)}
        for key, value in counts.items():
            totals[key] += value
        suite = ET.SubElement(suites, "testsuite", name=f"{plan['id']} {plan['title']}", time=str(plan["duration_s"]),
                              **{key: str(value) for key, value in counts.items()})
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="plan_id", value=plan["id"])
        _junit_ids(props, plan)
        ET.SubElement(props, "property", name="verdict", value=plan["verdict"])
        for case in cases:
            element = ET.SubElement(suite, "testcase", classname=plan["id"], name=case["name"],
                                    time=str(case["duration_s"]))
            if any(case.get(kind) and case[kind] != plan[kind] for kind in trace.KINDS):  # traced beyond its plan
                _junit_ids(ET.SubElement(element, "properties"), case)
            tag = _JUNIT_TAG.get(case["verdict"])
            if tag:
                outcome = ET.SubElement(element, tag, message=f"{case['verdict']}: {case['reason']}"[:2000])
                outcome.text = case["reason"]
        ET.SubElement(suite, "system-out").text = record
    suites.attrib.update({key: str(value) for key, value in totals.items()})
    suites.set("time", str(round(sum(plan["duration_s"] for plan in data["plans"]), 3)))
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def summary_lines(state: RunState) -> list[str]:
    """Returns the one-screen summary: plan, title, verdict, duration, why a plan did not run, the record; of the
    results its record holds once written (the console says what the record says), else of the run as it stands."""
    data = _sealed[1] if _sealed is not None and _sealed[0] is state else SECRETS.redact_json(results(state))
    lines = []
    if data["aborted"]:
        lines.append(f"ABORTED: {data['aborted']}")
    for plan in data["plans"]:
        lines += announce.plan_lines(plan["id"], plan["verdict"], plan["duration_s"], plan["title"],
                                     plan["cases"][0]["reason"] if plan["cases"] else "")
    overall = f"overall: {data['verdict']} (exit {data['exit_code']})"
    if data["verdict"] == verdicts.INCOMPLETE:
        missing = [entry["plan"] for entry in data["incomplete"]]
        overall += (f": {', '.join(missing)} did not run; set what each says, or waive a plan in the profile's "
                    "plans.skip with a reason" if missing else ": no plan ran")
    suite = data.get("suite") or {}
    if suite.get("name") == catalog.CASE_SUITE:
        overall += f": only the {len(suite['cases'])} case{'s' if len(suite['cases']) != 1 else ''} named by --case"
    lines.append(overall)
    if data["checklist"]:
        lines.append(f"{summary_line(data['checklist'])}: {state.record_dir / 'checklist.html'}")
    lines.append(f"record: {state.record_dir / 'record.html'}")
    return lines
