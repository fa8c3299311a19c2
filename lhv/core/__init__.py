"""Core: HTTP with evidence capture, bounds, pacing, secrets, outcomes and typed errors."""
