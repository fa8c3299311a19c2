"""Offline checks of request payloads against the contract (CONTRACT.md §5–§7): `lhv check-payload`."""

from __future__ import annotations

from typing import Any

__all__ = ["FileReport", "Problem", "check_body", "check_file", "check_paths"]


def __getattr__(name: str) -> Any:
    # Imported on first use: the checks load the device's parser, which `lhv` need not load to start.
    if name in ("check_body", "check_file", "check_paths"):
        from lhv.lint import check
        return getattr(check, name)
    if name in ("FileReport", "Problem"):
        from lhv.lint import model
        return getattr(model, name)
    raise AttributeError(name)
