"""Faults of the security pass: tokens, errors, headers, injection."""

from lhv.device.faults import Fault

FAULTS: tuple[Fault, ...] = ()
