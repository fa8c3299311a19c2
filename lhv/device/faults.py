"""Named faults of the reference device: realistic defects that plans must catch.

Most faults are behaviours of the device. An evidence fault is not: the device runs clean, and the fault is
wrong evidence the harness reads instead (an attestation, an external scanner's report, an uptime prober's
store), which the embedded run puts into its profile; the plans must not take it as proof of compliance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FAILED, INCONCLUSIVE = "failed", "inconclusive"


@dataclass(frozen=True)
class EvidenceInput:
    """What an evidence fault hands the run: profile keys to set and, perhaps, an external scanner's report."""

    profile: Mapping[str, Any] = field(default_factory=dict)  # section → {key: value}; a nested table as a dict
    scanner_report: Path | None = None  # given to PLAN_019 as --scanner-report would give it


@dataclass(frozen=True)
class Fault:
    """A defect the reference device can be started with, or wrong evidence the harness can be given."""

    name: str
    description: str
    caught_by: tuple[str, ...]  # plan ids that must end with `verdict` when this fault is on
    evidence: Callable[[Path], EvidenceInput] | None = None  # an evidence fault: writes its input into a folder
    verdict: str = FAILED  # INCONCLUSIVE where the wrong evidence is missing data, which never passes
    dialects: tuple[str, ...] = ("plan", "v1", "v2")  # the API dialects whose requests can reach the defect

    @property
    def is_evidence(self) -> bool:
        """Tells whether the fault is wrong evidence for the harness rather than a behaviour of the device."""
        return self.evidence is not None


def _all_faults() -> tuple[Fault, ...]:
    from lhv.device.fault_areas import accounts, auth, availability, clinical, evidence, security, transport

    areas = (auth, transport, clinical, accounts, availability, security, evidence)
    return tuple(f for area in areas for f in area.FAULTS)


FAULTS: tuple[Fault, ...] = _all_faults()
DEVICE_FAULTS: tuple[Fault, ...] = tuple(f for f in FAULTS if not f.is_evidence)
EVIDENCE_FAULTS: tuple[Fault, ...] = tuple(f for f in FAULTS if f.is_evidence)


def fault_named(name: str) -> Fault:
    """Returns a registered fault; raises KeyError naming the known ones."""
    for fault in FAULTS:
        if fault.name == name:
            return fault
    raise KeyError(f"unknown fault {name!r}; known: {', '.join(f.name for f in FAULTS)}")
