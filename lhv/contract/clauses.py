"""The contract as numbered clauses (verification/clauses.toml): loading, validation, and which plans verify which
clause (the record's trace matrix). docs/contract.md is rendered from it by lhv.app.clauses."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from lhv.contract.dialects import DIALECTS
from lhv.core.errors import ConfigError

SOURCE = "verification/clauses.toml"
CLAUSE_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*-\d{2}$")
SETTING = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_LISTS = ("plans", "checks", "kills", "settings")
_TEXTS = ("area", "text", "departs_from_sdk")
_KEYS = frozenset(_LISTS + _TEXTS + ("dialects",))


@dataclass(frozen=True)
class Clause:
    """One testable obligation of the contract, with what verifies it and what proves the verification can fail."""

    id: str
    area: str
    text: str
    plans: tuple[str, ...]
    checks: tuple[str, ...]  # names of the harness's named checks (step checks, findings, security checks)
    kills: tuple[str, ...]  # faults of the reference device (later: mutant ids) that make those checks fail
    settings: tuple[str, ...] = ()  # profile keys ("auth.lockout_threshold") that keep the clause's numbers
    dialects: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # how a dialect differs
    departs_from_sdk: str = ""  # where the clause departs from the public SDK's evidence, and how


@dataclass(frozen=True)
class Contract:
    """Every clause, by id in file order, and the areas they are grouped by (key → title, in order)."""

    areas: Mapping[str, str]
    clauses: Mapping[str, Clause]

    def of_area(self, area: str) -> list[Clause]:
        """The clauses of one area, in file order."""
        return [clause for clause in self.clauses.values() if clause.area == area]

    def killing(self, kill: str) -> list[Clause]:
        """The clauses whose checks a fault (or mutant) is known to make fail."""
        return [clause for clause in self.clauses.values() if kill in clause.kills]

    def checks_killing(self, kill: str) -> frozenset[str]:
        """The check names of every clause a fault (or mutant) kills."""
        return frozenset(name for clause in self.killing(kill) for name in clause.checks)


# ---- loading and validation -----------------------------------------------------------------------------------

def parse_contract(text: str, source: str = SOURCE) -> Contract:
    """Reads clauses from TOML text; a ConfigError names the clause id and the key that is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, None, f"not valid TOML ({exc})") from None
    unknown = sorted(set(data) - {"areas", "clauses"})
    if unknown:
        raise ConfigError(source, unknown[0], "unknown top-level table (known: areas, clauses)")
    areas = data.get("areas")
    if not isinstance(areas, dict) or not areas:
        raise ConfigError(source, "areas", "missing: a table of area key = title")
    for key, title in areas.items():
        if not isinstance(title, str) or not title.strip():
            raise ConfigError(source, f"areas.{key}", "must be a non-empty title")
    entries = data.get("clauses")
    if not isinstance(entries, dict) or not entries:
        raise ConfigError(source, "clauses", "missing: a table of clauses by id")
    clauses = {clause_id: _clause(clause_id, entry, areas, source) for clause_id, entry in entries.items()}
    return Contract(MappingProxyType(dict(areas)), MappingProxyType(clauses))


def _clause(clause_id: str, entry: Any, areas: Mapping[str, str], source: str) -> Clause:
    where = f"clauses.{clause_id}"
    if not CLAUSE_ID.match(clause_id):
        raise ConfigError(source, where, "an id is upper-case words and a two-digit number, e.g. AUTH-LOGIN-01")
    if not isinstance(entry, dict):
        raise ConfigError(source, where, "must be a table")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise ConfigError(source, f"{where}.{unknown[0]}", f"unknown key (known: {', '.join(sorted(_KEYS))})")
    for key in ("area", "text", "plans", "checks", "kills"):
        if key not in entry:
            raise ConfigError(source, f"{where}.{key}", "missing")
    for key in _TEXTS:
        if key in entry and (not isinstance(entry[key], str) or not entry[key].strip()):
            raise ConfigError(source, f"{where}.{key}", "must be non-empty text")
    if entry["area"] not in areas:
        raise ConfigError(source, f"{where}.area", f"{entry['area']!r} is not an area (known: {', '.join(areas)})")
    lists = {key: _names(entry.get(key, []), f"{where}.{key}", source) for key in _LISTS}
    if not lists["plans"]:
        raise ConfigError(source, f"{where}.plans", "names no plan: a clause is verified by at least one plan")
    for setting in lists["settings"]:
        if not SETTING.match(setting):
            raise ConfigError(source, f"{where}.settings",
                              f"{setting!r} is not a profile key such as auth.lockout_threshold")
    dialects = entry.get("dialects", {})
    if not isinstance(dialects, dict):
        raise ConfigError(source, f"{where}.dialects", "must be a table of dialect = text")
    for name, text in dialects.items():
        if name not in DIALECTS:
            raise ConfigError(source, f"{where}.dialects.{name}", f"unknown dialect (known: {', '.join(DIALECTS)})")
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(source, f"{where}.dialects.{name}", "must be non-empty text")
    return Clause(clause_id, entry["area"], _flat(entry["text"]), lists["plans"], lists["checks"], lists["kills"],
                  lists["settings"], MappingProxyType({k: _flat(v) for k, v in dialects.items()}),
                  _flat(entry.get("departs_from_sdk", "")))


def _names(value: Any, where: str, source: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ConfigError(source, where, "must be a list of non-empty strings")
    if len(set(value)) != len(value):
        duplicate = next(item for item in value if value.count(item) > 1)
        raise ConfigError(source, where, f"{duplicate!r} is listed twice")
    return tuple(value)


def _flat(text: str) -> str:
    """Multi-line TOML text as one paragraph."""
    return " ".join(text.split())


@cache
def contract() -> Contract:
    """The packaged contract (verification/clauses.toml)."""
    return parse_contract(resources.files("lhv.plans").joinpath("clauses.toml").read_text(encoding="utf-8"))


def clause_coverage(plan_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Plan id → the ids of the clauses it verifies (for the record's trace matrix), in the order given."""
    clauses = contract().clauses.values()
    return {plan: tuple(clause.id for clause in clauses if plan in clause.plans) for plan in plan_ids}


def clause_trace(plan_ids: Iterable[str]) -> dict[str, list[str]]:
    """Clause id → the given plans that verify it, for every clause (the trace matrix's shape: item → plan ids);
    a clause none of the plans verifies maps to an empty list, so a record shows what a run left unverified."""
    wanted = list(dict.fromkeys(plan_ids))
    return {clause.id: [plan for plan in wanted if plan in clause.plans] for clause in contract().clauses.values()}
