"""Markdown pages of a record, one test-run page per plan, for a docs-as-code QMS."""

from __future__ import annotations

from pathlib import Path


def table_cell(text: object) -> str:
    """Returns text that fits one Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


_KINDS = (("requirements", "requirements"), ("risk_controls", "risk controls"))


def _ids(plan: dict, kind: str, joiner: str) -> str:
    """A plan's ids of one kind; "by its cases" when only its cases are traced, else "not traced"."""
    if plan[kind]:
        return joiner.join(plan[kind])
    return "by its cases (below)" if any(case.get(kind) for case in plan["cases"]) else "not traced"


def _trace_lines(run: dict) -> list[str]:
    """Whose ids the record traces to, and what in the run is not traced."""
    trace = run.get("trace") or {}
    ids, untraced = trace.get("ids"), trace.get("untraced") or []
    lines = [f"Requirement and risk-control ids of {ids['owner']}, from `{ids['source']}`", ""] if ids else []
    if untraced:
        listed = ", ".join(f"`{ref}`" for ref in untraced)
        lines += [f"**Not traced** (no requirement, no risk control): {listed}", ""]
    return lines


def _plan_page(run: dict, plan: dict) -> str:
    lines = [f"# Test run of {plan['id']} {plan['title']}", "",
             f"- Run: `{run['run_id']}` ({run['started_utc']} – {run['finished_utc']} UTC)",
             f"- Tester: {run['tester']['name']} ({run['tester']['role']})",
             f"- Target: {run['target']['name']} ({run['target']['environment']}), `{run['target']['url']}`",
             f"- Software under test: {(run.get('device') or {}).get('version', 'not reported')}",
             f"- Plan version: {plan['version']}",
             *([f"- Ran: {plan['ran']['text']}", f"- Held: {plan['ran']['claims']}"] if plan.get("ran") else []),
             f"- Verifies requirements: {_ids(plan, 'requirements', ', ')}",
             f"- Risk controls: {_ids(plan, 'risk_controls', '; ')}",
             f"- Contract clauses: {', '.join(plan.get('clauses', [])) or 'none'}",
             *(f"- On request, not run: {note}" for note in plan.get("optional_not_run", [])),
             f"- **Verdict: {plan['verdict'].upper()}**", "", "## Objective", "", plan["objective"], "",
             "## Preconditions", ""]
    lines += [f"- {p}" for p in plan["preconditions"]] + [""]
    if plan["test_data"]:
        lines += ["## Test data", "", "| file | sha256 | description |", "|---|---|---|"]
        lines += [f"| {table_cell(d['file'])} | `{d['sha256'][:16]}…` | {table_cell(d['description'])} |"
                  for d in plan["test_data"]]
        lines.append("")
    for number, case in enumerate(plan["cases"], 1):
        lines += [f"## {number}. {case['description'] or case['name']} — {case['verdict']}", ""]
        lines += [f"Traced to {title}: {', '.join(case[kind])}" + "\n" for kind, title in _KINDS
                  if case.get(kind) and case[kind] != plan[kind]]
        if case["reason"] and case["verdict"] != "passed":
            lines += [f"Reason: {case['reason']}", ""]
        lines += ["| # | action | expected | actual | verdict |", "|---|---|---|---|---|"]
        for step in case["steps"]:
            actual = "; ".join([f"{'✔' if c['passed'] else '✘'} {c['name']} {c['detail']}".strip()
                                for c in step["checks"]] + step["actual"])
            evidence = ", ".join(f"`{e['method']} {e['status']}` sha256 {e['sha256'][:12]}" for e in step["exchanges"])
            lines.append(f"| {step['number']} | {table_cell(step['action'])} | {table_cell(step['expected'])} | "
                         f"{table_cell(actual)}{'<br>evidence: ' + table_cell(evidence) if evidence else ''} | "
                         f"{step['verdict']} |")
        lines.append("")
    return "\n".join(lines)


def write_markdown(run: dict, folder: Path) -> None:
    """Writes index.md and one PLAN_NNN.md per plan."""
    folder.mkdir(parents=True, exist_ok=True)
    index = [f"# Test run {run['run_id']}", "", f"Overall verdict: **{run['verdict']}**", "", *_trace_lines(run),
             "| plan | title | verdict |", "|---|---|---|"]
    for plan in run["plans"]:
        (folder / f"{plan['id']}.md").write_text(_plan_page(run, plan), encoding="utf-8")
        index.append(f"| [{plan['id']}]({plan['id']}.md) | {table_cell(plan['title'])} | {plan['verdict']} |")
    if run.get("checklist"):
        index += ["", f"Integration validation checklist: [{run['checklist']['verdict']}](checklist.md)"]
    (folder / "index.md").write_text("\n".join(index) + "\n", encoding="utf-8")
