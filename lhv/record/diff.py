"""What changed between two runs: verdicts, device version, anomalies."""

from __future__ import annotations

import json
from pathlib import Path


def _load(folder: Path) -> dict:
    return json.loads((folder / "results.json").read_text(encoding="utf-8"))


def diff(before: Path, after: Path) -> list[str]:
    """Returns human-readable lines describing the changes from one record to another."""
    a, b = _load(before), _load(after)
    lines = [f"runs: {a['run_id']} → {b['run_id']}"]
    version_a = (a.get("device") or {}).get("version", "not reported")
    version_b = (b.get("device") or {}).get("version", "not reported")
    lines.append(f"device version: {version_a} → {version_b}" if version_a != version_b
                 else f"device version: {version_a} (unchanged)")
    plans_a = {p["id"]: p for p in a["plans"]}
    plans_b = {p["id"]: p for p in b["plans"]}
    for plan_id in sorted(set(plans_a) | set(plans_b)):
        va = plans_a.get(plan_id, {}).get("verdict", "absent")
        vb = plans_b.get(plan_id, {}).get("verdict", "absent")
        if va != vb:
            lines.append(f"{plan_id}: {va} → {vb}")
    anomalies_a = {x["summary"] for x in a.get("anomalies", [])}
    anomalies_b = {x["summary"] for x in b.get("anomalies", [])}
    lines += [f"new anomaly: {x}" for x in sorted(anomalies_b - anomalies_a)]
    lines += [f"resolved anomaly: {x}" for x in sorted(anomalies_a - anomalies_b)]
    if len(lines) == 2 and version_a == version_b:
        lines.append("no verdict changed")
    return lines
