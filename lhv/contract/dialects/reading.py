"""Reading a JSON reply into intents: every missing or mistyped element is collected, then judged at once."""

from __future__ import annotations

from typing import Any

from lhv.checks.outcomes import require

_SHOWN_PROBLEMS = 6


class ShapeReader:
    """Collects what a reply lacks while it is read, so one named check reports all of it by JSON path."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.problems: list[str] = []

    def problem(self, text: str) -> None:
        """Notes one shape problem."""
        self.problems.append(text)

    def root(self, body: Any) -> dict | None:
        """The reply body, which must be a JSON object."""
        if not isinstance(body, dict):
            self.problem(f"$ is {_kind(body)}, not an object")
            return None
        return body

    def _get(self, node: Any, key: str, where: str, optional: bool) -> Any:
        if not isinstance(node, dict):
            return None  # the parent's problem is already noted
        if key not in node or node[key] is None:
            if not optional:
                self.problem(f"{where}.{key} is missing")
            return None
        return node[key]

    def node(self, node: Any, key: str, where: str, optional: bool = False) -> dict | None:
        """A child object."""
        value = self._get(node, key, where, optional)
        if value is not None and not isinstance(value, dict):
            self.problem(f"{where}.{key} is {_kind(value)}, not an object")
            return None
        return value

    def items(self, node: Any, key: str, where: str, optional: bool = False) -> list:
        """A child list (empty when missing or mistyped, with the problem noted)."""
        value = self._get(node, key, where, optional)
        if value is not None and not isinstance(value, list):
            self.problem(f"{where}.{key} is {_kind(value)}, not a list")
            return []
        return value or []

    def text(self, node: Any, key: str, where: str, optional: bool = False) -> str | None:
        """A child string."""
        value = self._get(node, key, where, optional)
        if value is not None and not isinstance(value, str):
            self.problem(f"{where}.{key} is {_kind(value)}, not a string")
            return None
        return value

    def number(self, node: Any, key: str, where: str, optional: bool = False) -> float | None:
        """A child number (a boolean is not one)."""
        value = self._get(node, key, where, optional)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            self.problem(f"{where}.{key} is {_kind(value)}, not a number")
            return None
        return value

    def integer(self, node: Any, key: str, where: str, optional: bool = False) -> int | None:
        """A child whole number."""
        value = self.number(node, key, where, optional)
        if value is not None and value != int(value):
            self.problem(f"{where}.{key} is {value}, not a whole number")
            return None
        return None if value is None else int(value)

    def flag(self, node: Any, key: str, where: str, optional: bool = False) -> bool | None:
        """A child boolean."""
        value = self._get(node, key, where, optional)
        if value is not None and not isinstance(value, bool):
            self.problem(f"{where}.{key} is {_kind(value)}, not true or false")
            return None
        return value

    def require(self, check: str, success: str) -> None:
        """Records the named check: passed when nothing was missing, else failed listing the problems."""
        shown = "; ".join(self.problems[:_SHOWN_PROBLEMS])
        more = f" (and {len(self.problems) - _SHOWN_PROBLEMS} more)" if len(self.problems) > _SHOWN_PROBLEMS else ""
        require(check, not self.problems, f"the {self.what} lacks what the contract says: {shown}{more}",
                f"the {self.what} has what plans read: {success}")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return "an object" if isinstance(value, dict) else type(value).__name__
