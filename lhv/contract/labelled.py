"""PLAN_013's labelled image set and its statistics: top-1 accuracy with 1 vs k images, the exact McNemar test.

The manifest is CSV with the columns case_id, image, icd11 (one row per image; a case is one
lesion photographed several times; image paths are relative to the manifest's folder). The
comparison is paired: each case is diagnosed from its first image alone and from its first k
images together, and the exact McNemar test (a two-sided binomial test on the discordant pairs)
says whether the gain could be chance.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lhv.core.errors import ConfigError

COLUMNS = ("case_id", "image", "icd11")


@dataclass(frozen=True)
class LabelledCase:
    """One lesion: its id, true ICD-11 code and its images in manifest order."""

    case_id: str
    icd11: str
    images: tuple[Path, ...]


def read_manifest(path: Path) -> list[LabelledCase]:
    """Reads a manifest; a missing column, an empty field, a missing image or a case with two codes is a ConfigError."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(source, None, f"cannot read the labelled set's manifest ({exc.strerror})") from None
    rows = csv.DictReader(text.splitlines())
    missing = [column for column in COLUMNS if column not in (rows.fieldnames or [])]
    if missing:
        raise ConfigError(source, missing[0], f"missing column (the manifest needs {', '.join(COLUMNS)})")
    cases: dict[str, tuple[str, list[Path]]] = {}
    for line, row in enumerate(rows, start=2):
        for column in COLUMNS:
            if not (row.get(column) or "").strip():
                raise ConfigError(source, f"line {line}: {column}", "empty")
        case_id, code, image = row["case_id"].strip(), row["icd11"].strip(), path.parent / row["image"].strip()
        if not image.is_file():
            raise ConfigError(source, f"line {line}: image", f"no such file: {image}")
        known = cases.setdefault(case_id, (code, []))
        if known[0] != code:
            raise ConfigError(source, f"line {line}: icd11", f"case {case_id} is {known[0]} on an earlier line")
        known[1].append(image)
    if not cases:
        raise ConfigError(source, None, "no cases")
    return [LabelledCase(case_id, code, tuple(images)) for case_id, (code, images) in cases.items()]


@dataclass(frozen=True)
class CaseOutcome:
    """What the device concluded for one case with one image and with k images."""

    case_id: str
    truth: str
    single_top: str
    multi_top: str
    single_truth_probability: float  # the probability (0–100) the device gave the true condition
    multi_truth_probability: float

    @property
    def single_right(self) -> bool:
        """Top-1 correct from the first image alone."""
        return self.single_top == self.truth

    @property
    def multi_right(self) -> bool:
        """Top-1 correct from k images together."""
        return self.multi_top == self.truth


@dataclass(frozen=True)
class Comparison:
    """Paired top-1 outcomes with one image vs k images, and the exact McNemar test."""

    cases: int
    single_accuracy: float
    multi_accuracy: float
    single_mean_probability: float
    multi_mean_probability: float
    both_right: int
    only_multi_right: int  # b: discordant pairs won by more images
    only_single_right: int  # c: discordant pairs lost
    both_wrong: int
    p_value: float


def compare(outcomes: Sequence[CaseOutcome]) -> Comparison:
    """Accuracy, mean true-condition probability and the exact McNemar p-value of paired outcomes."""
    if not outcomes:
        raise ValueError("no outcomes to compare")
    n = len(outcomes)
    pairs = Counter((o.single_right, o.multi_right) for o in outcomes)
    gained, lost = pairs[(False, True)], pairs[(True, False)]
    return Comparison(
        cases=n,
        single_accuracy=sum(o.single_right for o in outcomes) / n,
        multi_accuracy=sum(o.multi_right for o in outcomes) / n,
        single_mean_probability=sum(o.single_truth_probability for o in outcomes) / n,
        multi_mean_probability=sum(o.multi_truth_probability for o in outcomes) / n,
        both_right=pairs[(True, True)], only_multi_right=gained, only_single_right=lost,
        both_wrong=pairs[(False, False)], p_value=mcnemar_exact(gained, lost))


def mcnemar_exact(gained: int, lost: int) -> float:
    """The exact McNemar p-value: two-sided binomial test of `gained` among the discordant pairs at 1/2."""
    discordant = gained + lost
    from scipy.stats import binomtest  # scipy takes a second to import: only when a p-value is computed

    return 1.0 if discordant == 0 else float(binomtest(gained, discordant, 0.5).pvalue)


def smallest_p(cases: int) -> float:
    """The smallest p-value the test can give on this many cases (every pair discordant and won)."""
    return mcnemar_exact(cases, 0)


def confusion(outcomes: Sequence[CaseOutcome], multi: bool) -> dict[tuple[str, str], int]:
    """Counts of (true code, top-1 code) with one image (multi False) or k images."""
    return dict(Counter((o.truth, o.multi_top if multi else o.single_top) for o in outcomes))
