"""Named faults of the reference device: realistic defects that plans must catch."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    """A defect the reference device can be started with."""

    name: str
    description: str
    caught_by: tuple[str, ...]  # plan ids that must fail when this fault is on


def _all_faults() -> tuple[Fault, ...]:
    from lhv.device.fault_areas import accounts, auth, availability, clinical, security, transport

    return tuple(f for area in (auth, transport, clinical, accounts, availability, security) for f in area.FAULTS)


FAULTS: tuple[Fault, ...] = _all_faults()


def fault_named(name: str) -> Fault:
    """Returns a registered fault; raises KeyError naming the known ones."""
    for fault in FAULTS:
        if fault.name == name:
            return fault
    raise KeyError(f"unknown fault {name!r}; known: {', '.join(f.name for f in FAULTS)}")
