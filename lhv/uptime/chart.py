"""PNG chart of an availability verdict: availability and latency per bucket, incidents, gaps and target."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from lhv.uptime.verdict import Verdict

_PASS_COLOR = "#2e7d32"
_FAIL_COLOR = "#c62828"
_INCIDENT_COLOR = "#e53935"
_GAP_COLOR = "#616161"
_MAINTENANCE_COLOR = "#90a4ae"


def render(verdict: Verdict, path: str | Path) -> Path:
    """Writes a PNG chart of the verdict to path and returns the path."""
    figure = Figure(figsize=(11, 7), layout="constrained")
    FigureCanvasAgg(figure)  # the Agg canvas: no display and no global pyplot state
    availability_axes, latency_axes = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    _plot_availability(availability_axes, verdict)
    _plot_latency(latency_axes, verdict)
    for axes in (availability_axes, latency_axes):
        _shade_periods(axes, verdict)
        axes.grid(axis="y", alpha=0.3)
    latency_axes.set_xlim(verdict.window_start, verdict.window_end)
    locator = mdates.AutoDateLocator()
    latency_axes.xaxis.set_major_locator(locator)
    latency_axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    latency_axes.set_xlabel("time (UTC)")
    figure.suptitle(_title(verdict), fontsize=13)
    path = Path(path)
    figure.savefig(path, format="png", dpi=110)
    return path


def _title(verdict: Verdict) -> str:
    window = f"{verdict.window_start:%Y-%m-%d %H:%M} to {verdict.window_end:%Y-%m-%d %H:%M} UTC"
    availability = "n/a" if verdict.availability_pct is None else f"{verdict.availability_pct:.3f} %"
    return (
        f"Device API availability, {window}\n"
        f"{verdict.outcome.upper()}: {availability} against target {verdict.target_pct:g} %, "
        f"coverage {verdict.coverage * 100:.1f} %, {len(verdict.incidents)} incident(s), "
        f"downtime {verdict.downtime_s / 3600:.2f} h of a {verdict.budget_s / 3600:.2f} h budget"
    )


def _bucket_name(verdict: Verdict) -> str:
    seconds = (verdict.series[0].end - verdict.series[0].start).total_seconds()
    return {86_400: "day", 3_600: "hour", 600: "10 min", 60: "minute"}.get(seconds, f"{seconds:g} s")


def _plot_availability(axes: Axes, verdict: Verdict) -> None:
    values = [p.availability_pct for p in verdict.series if p.availability_pct is not None]
    floor = max(0.0, min([verdict.target_pct - 1, *(v - 0.5 for v in values)]))
    for point in verdict.series:
        if point.availability_pct is None:
            continue
        color = _PASS_COLOR if point.availability_pct >= verdict.target_pct else _FAIL_COLOR
        axes.bar(
            point.start,
            point.availability_pct - floor,
            width=_days(point.start, point.end),
            bottom=floor,
            align="edge",
            color=color,
            alpha=0.8,
            edgecolor="white",
        )
    axes.axhline(verdict.target_pct, color="black", linestyle="--", linewidth=1)
    axes.set_ylim(floor, 100.2)
    axes.set_ylabel(f"availability per {_bucket_name(verdict)} (%)")
    # Short incidents are thinner than a pixel on a month's axis: a marker keeps each visible.
    for incident in verdict.incidents:
        middle = incident.start + (incident.end - incident.start) / 2
        axes.plot(middle, 100.2, marker="v", color=_INCIDENT_COLOR, markersize=7, clip_on=False)
    axes.legend(
        handles=[
            Patch(
                color=_PASS_COLOR,
                alpha=0.8,
                label=f"at or above target\n({verdict.target_pct:g} %, dashed line)",
            ),
            Patch(color=_FAIL_COLOR, alpha=0.8, label="below target"),
            Patch(color=_INCIDENT_COLOR, alpha=0.25, label="incident (down)"),
            Patch(facecolor="none", edgecolor=_GAP_COLOR, hatch="///", label="no data (gap)"),
            Patch(color=_MAINTENANCE_COLOR, alpha=0.3, label="declared maintenance"),
        ],
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        fontsize=8,
    )


def _plot_latency(axes: Axes, verdict: Verdict) -> None:
    middles = [p.start + (p.end - p.start) / 2 for p in verdict.series]
    for label, values, style in (
        ("p50", [p.latency_p50_ms for p in verdict.series], "-"),
        ("p95", [p.latency_p95_ms for p in verdict.series], "--"),
    ):
        axes.plot(middles, [float("nan") if v is None else v for v in values], style, marker=".", label=label)
    axes.set_ylabel("latency of successful probes (ms)")
    axes.set_ylim(bottom=0)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)


def _shade_periods(axes: Axes, verdict: Verdict) -> None:
    for incident in verdict.incidents:
        axes.axvspan(incident.start, incident.end, color=_INCIDENT_COLOR, alpha=0.25, linewidth=0)
    for gap in verdict.gaps:
        axes.axvspan(gap.start, gap.end, facecolor="none", edgecolor=_GAP_COLOR, hatch="///", linewidth=0)
    if verdict.maintenance == "excluded":
        for window in verdict.maintenance_windows:
            axes.axvspan(window.starts_at, window.ends_at, color=_MAINTENANCE_COLOR, alpha=0.3, linewidth=0)


def _days(start: datetime, end: datetime) -> float:
    """Returns the length of [start, end) in days, matplotlib's unit for widths on a date axis."""
    return (end - start).total_seconds() / 86_400
