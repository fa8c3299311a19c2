"""Named faults of the reference device: realistic defects that plans must catch."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    """A defect the reference device can be started with."""

    name: str
    description: str
    caught_by: tuple[str, ...]  # plan ids that must fail when this fault is on


FAULTS: tuple[Fault, ...] = (
    Fault("token-for-wrong-password", "login returns a token for an existing user whatever the password",
          ("PLAN_001",)),
    Fault("user-enumeration", "an unknown user gets a different 401 body than a wrong password", ("PLAN_001",)),
    Fault("token-never-expires", "tokens are issued with an exp ten years ahead", ("PLAN_002",)),
    Fault("exp-not-enforced", "the device accepts tokens after their exp", ("PLAN_002",)),
    Fault("no-lockout", "failed logins never lock the account", ("PLAN_003",)),
    Fault("lock-never-lifted", "a locked account stays locked after the lock period", ("PLAN_003",)),
    Fault("lockout-per-ip", "the lock is kept per client IP instead of per account", ("PLAN_003",)),
)


def fault_named(name: str) -> Fault:
    """Returns a registered fault; raises KeyError naming the known ones."""
    for fault in FAULTS:
        if fault.name == name:
            return fault
    raise KeyError(f"unknown fault {name!r}; known: {', '.join(f.name for f in FAULTS)}")
