"""The fault matrix: the clean device passes every plan; each fault makes the plans that must catch it fail.

A fault is a defect of the device's domain, not of one API shape, so the matrix runs for both
dialects: the plan dialect for every fault, and v2 (the device started with `--dialect v2`, the
harness using V2Dialect) for every fault whose behaviour passes through the dialect's requests,
replies or routes: the clinical, authentication and security areas (V2_AREAS). Transport,
account-storage, rate-limit and availability faults act below the request shapes, identically in
both dialects; running them twice would double the suite's time for no new evidence (issue 11).
"""

import pytest

from lhv.device.fault_areas import auth, clinical, security
from lhv.device.faults import FAULTS

pytestmark = pytest.mark.slow

V2_AREAS = (clinical, auth, security)
V2_FAULTS = tuple(fault for area in V2_AREAS for fault in area.FAULTS)


def _caught(lhv, fault, *dialect: str) -> None:
    plan_args = [arg for plan in fault.caught_by for arg in ("--plan", plan)]
    run = lhv("--fault", fault.name, *dialect, *plan_args)
    verdicts = run.verdicts()
    assert run.code == 1, run.output
    for plan in fault.caught_by:
        assert verdicts[plan] == "failed", f"{fault.name}: {plan} was {verdicts[plan]}\n{run.output}"
    assert run.results["target"]["faults"] == [fault.name]


@pytest.mark.parametrize("dialect", ["plan", "v2"])
def test_clean_device_passes_every_plan(lhv, dialect):
    run = lhv("--dialect", dialect)
    assert run.code == 0, run.output
    verdicts = run.verdicts()
    assert verdicts and set(verdicts.values()) == {"passed"}, verdicts


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_fault_is_caught_by_its_plans(lhv, fault):
    _caught(lhv, fault)


@pytest.mark.parametrize("fault", V2_FAULTS, ids=[f.name for f in V2_FAULTS])
def test_fault_is_caught_by_its_plans_in_v2(lhv, fault):
    _caught(lhv, fault, "--dialect", "v2")
