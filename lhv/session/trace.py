"""Traceability: the requirement and risk-control ids each plan and case verifies, the catalog's or a profile's own.

By default a record traces plans to the ids of verification/catalog.toml, which are the device maker's. A profile's
[trace] mapping names a TOML file of its owner's ids (an integrator's); they replace the catalog's for that run:

    [plans.PLAN_001]
    requirements = ["SRS-AUTH-01"]
    risk_controls = ["RC-07"]

    [cases."PLAN_001::test_malformed_login_gets_422"]   # a case adds ids to its plan's
    requirements = ["SRS-AUTH-04"]
"""

from __future__ import annotations

import hashlib
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lhv.contract import catalog
from lhv.core.errors import ConfigError
from lhv.session.profile import Profile

CATALOG = "verification/catalog.toml"
KINDS = ("requirements", "risk_controls")
NOT_TRACED = "not traced"


@dataclass(frozen=True)
class Ids:
    """The requirement and risk-control ids something is traced to."""

    requirements: tuple[str, ...] = ()
    risk_controls: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.requirements or self.risk_controls)

    def __or__(self, other: Ids) -> Ids:
        return Ids(*(tuple(dict.fromkeys(getattr(self, kind) + getattr(other, kind))) for kind in KINDS))


@dataclass(frozen=True)
class TraceMap:
    """Whose ids a run traces to, from which file, and the ids of each plan and case."""

    source: str
    owner: str
    plans: Mapping[str, Ids]
    cases: Mapping[str, Ids] = field(default_factory=dict)  # "PLAN_001::test_name" → the ids the case adds
    sha256: str = ""  # of the mapping file; "" for the catalog (the harness's commit pins it)

    def plan_ids(self, plan_id: str) -> Ids:
        """The ids a plan as a whole is traced to."""
        return self.plans.get(plan_id, Ids())

    def case_ids(self, plan_id: str, case_name: str) -> Ids:
        """The ids a case is traced to: its plan's and its own (a parametrized case's by its function's name)."""
        return self.plan_ids(plan_id) | self.cases.get(f"{plan_id}::{case_name.split('[', 1)[0]}", Ids())

    def described(self) -> dict[str, str]:
        """Whose ids these are and where they come from, for the record."""
        return {"owner": self.owner, "source": self.source, "sha256": self.sha256,
                "kind": "catalog" if self.source == CATALOG else "profile"}


def catalog_trace() -> TraceMap:
    """The catalog's ids: the device maker's."""
    return TraceMap(CATALOG, "the device maker",
                    {plan_id: Ids(entry.requirements, entry.risk_controls)
                     for plan_id, entry in catalog.catalog().items()})


def mapping_path(profile: Profile) -> Path | None:
    """The mapping file a profile names (relative to the profile's folder), or None."""
    name = profile.trace.mapping.strip()
    if not name:
        return None
    path = Path(name).expanduser()
    if not path.is_absolute() and Path(profile.source).is_file():
        path = Path(profile.source).resolve().parent / path
    return path


def load_trace(profile: Profile) -> TraceMap | None:
    """Reads and validates the profile's mapping; None when it names none; ConfigError naming the file and key."""
    path = mapping_path(profile)
    if path is None:
        return None
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(profile.source, "trace.mapping", f"cannot read {path} ({exc.strerror or exc})") from None
    owner = profile.trace.organisation.strip() or profile.record.organisation.strip() or "the profile's owner"
    return parse_mapping(raw, str(path), owner=owner)


def parse_mapping(raw: bytes, source: str, *, owner: str) -> TraceMap:
    """Validates a mapping file's bytes against the catalog's plans and the plan modules' cases."""
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(source, None, f"not valid TOML ({exc})") from None
    for key in data:
        if key not in ("plans", "cases"):
            raise ConfigError(source, key, "unknown key (a mapping has [plans.PLAN_ID] and [cases.\"PLAN_ID::case\"])")
    known, cases = catalog.catalog(), catalog.plan_cases()
    plans = {}
    for plan_id, entry in _tables(data, "plans", source).items():
        if plan_id not in known:
            raise ConfigError(source, f"plans.{plan_id}", f"not a plan id of {CATALOG} ({', '.join(known)})")
        plans[plan_id] = _ids(entry, f"plans.{plan_id}", source)
    mapped_cases = {}
    for name, entry in _tables(data, "cases", source).items():
        key = f'cases."{name}"'
        plan_id, _, case = name.partition("::")
        if plan_id not in known:
            raise ConfigError(source, key, f"{plan_id!r} is not a plan id of {CATALOG} (a case is named "
                                           "\"PLAN_ID::test_name\")")
        if case not in cases.get(plan_id, ()):
            raise ConfigError(source, key, f"{case!r} is not a case of {plan_id} "
                                           f"({', '.join(sorted(cases.get(plan_id, ()))) or 'it has none'})")
        mapped_cases[name] = _ids(entry, key, source)
    return TraceMap(source, owner, plans, mapped_cases, hashlib.sha256(raw).hexdigest())


def _tables(data: dict, key: str, source: str) -> dict[str, dict]:
    tables = data.get(key, {})
    if not isinstance(tables, dict):
        raise ConfigError(source, key, f"must be tables ([{key}.…])")
    for name, entry in tables.items():
        if not isinstance(entry, dict):
            raise ConfigError(source, f"{key}.{name}", "must be a table of requirements and risk_controls")
    return tables


def _ids(entry: dict, where: str, source: str) -> Ids:
    for key in entry:
        if key not in KINDS:
            raise ConfigError(source, f"{where}.{key}", f"unknown key ({', '.join(KINDS)})")
    found = []
    for kind in KINDS:
        ids = entry.get(kind, [])
        if not isinstance(ids, list) or not all(isinstance(item, str) for item in ids):
            raise ConfigError(source, f"{where}.{kind}", "must be a list of ids (strings)")
        if any(not item.strip() for item in ids):
            raise ConfigError(source, f"{where}.{kind}", "an id is empty")
        found.append(tuple(dict.fromkeys(item.strip() for item in ids)))
    ids = Ids(*found)
    if not ids:
        raise ConfigError(source, where, "maps no id: give requirements or risk_controls (or leave it out)")
    return ids


# ---- the record's view: the matrix of ids to plans and cases, and what is not traced -------------------------------

def matrix(plans: Iterable[dict], kind: str) -> dict[str, list[str]]:
    """Id → the plans (PLAN_ID) and cases (PLAN_ID::case) of the record traced to it; "not traced" lists the rest.

    A plan's entry carries its plan-level ids in plan[kind] and each case its own and its plan's in case[kind]."""
    table: dict[str, list[str]] = defaultdict(list)
    for plan in plans:
        for item in plan[kind]:
            table[item].append(plan["id"])
        for case in plan["cases"]:
            for item in case.get(kind, ()):
                if item not in plan[kind]:
                    table[item].append(f"{plan['id']}::{case['name']}")
        if not plan[kind]:
            untraced = [case for case in plan["cases"] if not case.get(kind)]
            whole = not plan["cases"] or len(untraced) == len(plan["cases"])
            table[NOT_TRACED] += [plan["id"]] if whole else [f"{plan['id']}::{case['name']}" for case in untraced]
    return dict(table)


def untraced(plans: Iterable[dict]) -> list[str]:
    """The plans and cases of the record traced to neither a requirement nor a risk control."""
    found = []
    for plan in plans:
        if any(plan[kind] for kind in KINDS):
            continue
        bare = [case for case in plan["cases"] if not any(case.get(kind) for kind in KINDS)]
        if not plan["cases"] or len(bare) == len(plan["cases"]):
            found.append(plan["id"])
        else:
            found += [f"{plan['id']}::{case['name']}" for case in bare]
    return found
