"""Faults of HTTPS, certificates, rate limits and their logging."""

from lhv.device.faults import Fault

FAULTS: tuple[Fault, ...] = ()
