"""One line of the benchmark table: what was measured, its value, the goal and whether it was met."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Row:
    """A measurement; met is None when it was not measured or has no goal."""

    item: str
    name: str
    value: str
    goal: str = "—"
    met: bool | None = None
    notes: list[str] = field(default_factory=list)
    ratio: float | None = None  # the number behind value, when it is a ratio

    @property
    def verdict(self) -> str:
        """Returns 'met', 'missed' or '—' (no goal, or not measured)."""
        return "—" if self.met is None else "met" if self.met else "MISSED"


def not_measured(item: str, name: str, reason: str, goal: str = "—") -> Row:
    """Returns a row that says why it holds no number."""
    return Row(item, name, f"not measured: {reason}", goal, None)


def ratio_row(item: str, name: str, ratio: float, goal: str, met: bool, detail: str, threshold: float) -> Row:
    """Returns a row whose value is a ratio followed by the numbers it was taken from; three decimals where two
    would show it equal to the threshold."""
    shown = f"{ratio:.3f}" if round(ratio, 2) == round(threshold, 2) else f"{ratio:.2f}"
    return Row(item, name, f"{shown} ({detail})", goal, met, ratio=ratio)


def text_table(rows: list[Row]) -> str:
    """Returns the rows as a plain-text table for the console."""
    header = ("#", "measurement", "value", "goal", "")
    cells = [header] + [(r.item, r.name, r.value, r.goal, r.verdict) for r in rows]
    widths = [min(max(len(c[i]) for c in cells), 90) for i in range(len(header))]
    lines = []
    for index, cell in enumerate(cells):
        lines.append("  ".join(text.ljust(width) for text, width in zip(cell, widths)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(rows: list[Row]) -> str:
    """Returns the rows as a Markdown table."""
    lines = ["| # | measurement | value | goal | verdict |", "|---|---|---|---|---|"]
    lines += [f"| {r.item} | {r.name} | {_cell(r.value)} | {_cell(r.goal)} | {r.verdict} |" for r in rows]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
