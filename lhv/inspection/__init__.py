"""Inspection: hooks that read what a target stored, and attestations that stand in for them."""
