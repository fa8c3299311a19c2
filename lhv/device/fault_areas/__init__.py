"""Faults by area of the contract; each module exports FAULTS."""
