"""The built wheel installs only lhv, and `lhv verify` runs from it (not from the repository) with its bundled data."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, str]:
    """The wheel, and what the build said."""
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(out), str(ROOT)],
                          check=True, capture_output=True, text=True, timeout=600)
    (wheel,) = out.glob("lhv-*.whl")
    return wheel, done.stdout + done.stderr


@pytest.fixture(scope="module")
def wheel(built) -> Path:
    return built[0]


def test_the_build_finds_every_data_folder_among_the_packages(built):
    # setuptools warns (and will refuse) where data files sit in a folder that no listed package names
    assert "absent from the `packages` configuration" not in built[1], built[1][-3000:]


def test_the_wheel_holds_only_lhv_at_top_level(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")} == {"lhv"}
    for expected in ("lhv/plans/catalog.toml", "lhv/plans/plan_001_credentials_give_access_token.py",
                     "lhv/payload_files/diagnose/five-images.json", "lhv/fixtures/images/acne.jpg"):
        assert any(name == expected or name.startswith(expected) for name in names), expected


def test_lhv_verify_runs_from_the_installed_wheel(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True, timeout=600)
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run([sys.executable, "-c", "import lhv, lhv.plans; print(lhv.__file__, lhv.plans.__file__)"],
                           env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True).stdout
    assert str(ROOT) not in where and str(site) in where, where
    done = subprocess.run([sys.executable, "-m", "lhv.app.cli", "verify", "--plan", "PLAN_001", "--plan", "PLAN_009",
                           "--plan", "PLAN_010", "--reports-dir", str(tmp_path / "reports")], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    (record,) = (tmp_path / "reports").iterdir()
    results = json.loads((record / "results.json").read_text())
    assert {plan["id"]: plan["verdict"] for plan in results["plans"]} == {
        "PLAN_001": "passed", "PLAN_009": "passed", "PLAN_010": "passed"}
