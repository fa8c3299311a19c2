"""How the linter reads a request body of one API dialect: its shape, its images, its severity request.

A dialect's reader does only what depends on the dialect's spelling: which operation a body is
(from its shape), the shape errors the device would report (FastAPI-style, with the dialect's
`loc`), where the images are, and the neutral severity request the shared contract rules
judge (lhv/lint/rules.py). Another dialect plugs in with a module that calls `register(reader)`,
named in READER_MODULES; its errors' `loc` come from its own loc_for, so the shared rules speak its spelling.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import Any

from lhv.device.clinical.shape_common import RequestInvalid
from lhv.device.clinical.validation import ErrorDict, Loc, LocFor, SeverityRequest
from lhv.lint.paths import Case


@dataclass(frozen=True)
class MediaEntry:
    """One image of a request as written: its declared type and its text, with where each sits."""

    type_loc: Loc
    data_loc: Loc
    content_type: Any
    data: Any


@dataclass
class Reading:
    """What a reader found in a body."""

    operation: str
    errors: list[ErrorDict]  # shape errors, as the device reports them
    media: list[MediaEntry]
    images_loc: Loc  # the image list (diagnosis) or the one image object (severity)
    image_count: int | None  # images in a diagnosis list; None when the list is not a list
    severity: SeverityRequest | None = None  # None unless a severity body's shape is sound
    severity_loc_for: LocFor | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    rule_errors: Callable[[list[ErrorDict]], list[ErrorDict]] | None = None  # the shared rules' errors in the
    #                                                                         dialect's words (v2: armLeft, pruritus)


class BodyReader(ABC):
    """Reads one dialect's request bodies."""

    dialect: str
    key_case: Case  # how the dialect spells a key that is missing from the body
    either_case: bool = False  # whether the device also takes keys in the other case
    own_keys: frozenset[str] = frozenset()  # top-level keys no other dialect has (they tell the dialect)
    overrides: frozenset[str] = frozenset()  # dialects whose claim this reader's claim wins over (v1 over plan:
    #                                          v1 shows itself by values the plan dialect refuses, not by keys)
    # The device's own request parser for the dialect (read_diagnosis, read_severity, DiagnosisBody, SeverityBody)
    # and where its severity errors sit: the linter predicts the device by running the device's code.
    parser: ModuleType
    loc_for: Callable[[SeverityRequest], LocFor]

    @abstractmethod
    def detect(self, body: Any) -> str | None:
        """The operation a body's shape shows ("diagnose" or "assess_severity"), or None."""

    @abstractmethod
    def read(self, operation: str, body: Any) -> Reading:
        """Reads a body as a request of this operation."""

    def parse_into(self, reading: Reading, body: Any) -> Reading:
        """Runs the device's parser over the body: its shape errors, or the severity request and its error places."""
        try:
            if reading.operation == "diagnose":
                self.parser.read_diagnosis(body)
            else:
                parsed = self.parser.read_severity(body)
                reading.severity = parsed.request
                reading.severity_loc_for = self.loc_for(parsed.request)
        except RequestInvalid as invalid:
            reading.errors = invalid.errors
        return reading

    def schema(self, operation: str) -> dict:
        """The request's JSON schema (with $defs), for saying what a place in the body allows."""
        return _schema(self.parser.DiagnosisBody if operation == "diagnose" else self.parser.SeverityBody)

    @abstractmethod
    def listed_systems(self, body: Any) -> list[str]:
        """The scoring-system codes a severity body lists, as written."""

    @abstractmethod
    def answer_at(self, loc: Loc, body: Any) -> tuple[str | None, str | None]:
        """(system, item code) of an error located in a questionnaire (item None above an answer); else (None, None)."""

    @abstractmethod
    def body_site_code(self, code: str) -> str:
        """A contract body-site code (snake_case) as this dialect spells it."""

    @abstractmethod
    def item_code(self, code: str) -> str:
        """A contract item code as this dialect spells it."""

    def questionnaire_example(self, system: str) -> str | None:
        """How this dialect writes a system's answers, for a message; None: the plan dialect's shape."""
        return None

    def condition_example(self) -> str | None:
        """How this dialect writes the known condition, for a message; None: the plan dialect's shape."""
        return None


@cache
def _schema(model: type) -> dict:
    return model.model_json_schema(mode="validation")


# The modules whose import registers a reader; a new dialect's reader module is added here.
READER_MODULES = ("lhv.lint.plan_reader", "lhv.lint.v2_reader", "lhv.lint.v1_reader")
_READERS: dict[str, BodyReader] = {}


def register(reader: BodyReader) -> BodyReader:
    """Makes a dialect's reader available to the linter."""
    _READERS[reader.dialect] = reader
    return reader


def _load() -> None:
    if not _READERS:
        for module in READER_MODULES:
            importlib.import_module(module)


def reader_for(dialect: str) -> BodyReader | None:
    """The reader of a dialect, or None when the linter cannot read it yet."""
    _load()
    return _READERS.get(dialect)


def detect_dialect(body: Any, default: str = "plan") -> str:
    """The dialect a request body's keys show: the one reader that recognises it, or the one whose own keys
    (DIALECT_KEYS) it has when several do; the default when none does."""
    _load()
    claims = [reader.dialect for reader in _READERS.values() if reader.detect(body) is not None]
    claims = [dialect for dialect in claims if not any(dialect in _READERS[other].overrides for other in claims)]
    if len(claims) > 1 and isinstance(body, dict):
        claims = [dialect for dialect in claims if set(body) & _READERS[dialect].own_keys] or claims
    return claims[0] if len(claims) == 1 else default


def dialects() -> list[str]:
    """The dialects the linter reads."""
    _load()
    return sorted(_READERS)
