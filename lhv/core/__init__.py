"""Core: HTTP with evidence capture, bounds, pacing, secrets, console announcements and typed errors."""
