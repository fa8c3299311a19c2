"""`lhv selftest`: the plans against the clean device, every named fault and generated mutant; a validation record.

The clean device must pass the plans in scope. Each fault, then each mutant, runs in its own `lhv verify`
subprocess with the plans that must kill it; it is killed only when one of those plans fails on a named check
of the clauses it breaks (lhv.app.clauses.failed_checks): a plan failing for another reason is no kill. A
survivor listed in verification/equivalent_mutants.toml (id → reason) counts as equivalent, neither kill nor
miss; any other survivor, an uncaught fault or a failing clean run makes the self-test exit 1.

The mutation score is killed / (mutants run − equivalent ones), per plan and overall. The record goes to
reports/<id>/ as validation.json, validation.md, validation.html and manifest.sha256.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

from lhv.app.clauses import failed_checks
from lhv.app.selftest_command import EQUIVALENTS, QUICK
from lhv.contract.clauses import contract
from lhv.core.errors import ConfigError
from lhv.device.faults import FAULTS, Fault
from lhv.device.mutants import Mutant, all_mutants, mutant_named
from lhv.record.integrity import write_manifest

RUN_TIMEOUT_S = 900  # one `lhv verify` of a mutant's plans; the longest plan set takes about a minute



@dataclass(frozen=True)
class Item:
    """One row of the self-test: a fault or a mutant, its dialect, the plans that must kill it and the checks."""

    id: str
    kind: str  # "fault" or the mutant's kind
    dialect: str
    plans: tuple[str, ...]
    checks: frozenset[str]
    description: str
    all_plans_must_fail: bool = False  # a fault: each of its plans must catch it (as the fault matrix says)


@dataclass
class Outcome:
    """What one row's run showed."""

    item: Item
    status: str  # killed, survived, equivalent
    exit_code: int
    verdicts: dict[str, str]
    caught_by: dict[str, list[str]]  # plan → the named checks of the row that failed there
    other_failures: dict[str, list[str]]  # plan → failed checks that are not the row's (no kill)
    note: str = ""
    seconds: float = 0.0


# ---- what to run ------------------------------------------------------------------------------------------------

def mutant_checks(mutant: Mutant, plans: Iterable[str]) -> frozenset[str]:
    """The named checks that may kill a mutant: those of the clauses of its areas verified by its plans."""
    plans = set(plans)
    return frozenset(name for clause in contract().clauses.values()
                     if (clause.area in mutant.areas or clause.id in mutant.clauses) and plans & set(clause.plans)
                     for name in clause.checks)


# Plans from the quickest to the slowest on the embedded device: a mutant's plans run one at a time in this order
# (those verifying its own clauses first), and the row stops at its first kill.
PLAN_COST = ("PLAN_010", "PLAN_012", "PLAN_011", "PLAN_001", "PLAN_016", "PLAN_004", "PLAN_017", "PLAN_014",
             "PLAN_015", "PLAN_005", "PLAN_003", "PLAN_008", "PLAN_006", "PLAN_007", "PLAN_002", "PLAN_013",
             "PLAN_009", "PLAN_018", "PLAN_019")


def _own_plans(item: Item) -> set[str]:
    """The plans that verify one of a mutant row's clauses."""
    return {plan for clause_id in mutant_named(item.id).clauses for plan in contract().clauses[clause_id].plans}


def kill_order(mutant: Mutant, plans: Iterable[str]) -> tuple[str, ...]:
    """The mutant's plans, those that verify one of its clauses first, each group quickest first."""
    own = {plan for clause_id in mutant.clauses for plan in contract().clauses[clause_id].plans}
    cost = {plan: index for index, plan in enumerate(PLAN_COST)}
    return tuple(sorted(plans, key=lambda plan: (plan not in own, cost.get(plan, len(cost)))))


def mutant_item(mutant: Mutant, plans: tuple[str, ...] | None = None) -> Item:
    """A mutant as a self-test row (plans: a subset of its plans, as --quick names one), its plans in kill order."""
    plans = kill_order(mutant, plans or mutant.plans)
    return Item(mutant.id, mutant.kind, mutant.dialect, plans, mutant_checks(mutant, plans), mutant.description)


def fault_item(fault: Fault) -> Item:
    """A named fault as a self-test row, in the plan dialect (or the first dialect that can reach it); judged like the
    fault matrix judges it."""
    plans = tuple(p for p in fault.caught_by if p.startswith("PLAN_"))
    dialect = "plan" if "plan" in fault.dialects else fault.dialects[0]
    return Item(fault.name, "fault", dialect, plans, contract().checks_killing(fault.name), fault.description, True)


def quick_items() -> list[Item]:
    """The fixed --quick sample."""
    return [mutant_item(mutant_named(mutant_id), (plan,)) for mutant_id, plan in QUICK]


def campaign_items(*, dialect: str | None = None, sample: int | None = None, faults: bool = True,
                   match: Iterable[str] = ()) -> list[Item]:
    """Every fault and mutant in scope (mutants whose id matches one of the globs, when given); sample=N keeps N
    mutants spread evenly over the generated order."""
    patterns = [re.compile(".*".join(map(re.escape, glob.split("*")))) for glob in match]
    mutants = [m for m in all_mutants() if dialect in (None, m.dialect)
               and (not patterns or any(p.fullmatch(m.id) for p in patterns))]
    if sample is not None and sample < len(mutants):
        mutants = [mutants[i * len(mutants) // sample] for i in range(sample)]
    rows = [item for item in map(fault_item, FAULTS) if faults and dialect in (None, item.dialect) and item.plans]
    return rows + [mutant_item(m) for m in mutants]


def _packaged_equivalents() -> Path:
    return Path(str(resources.files("lhv.plans").joinpath("equivalent_mutants.toml")))


def load_equivalents(path: Path) -> dict[str, str]:
    """Mutant id → why it is equivalent, from the reviewed file; a ConfigError names a bad entry."""
    if not path.is_file():
        raise ConfigError(str(path), None, "missing: the reviewed file of equivalent mutants")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), None, f"not valid TOML ({exc})") from None
    entries = data.get("equivalent", {})
    if not isinstance(entries, dict):
        raise ConfigError(str(path), "equivalent", "must be a table of mutant id = reason")
    for mutant_id, reason in entries.items():
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(str(path), f"equivalent.{mutant_id!r}", "needs the reason it is equivalent")
        try:
            mutant_named(mutant_id)
        except KeyError as exc:
            raise ConfigError(str(path), f"equivalent.{mutant_id!r}", exc.args[0]) from None
    return dict(entries)


# ---- running ----------------------------------------------------------------------------------------------------

def _verify(dialect: str, plans: Iterable[str], workdir: Path, run_id: str, extra: list[str]) -> tuple[int, dict]:
    """Runs `lhv verify` in a subprocess; returns its exit code and results.json (or {} when none was written)."""
    argv = [sys.executable, "-m", "lhv.app.cli", "verify", "--dialect", dialect, "--reports-dir", str(workdir),
            "--run-id", run_id, "--tester", "lhv selftest"]
    for plan in plans:
        argv += ["--plan", plan]
    try:
        code = subprocess.run(argv + extra, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              stdin=subprocess.DEVNULL, timeout=RUN_TIMEOUT_S, env=os.environ.copy()).returncode
    except subprocess.TimeoutExpired:
        return -1, {}
    results = workdir / run_id / "results.json"
    return code, (json.loads(results.read_text(encoding="utf-8")) if results.is_file() else {})


def _verdicts(results: dict) -> dict[str, str]:
    return {plan["id"]: plan.get("verdict", "") for plan in results.get("plans", [])}


def judge(item: Item, code: int, results: dict, record: Path | None, equivalents: dict[str, str]) -> Outcome:
    """Killed when a plan of the row failed on one of its named checks (each plan, for a fault)."""
    failed = failed_checks(results, item.plans, record) if results else {}
    caught = {plan: sorted(failed.get(plan, set()) & item.checks) for plan in item.plans}
    caught = {plan: names for plan, names in caught.items() if names}
    others = {plan: sorted(names - item.checks) for plan, names in failed.items() if names - item.checks}
    killed = (len(caught) == len(item.plans)) if item.all_plans_must_fail else bool(caught)
    verdicts = _verdicts(results)
    if killed:
        status, note = "killed", equivalents.get(item.id, "")
        if note:
            note = "listed as equivalent but killed: drop it from " + EQUIVALENTS
    elif item.id in equivalents:
        status, note = "equivalent", equivalents[item.id]
    else:
        status = "survived"
        note = ("no run record" if not results else
                "failed only on other checks (no kill)" if others else "every plan passed")
    return Outcome(item, status, code, verdicts, caught, others, note)


@dataclass
class Campaign:
    """A self-test's rows and results."""

    clean: dict[str, dict] = field(default_factory=dict)  # dialect → {exit_code, verdicts}
    outcomes: list[Outcome] = field(default_factory=list)
    harness: dict = field(default_factory=dict)
    interrupted: bool = False  # stopped by SIGINT/SIGTERM: the rows that ended are kept, the rest never ran

    @property
    def clean_passed(self) -> bool:
        return bool(self.clean) and all(run["exit_code"] == 0 for run in self.clean.values())

    def mutants(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.item.kind != "fault"]

    def score(self, plan: str | None = None) -> tuple[int, int]:
        """(killed, judged) over the mutants (of one plan), equivalents left out."""
        rows = [o for o in self.mutants() if o.status != "equivalent" and (plan is None or plan in o.item.plans)]
        return sum(o.status == "killed" for o in rows), len(rows)

    @property
    def ok(self) -> bool:
        return (self.clean_passed and not self.interrupted and all(o.status != "survived" for o in self.outcomes)
                and bool(self.outcomes))


def run_campaign(items: list[Item], equivalents: dict[str, str], *, emit: Callable[[str], None],
                 jobs: int = 1) -> Campaign:
    """The clean device per dialect over the rows' plans, then every row (jobs at a time); one line per row."""
    campaign = Campaign()
    with tempfile.TemporaryDirectory(prefix="lhv-selftest-") as scratch:
        work = Path(scratch)
        for dialect in sorted({item.dialect for item in items}):
            plans = sorted({p for item in items if item.dialect == dialect for p in item.plans})
            code, results = _verify(dialect, plans, work, f"clean-{dialect}", [])
            campaign.clean[dialect] = {"exit_code": code, "plans": plans, "verdicts": _verdicts(results)}
            campaign.harness = campaign.harness or results.get("harness", {})
            emit(f"clean {dialect}: {'passed' if code == 0 else f'FAILED (exit {code})'} ({', '.join(plans)})")
        if not campaign.clean_passed:
            return campaign  # a device that fails clean proves nothing about its mutants

        def row(number: int, item: Item) -> Outcome:
            started = time.monotonic()
            if item.kind == "fault":  # a fault must fail each of its plans: one run of them all
                code, results = _verify(item.dialect, item.plans, work, f"row-{number:04d}", ["--fault", item.id])
                outcome = judge(item, code, results, work / f"row-{number:04d}", equivalents)
            else:
                outcome = _first_kill(item, number, work, equivalents)
            outcome.seconds = round(time.monotonic() - started, 1)
            emit(_line(outcome))
            return outcome

        pool = ThreadPoolExecutor(max_workers=max(1, jobs))
        futures = [pool.submit(row, number, item) for number, item in enumerate(items, 1)]
        try:
            for future in futures:
                campaign.outcomes.append(future.result())
        except KeyboardInterrupt:  # SIGINT or SIGTERM: keep the rows that ended, run no more
            campaign.interrupted = True
            pool.shutdown(wait=True, cancel_futures=True)
            campaign.outcomes += [f.result() for f in futures[len(campaign.outcomes):] if f.done()
                                  and not f.cancelled() and f.exception() is None]
            emit(f"interrupted: {len(campaign.outcomes)} of {len(items)} rows ran")
        else:
            pool.shutdown()
    return campaign


def _first_kill(item: Item, number: int, work: Path, equivalents: dict[str, str]) -> Outcome:
    """Runs a mutant's plans one at a time in kill order until one kills it (a mutant of several clauses: until
    every plan of its clauses ran, so that each clause's own plan is seen); a survivor has run them all."""
    verdicts: dict[str, str] = {}
    others: dict[str, list[str]] = {}
    caught: dict[str, list[str]] = {}
    own = _own_plans(item) if len(mutant_named(item.id).clauses) > 1 else set()
    outcome = None
    for index, plan in enumerate(item.plans):
        if outcome is not None and outcome.status == "killed" and plan not in own:
            break
        run_id = f"row-{number:04d}-{index}"
        code, results = _verify(item.dialect, (plan,), work, run_id, ["--mutant", item.id])
        latest = judge(item, code, results, work / run_id, equivalents)
        verdicts.update(latest.verdicts)
        others.update(latest.other_failures)
        caught.update(latest.caught_by)
        outcome = latest if outcome is None or outcome.status != "killed" else outcome
        if not results:
            break
    assert outcome is not None, f"{item.id}: no plan to run"
    outcome.verdicts, outcome.other_failures, outcome.caught_by = verdicts, others, caught
    if outcome.status == "survived" and others:
        outcome.note = "failed only on other checks (no kill)"
    return outcome


def _line(outcome: Outcome) -> str:
    item = outcome.item
    if outcome.status == "killed":
        how = "; ".join(f"{plan} [{', '.join(names)}]" for plan, names in outcome.caught_by.items())
        return f"killed      {item.id}  by {how}"
    if outcome.status == "equivalent":
        return f"equivalent  {item.id}  ({outcome.note})"
    return f"SURVIVED    {item.id}  ({', '.join(item.plans)}: {outcome.note})"


def score_line(campaign: Campaign) -> str:
    """The last line: `mutation score: K/N killed (P %)`."""
    killed, judged = campaign.score()
    percent = 100.0 * killed / judged if judged else 0.0
    return f"mutation score: {killed}/{judged} killed ({percent:.1f} %)"


# ---- the record -------------------------------------------------------------------------------------------------

def _document(campaign: Campaign, run_id: str, scope: str) -> dict:
    plans = sorted({p for o in campaign.mutants() for p in o.item.plans})
    equivalent = [o for o in campaign.outcomes if o.status == "equivalent"]
    return {
        "schema": "lhv-tool-validation/1", "run_id": run_id, "scope": scope,
        "finished_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "harness": campaign.harness, "equivalents_file": EQUIVALENTS,
        "clean": campaign.clean, "verdict": "passed" if campaign.ok else "interrupted" if campaign.interrupted
        else "failed",
        "score": dict(zip(("killed", "judged"), campaign.score()), line=score_line(campaign),
                      equivalent=len([o for o in equivalent if o.item.kind != "fault"])),
        "score_per_plan": {plan: dict(zip(("killed", "judged"), campaign.score(plan))) for plan in plans},
        "faults": {"caught": sum(o.status == "killed" for o in campaign.outcomes if o.item.kind == "fault"),
                   "run": sum(o.item.kind == "fault" for o in campaign.outcomes)},
        "rows": [{**{k: v for k, v in asdict(o).items() if k != "item"},
                  "id": o.item.id, "kind": o.item.kind, "dialect": o.item.dialect, "plans": list(o.item.plans),
                  "description": o.item.description, "named_checks": sorted(o.item.checks)} for o in campaign.outcomes],
    }


def _markdown(doc: dict) -> str:
    lines = [f"# Tool validation {doc['run_id']}", "", f"- verdict: **{doc['verdict']}** ({doc['scope']})",
             f"- harness: {doc['harness'].get('version', '?')} (commit {doc['harness'].get('commit', '?')})",
             f"- {doc['score']['line']}; {doc['score']['equivalent']} equivalent ({doc['equivalents_file']})",
             f"- faults caught: {doc['faults']['caught']}/{doc['faults']['run']}", "",
             "## Clean device", ""]
    lines += [f"- {dialect}: exit {run['exit_code']} ({', '.join(run['plans'])})"
              for dialect, run in doc["clean"].items()]
    lines += ["", "## Score per plan", "", "| plan | killed | judged |", "|---|---|---|"]
    lines += [f"| {plan} | {s['killed']} | {s['judged']} |" for plan, s in doc["score_per_plan"].items()]
    lines += ["", "## Rows", "", "| id | kind | plans | status | caught by | note |", "|---|---|---|---|---|---|"]
    for row in doc["rows"]:
        caught = "; ".join(f"{p}: {', '.join(n)}" for p, n in row["caught_by"].items())
        lines.append(f"| `{row['id']}` | {row['kind']} | {', '.join(row['plans'])} | {row['status']} | "
                     f"{caught or '—'} | {row['note'] or '—'} |")
    return "\n".join(lines) + "\n"


def _html(doc: dict) -> str:
    rows = "".join(
        f"<tr class='{e(row['status'])}'><td><code>{e(row['id'])}</code></td><td>{e(row['kind'])}</td>"
        f"<td>{e(', '.join(row['plans']))}</td><td>{e(row['status'])}</td>"
        f"<td>{e('; '.join(f'{p}: {chr(44).join(n)}' for p, n in row['caught_by'].items()))}</td>"
        f"<td>{e(row['note'])}</td></tr>" for row in doc["rows"])
    plans = "".join(f"<tr><td>{e(p)}</td><td>{s['killed']}</td><td>{s['judged']}</td></tr>"
                    for p, s in doc["score_per_plan"].items())
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Tool validation {e(doc['run_id'])}</title>"
            "<style>body{font-family:sans-serif}td,th{border:1px solid #ccc;padding:2px 6px}"
            "table{border-collapse:collapse}.survived{background:#fdd}.equivalent{background:#ffd}</style></head>"
            f"<body><h1>Tool validation {e(doc['run_id'])}</h1><p>verdict: <b>{e(doc['verdict'])}</b>; "
            f"{e(doc['score']['line'])}; faults caught {doc['faults']['caught']}/{doc['faults']['run']}; harness "
            f"{e(str(doc['harness'].get('version', '?')))} ({e(str(doc['harness'].get('commit', '?')))})</p>"
            f"<h2>Score per plan</h2><table><tr><th>plan</th><th>killed</th><th>judged</th></tr>{plans}</table>"
            f"<h2>Rows</h2><table><tr><th>id</th><th>kind</th><th>plans</th><th>status</th><th>caught by</th>"
            f"<th>note</th></tr>{rows}</table></body></html>\n")


def e(text: object) -> str:
    """HTML-escaped text."""
    return html.escape(str(text))


def write_record(campaign: Campaign, folder: Path, scope: str) -> Path:
    """Writes validation.json, validation.md, validation.html and the manifest into a new record folder."""
    folder.mkdir(parents=True, exist_ok=False)
    doc = _document(campaign, folder.name, scope)
    (folder / "validation.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    (folder / "validation.md").write_text(_markdown(doc), encoding="utf-8")
    (folder / "validation.html").write_text(_html(doc), encoding="utf-8")
    write_manifest(folder)
    return folder


def merge_kills(path: Path, campaign: Campaign, run_id: str) -> int:
    """Merges the campaign's mutant outcomes into the kills file (newest outcome per mutant); returns how many."""
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    mutants = data.get("mutants", {})
    for outcome in campaign.mutants():
        mutants[outcome.item.id] = {"status": outcome.status, "caught_by": outcome.caught_by, "run_id": run_id}
    runs = [*data.get("campaigns", []), {"run_id": run_id, "harness": campaign.harness,
                                         "finished_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                                         "rows": len(campaign.mutants())}]
    document = {"schema": "lhv-mutant-kills/1",
                "about": "each generated mutant's last outcome in `lhv selftest --kills`; read by lhv.app.clauses to "
                         "close clauses by generated mutants; reviewed like code",
                "campaigns": runs, "mutants": dict(sorted(mutants.items()))}
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return len(campaign.mutants())


# ---- the command ------------------------------------------------------------------------------------------------

def command(args) -> int:
    """Runs the self-test; 0 only when the clean device passed and no row survived unexplained."""
    from lhv.session import interrupts
    from lhv.session.run import new_run_id

    for name in ("sample", "jobs"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            print(f"lhv: --{name}: must be at least 1", file=sys.stderr)
            return 2
    try:
        equivalents = load_equivalents(Path(args.equivalents) if args.equivalents else _packaged_equivalents())
    except ConfigError as exc:
        print(f"lhv: {exc}", file=sys.stderr)
        return 2
    folder = Path(args.reports_dir) / (args.run_id or new_run_id())
    if folder.exists():
        print(f"lhv: --run-id: the record folder {folder} exists already", file=sys.stderr)
        return 2
    if args.ids:
        try:
            wanted = [line.strip() for line in Path(args.ids).read_text(encoding="utf-8").splitlines() if line.strip()]
            items = [mutant_item(mutant_named(mutant_id)) for mutant_id in wanted]
        except (OSError, KeyError) as exc:
            print(f"lhv: --ids {args.ids}: {exc.args[0] if isinstance(exc, KeyError) else exc}", file=sys.stderr)
            return 2
        scope = f"{len(items)} mutants listed in {args.ids}"
    elif args.quick:
        items = [i for i in quick_items() if args.dialect in (None, i.dialect)]
        scope = f"quick sample of {len(items)} mutants"
    else:
        items = campaign_items(dialect=args.dialect, sample=args.sample, faults=not args.no_faults, match=args.match)
        scope = f"campaign of {len(items)} rows" + (f" (sample of {args.sample} mutants)" if args.sample else "")
    interrupts.install()
    campaign = run_campaign(items, equivalents, emit=lambda line: print(line, flush=True), jobs=args.jobs)
    if campaign.interrupted:
        scope += f", interrupted after {len(campaign.outcomes)} rows"
    write_record(campaign, folder, scope)
    print(f"record: {folder}")
    if args.kills and campaign.clean_passed:
        merged = merge_kills(Path(args.kills), campaign, folder.name)
        print(f"kills: {merged} mutant outcome(s) merged into {args.kills}")
    if not campaign.clean_passed:
        print("the clean device failed its plans: no mutant was judged")
    faults = [o for o in campaign.outcomes if o.item.kind == "fault"]
    if faults:
        print(f"faults caught: {sum(o.status == 'killed' for o in faults)}/{len(faults)}")
    print(score_line(campaign))
    return 0 if campaign.ok else 2 if campaign.interrupted else 1
