"""Bench item 7: the mutation score of the plans, from the committed campaign evidence (and the campaign itself).

Usage, from the repository root: .venv/bin/python -m bench.mutation_campaign [--run] [--sample N] [--jobs N]
Without --run, the rows are computed from verification/mutant_kills.json, the outcomes `lhv selftest --kills` merged
there (each mutant's newest): the score over every mutant with an outcome, per dialect, and the survivors. With --run,
the campaign runs first (`lhv selftest --kills`, hours for every mutant) and merges into that file. Goal: ≥ 95 % over
≥ 300 mutants across both dialects. Not part of the CI suite: `lhv selftest --quick` is.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from bench.rows import Row, not_measured

REPO = Path(__file__).resolve().parents[1]
GOAL_SCORE = 95.0
GOAL_MUTANTS = 300
SCORE = re.compile(r"^mutation score: (\d+)/(\d+) killed \(([\d.]+) %\)$")
CAMPAIGN_TIMEOUT_S = 12 * 3600


KILLS = REPO / "verification" / "mutant_kills.json"
EQUIVALENTS = REPO / "verification" / "equivalent_mutants.toml"


def from_evidence(path: Path = KILLS) -> list[Row]:
    """The score over the committed outcomes: killed ÷ (killed + survived), equivalents left out, per dialect."""
    import tomllib

    from lhv.device.mutants import all_mutants

    if not path.is_file():
        return [not_measured("7", "mutation score", f"no evidence file {path}", f"≥ {GOAL_SCORE:g} % over ≥ "
                             f"{GOAL_MUTANTS}")]
    outcomes = json.loads(path.read_text(encoding="utf-8")).get("mutants", {})
    equivalent = set(tomllib.loads(EQUIVALENTS.read_text(encoding="utf-8")).get("equivalent", {}))
    generated = {m.id for m in all_mutants()}
    judged = {mutant: o["status"] for mutant, o in outcomes.items() if mutant in generated and mutant not in equivalent}
    rows = []
    for dialect in (None, "plan", "v2"):
        mine = {m: s for m, s in judged.items() if dialect in (None, m.split(":", 1)[0])}
        killed = sum(status == "killed" for status in mine.values())
        percent = 100.0 * killed / len(mine) if mine else 0.0
        name = "mutation score (committed campaign evidence)" + (f", {dialect} dialect" if dialect else "")
        survivors = sorted(m for m, status in mine.items() if status != "killed")
        rows.append(Row("7", name, f"{percent:.1f} % ({killed}/{len(mine)} of {len(generated)} generated; "
                        f"{len(equivalent & generated)} equivalent)",
                        f"≥ {GOAL_SCORE:g} % over ≥ {GOAL_MUTANTS}" if dialect is None else "—",
                        (percent >= GOAL_SCORE and len(mine) >= GOAL_MUTANTS) if dialect is None else None,
                        notes=[f"survivor: {mutant}" for mutant in survivors] if dialect is None else []))
    return rows


def measure(sample: int | None = None, reports_dir: Path = REPO / "reports", *, run: bool = False,
            jobs: int = 1) -> list[Row]:
    """The rows from the evidence; with run, the campaign runs first and its time is a row too."""
    if not run:
        return from_evidence()
    return _campaign(sample, reports_dir, jobs) + from_evidence()


def _campaign(sample: int | None, reports_dir: Path, jobs: int) -> list[Row]:
    """Runs the campaign (merging into the evidence); returns its time row."""
    run_id = "selftest-" + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    argv = [sys.executable, "-m", "lhv.app.cli", "selftest", "--reports-dir", str(reports_dir), "--run-id", run_id,
            "--kills", str(KILLS), "--jobs", str(jobs), "--no-faults"]
    if sample:
        argv += ["--sample", str(sample)]
    started = time.monotonic()
    run = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=CAMPAIGN_TIMEOUT_S)
    seconds = time.monotonic() - started
    last = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""
    found = SCORE.match(last)
    if not found:
        return [not_measured("7", "mutation score", f"no score line (exit {run.returncode}): {run.stderr[-300:]}",
                             f"≥ {GOAL_SCORE:g} % over ≥ {GOAL_MUTANTS}")]
    doc = json.loads((reports_dir / run_id / "validation.json").read_text(encoding="utf-8"))
    return [Row("7", "mutation campaign time", f"{seconds / 60:.1f} min ({len(doc['rows'])} rows, {jobs} at once; "
                f"{found[0]})", notes=[f"record: {reports_dir / run_id}"])]


def main() -> int:
    """Runs the campaign and prints its rows."""
    parser = argparse.ArgumentParser(prog="python -m bench.mutation_campaign", description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="store_true", help="run the campaign first (hours), merging its outcomes")
    parser.add_argument("--sample", type=int, help="with --run: only N mutants, spread evenly (default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="with --run: rows at once")
    parser.add_argument("--reports-dir", type=Path, default=REPO / "reports")
    args = parser.parse_args()
    for row in measure(args.sample, args.reports_dir, run=args.run, jobs=args.jobs):
        print(f"{row.item}  {row.name}: {row.value}  goal {row.goal}  {row.verdict}")
        for note in row.notes:
            print(f"     {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
