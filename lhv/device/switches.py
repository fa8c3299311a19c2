"""The behaviour switches of the running device's generated mutants, for code that sees no device context."""

from __future__ import annotations

ON: set[str] = set()  # one device process runs one set of mutants: ids without their dialect, e.g. accept:image:…


def on(name: str) -> bool:
    """Tells whether a generated mutant switches this behaviour on."""
    return name in ON
