"""The fault matrix: the clean device passes every plan; each fault makes the plans that must catch it fail."""

import pytest

from lhv.device.faults import FAULTS

pytestmark = pytest.mark.slow


def test_clean_device_passes_every_plan(lhv):
    run = lhv()
    assert run.code == 0, run.output
    verdicts = run.verdicts()
    assert verdicts and set(verdicts.values()) == {"passed"}, verdicts


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_fault_is_caught_by_its_plans(lhv, fault):
    plan_args = [arg for plan in fault.caught_by for arg in ("--plan", plan)]
    run = lhv("--fault", fault.name, *plan_args)
    verdicts = run.verdicts()
    assert run.code == 1, run.output
    for plan in fault.caught_by:
        assert verdicts[plan] == "failed", f"{fault.name}: {plan} was {verdicts[plan]}\n{run.output}"
    assert run.results["target"]["faults"] == [fault.name]
