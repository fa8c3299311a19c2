"""Tamper evidence for a record: a SHA-256 manifest over every file, and appended signatures."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "manifest.sha256"
SIGNATURES = "signatures.jsonl"
MEANINGS = ("authored", "reviewed", "approved")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _record_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in (MANIFEST, SIGNATURES))


def write_manifest(folder: Path) -> Path:
    """Writes manifest.sha256 (sha256sum format) over every file of the record."""
    lines = [f"{_digest(p)}  {p.relative_to(folder).as_posix()}" for p in _record_files(folder)]
    path = folder / MANIFEST
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass
class Verification:
    """What `lhv record verify` found."""

    problems: list[str]
    signatures: list[dict]

    @property
    def ok(self) -> bool:
        """Tells whether the record is intact."""
        return not self.problems


def verify(folder: Path) -> Verification:
    """Checks every file against the manifest, and every signature against the manifest's hash."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return Verification([f"{manifest}: missing"], [])
    listed: dict[str, str] = {}
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), 1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            return Verification([f"{manifest}: line {number} is not '<sha256>  <path>'"], [])
        listed[name] = digest
    problems = []
    present = {p.relative_to(folder).as_posix(): p for p in _record_files(folder)}
    for name, digest in listed.items():
        if name not in present:
            problems.append(f"{name}: listed in the manifest but missing")
        elif _digest(present[name]) != digest:
            problems.append(f"{name}: changed since the manifest was written")
    problems += [f"{name}: not in the manifest (added later)" for name in sorted(set(present) - set(listed))]
    signatures = read_signatures(folder)
    current = _digest(manifest)
    for number, signature in enumerate(signatures, 1):
        if signature.get("manifest_sha256") != current:
            problems.append(f"{SIGNATURES}: signature {number} ({signature.get('name')}, {signature.get('meaning')}) "
                            "was made over another manifest")
    return Verification(problems, signatures)


def read_signatures(folder: Path) -> list[dict]:
    """Returns the record's signature entries in the order they were made."""
    path = folder / SIGNATURES
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def sign(folder: Path, *, name: str, role: str, meaning: str) -> dict:
    """Appends a signature (who, role, meaning, UTC time, manifest hash) without touching the evidence."""
    if meaning not in MEANINGS:
        raise ValueError(f"meaning must be one of {', '.join(MEANINGS)}")
    state = verify(folder)
    if not state.ok:
        raise ValueError("record does not verify, refusing to sign: " + "; ".join(state.problems))
    entry = {"name": name, "role": role, "meaning": meaning,
             "signed_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
             "manifest_sha256": _digest(folder / MANIFEST)}
    with (folder / SIGNATURES).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")
    return entry
