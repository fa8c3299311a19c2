"""PLAN_013's labelled set: the manifest is read strictly, and the paired statistics are exact."""

from __future__ import annotations

import pytest
from scipy.stats import binomtest

from lhv.contract.labelled import CaseOutcome, compare, confusion, mcnemar_exact, read_manifest, smallest_p
from lhv.contract.payloads import IMAGES_DIR
from lhv.core.errors import ConfigError


def _manifest(tmp_path, text, images=("a-1.jpg", "a-2.jpg")):
    for name in images:
        (tmp_path / name).write_bytes(b"x")
    path = tmp_path / "manifest.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_packaged_manifest_has_three_images_per_case():
    cases = read_manifest(IMAGES_DIR / "labelled" / "manifest.csv")
    assert len(cases) == 40 and {len(case.images) for case in cases} == {3}
    assert all(path.is_file() for case in cases for path in case.images)


def test_rows_group_into_cases_in_order(tmp_path):
    path = _manifest(tmp_path, "case_id,image,icd11\na,a-1.jpg,EA80\na,a-2.jpg,EA80\n")
    (case,) = read_manifest(path)
    assert case.case_id == "a" and case.icd11 == "EA80" and [p.name for p in case.images] == ["a-1.jpg", "a-2.jpg"]


@pytest.mark.parametrize(("text", "field", "words"), [
    ("case,image,icd11\na,a-1.jpg,EA80\n", "case_id", "missing column"),
    ("case_id,image,icd11\na,,EA80\n", "line 2: image", "empty"),
    ("case_id,image,icd11\na,a-9.jpg,EA80\n", "line 2: image", "no such file"),
    ("case_id,image,icd11\na,a-1.jpg,EA80\na,a-2.jpg,EA90\n", "line 3: icd11", "earlier line"),
    ("case_id,image,icd11\n", None, "no cases"),
])
def test_a_bad_manifest_names_file_and_field(tmp_path, text, field, words):
    path = _manifest(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        read_manifest(path)
    assert caught.value.source == str(path) and caught.value.field == field and words in caught.value.problem


def _outcome(case, single_right, multi_right):
    return CaseOutcome(case, "EA80", "EA80" if single_right else "EA90", "EA80" if multi_right else "ED70",
                       80.0 if single_right else 20.0, 90.0 if multi_right else 10.0)


def test_compare_counts_pairs_and_gives_the_exact_mcnemar_p():
    outcomes = ([_outcome("r", True, True)] * 23 + [_outcome("g", False, True)] * 11 +
                [_outcome("l", True, False)] * 1 + [_outcome("w", False, False)] * 5)
    result = compare(outcomes)
    assert (result.both_right, result.only_multi_right, result.only_single_right, result.both_wrong) == (23, 11, 1, 5)
    assert result.single_accuracy == 24 / 40 and result.multi_accuracy == 34 / 40
    assert result.p_value == pytest.approx(binomtest(11, 12, 0.5).pvalue) == pytest.approx(0.00634765625)
    assert result.single_mean_probability == pytest.approx((24 * 80 + 16 * 20) / 40)
    assert confusion(outcomes, multi=True) == {("EA80", "EA80"): 34, ("EA80", "ED70"): 6}


def test_no_discordant_pair_gives_p_1_and_small_sets_cannot_reach_significance():
    assert mcnemar_exact(0, 0) == 1.0
    assert smallest_p(5) == pytest.approx(0.0625) and smallest_p(6) < 0.05
    with pytest.raises(ValueError):
        compare([])
