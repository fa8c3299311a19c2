"""Writes an uptime judgement as a small record: JSON, a chart per probe kind, a self-contained HTML page."""

from __future__ import annotations

import base64
import csv
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment

from lhv.core.secrets import SECRETS
from lhv.core.templates import page_environment
from lhv.uptime.judgement import Judgement
from lhv.uptime.store import ProbeStore

JSON_NAME, HTML_NAME, PROBES_NAME = "uptime.json", "record.html", "probes.csv"


@dataclass(frozen=True)
class WrittenFile:
    """A file of the uptime record and what it holds."""

    name: str
    description: str


def write_uptime_record(judgement: Judgement, folder: Path, context: dict[str, str]) -> list[WrittenFile]:
    """Writes uptime.json, <kind>-availability.png and record.html into folder; returns what it wrote.

    context holds the cover's lines (e.g. profile, target, generated); the HTML page embeds the charts, so
    it stands alone.
    """
    folder.mkdir(parents=True, exist_ok=True)
    data = SECRETS.redact_json({"context": context, **judgement.as_record()})
    (folder / JSON_NAME).write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    written = [WrittenFile(JSON_NAME, "the judgement: outcome, method, and per probe kind the verdict with its "
                                      "method, incidents, gaps, prober runs, versions and series")]
    from lhv.uptime.chart import render  # matplotlib takes a second to import: only when a chart is drawn

    charts = {}
    for kind in judgement.kinds:
        name = f"{kind.kind}-availability.png"
        render(kind.verdict, folder / name)
        charts[kind.kind] = base64.b64encode((folder / name).read_bytes()).decode("ascii")
        written.append(WrittenFile(name, f"chart of the {kind.kind} probes: availability and latency over the "
                                         "window, incidents and gaps marked"))
    (folder / HTML_NAME).write_text(_render_html(data, charts), encoding="utf-8")
    written.append(WrittenFile(HTML_NAME, "the judgement as a self-contained page (charts embedded)"))
    return written


def write_probes_csv(store: ProbeStore, start: datetime, end: datetime, path: Path) -> WrittenFile:
    """Writes every probe started in [start, end) as CSV (for short, live windows)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["probed_at_utc", "prober_id", "kind", "target", "outcome", "latency_ms", "status",
                      "error_class", "device_version"])
        for p in store.probes(start, end):
            out.writerow([p.probed_at.isoformat(timespec="milliseconds"), p.prober_id, p.kind, p.target, p.outcome,
                          "" if p.latency_ms is None else f"{p.latency_ms:.3f}", p.status or "",
                          p.error_class or "", p.device_version or ""])
    return WrittenFile(path.name, "every probe of the window as the prober stored it (UTC time, kind, outcome, "
                                  "latency, status, error class, device version)")


def _render_html(data: dict[str, Any], charts: dict[str, str]) -> str:
    return environment().get_template("uptime.html.j2").render(run=data, charts=charts)


def environment() -> Environment:
    """The uptime report's template environment, with its filters."""
    env = page_environment("lhv.uptime")
    env.filters["pct"] = lambda v: "n/a" if v is None else f"{v:.3f} %"
    env.filters["secs"] = _seconds
    return env


def _seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value >= 3_600:
        return f"{value / 3_600:.2f} h"
    if value >= 60:
        return f"{value / 60:.1f} min"
    return f"{value:.3g} s"
