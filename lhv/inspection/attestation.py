"""Attestations: a named person's answers about what no hook can reach, with the evidence they attach.

An attestation file (TOML) says who examined what, when and how, answers a plan's questions
and lists evidence files (paths relative to the attestation file). The record keeps the
answers, the person and each evidence file's SHA-256, and marks the step as attested.

    attested_by = "Jane Doe (JD-009), database administrator"
    date = 2026-11-20
    examined = "users table of the pre-production database"
    method = "psql as the read-only role; SELECT on users; hashes inspected, not copied"
    evidence = ["evidence/users-table-redacted.png"]

    [answers]
    stored_format = "argon2id v=19 m=19456 t=2 p=1"
    password_not_stored = true
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError

from lhv.core.errors import ConfigError


class _AttestationFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attested_by: str = Field(min_length=3)
    date: dt.date
    examined: str = Field(min_length=3)
    method: str = Field(min_length=3)
    evidence: list[str] = Field(min_length=1)
    answers: dict[str, StrictBool | StrictStr]


@dataclass(frozen=True)
class EvidenceFile:
    """One evidence file, bound to the record by its digest."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Attestation:
    """What a named person attests, and the evidence they attach."""

    source: Path
    attested_by: str
    date: dt.date
    examined: str
    method: str
    answers: dict[str, bool | str]
    evidence: tuple[EvidenceFile, ...]

    def answer(self, question: str) -> bool | str:
        """Returns the answer to a question; raises ConfigError naming the missing key."""
        if question not in self.answers:
            raise ConfigError(str(self.source), f"answers.{question}", "is missing: this plan needs the answer")
        return self.answers[question]

    def byline(self) -> str:
        """Says who attested what, when and how."""
        return (f"attested by {self.attested_by} on {self.date.isoformat()}: examined {self.examined} "
                f"({self.method})")


def load_attestation(path: str | Path) -> Attestation:
    """Reads an attestation file and hashes its evidence; problems name the file and the key."""
    path = Path(path).expanduser()
    source = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(source, None, f"cannot read attestation ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, None, f"not valid TOML ({exc})") from None
    try:
        parsed = _AttestationFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        raise ConfigError(source, key, "unknown key" if first["type"] == "extra_forbidden" else first["msg"]) from None
    if parsed.date > dt.date.today():
        raise ConfigError(source, "date", f"{parsed.date} lies in the future")
    evidence = []
    for index, name in enumerate(parsed.evidence):
        file = path.parent / name
        try:
            content = file.read_bytes()
        except OSError as exc:
            raise ConfigError(source, f"evidence[{index}]", f"cannot read {file} ({exc.strerror})") from None
        evidence.append(EvidenceFile(name, len(content), hashlib.sha256(content).hexdigest()))
    return Attestation(path, parsed.attested_by, parsed.date, parsed.examined, parsed.method,
                       dict(parsed.answers), tuple(evidence))
