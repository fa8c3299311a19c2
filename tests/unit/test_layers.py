"""The layers of pyproject.toml's import-linter contracts hold, and a backwards import breaks them by name."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")], cwd=root,
                          capture_output=True, text=True, timeout=300, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})


def _copy_of_the_code(tmp_path: Path) -> Path:
    for folder in ("lhv", "verification"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_every_import_points_down():
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_backwards_import_fails_with_its_name(tmp_path):
    root = _copy_of_the_code(tmp_path)
    (root / "lhv" / "core" / "backwards.py").write_text('"""Reaches up."""\n\nimport lhv.harness.steps  # noqa\n')
    done = _lint(root)
    assert done.returncode == 1, done.stdout
    assert "lhv.core.backwards -> lhv.harness.steps" in done.stdout, done.stdout


def test_a_plan_reaching_into_the_device_fails_with_its_name(tmp_path):
    root = _copy_of_the_code(tmp_path)
    plan = root / "verification" / "plan_001_credentials_give_access_token.py"
    plan.write_text(plan.read_text() + "\nfrom lhv.device import tokens  # noqa\n")
    done = _lint(root)
    assert done.returncode == 1, done.stdout
    assert "verification.plan_001_credentials_give_access_token -> lhv.device.tokens" in done.stdout, done.stdout
