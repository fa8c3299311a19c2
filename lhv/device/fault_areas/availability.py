"""Faults of uptime."""

from lhv.device.faults import Fault

FAULTS: tuple[Fault, ...] = ()
