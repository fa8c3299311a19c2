"""The plan catalog: ids, titles, versions, requirements, risk controls and roles, as data."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from lhv.errors import ConfigError

_SOURCE = "verification/catalog.toml"
COMMON_PRECONDITIONS = (
    "The entire system (reverse proxy, REST API and upstream services) is deployed, operational and reachable "
    "at the profile's base URL.",
    "The profile's accounts exist and their credentials are set in the environment variables the profile names.",
)


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


@cache
def catalog() -> dict[str, PlanEntry]:
    """Returns every plan of the catalog by id."""
    raw = resources.files("verification").joinpath("catalog.toml").read_bytes()
    try:
        data = tomllib.loads(raw.decode())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_SOURCE, None, f"not valid TOML ({exc})") from None
    plans = {}
    for plan_id, entry in data.items():
        try:
            plans[plan_id] = PlanEntry(
                id=plan_id, title=entry["title"], version=entry["version"],
                requirements=tuple(entry["requirements"]), risk_controls=tuple(entry["risk_controls"]),
                objective=entry["objective"], testers=tuple(entry["testers"]), approver=entry["approver"],
                preconditions=tuple(entry.get("preconditions", COMMON_PRECONDITIONS)))
        except KeyError as exc:
            raise ConfigError(_SOURCE, f"{plan_id}.{exc.args[0]}", "missing") from None
    return plans


def plan(plan_id: str) -> PlanEntry:
    """Returns one plan's entry; an unknown id is a configuration error."""
    try:
        return catalog()[plan_id]
    except KeyError:
        raise ConfigError(_SOURCE, plan_id, "no such plan in the catalog") from None
