"""A profile points PLAN_013 at another labelled set and k; a set too small to show a gain is inconclusive."""

import shutil
from importlib import resources

import pytest

from lhv.contract.labelled import read_manifest
from lhv.contract.payloads import IMAGES_DIR

pytestmark = pytest.mark.slow


def test_plan_013_uses_the_profiles_labelled_set_and_says_when_it_is_too_small(lhv, tmp_path):
    cases = read_manifest(IMAGES_DIR / "labelled" / "manifest.csv")[:4]
    folder = tmp_path / "labelled"
    folder.mkdir()
    rows = ["case_id,image,icd11"]
    for case in cases:
        for image in case.images[:2]:
            shutil.copy(image, folder / image.name)
            rows.append(f"{case.case_id},{image.name},{case.icd11}")
    (folder / "cases.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    embedded = resources.files("lhv.profiles").joinpath("embedded.toml").read_text(encoding="utf-8")
    head, _, tail = embedded.partition("[clinical]")
    tail = tail[tail.index("\n["):]  # the sections after [clinical]
    profile = tmp_path / "small-set.toml"
    profile.write_text(head + '[clinical]\nlabelled_manifest = "labelled/cases.csv"\nimages_per_case = 2\n' + tail,
                       encoding="utf-8")
    run = lhv("--profile", str(profile), "--plan", "PLAN_013")
    assert run.verdicts() == {"PLAN_013": "inconclusive"}, run.output
    (plan,) = run.results["plans"]
    assert [entry["file"] for entry in plan["test_data"]] == ["cases.csv"]
    (case,) = plan["cases"]
    assert "4 cases cannot show a gain at p < 0.05" in case["reason"]
    assert "at least 2 images" in case["steps"][0]["expected"]
