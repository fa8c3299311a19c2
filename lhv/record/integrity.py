"""Tamper evidence for a record: a SHA-256 manifest over its sealed files, and chained signatures over it.

The manifest seals every file of a record folder but itself, signatures.jsonl and, in a verification
record (one whose manifest lists results.json), its views record.html and record.pdf: those are rendered
from the sealed files and the signatures (lhv/record/view.py), so signing re-renders them while the
manifest, and every signature over it, stays valid.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lhv.record import gpg, signatures, view
from lhv.record.roles import recorded_roles, role_problem

MANIFEST = "manifest.sha256"
SIGNATURES = signatures.FILE
MEANINGS = signatures.MEANINGS


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _record_files(folder: Path, views: tuple[str, ...] = ()) -> list[Path]:
    skip = {MANIFEST, SIGNATURES}
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in skip
                  and p.relative_to(folder).as_posix() not in views)


def write_manifest(folder: Path, views: tuple[str, ...] = ()) -> Path:
    """Writes manifest.sha256 (sha256sum format) over every file of the record but its views."""
    lines = [f"{_digest(p)}  {p.relative_to(folder).as_posix()}" for p in _record_files(folder, views)]
    path = folder / MANIFEST
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class RecordRefused(Exception):
    """A record cannot be signed or printed; exit_code 1 (the record) or 2 (the request)."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class SignatureCheck:
    """One signature entry as `lhv record verify` found it."""

    position: int
    entry: dict
    gpg: gpg.GpgCheck | None = None


@dataclass
class Verification:
    """What `lhv record verify` found."""

    problems: list[str]
    signatures: list[SignatureCheck] = field(default_factory=list)
    views: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Tells whether the record is intact."""
        return not self.problems


def _listed(manifest: Path) -> dict[str, str]:
    listed: dict[str, str] = {}
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), 1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            raise ValueError(f"{manifest}: line {number} is not '<sha256>  <path>'")
        listed[name] = digest
    return listed


def record_views(listed: dict[str, str]) -> tuple[str, ...]:
    """Returns the views of a record: those of a verification record that its manifest does not seal."""
    return tuple(name for name in view.VIEWS if name not in listed) if view.RESULTS in listed else ()


def verify(folder: Path, *, gnupg_home: str | None = None, check_view: bool = True) -> Verification:
    """Checks every file against the manifest, the signature chain, OpenPGP signatures and the view."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return Verification([f"{manifest}: missing"])
    try:
        listed = _listed(manifest)
    except ValueError as exc:
        return Verification([str(exc)])
    views = record_views(listed)
    problems = []
    present = {p.relative_to(folder).as_posix(): p for p in _record_files(folder, views)}
    for name, digest in listed.items():
        if name not in present:
            problems.append(f"{name}: listed in the manifest but missing")
        elif _digest(present[name]) != digest:
            problems.append(f"{name}: changed since the manifest was written")
    problems += [f"{name}: not in the manifest (added later)" for name in sorted(set(present) - set(listed))]
    entries, unreadable = signatures.read(folder)
    problems += unreadable
    run_id = _run_id(folder)
    problems += signatures.chain_problems(entries, manifest_sha256=_digest(manifest), run_id=run_id)
    checks = [SignatureCheck(position, entry) for position, entry in enumerate(entries, 1)]
    for check in checks:
        problems += _check_gpg(check, gnupg_home)
    if check_view and view.HTML in views and not any(p.startswith(view.RESULTS) for p in problems):
        trouble = view.view_problem(folder, MANIFEST)
        problems += [trouble] if trouble else []
    return Verification(problems, checks, views)


def _run_id(folder: Path) -> str:
    try:
        return str(json.loads((folder / view.RESULTS).read_text(encoding="utf-8")).get("run_id", ""))
    except (OSError, ValueError, AttributeError):
        return ""


def _check_gpg(check: SignatureCheck, gnupg_home: str | None) -> list[str]:
    """Checks an entry's OpenPGP signature; returns its problems (an entry that names a key must carry one)."""
    entry = check.entry
    claimed, armoured = entry.get("gpg_fingerprint"), entry.get("gpg_signature")
    if not claimed and not armoured:
        return []
    name = f"{SIGNATURES}: {signatures.describe(entry, check.position)}"
    if not claimed:
        return [f"{name} carries an OpenPGP signature its signed content does not name a key for"]
    if not armoured:
        return [f"{name} names key {claimed} but carries no OpenPGP signature (removed)"]
    try:
        check.gpg = gpg.check(signatures.body(entry), armoured, gnupg_home)
    except gpg.GpgError as exc:
        return [f"{name}: its OpenPGP signature cannot be checked: {exc}"]
    if not check.gpg.good:
        return [f"{name}: OpenPGP signature not valid: {check.gpg.problem}"]
    if check.gpg.fingerprint != claimed:
        return [f"{name}: signed by key {check.gpg.fingerprint}, not by the key it names ({claimed})"]
    return []


def sign(folder: Path, *, name: str, role: str, meaning: str, now: Callable[[], dt.datetime] | None = None,
         gpg_key: str | None = None, gnupg_home: str | None = None) -> dict:
    """Appends a chained signature entry over the manifest's hash and re-renders the view; returns the entry."""
    if meaning not in MEANINGS:
        raise RecordRefused(f"meaning must be one of {', '.join(MEANINGS)}", 2)
    if not name.strip():
        raise RecordRefused("the signer's printed name is empty", 2)
    state = verify(folder, gnupg_home=gnupg_home, check_view=False)
    if not state.ok:
        raise RecordRefused("record does not verify, refusing to sign: " + "; ".join(state.problems))
    try:
        data = json.loads((folder / view.RESULTS).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RecordRefused(f"{view.RESULTS} cannot be read: {exc}") from None
    trouble = role_problem(recorded_roles(data), role, meaning)
    if trouble:
        raise RecordRefused(trouble, 2)
    fingerprint = None
    if gpg_key:
        try:
            fingerprint = gpg.secret_key_fingerprint(gpg_key, gnupg_home)
        except gpg.GpgError as exc:
            raise RecordRefused(f"--gpg-key: {exc}", 2) from None
    entries = [check.entry for check in state.signatures]
    entry = signatures.new_entry(entries, run_id=str(data.get("run_id", "")), name=name.strip(), role=role.strip(),
                                 meaning=meaning, manifest_sha256=_digest(folder / MANIFEST),
                                 now=(now or (lambda: dt.datetime.now(dt.UTC)))(),
                                 gpg_fingerprint=fingerprint)
    if fingerprint:
        try:
            entry["gpg_signature"] = gpg.sign(signatures.body(entry), fingerprint, gnupg_home)
        except gpg.GpgError as exc:
            raise RecordRefused(f"--gpg-key: {exc}", 2) from None
    signatures.append(folder, entry)
    if view.HTML in state.views:
        view.write_view(folder, MANIFEST)
    return entry


def render(folder: Path) -> Path:
    """Renders the view of a verification record anew from its sealed files and signatures."""
    try:
        views = record_views(_listed(folder / MANIFEST))
    except (OSError, ValueError) as exc:
        raise RecordRefused(f"cannot read the manifest: {exc}") from None
    if view.HTML not in views:
        raise RecordRefused(f"{view.HTML} is sealed in this record's manifest (written by an older lhv): "
                            "it is evidence, not a view, and is not rendered anew")
    return view.write_view(folder, MANIFEST)


def read_signatures(folder: Path) -> list[dict]:
    """Returns the record's signature entries in file order."""
    return signatures.read(folder)[0]
