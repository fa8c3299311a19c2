"""The plan catalog: ids, titles, versions, requirements, risk controls and roles, as data."""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from lhv.core.errors import ConfigError

_SOURCE = "verification/catalog.toml"
COMMON_PRECONDITIONS = (
    "The entire system (reverse proxy, REST API and upstream services) is deployed, operational and reachable "
    "at the profile's base URL.",
    "The profile's accounts exist and their credentials are set in the environment variables the profile names.",
)


ADMIN_FOR_HTTP_REGISTRATION = "admin when registering over HTTP"
ACCOUNT_NEEDS = {"user": "user", "second_user": "second_user", "admin": "admin", ADMIN_FOR_HTTP_REGISTRATION: "admin"}


@dataclass(frozen=True)
class PlanEntry:
    """One plan as the design history file names it."""

    id: str
    title: str
    version: str
    requirements: tuple[str, ...]
    risk_controls: tuple[str, ...]
    objective: str
    testers: tuple[str, ...]
    approver: str
    preconditions: tuple[str, ...] = ()
    kind: str = "plan"  # "plan": of the design history file, run by default; "check": run only when named
    hazard: str = ""  # what the plan does that a production target must not suffer (why it is destructive)
    accounts: tuple[str, ...] = ("user",)  # the profile accounts it logs in with (ACCOUNT_NEEDS)

    def accounts_needed(self, registration: str) -> tuple[str, ...]:
        """Returns the [credentials] labels the plan logs in with under a profile's registration path."""
        return tuple(ACCOUNT_NEEDS[need] for need in self.accounts
                     if need != ADMIN_FOR_HTTP_REGISTRATION or registration == "http")


@dataclass(frozen=True)
class Suite:
    """A named selection of plans and cases, e.g. the production-safe integration suite."""

    name: str
    title: str
    description: str
    cases: tuple[str, ...]  # "PLAN_001" (every case) or "PLAN_001::test_name" (one case)

    def selects(self, plan_id: str, case: str) -> bool:
        """True when the suite includes this case of this plan."""
        return plan_id in self.cases or f"{plan_id}::{case}" in self.cases

    @property
    def plan_ids(self) -> tuple[str, ...]:
        """The plans the suite takes cases from, in order."""
        return tuple(dict.fromkeys(entry.split("::", 1)[0] for entry in self.cases))


def _data() -> dict:
    raw = resources.files("lhv.plans").joinpath("catalog.toml").read_bytes()
    try:
        return tomllib.loads(raw.decode())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_SOURCE, None, f"not valid TOML ({exc})") from None


@cache
def catalog() -> dict[str, PlanEntry]:
    """Returns every plan of the catalog by id."""
    plans = {}
    for plan_id, entry in _data().items():
        if plan_id == "suites":
            continue
        try:
            plans[plan_id] = PlanEntry(
                id=plan_id, title=entry["title"], version=entry["version"],
                requirements=tuple(entry["requirements"]), risk_controls=tuple(entry["risk_controls"]),
                objective=entry["objective"], testers=tuple(entry["testers"]), approver=entry["approver"],
                preconditions=tuple(entry.get("preconditions", COMMON_PRECONDITIONS)),
                kind=entry.get("kind", "plan"), hazard=entry.get("hazard", ""),
                accounts=tuple(entry.get("accounts", ("user",))))
        except KeyError as exc:
            raise ConfigError(_SOURCE, f"{plan_id}.{exc.args[0]}", "missing") from None
        unknown = [need for need in plans[plan_id].accounts if need not in ACCOUNT_NEEDS]
        if unknown:
            raise ConfigError(_SOURCE, f"{plan_id}.accounts",
                              f"{unknown[0]!r} is not one of {', '.join(ACCOUNT_NEEDS)}")
    return plans


@cache
def suites() -> dict[str, Suite]:
    """Returns every suite of the catalog by name."""
    found = {}
    for name, entry in _data().get("suites", {}).items():
        try:
            found[name] = Suite(name, entry["title"], entry["description"], tuple(entry["cases"]))
        except KeyError as exc:
            raise ConfigError(_SOURCE, f"suites.{name}.{exc.args[0]}", "missing") from None
        for case in found[name].cases:
            if case.split("::", 1)[0] not in catalog():
                raise ConfigError(_SOURCE, f"suites.{name}.cases", f"{case}: no such plan in the catalog")
    return found


def suite(name: str) -> Suite:
    """Returns one suite; an unknown name is a configuration error naming the known ones."""
    try:
        return suites()[name]
    except KeyError:
        raise ConfigError(_SOURCE, f"suites.{name}", f"no such suite (known: {', '.join(suites()) or 'none'})") \
            from None


@cache
def _plan_sources() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """Each plan module as (file name, plan id, its module-level test functions), read without importing it."""
    found = []
    for source in sorted(resources.files("lhv.plans").iterdir(), key=lambda resource: resource.name):
        if not source.name.endswith(".py"):
            continue
        tree = ast.parse(source.read_text(encoding="utf-8"))
        plan_id = next((node.value.value for node in tree.body if isinstance(node, ast.Assign)
                        and any(isinstance(t, ast.Name) and t.id == "PLAN_ID" for t in node.targets)
                        and isinstance(node.value, ast.Constant)), None)
        if plan_id:
            found.append((source.name, plan_id, tuple(dict.fromkeys(
                node.name for node in tree.body
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test")))))
    return tuple(found)


@cache
def plan_cases() -> dict[str, tuple[str, ...]]:
    """Each plan module's cases (its module-level test functions) by plan id, read without importing the plans."""
    found: dict[str, dict[str, None]] = {}
    for _, plan_id, cases in _plan_sources():
        found.setdefault(plan_id, {}).update(dict.fromkeys(cases))
    return {plan_id: tuple(names) for plan_id, names in found.items()}


def plan_of_module(file_name: str) -> str | None:
    """The plan id a file of the plans' package declares (PLAN_ID), or None for a file that is no plan module."""
    return next((plan_id for name, plan_id, _ in _plan_sources() if name == file_name), None)


CASE_SUITE = "--case"  # the name of the suite that --case makes


def named_cases(entries: list[str]) -> Suite:
    """Returns the suite of the cases --case names ("PLAN_001::test_name"); a malformed entry, an unknown plan or
    a case its plan does not have is a configuration error naming it."""
    for entry in entries:
        plan_id, _, case = entry.partition("::")
        if not case:
            raise ConfigError("--case", None, f"{entry}: name one case as PLAN_ID::case (a whole plan is --plan)")
        if plan_id not in catalog():
            raise ConfigError("--case", None, f"{entry}: {plan_id} is not a plan id")
        if case not in plan_cases().get(plan_id, ()):
            raise ConfigError("--case", None, f"{entry}: {plan_id} has no case {case} (its cases: "
                                              f"{', '.join(plan_cases().get(plan_id, ())) or 'none'})")
    return Suite(CASE_SUITE, "the cases named by --case", "only the cases named on the command line, each with its "
                 "plan's fixtures; every other case of those plans did not run", tuple(dict.fromkeys(entries)))


def plan(plan_id: str) -> PlanEntry:
    """Returns one plan's entry; an unknown id is a configuration error."""
    try:
        return catalog()[plan_id]
    except KeyError:
        raise ConfigError(_SOURCE, plan_id, "no such plan in the catalog") from None
