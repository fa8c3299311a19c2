"""The cases each fault-matrix row runs (tests/data/row_cases.json) name real rows, their plans and real cases."""

from lhv.contract.catalog import plan_cases
from tests import fault_rows
from tests.test_fault_matrix import PLAN_FAULTS, V1_FAULTS, V2_FAULTS, _mutants_named_by_clauses


def _rows() -> dict[str, tuple[str, ...]]:
    rows = {f"plan:{fault.name}": fault.caught_by for fault in PLAN_FAULTS}
    rows |= {f"v2:{fault.name}": fault.caught_by for fault in V2_FAULTS}
    rows |= {f"v1:{fault.name}": fault.caught_by for fault in V1_FAULTS}
    return rows | {f"mutant:{mutant.name}": mutant.caught_by for mutant in _mutants_named_by_clauses()}


def test_each_listed_row_is_a_row_of_the_matrix_with_its_plans_and_their_cases():
    rows, cases = _rows(), plan_cases()
    listed = fault_rows._listed()
    assert listed, f"{fault_rows.ROW_CASES_FILE} lists no row"
    assert not set(listed) - set(rows), f"rows no longer in the matrix: {sorted(set(listed) - set(rows))}"
    for row, plans in listed.items():
        assert set(plans) == set(rows[row]), f"{row}: lists {sorted(plans)}, its fault names {sorted(rows[row])}"
        for plan, names in plans.items():
            unknown = set(names) - set(cases[plan])
            assert names and not unknown, f"{row}: {plan} has no case {', '.join(sorted(unknown))}"


def test_a_listed_row_runs_its_cases_and_an_unlisted_one_its_plans_whole():
    row, plans = next(iter(fault_rows._listed().items()))
    options = fault_rows.selection(row, plans)
    assert options[::2] == ["--case"] * (len(options) // 2)
    assert {option.split("::")[0] for option in options[1::2]} == set(plans)
    assert fault_rows.selection("plan:no-such-row", ("PLAN_001", "PLAN_019")) == ["--plan", "PLAN_001",
                                                                                   "--plan", "PLAN_019"]
