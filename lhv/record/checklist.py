"""The integration validation checklist: each requirement of verification/integration_checklist.toml with its
check, its evidence (the cases of the run) and its verdict, the customer's confirmations and the volume estimate.

A row's verdict joins what the harness saw with what only the customer can give:
"met" when its cases passed and the customer's part is there; "not met" when a case failed or
the customer answered no; "not checked" when a case did not run or could not judge; otherwise
"open" (waiting for the customer's own examples or confirmation). Written as checklist.html
and markdown/checklist.md beside the record, and as results.json's "checklist".
"""

from __future__ import annotations

import time
import tomllib
from importlib import resources
from pathlib import Path

from lhv.core.errors import ConfigError
from lhv.core.evidence import CaseEvidence, CheckResult, Step
from lhv.core.templates import page_environment
from lhv.inspection.attestation import Attestation, load_attestation
from lhv.integration.volume import arithmetic, duration, volume_verdicts
from lhv.record.markdown import table_cell
from lhv.session import verdicts
from lhv.session.run import CaseResult, RunState

CHECK_ID = "IVCL"
MET, NOT_MET, OPEN, NOT_CHECKED = "met", "not met", "open", "not checked"
_SOURCE = "verification/integration_checklist.toml"
_MAX_EVIDENCE = 8  # check results shown per case; the record holds them all
GATE_CASE = "test_no_checklist_row_is_left_open"  # the case --fail-on-open adds to the checklist's check
GATE_CHECK = "no-row-left-open"


def checklist(state: RunState, plans: list[dict]) -> dict | None:
    """The checklist of a run that ran the integration checks, else None."""
    if CHECK_ID not in state.selected_plans:
        return None
    cases = {f"{plan['id']}::{case['name']}": (plan, case) for plan in plans for case in plan["cases"]}
    settings = state.profile.integration
    attestation, attestation_error = _attestation(state)
    rows = [_row(requirement, cases, bool(settings.payloads), attestation, attestation_error)
            for requirement in _requirements()]
    counts = {verdict: sum(row["verdict"] == verdict for row in rows) for verdict in (MET, NOT_MET, OPEN, NOT_CHECKED)}
    overall = NOT_MET if counts[NOT_MET] else NOT_CHECKED if counts[NOT_CHECKED] else OPEN if counts[OPEN] \
        else "complete"
    return {
        "customer": settings.customer or "not named (profile integration.customer)",
        "verdict": overall,
        "counts": counts,
        "fail_on_open": _gate_of(plans),
        "own_examples": bool(settings.payloads),
        "examples": state.test_data.get(CHECK_ID, []),
        "attestation": _attestation_data(attestation, attestation_error),
        "volume": [_volume(verdict) for verdict in volume_verdicts(state.profile)],
        "volume_assumptions": _assumptions(state),
        "rows": rows,
    }


def summary_line(data: dict) -> str:
    """One line for the console: the checklist's verdict and what is left."""
    counts = data["counts"]
    left = ", ".join(f"{counts[v]} {v}" for v in (NOT_MET, NOT_CHECKED, OPEN) if counts[v])
    gate = data.get("fail_on_open")
    fails = "; fails the run (--fail-on-open)" if gate and gate["verdict"] != verdicts.PASSED else ""
    return f"integration checklist: {data['verdict'].upper()}" + (f" ({left}{fails})" if left else "")


# ---- --fail-on-open: a row not met fails the run -------------------------------------------------------------

def fail_on_open_refusal(plans: list[str]) -> str | None:
    """Why --fail-on-open cannot gate a run of these plans (it has no checklist), or None when it can."""
    if CHECK_ID in plans:
        return None
    return (f"--fail-on-open: this run has no integration checklist to gate on ({CHECK_ID} is not selected): give "
            f"--suite integration (or --plan {CHECK_ID})")


def gate(data: dict) -> CaseResult:
    """The case --fail-on-open adds to the checklist's check: failed while any row is not met, else passed."""
    left = [row for row in data["rows"] if row["verdict"] != MET]
    if left:
        listed = "; ".join(f"{verdict}: {', '.join(row['id'] for row in left if row['verdict'] == verdict)}"
                           for verdict in (NOT_MET, NOT_CHECKED, OPEN) if any(r["verdict"] == verdict for r in left))
        detail = (f"{len(left)} of {len(data['rows'])} rows of the integration checklist are not met ({listed}), and "
                  "--fail-on-open fails the run while any is; each row's customer's part says what it awaits "
                  "(checklist.html)")
    else:
        detail = f"every one of the {len(data['rows'])} checklist rows is met"
    step = Step(1, "Read the verdict of every row of the integration checklist (--fail-on-open)",
                "every row met: none open, not checked or not met", verdicts.FAILED if left else verdicts.PASSED,
                checks=[CheckResult(GATE_CHECK, not left, detail)], started=time.time())
    return CaseResult(f"{_SOURCE}::{GATE_CASE}", CHECK_ID, GATE_CASE,
                      "No row of the integration checklist is left open (--fail-on-open): an open, unchecked or unmet "
                      "row fails the run.", verdicts.FAILED if left else verdicts.PASSED, detail if left else "", 0.0,
                      CaseEvidence(steps=[step]))


def _gate_of(plans: list[dict]) -> dict | None:
    """The --fail-on-open gate's verdict and reason, when the run was gated."""
    for plan in plans:
        for case in plan["cases"] if plan["id"] == CHECK_ID else ():
            if case["name"] == GATE_CASE:
                return {"verdict": case["verdict"], "reason": case["reason"]}
    return None


def write_checklist(run: dict, folder: Path) -> None:
    """Writes checklist.html and markdown/checklist.md when the run has a checklist."""
    data = run.get("checklist")
    if not data:
        return
    page = page_environment("lhv.record").get_template("checklist.html.j2").render(run=run, checklist=data)
    (folder / "checklist.html").write_text(page, encoding="utf-8")
    markdown = folder / "markdown"
    markdown.mkdir(parents=True, exist_ok=True)
    (markdown / "checklist.md").write_text(_markdown(run, data), encoding="utf-8")


# ---- rows ------------------------------------------------------------------------------------------------

def _requirements() -> list[dict]:
    raw = resources.files("lhv.plans").joinpath("integration_checklist.toml").read_bytes()
    try:
        rows = tomllib.loads(raw.decode("utf-8")).get("requirement", [])
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_SOURCE, None, f"not valid TOML ({exc})") from None
    for index, row in enumerate(rows):
        for key in ("id", "requirement", "obligation", "source", "check", "cases", "customer"):
            if key not in row:
                raise ConfigError(_SOURCE, f"requirement[{index}].{key}", "missing")
    return rows


def _row(requirement: dict, cases: dict, own_examples: bool, attestation: Attestation | None,
         attestation_error: str | None) -> dict:
    evidence = [_evidence(reference, cases.get(reference)) for reference in requirement["cases"]]
    harness = verdicts.plan_verdict([item["verdict"] for item in evidence])
    customer = _customer_part(requirement["customer"], own_examples, attestation, attestation_error)
    if harness == verdicts.FAILED or customer["status"] == NOT_MET:
        verdict = NOT_MET
    elif harness != verdicts.PASSED:
        verdict = NOT_CHECKED
    else:
        verdict = customer["status"]
    return {key: requirement[key] for key in ("id", "requirement", "obligation", "source", "check")} | {
        "evidence": evidence, "harness_verdict": harness, "customer_part": customer, "verdict": verdict}


def _evidence(reference: str, found: tuple[dict, dict] | None) -> dict:
    plan_id, _, case_name = reference.partition("::")
    if found is None:
        return {"reference": reference, "plan": plan_id, "case": case_name, "description": "",
                "verdict": verdicts.NOT_RUN, "reason": "not part of this run", "anchor": "", "checks": []}
    plan, case = found
    checks = [f"{'✔' if check['passed'] else '✘'} {check['name']}: {check['detail']}".rstrip(": ")
              for step in case["steps"] for check in step["checks"]]
    notes = [note for step in case["steps"] for note in step["actual"]]
    shown = checks[:_MAX_EVIDENCE] + ([f"… {len(checks) - _MAX_EVIDENCE} more in the record"]
                                     if len(checks) > _MAX_EVIDENCE else [])
    return {"reference": reference, "plan": plan["id"], "case": case["name"], "description": case["description"],
            "verdict": case["verdict"], "reason": case["reason"], "anchor": f"{plan['id']}-{case['name']}",
            "checks": shown, "notes": notes[:_MAX_EVIDENCE]}


def _customer_part(kind: str, own_examples: bool, attestation: Attestation | None,
                   attestation_error: str | None) -> dict:
    if kind == "none":
        return {"kind": kind, "status": MET, "text": "nothing beyond the checks"}
    if kind == "examples":
        if own_examples:
            return {"kind": kind, "status": MET, "text": "judged on the customer's own example requests "
                                                         "(profile integration.payloads)"}
        return {"kind": kind, "status": OPEN, "text": "judged on the bundled examples of payloads/customer, not the "
                                                      "customer's own requests: name them in integration.payloads"}
    key = kind.removeprefix("confirmation:")
    if attestation_error:
        return {"kind": kind, "status": OPEN, "text": f"the attestation cannot be read: {attestation_error}"}
    if attestation is None:
        return {"kind": kind, "status": OPEN, "text": f"awaits the customer's confirmation (answers.{key} in the "
                                                      "attestation file named by integration.attestation)"}
    answer = attestation.answers.get(key)
    if answer is True:
        return {"kind": kind, "status": MET, "text": f"confirmed: answers.{key} = true ({attestation.attested_by}, "
                                                     f"{attestation.date.isoformat()})"}
    if answer is None:
        return {"kind": kind, "status": OPEN, "text": f"the attestation has no answers.{key}"}
    return {"kind": kind, "status": NOT_MET, "text": f"answers.{key} = {answer!r} ({attestation.attested_by}): "
                                                     "not confirmed"}


# ---- the customer's confirmation and volume ----------------------------------------------------------------

def _attestation(state: RunState) -> tuple[Attestation | None, str | None]:
    name = state.profile.integration.attestation
    if not name:
        return None, None
    path = Path(name).expanduser()
    source = Path(state.profile.source)
    if not path.is_absolute() and source.is_file():
        path = source.resolve().parent / path
    try:
        return load_attestation(path), None
    except ConfigError as exc:
        return None, str(exc)


def _attestation_data(attestation: Attestation | None, error: str | None) -> dict | None:
    if error:
        return {"error": error}
    if attestation is None:
        return None
    return {"byline": attestation.byline(), "answers": {key: str(value) for key, value in attestation.answers.items()},
            "evidence": [{"name": e.name, "size": e.size, "sha256": e.sha256} for e in attestation.evidence]}


def _volume(verdict) -> dict:
    return {"label": verdict.label, "reports_per_month": verdict.traffic.reports_per_month,
            "arithmetic": arithmetic(verdict), "fits": verdict.fits,
            "scopes": [{"scope": s.scope, "limit": s.limit, "window_seconds": s.window_seconds,
                        "peak_requests": round(s.peak_requests, 3), "margin": round(s.margin, 3),
                        "headroom": None if s.headroom == float("inf") else round(s.headroom, 1),
                        "fits": s.fits, "thin": s.thin, "basis": s.basis} for s in verdict.scopes]}


def _assumptions(state: RunState) -> list[str]:
    settings, limits = state.profile.integration, state.profile.limits
    return [f"traffic on {settings.active_days_per_month:g} days a month, {settings.active_hours_per_day:g} hours a "
            f"day; the busiest minute carries {settings.peak_factor:g}× the average",
            f"{settings.requests_per_report} clinical request(s) per report, all under one token subject "
            "(one service account: the worst case for the per-user limit)",
            "logins: " + ("one per report" if settings.logins == "per-report" else
                          "the token is reused for its lifetime "
                          f"({duration(state.profile.auth.token_lifetime_seconds)})"),
            f"the target's limits (profile [limits]): {limits.anonymous_requests} anonymous requests per client "
            f"address and {limits.authenticated_requests} authenticated requests per user, each per "
            f"{limits.window_seconds:g} s"]


# ---- Markdown --------------------------------------------------------------------------------------------------

def _gate_markdown(data: dict) -> list[str]:
    gate_ = data.get("fail_on_open")
    if not gate_:
        return []
    if gate_["verdict"] == verdicts.PASSED:
        return ["- Gated with --fail-on-open: every row is met"]
    return [f"- **Fails the run (--fail-on-open)**: {table_cell(gate_['reason'])}"]


def _markdown(run: dict, data: dict) -> str:
    lines = [f"# Integration validation checklist — {data['customer']}", "",
             f"- Run: `{run['run_id']}` ({run['started_utc']} UTC), tester {run['tester']['name']}",
             f"- Target: {run['target']['name']} ({run['target']['environment']}), `{run['target']['url']}`",
             f"- Software under test: {(run.get('device') or {}).get('version', 'not reported')}",
             f"- **Checklist: {data['verdict'].upper()}**", *_gate_markdown(data), "",
             "| id | requirement | check | evidence | customer's part | verdict |", "|---|---|---|---|---|---|"]
    for row in data["rows"]:
        evidence = "<br>".join(f"{e['reference']}: {e['verdict']}" for e in row["evidence"])
        lines.append(f"| {row['id']} | {table_cell(row['requirement'])} | {table_cell(row['check'])} | "
                     f"{table_cell(evidence)} | {table_cell(row['customer_part']['text'])} | **{row['verdict']}** |")
    lines += ["", "## Volume against the rate limits", ""]
    lines += [f"- {a}" for a in data["volume_assumptions"]] + [""]
    for volume in data["volume"]:
        lines += [f"### {volume['label']}: {volume['reports_per_month']:,} reports a month", "", volume["arithmetic"],
                  "", "| scope | peak per window | limit | margin | headroom | verdict |", "|---|---|---|---|---|---|"]
        for s in volume["scopes"]:
            lines.append(f"| {s['scope']} | {s['peak_requests']:g} | {s['limit']} per {s['window_seconds']:g} s | "
                         f"{s['margin']:g} | {s['headroom'] or '∞'}× | {'fits' if s['fits'] else 'OVER'} |")
        lines.append("")
    if not data["volume"]:
        lines.append("No volume estimate given (profile integration.reports_per_month).")
    return "\n".join(lines) + "\n"

