"""Bench item 7: the full mutation campaign (`lhv selftest` over every fault and generated mutant), hours long.

Usage, from the repository root: .venv/bin/python -m bench.mutation_campaign [--sample N] [--reports-dir DIR]
`measure()` returns the bench rows (score against the goal ≥ 95 % over ≥ 300 mutants, and the campaign's time);
the validation record lands in the reports folder. Not part of the CI suite: `lhv selftest --quick` is.
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


def measure(sample: int | None = None, reports_dir: Path = REPO / "reports") -> list[Row]:
    """Runs the campaign; returns its score row and its time row."""
    run_id = "selftest-" + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    argv = [sys.executable, "-m", "lhv.cli", "selftest", "--reports-dir", str(reports_dir), "--run-id", run_id]
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
    killed, judged, percent = int(found[1]), int(found[2]), float(found[3])
    doc = json.loads((reports_dir / run_id / "validation.json").read_text(encoding="utf-8"))
    survivors = [row["id"] for row in doc["rows"] if row["status"] == "survived"]
    score = Row("7", "mutation score (lhv selftest)", f"{percent:.1f} % ({killed}/{judged}; "
                f"{doc['score']['equivalent']} equivalent; faults {doc['faults']['caught']}/{doc['faults']['run']})",
                f"≥ {GOAL_SCORE:g} % over ≥ {GOAL_MUTANTS}", percent >= GOAL_SCORE and judged >= GOAL_MUTANTS,
                notes=[f"survivor: {mutant}" for mutant in survivors[:40]] + [f"record: {reports_dir / run_id}"])
    return [score, Row("7", "mutation campaign time", f"{seconds / 60:.1f} min ({len(doc['rows'])} rows)")]


def main() -> int:
    """Runs the campaign and prints its rows."""
    parser = argparse.ArgumentParser(prog="python -m bench.mutation_campaign", description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, help="only N mutants, spread evenly (default: all)")
    parser.add_argument("--reports-dir", type=Path, default=REPO / "reports")
    args = parser.parse_args()
    for row in measure(args.sample, args.reports_dir):
        print(f"{row.item}  {row.name}: {row.value}  goal {row.goal}  {row.verdict}")
        for note in row.notes:
            print(f"     {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
