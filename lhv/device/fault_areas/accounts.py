"""Faults of password storage and user registration."""

from lhv.device.faults import Fault

FAULTS: tuple[Fault, ...] = ()
