"""The plan catalog and the plan modules agree."""

import importlib
import pkgutil

import lhv.plans
from lhv.contract.catalog import catalog


def _plan_modules():
    for info in pkgutil.iter_modules(lhv.plans.__path__):
        if info.name.startswith("plan_"):
            yield importlib.import_module(f"lhv.plans.{info.name}")


def test_catalog_has_nineteen_plans_and_plan_017_is_traced():
    plans = catalog()
    assert sorted(p for p, entry in plans.items() if entry.kind == "plan") == [f"PLAN_{n:03d}" for n in range(1, 20)]
    assert plans["PLAN_017"].requirements == ("REQ_011",) and len(plans["PLAN_017"].risk_controls) == 4


def test_every_plan_module_matches_its_catalog_entry():
    modules = list(_plan_modules())
    assert modules
    for module in modules:
        entry = catalog()[module.PLAN_ID]
        number = module.PLAN_ID.split("_")[1]
        assert module.__name__.split(".")[-1].startswith(f"plan_{number}_")
        first_line = module.__doc__.strip().splitlines()[0].rstrip(".")
        assert first_line == f"{entry.id} {entry.title}", f"{module.__name__}: docstring title differs from catalog"
        tests = [name for name in dir(module) if name.startswith("test_")]
        assert tests and all(getattr(module, t).__doc__ for t in tests), f"{module.__name__}: undocumented case"


def test_the_integration_suite_holds_nothing_destructive_and_only_cases_that_exist():
    from lhv.contract.catalog import suite
    from lhv.session.profile import PlansSection

    integration = suite("integration")
    destructive = set(PlansSection().destructive)
    assert not set(integration.plan_ids) & destructive
    assert all(catalog()[plan].hazard for plan in destructive)  # each refusal says what the plan would do
    for entry in integration.cases:
        plan, _, case = entry.partition("::")
        module = next((m for m in [*_plan_modules(), importlib.import_module("lhv.plans.integration_checklist")]
                       if m.PLAN_ID == plan), None)
        assert module is not None and (not case or callable(getattr(module, case, None))), entry


def test_the_integration_checks_take_no_load_and_register_nobody():
    import inspect

    module = importlib.import_module("lhv.plans.integration_checklist")
    assert catalog()[module.PLAN_ID].kind == "check"
    source = inspect.getsource(module)
    for forbidden in (".disposable(", "register_over_http", "register_by_command", "password="):
        assert forbidden not in source, f"the integration checks must not use {forbidden}"
    for name in dir(module):
        if name.startswith("test_"):
            assert "load" not in inspect.signature(getattr(module, name)).parameters
