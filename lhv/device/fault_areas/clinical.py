"""Faults of the clinical routes: images, FHIR reports, scores."""

from lhv.device.faults import Fault

FAULTS: tuple[Fault, ...] = ()
