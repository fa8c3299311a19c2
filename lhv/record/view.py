"""record.html: the view of a sealed record, rendered from results.json, the manifest's hash and the signatures.

The view is not in the manifest: it names the manifest's hash on every printed page and shows the
signatures, so it is rendered anew when one is added, while the evidence it shows stays sealed.
`lhv record verify` renders it again and compares, so an edited view does not verify.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from jinja2 import Environment
from markupsafe import Markup

from lhv.core.secrets import SECRETS
from lhv.core.templates import page_environment
from lhv.record import signatures
from lhv.record.roles import MEANING_ROLES, recorded_roles

HTML = "record.html"
PDF = "record.pdf"
VIEWS = (HTML, PDF)  # rendered from the sealed files, never in the manifest
RESULTS = "results.json"


def environment() -> Environment:
    """The record view's template environment, with its filters."""
    env = page_environment("lhv.record")
    env.filters["pretty"] = lambda value: json.dumps(value, indent=2, ensure_ascii=False) \
        if not isinstance(value, str) else value
    env.filters["css_string"] = _css_string
    return env


def _css_string(value: object) -> Markup:
    """Returns text safe inside a double-quoted CSS string in a <style> element."""
    escaped = "".join(ch if ch.isalnum() or ch in " .,:;_-+()/·…" else f"\\{ord(ch):x} " for ch in str(value))
    return Markup(escaped)


def render(data: dict, *, manifest_sha256: str, entries: list[dict]) -> str:
    """Returns record.html for a run's results, its manifest's hash and its signature entries."""
    roles = recorded_roles(data)
    signed = {meaning: [e for e in entries if e.get("meaning") == meaning] for meaning in MEANING_ROLES}
    return environment().get_template("record.html.j2").render(
        run=data, manifest_sha256=manifest_sha256, signatures=entries, signed=signed, roles=roles,
        chain_head=entries[-1].get("entry_sha256", "") if entries else "")


def rendered(folder: Path, manifest_name: str) -> str:
    """Returns the view of a record folder as its sealed files and signatures give it."""
    data = json.loads((folder / RESULTS).read_text(encoding="utf-8"))
    manifest_sha256 = hashlib.sha256((folder / manifest_name).read_bytes()).hexdigest()
    entries, _ = signatures.read(folder)
    return SECRETS.redact(render(data, manifest_sha256=manifest_sha256, entries=entries))


def write_view(folder: Path, manifest_name: str) -> Path:
    """Writes record.html from the record's sealed files and signatures; returns its path."""
    path = folder / HTML
    path.write_bytes(rendered(folder, manifest_name).encode("utf-8"))
    return path


def view_problem(folder: Path, manifest_name: str) -> str | None:
    """Returns why record.html is not the view of the sealed record, or None when it is."""
    path = folder / HTML
    if not path.is_file():
        return f"{HTML}: missing (`lhv record render {folder}` writes it from the sealed files)"
    try:
        expected = rendered(folder, manifest_name)
    except (OSError, ValueError) as exc:
        return f"{HTML}: cannot be rendered from {RESULTS} to compare ({exc})"
    if path.read_bytes() != expected.encode("utf-8"):  # bytes: a body's "\r" must not read as a newline
        return (f"{HTML}: differs from the view of the sealed {RESULTS} and the signatures: edited after it was "
                f"written, or written by another version of lhv (`lhv record render {folder}` writes it anew)")
    return None
