"""Redacts a record's files as last written: every artefact's final text, the step before the manifest seals it.

Text files are redacted as text; JSON (and JSON Lines) as parsed values, so they stay valid and keys
are redacted too. A file that is not text (a chart) cannot be rewritten: if it carries a secret it is
withheld, replaced by a note saying so. A page that embeds one of the record's own PNG files as a
data: URL keeps it (our charts are not image data of a patient).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from lhv.core.secrets import SECRETS, SecretBook, find_leaks
from lhv.record.integrity import MANIFEST, SIGNATURES

WITHHELD = ".withheld.txt"
_PNG = b"\x89PNG\r\n\x1a\n"


def redact_folder(folder: Path, book: SecretBook = SECRETS) -> list[Path]:
    """Rewrites every file of a record folder whose text is not redacted; returns the files changed."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in (MANIFEST, SIGNATURES))
    keep = tuple(f"data:image/png;base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"
                 for path in files if _starts_with(path, _PNG))
    changed = []
    for path in files:
        raw = path.read_bytes()
        text = _text(raw)
        if text is None:
            if _withhold_if_secret(path, raw, book):
                changed.append(path)
            continue
        redacted = _redacted(path, text, book, keep)
        if redacted != text:
            path.write_text(redacted, encoding="utf-8")
            changed.append(path)
    return changed


def _starts_with(path: Path, head: bytes) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(head)) == head


def _text(raw: bytes) -> str | None:
    if b"\0" in raw:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _redacted(path: Path, text: str, book: SecretBook, keep: tuple[str, ...]) -> str:
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            return book.redact(text, keep)
        redacted = book.redact_json(value, keep)
        if redacted == value:
            return text
        return json.dumps(redacted, indent=2, ensure_ascii=False) + ("\n" if text.endswith("\n") else "")
    if suffix in (".jsonl", ".ndjson"):
        return "".join(_redacted_json_line(line, book, keep) for line in text.splitlines(keepends=True))
    return book.redact(text, keep)


def _redacted_json_line(line: str, book: SecretBook, keep: tuple[str, ...]) -> str:
    body = line.rstrip("\r\n")
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return book.redact(line, keep)
    redacted = book.redact_json(value, keep)
    return line if redacted == value else json.dumps(redacted, ensure_ascii=False) + line[len(body):]


def _withhold_if_secret(path: Path, raw: bytes, book: SecretBook) -> bool:
    """Replaces a binary file that carries a secret by a note naming what it carried; tells whether it did."""
    text = raw.decode("latin-1")  # every byte as one character: a secret's UTF-8 bytes appear as they are
    found = find_leaks({path.name: text}, book.values())
    found += find_leaks({path.name: raw.decode("utf-8", "replace")}, book.values())
    if not found:
        return False
    kinds = sorted({item.split(" as ", 1)[1] if " as " in item else "a JWT" for item in found})
    path.unlink()
    path.with_name(path.name + WITHHELD).write_text(
        f"{path.name} was withheld from the record: it carried a secret of the run ({', '.join(kinds)}).\n",
        encoding="utf-8")
    return True
