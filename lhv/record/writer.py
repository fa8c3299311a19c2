"""Writes a run's record from its state."""

from __future__ import annotations

import dataclasses
import json
import platform
import subprocess
import sys
from collections import defaultdict
from importlib import resources
from pathlib import Path
from xml.etree import ElementTree as ET

from importlib import metadata

from jinja2 import Environment, select_autoescape

from lhv import __version__, catalog
from lhv.harness import verdicts
from lhv.harness.run import RunState
from lhv.record.checklist import checklist, summary_line, write_checklist
from lhv.record.integrity import write_manifest
from lhv.record.markdown import write_markdown
from lhv.record.sink import redact_folder
from lhv.secrets import SECRETS

RESULTS_SCHEMA_VERSION = "1.0"


def _git_commit() -> str:
    root = Path(__file__).resolve().parents[2]
    try:
        done = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                              text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 else "not a git checkout"


def plan_verdicts(state: RunState) -> dict[str, str]:
    """Returns each selected plan's verdict."""
    by_plan: dict[str, list[str]] = defaultdict(list)
    for case in state.cases:
        by_plan[case.plan_id].append(case.verdict)
    result = {}
    for plan in state.selected_plans:
        result[plan] = verdicts.ERROR if state.aborted and plan not in by_plan else verdicts.plan_verdict(by_plan[plan])
    return result


def _soup() -> list[dict[str, str]]:
    names = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and name.lower() != "lhv":
            names[name.lower()] = {"name": name, "version": dist.version}
    return [names[key] for key in sorted(names)]


def _anomalies(plans: list[dict]) -> list[dict]:
    found = []
    for plan in plans:
        for case in plan["cases"]:
            if case["verdict"] in (verdicts.FAILED, verdicts.ERROR, verdicts.INCONCLUSIVE):
                found.append({"id": f"ANOM-{len(found) + 1:03d}", "plan": plan["id"], "case": case["name"],
                              "verdict": case["verdict"], "summary": f"{plan['id']} {case['name']}: {case['reason']}"[:500],
                              "disposition": ""})
    return found


def _trace(plans: list[dict], key: str) -> dict[str, list[str]]:
    matrix: dict[str, list[str]] = defaultdict(list)
    for plan in plans:
        for item in plan[key] or ["not traced"]:
            matrix[item].append(plan["id"])
    return dict(matrix)


def _split_tester(tester: str) -> dict[str, str]:
    name, _, role = tester.partition("(")
    return {"name": name.strip(), "role": role.rstrip(")").strip() or "not given"}


def results(state: RunState) -> dict:
    """Returns the run as the data behind every format of the record."""
    verdict_by_plan = plan_verdicts(state)
    plans = []
    for plan_id in state.selected_plans:
        entry = catalog.plan(plan_id)
        cases = [c for c in state.cases if c.plan_id == plan_id]
        plans.append({
            "id": plan_id, "title": entry.title, "version": entry.version,
            "requirements": list(entry.requirements), "risk_controls": list(entry.risk_controls),
            "objective": entry.objective, "preconditions": list(entry.preconditions),
            "test_data": state.test_data.get(plan_id, []), "verdict": verdict_by_plan[plan_id],
            "cases_available": state.case_totals.get(plan_id, len(cases)),
            "optional_not_run": state.optional_not_run.get(plan_id, []),
            "duration_s": round(sum(c.duration_s for c in cases), 3),
            "cases": [{"name": c.name, "description": c.doc, "verdict": c.verdict, "reason": SECRETS.redact(c.reason),
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
        "roles": {"testers": sorted({t for e in entries for t in e.testers}),
                  "approvers": sorted({e.approver for e in entries})},
        "command": SECRETS.redact(state.command),
        "target": {"name": state.profile.target.name, "environment": state.profile.target.environment,
                   "url": state.target_url, "dialect": state.profile.target.dialect,
                   "embedded": state.profile.target.embedded, "faults": list(state.faults),
                   "mutants": list(state.mutants)},
        "device": device,
        "harness": {"version": __version__, "commit": _git_commit(), "python": sys.version.split()[0],
                    "platform": platform.platform(), "soup": _soup()},
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
        "accounts_left_behind": state.accounts_left,
        "anomalies": _anomalies(plans),
        "trace": {"requirements": _trace(plans, "requirements"), "risk_controls": _trace(plans, "risk_controls")},
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
    """Writes results.json, record.html and junit.xml; returns the record folder."""
    folder = state.record_dir
    folder.mkdir(parents=True, exist_ok=True)
    data = SECRETS.redact_json(results(state))
    (folder / "results.json").write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    (folder / "record.html").write_text(_render_html(data), encoding="utf-8")
    _write_junit(data, folder / "junit.xml")
    write_markdown(data, folder / "markdown")
    write_checklist(data, folder)
    redact_folder(folder)
    write_manifest(folder)
    return folder


def _render_html(data: dict) -> str:
    env = Environment(autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)
    env.filters["pretty"] = lambda value: json.dumps(value, indent=2, ensure_ascii=False) \
        if not isinstance(value, str) else value
    template = resources.files("lhv.record").joinpath("templates/record.html.j2").read_text(encoding="utf-8")
    return env.from_string(template).render(run=data)


_JUNIT_TAG = {verdicts.FAILED: "failure", verdicts.ERROR: "error", verdicts.INCONCLUSIVE: "error",
              verdicts.NOT_RUN: "skipped", verdicts.WAIVED: "skipped"}


def _junit_cases(plan: dict, aborted: str | None) -> list[dict]:
    """Returns a plan's cases for JUnit; a plan the aborted run never reached is one erroring case."""
    if plan["cases"] or plan["verdict"] != verdicts.ERROR:
        return plan["cases"]
    return [{"name": "(plan not reached)", "verdict": verdicts.ERROR, "duration_s": 0.0,
             "reason": f"the run was aborted before this plan ran: {aborted or 'unknown cause'}"}]


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
        for req in plan["requirements"] or ["not traced"]:
            ET.SubElement(props, "property", name="requirement", value=req)
        ET.SubElement(props, "property", name="verdict", value=plan["verdict"])
        for case in cases:
            element = ET.SubElement(suite, "testcase", classname=plan["id"], name=case["name"],
                                    time=str(case["duration_s"]))
            tag = _JUNIT_TAG.get(case["verdict"])
            if tag:
                outcome = ET.SubElement(element, tag, message=f"{case['verdict']}: {case['reason']}"[:2000])
                outcome.text = case["reason"]
        ET.SubElement(suite, "system-out").text = record
    suites.attrib.update({key: str(value) for key, value in totals.items()})
    suites.set("time", str(round(sum(plan["duration_s"] for plan in data["plans"]), 3)))
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def _clipped(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def summary_lines(state: RunState) -> list[str]:
    """Returns the one-screen summary: plan, title, verdict, duration, why a plan did not run, the record."""
    data = SECRETS.redact_json(results(state))
    lines = []
    if data["aborted"]:
        lines.append(f"ABORTED: {data['aborted']}")
    for plan in data["plans"]:
        lines.append(f"{plan['id']:<8}  {plan['verdict'].upper():<12} {plan['duration_s']:>7.1f}s  {_clipped(plan['title'], 70)}")
        if plan["verdict"] in (verdicts.NOT_RUN, verdicts.WAIVED) and plan["cases"] and plan["cases"][0]["reason"]:
            lines.append(f"          {plan['cases'][0]['reason']}")
    overall = f"overall: {data['verdict']} (exit {data['exit_code']})"
    if data["verdict"] == verdicts.INCOMPLETE:
        missing = [entry["plan"] for entry in data["incomplete"]]
        overall += (f": {', '.join(missing)} did not run; set what each says, or waive a plan in the profile's "
                    "plans.skip with a reason" if missing else ": no plan ran")
    lines.append(overall)
    if data["checklist"]:
        lines.append(f"{summary_line(data['checklist'])}: {state.record_dir / 'checklist.html'}")
    lines.append(f"record: {state.record_dir / 'record.html'}")
    return lines
