"""PLAN_013 Improved accuracy with multiple images.

Purpose: on a labelled image set (the profile's manifest, case_id,image,icd11; by default the
generated set in fixtures/images/labelled), each lesion is diagnosed from its first image alone
and from its first k images together. The plan reports top-1 accuracy and the mean probability of
the true condition both ways, the paired outcomes and the confusion counts, and the exact McNemar
test on the discordant pairs; it passes when accuracy with k images is higher and p is below the
profile's significance level.
"""

import csv

from lhv.checks.outcomes import require
from lhv.clinical.reports import check_diagnosis_report
from lhv.contract.labelled import CaseOutcome, compare, confusion, read_manifest, smallest_p
from lhv.contract.payloads import IMAGES_DIR
from lhv.core.errors import Inconclusive
from lhv.harness.clinical_steps import checks_collected
from lhv.session.clinic import profile_path

PLAN_ID = "PLAN_013"
DEFAULT_MANIFEST = IMAGES_DIR / "labelled" / "manifest.csv"


def _diagnose_each(clinic, cases, count):
    """(top-1 code, probability of the true condition) for each case, from its first `count` images."""
    results = []
    for case in cases:
        images = [clinic.image_file(path) for path in case.images[:count]]
        report = check_diagnosis_report(clinic, clinic.diagnose(images), len(images))
        truth = next((condition.probability for condition in report.conditions if condition.code == case.icd11), 0.0)
        results.append((report.conditions[0].code, truth))
    return results


def _percent(fraction):
    return f"{100 * fraction:.1f} %"


def _write_outcomes(folder, outcomes, k):
    """Writes the per-case outcomes as CSV into folder; returns its path."""
    path = folder / "outcomes.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["case_id", "icd11", "top1_1_image", f"top1_{k}_images", "p_true_1_image",
                         f"p_true_{k}_images"])
        for o in outcomes:
            writer.writerow([o.case_id, o.truth, o.single_top, o.multi_top, o.single_truth_probability,
                             o.multi_truth_probability])
    return path


def _confusion_text(outcomes, multi):
    counts = confusion(outcomes, multi)
    return "; ".join(f"{truth}→{top}: {n}" for (truth, top), n in sorted(counts.items()))


def test_more_images_of_a_lesion_give_a_more_accurate_diagnosis(clinic, step, target):
    """Top-1 accuracy with k images per lesion is higher than with one, with an exact McNemar p below the level."""
    settings = target.profile.clinical
    k, alpha = settings.images_per_case, settings.significance
    manifest = profile_path(target, settings.labelled_manifest, DEFAULT_MANIFEST)
    with step(f"Read the labelled set's manifest ({manifest})",
              expect=f"cases (lesions) with at least {k} images each, every image present"):
        cases = read_manifest(manifest)
        usable = [case for case in cases if len(case.images) >= k]
        step.uses(manifest, f"labelled image set: {len(cases)} cases, "
                                                 f"{sum(len(c.images) for c in cases)} images")
        require("labelled-cases", bool(usable), f"no case has {k} images (clinical.images_per_case)",
                f"{len(usable)} of {len(cases)} cases have at least {k} images; "
                f"{len({c.icd11 for c in usable})} conditions")
        if len(usable) < len(cases):
            step.note(f"{len(cases) - len(usable)} case(s) with fewer than {k} images left out")
    if smallest_p(len(usable)) >= alpha:
        raise Inconclusive(f"{len(usable)} cases cannot show a gain at p < {alpha} even if every one improved "
                           f"(smallest possible p {smallest_p(len(usable)):.3f}): the labelled set is too small")
    with step(f"Send each case's first image alone to diagnosis support ({len(usable)} requests)",
              expect="200 each with a ranked diagnosis; top-1 and the true condition's probability noted") as record:
        with checks_collected(record, "single-image-diagnoses") as collected:
            single = _diagnose_each(clinic, usable, 1)
            collected.success = f"{len(single)} diagnoses, each well-formed"
    with step(f"Send each case's first {k} images together ({len(usable)} requests)",
              expect="200 each with one analysis per image and an aggregate diagnosis") as record:
        with checks_collected(record, "multi-image-diagnoses") as collected:
            multi = _diagnose_each(clinic, usable, k)
            collected.success = f"{len(multi)} diagnoses, each well-formed"
    outcomes = [CaseOutcome(case.case_id, case.icd11, s[0], m[0], s[1], m[1])
                for case, s, m in zip(usable, single, multi)]
    result = compare(outcomes)
    with step(f"Compare top-1 accuracy with 1 and with {k} images, paired by case (exact McNemar test)",
              expect=f"accuracy with {k} images higher than with 1, and p < {alpha}") as record:
        step.note(f"top-1 accuracy: 1 image {_percent(result.single_accuracy)}, {k} images "
                  f"{_percent(result.multi_accuracy)} ({result.cases} cases)")
        step.note(f"mean probability of the true condition: 1 image {result.single_mean_probability:.1f} %, "
                  f"{k} images {result.multi_mean_probability:.1f} %")
        step.note(f"paired outcomes: both right {result.both_right}, only with {k} images right "
                  f"{result.only_multi_right}, only with 1 image right {result.only_single_right}, both wrong "
                  f"{result.both_wrong}")
        step.note(f"confusion (true→top-1), 1 image: {_confusion_text(outcomes, multi=False)}")
        step.note(f"confusion (true→top-1), {k} images: {_confusion_text(outcomes, multi=True)}")
        step.attach(_write_outcomes(step.folder, outcomes, k),
                    "per-case top-1 and true-condition probability, 1 vs k images")
        require("multi-image-accuracy-higher", result.multi_accuracy > result.single_accuracy,
                f"accuracy with {k} images {_percent(result.multi_accuracy)} is not higher than with 1 "
                f"({_percent(result.single_accuracy)})",
                f"{_percent(result.multi_accuracy)} with {k} images > {_percent(result.single_accuracy)} with 1")
        discordant = result.only_multi_right + result.only_single_right
        require("paired-exact-test", result.p_value < alpha,
                f"exact McNemar p = {result.p_value:.4g} on {discordant} discordant pairs is not below {alpha}",
                f"exact McNemar p = {result.p_value:.4g} on {discordant} discordant pairs "
                f"({result.only_multi_right} gained, {result.only_single_right} lost) < {alpha}")
