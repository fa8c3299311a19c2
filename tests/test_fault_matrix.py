"""The fault matrix: the clean device passes every plan; each fault makes the plans that must catch it fail.

A fault is a defect of the device's domain, not of one API shape, so the matrix runs for both
dialects: the plan dialect for every fault, and v2 (the device started with `--dialect v2`, the
harness using V2Dialect) for every fault whose behaviour passes through the dialect's requests,
replies or routes: the clinical, authentication and security areas (V2_AREAS); and v1 for the clinical
faults. Transport, account-storage, rate-limit and availability faults act below the request shapes, identically in
every dialect; running them twice would double the suite's time for no new evidence (issue 11).

An evidence fault (lhv/device/fault_areas/evidence.py) leaves the device clean and hands the run wrong evidence
to read instead; it runs like any other. Each plan must end with the verdict the fault declares: failed, or
inconclusive where the wrong evidence is missing data (a prober that did not run), which must never pass.

A fault is caught by name, not only by a failed plan (issue 16): verification/clauses.toml says which
clauses each fault kills, and so which checks must catch it. Each plan that must catch the fault has
to fail on one of those checks (a plan failing for another reason is no kill), and each clause that
claims the kill has to see one of its own checks fail.

A row runs the cases of its plans where those checks fail (`lhv verify --case`, as tests/data/row_cases.json
lists them; tests/fault_rows.py), not the plans' other cases: 144 rows in 196 s instead of 350 s on two cores.
"""

import os
from dataclasses import dataclass

import pytest

from lhv.app.clauses import failed_checks
from lhv.contract.clauses import contract
from lhv.device.fault_areas import auth, clinical, security
from lhv.device.faults import FAULTS
from lhv.device.mutants import all_mutants
from tests import fault_rows

pytestmark = pytest.mark.slow

V2_AREAS = (clinical, auth, security)
V2_FAULTS = tuple(fault for area in V2_AREAS for fault in area.FAULTS if "v2" in fault.dialects)
PLAN_FAULTS = tuple(fault for fault in FAULTS if "plan" in fault.dialects)
# v1 (CONTRACT.md Appendix B) has the plan dialect's routes, login and errors, and its own clinical shapes: the
# clinical faults the plan dialect reaches run again in v1 (auth and security act on what v1 shares with the plan
# dialect, which its rows prove already).
V1_FAULTS = tuple(fault for fault in clinical.FAULTS if "v1" in fault.dialects)


def _caught(lhv, fault, row: str, *dialect: str, option: str = "--fault") -> None:
    run = lhv(option, fault.name, *dialect, *fault_rows.selection(row, fault.caught_by))
    verdicts = run.verdicts()
    assert run.code == 1, run.output
    for plan in fault.caught_by:
        assert verdicts[plan] == fault.verdict, f"{fault.name}: {plan} was {verdicts[plan]}\n{run.output}"
    assert run.results["target"][option.removeprefix("--") + "s"] == [fault.name]
    _caught_by_name(run, fault)
    if os.environ.get(fault_rows.DUMP_ENV):
        fault_rows.dump(row, fault_rows.killing_cases(run.results, fault.caught_by,
                                                      contract().checks_killing(fault.name)))


def _caught_by_name(run, fault) -> None:
    """Each plan that must catch the fault failed on a check its clauses name; each such clause saw one of its own
    checks fail in one of its own plans."""
    clauses = contract().killing(fault.name)
    assert clauses, f"{fault.name}: no clause of verification/clauses.toml names it in kills"
    named = contract().checks_killing(fault.name)
    failed = failed_checks(run.results, fault.caught_by, run.record)
    for plan in fault.caught_by:
        got = failed.get(plan, set())
        assert got & named, (f"{fault.name}: {plan} failed on {', '.join(sorted(got)) or 'no named check'}, none of "
                             f"the checks its clauses name ({', '.join(sorted(named))}): that is no kill")
    for clause in clauses:
        seen = set().union(*(failed.get(plan, set()) for plan in clause.plans))
        assert seen & set(clause.checks), (f"{fault.name}: {clause.id} claims the kill, but none of its checks "
                                           f"({', '.join(clause.checks)}) failed in its plans that ran "
                                           f"({', '.join(p for p in clause.plans if p in failed) or 'none'}); "
                                           f"failed there: {', '.join(sorted(seen)) or 'nothing'}")


# The plan dialect's clean row is tests/test_no_secret_leaks.py::test_a_whole_run_leaks_no_secret: one whole run
# proves that every plan passes and that the run leaks no secret.
@pytest.mark.parametrize("dialect", ["v1", "v2"])
def test_clean_device_passes_every_plan(lhv, dialect):
    run = lhv("--dialect", dialect)
    reasons = [f"{plan['id']} {case['name']}: {case['verdict']}: {case['reason']}" for plan in run.results["plans"]
               for case in plan["cases"] if case["verdict"] != "passed"] if run.record else []
    assert run.code == 0, "\n".join(reasons) or run.output
    verdicts = run.verdicts()
    assert verdicts and set(verdicts.values()) == {"passed"}, verdicts


@pytest.mark.parametrize("fault", PLAN_FAULTS, ids=[f.name for f in PLAN_FAULTS])
def test_fault_is_caught_by_its_plans(lhv, fault, request):
    _caught(lhv, fault, fault_rows.row_of(request.node))


@pytest.mark.parametrize("fault", V2_FAULTS, ids=[f.name for f in V2_FAULTS])
def test_fault_is_caught_by_its_plans_in_v2(lhv, fault, request):
    _caught(lhv, fault, fault_rows.row_of(request.node), "--dialect", "v2")


@pytest.mark.parametrize("fault", V1_FAULTS, ids=[f.name for f in V1_FAULTS])
def test_fault_is_caught_by_its_plans_in_v1(lhv, fault, request):
    _caught(lhv, fault, fault_rows.row_of(request.node), "--dialect", "v1")


@dataclass(frozen=True)
class _NamedMutant:
    """A generated mutant a clause names as its kill, in the fault rows' terms."""

    name: str
    caught_by: tuple[str, ...]
    dialect: str
    verdict: str = "failed"


def _mutants_named_by_clauses() -> list[_NamedMutant]:
    named = {kill for clause in contract().clauses.values() for kill in clause.kills}
    return [_NamedMutant(m.id, tuple(m.plans), m.dialect) for m in all_mutants() if m.id in named]


@pytest.mark.parametrize("mutant", _mutants_named_by_clauses(), ids=lambda m: m.name)
def test_a_mutant_a_clause_names_is_caught_by_its_named_check(lhv, mutant, request):
    _caught(lhv, mutant, fault_rows.row_of(request.node), "--dialect", mutant.dialect, option="--mutant")
