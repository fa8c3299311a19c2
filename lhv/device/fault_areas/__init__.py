"""Faults by area of the contract; each module exports FAULTS (evidence: wrong evidence, not device behaviour)."""
