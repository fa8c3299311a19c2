"""Where each fault-matrix row is caught: the cases of its plans in which a check its clauses name fails.

A row runs only those cases (`lhv verify --case`), as tests/data/row_cases.json lists them, or its plans whole
where the file lists none. What a row asserts does not change: the run fails, each plan that must catch the fault
ends with the fault's verdict, on a check its clauses name, and each clause that claims the kill sees one of its
own checks fail. A listed case that no longer catches its fault fails the row; a renamed case is a usage error
(exit 2), which fails it too. `python -m tests.fault_rows` runs every row with its plans whole and writes the file
again (about ten minutes on two cores).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

ROW_CASES_FILE = Path(__file__).with_name("data") / "row_cases.json"
DUMP_ENV = "LHV_ROW_CASES_DUMP"  # set: rows run their plans whole and write where they were caught into this folder


@cache
def _listed() -> dict[str, dict[str, list[str]]]:
    return json.loads(ROW_CASES_FILE.read_text(encoding="utf-8")) if ROW_CASES_FILE.is_file() else {}


def selection(row: str, plans: Iterable[str]) -> list[str]:
    """The `lhv verify` options a row runs with: --case for each case listed for it, else --plan for each plan."""
    cases = {} if os.environ.get(DUMP_ENV) else _listed().get(row, {})
    if cases and set(cases) == set(plans):
        return [arg for plan in plans for case in cases[plan] for arg in ("--case", f"{plan}::{case}")]
    return [arg for plan in plans for arg in ("--plan", plan)]


ROW_KINDS = {"test_fault_is_caught_by_its_plans": "plan", "test_fault_is_caught_by_its_plans_in_v2": "v2",
             "test_fault_is_caught_by_its_plans_in_v1": "v1",
             "test_a_mutant_a_clause_names_is_caught_by_its_named_check": "mutant"}


def row_of(item: Any) -> str:
    """A fault-matrix test's row key, "plan:http-served" (its kind, then the fault or mutant it runs)."""
    return f"{ROW_KINDS.get(getattr(item, 'originalname', ''), '?')}:{item.callspec.id}"


def case_share(row: str, plans: Iterable[str]) -> dict[str, float]:
    """Plan → the share of its cases the row runs (1 where it runs the plan whole)."""
    from lhv.contract.catalog import plan_cases

    plans = tuple(plans)
    options = selection(row, plans)
    if "--case" not in options:
        return dict.fromkeys(plans, 1.0)
    cases = _listed()[row]
    return {plan: len(cases[plan]) / max(1, len(plan_cases().get(plan, ()))) for plan in plans}


def killing_cases(results: Mapping[str, Any], plans: Iterable[str], named: set[str]) -> dict[str, list[str]]:
    """Plan → the cases in which a named check failed (lhv.app.clauses.case_failed_checks), in the record's order."""
    from lhv.app.clauses import case_failed_checks

    wanted = set(plans)
    caught: dict[str, list[str]] = {}
    for plan in results.get("plans", []):
        if plan["id"] in wanted:
            for case in plan.get("cases", []):
                if case_failed_checks(case) & named:
                    caught.setdefault(plan["id"], []).append(case["name"])
    return caught


def dump(row: str, caught: dict[str, list[str]]) -> None:
    """Writes where a row whole was caught into the folder DUMP_ENV names (one file per row)."""
    folder = Path(os.environ[DUMP_ENV])
    (folder / f"{row.replace('/', '_').replace(':', '_')}.json").write_text(json.dumps({row: caught}))


def main() -> int:
    """Runs the fault matrix with every plan whole and writes tests/data/row_cases.json from where each row was
    caught; a row that failed keeps no entry (it runs its plans whole)."""
    with tempfile.TemporaryDirectory(prefix="lhv-row-cases-") as folder:
        done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-n", "2",
                               "--dist", "worksteal", "tests/test_fault_matrix.py", "-k", "not clean_device"],
                              cwd=Path(__file__).parents[1], env={**os.environ, DUMP_ENV: folder})
        rows: dict[str, dict[str, list[str]]] = {}
        for path in sorted(Path(folder).glob("*.json")):
            rows.update(json.loads(path.read_text()))
    ROW_CASES_FILE.parent.mkdir(exist_ok=True)
    ROW_CASES_FILE.write_text(json.dumps(dict(sorted(rows.items())), indent=1) + "\n", encoding="utf-8")
    print(f"{ROW_CASES_FILE}: {len(rows)} rows; pytest exited {done.returncode}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
