"""The customer's example requests: payload files or request bodies as its client sends them, each linted.

The profile's `integration.payloads` names files or folders (relative to the profile); without
them, the bundled examples of the seeds' customer (payloads/customer) stand in, and the
checklist says that the customer's own requests were not seen.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lhv.contract.payloads import PAYLOADS_DIR, PayloadError, PayloadFile
from lhv.contract.payloads import load as load_payload
from lhv.core.errors import ConfigError
from lhv.lint import FileReport, check_file
from lhv.session.clinic import Clinic, profile_path

BUNDLED = PAYLOADS_DIR / "customer"
MISTAKES = BUNDLED / "mistakes"


def bundled(dialect: str) -> Path:
    """The seeds' customer's examples written in a dialect: payloads/customer, or payloads/<dialect>/customer."""
    return BUNDLED if dialect == "plan" else PAYLOADS_DIR / dialect / BUNDLED.name


@dataclass(frozen=True)
class Example:
    """One example request: where it came from, what the linter says, and the body as it is sent."""

    path: Path
    report: FileReport
    payload: PayloadFile | None  # None for a request body as sent
    body: dict | None  # with images inlined; None when the file cannot be used

    @property
    def name(self) -> str:
        """The file's name."""
        return self.path.name

    @property
    def operation(self) -> str | None:
        """'diagnose' or 'assess_severity'."""
        return self.report.operation

    @property
    def description(self) -> str:
        """The payload file's description, or what a request body is."""
        return self.payload.description if self.payload else "a request body as the client sends it"

    @property
    def expected_status(self) -> int | None:
        """What the device should answer: the payload file's expectation, else 200 (a client's request)."""
        return self.payload.status if self.payload else 200

    @property
    def mistake(self) -> bool:
        """True for an intended mistake: a payload file that expects a refusal."""
        return self.payload is not None and not self.payload.valid

    @property
    def usable(self) -> bool:
        """True when the body can be sent."""
        return self.body is not None and self.report.unreadable is None


@dataclass(frozen=True)
class Examples:
    """The example requests the integration checks use, and whether they are the customer's own."""

    items: tuple[Example, ...]
    own: bool  # False: the bundled examples of the seeds' customer stand in
    sources: tuple[Path, ...]

    def valid(self, operation: str | None = None) -> list[Example]:
        """Usable examples that should get 200, optionally of one operation."""
        return [e for e in self.items if e.usable and not e.mistake and operation in (None, e.operation)]

    def mistakes(self) -> list[Example]:
        """Usable examples that should be refused."""
        return [e for e in self.items if e.usable and e.mistake]


def load_examples(clinic: Clinic) -> Examples:
    """The profile's example requests (or the bundled ones), linted in the target's dialect."""
    settings = clinic.target.profile.integration
    default = bundled(clinic.dialect.name)
    sources = tuple(profile_path(clinic.target, value, default) for value in settings.payloads) or (default,)
    items = tuple(_example(path, clinic) for path in _files(sources, clinic.target.profile.source))
    dialect = clinic.dialect.name
    return Examples(tuple(e for e in items if e.report.dialect in (None, dialect)), bool(settings.payloads), sources)


def bundled_mistakes(clinic: Clinic) -> list[Example]:
    """The bundled likely mistakes (payloads/customer/mistakes), for customers who wrote none of their own."""
    mistakes = bundled(clinic.dialect.name) / MISTAKES.name
    return [e for e in (_example(path, clinic) for path in sorted(mistakes.glob("*.json")))
            if e.usable and e.mistake and e.report.dialect == clinic.dialect.name]


def _files(sources: tuple[Path, ...], profile_source: str) -> Iterator[Path]:
    for source in sources:
        if source.is_dir():
            yield from sorted(source.rglob("*.json"))
        elif source.is_file():
            yield source
        else:
            raise ConfigError(profile_source, "integration.payloads", f"{source}: no such file or folder")


def _example(path: Path, clinic: Clinic) -> Example:
    report = check_file(path, images_dir=clinic.images_dir, dialect=clinic.dialect.name)
    if report.unreadable:
        return Example(path, report, None, None)
    if report.kind == "payload file":
        try:
            payload = load_payload(path)
            return Example(path, report, payload, payload.resolved(clinic.images_dir))
        except PayloadError as exc:  # the linter read it a moment ago; a file changed under us
            report.unreadable = str(exc)
            return Example(path, report, None, None)
    try:
        body = json.loads(path.read_bytes())
    except ValueError:  # the linter reports it (json_invalid); nothing can be sent
        body = None
    return Example(path, report, None, body if isinstance(body, dict) else None)
