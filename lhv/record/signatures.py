"""Signature entries of a record (signatures.jsonl): who signed, in which role, meaning it what, over which
manifest, each chained to the entry before it (docs/record.md describes the format).

An entry's entry_sha256 is the SHA-256 of its canonical body (every field but entry_sha256 and
gpg_signature, as sorted compact UTF-8 JSON); previous_sha256 is the entry_sha256 of the entry before it
(GENESIS for the first). Changing, removing or reordering an entry breaks its own hash, its seq or the
next entry's previous_sha256. gpg_signature, when present, is a detached OpenPGP signature of the body
by the key named in the body's gpg_fingerprint.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

FILE = "signatures.jsonl"
FORMAT = "lhv-signature-1"
GENESIS = "0" * 64
MEANINGS = ("authored", "reviewed", "approved")
_OUTSIDE_BODY = ("entry_sha256", "gpg_signature")


def body(entry: dict) -> bytes:
    """Returns the bytes an entry's hash and its OpenPGP signature are over."""
    content = {key: value for key, value in entry.items() if key not in _OUTSIDE_BODY}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_sha256(entry: dict) -> str:
    """Returns the SHA-256 of an entry's body."""
    return hashlib.sha256(body(entry)).hexdigest()


def utc_stamp(now: dt.datetime) -> str:
    """Returns a UTC time as the entries write it (2026-12-06T07:20:00Z)."""
    if now.tzinfo is None:
        raise ValueError("a signature's time must be timezone-aware")
    return now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_entry(entries: list[dict], *, run_id: str, name: str, role: str, meaning: str, manifest_sha256: str,
              now: dt.datetime, gpg_fingerprint: str | None = None) -> dict:
    """Returns the next entry of the chain (without its OpenPGP signature)."""
    if meaning not in MEANINGS:
        raise ValueError(f"meaning must be one of {', '.join(MEANINGS)}")
    entry = {"format": FORMAT, "seq": len(entries) + 1, "run_id": run_id, "name": name, "role": role,
             "meaning": meaning, "signed_utc": utc_stamp(now), "manifest_sha256": manifest_sha256,
             "previous_sha256": entries[-1].get("entry_sha256", GENESIS) if entries else GENESIS}
    if gpg_fingerprint:
        entry["gpg_fingerprint"] = gpg_fingerprint
    entry["entry_sha256"] = entry_sha256(entry)
    return entry


def read(folder: Path) -> tuple[list[dict], list[str]]:
    """Returns a record's entries in file order and the lines that are not entries."""
    path = folder / FILE
    if not path.exists():
        return [], []
    entries, problems = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if isinstance(entry, dict):
            entries.append(entry)
        else:
            problems.append(f"{FILE}: line {number} is not a signature entry (a JSON object)")
    return entries, problems


def append(folder: Path, entry: dict) -> None:
    """Appends one entry as one line."""
    with (folder / FILE).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False) + "\n")


def describe(entry: dict, position: int) -> str:
    """Names an entry in a problem line: position, signer, role, meaning, time."""
    return (f"entry {position} ({entry.get('name', '?')}, {entry.get('role', '?')}, {entry.get('meaning', '?')}, "
            f"{entry.get('signed_utc', '?')})")


def chain_problems(entries: list[dict], *, manifest_sha256: str, run_id: str) -> list[str]:
    """Returns what is wrong with the chain: a changed, removed, reordered or foreign entry, each named."""
    problems = []
    previous = GENESIS
    for position, entry in enumerate(entries, 1):
        name = f"{FILE}: {describe(entry, position)}"
        if entry.get("format") != FORMAT or "entry_sha256" not in entry:
            problems.append(f"{name} is not a chained entry ({FORMAT}): it cannot be checked")
            previous = entry.get("entry_sha256", "")
            continue
        if entry_sha256(entry) != entry["entry_sha256"]:
            problems.append(f"{name} was changed after it was made: its content does not match its entry_sha256")
        if entry.get("seq") != position:
            problems.append(f"{name} says it is entry {entry.get('seq')}: entries were removed or reordered")
        elif entry.get("previous_sha256") != previous:
            before = f"entry {position - 1} ({entries[position - 2].get('name', '?')})" if position > 1 \
                else "the start of the chain"
            problems.append(f"{name} does not follow {before}: {before} was changed, removed or reordered after "
                            f"{entry.get('name', '?')} signed")
        if entry.get("manifest_sha256") != manifest_sha256:
            problems.append(f"{name} was made over another manifest")
        if entry.get("run_id") != run_id:
            problems.append(f"{name} was made for run {entry.get('run_id')}, not this record's run {run_id}")
        previous = entry["entry_sha256"]
    return problems
