"""What the linter reports: problems located in a file, and one report per file."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

STATUS_TEXT = {200: "OK", 413: "Content Too Large", 422: "Unprocessable Entity"}


@dataclass(frozen=True)
class Problem:
    """One thing the device would refuse, said like a compiler: where, what, what is allowed, what comes back."""

    path: str  # JSON path in the file, e.g. $.body.questionnaire_response[0].item[0].answer[0].value
    message: str  # what is wrong
    allowed: str  # what is allowed there
    status: int  # the status the device answers
    type: str  # the device's error type (missing, literal_error, value_error, …)
    loc: list[str | int]  # where the device's error points
    reason: str | None = None  # why an image is refused (data_uri, whitespace, …)
    hint: str = ""  # a likely fix, e.g. "did you mean arm_left?"

    def as_json(self) -> dict[str, Any]:
        """The problem as data for --format json."""
        return asdict(self)


@dataclass
class FileReport:
    """The linter's verdict on one file."""

    file: str
    kind: str = "request body"  # or "payload file"
    dialect: str | None = None
    operation: str | None = None
    problems: list[Problem] = field(default_factory=list)
    unreadable: str | None = None  # why the file could not be checked at all
    expect_status: int | None = None  # what a payload file says the device answers
    images: list[str] = field(default_factory=list)  # what each image is, e.g. "image/jpeg, 41.2 kB"

    @property
    def status(self) -> int | None:
        """The status the device would answer: 413 before anything else, 422 for any problem, else 200."""
        if self.unreadable:
            return None
        return max((p.status for p in self.problems), key=lambda s: s == 413, default=200) if self.problems else 200

    @property
    def exit_code(self) -> int:
        """0 clean, 1 problems, 2 unreadable."""
        return 2 if self.unreadable else 1 if self.problems else 0

    def as_json(self) -> dict[str, Any]:
        """The report as data for --format json."""
        return {"file": self.file, "kind": self.kind, "dialect": self.dialect, "operation": self.operation,
                "status": self.status, "expect_status": self.expect_status, "images": self.images,
                "unreadable": self.unreadable, "problems": [p.as_json() for p in self.problems]}
