"""The layers of pyproject.toml's import-linter contracts hold, and a backwards import breaks them by name.

import-linter reads packages from disk, so it runs on a copy of the code laid out as installed: the repository's
verification/ is the package lhv.plans (setup.py)."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
                "sys.exit(lint_imports_command())"]


def _lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*LINT_IMPORTS, "--no-cache", str(root / "pyproject.toml")], cwd=root, capture_output=True,
                          text=True, timeout=300, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})


def _copy_of_the_code(tmp_path: Path) -> Path:
    ignored = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "lhv", tmp_path / "lhv", ignore=ignored)
    shutil.copytree(ROOT / "verification", tmp_path / "lhv" / "plans", ignore=ignored)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_every_import_points_down(tmp_path):
    done = _lint(_copy_of_the_code(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 2 kept, 0 broken." in done.stdout, done.stdout


def test_a_backwards_import_fails_with_its_name(tmp_path):
    root = _copy_of_the_code(tmp_path)
    (root / "lhv" / "core" / "backwards.py").write_text('"""Reaches up."""\n\nimport lhv.harness.steps  # noqa\n')
    done = _lint(root)
    assert done.returncode == 1, done.stdout
    assert "lhv.core.backwards -> lhv.harness.steps" in done.stdout, done.stdout


def test_a_plan_reaching_into_the_device_fails_with_its_name(tmp_path):
    root = _copy_of_the_code(tmp_path)
    plan = root / "lhv" / "plans" / "plan_001_credentials_give_access_token.py"
    plan.write_text(plan.read_text() + "\nfrom lhv.device import tokens  # noqa\n")
    done = _lint(root)
    assert done.returncode == 1, done.stdout
    assert "lhv.plans.plan_001_credentials_give_access_token -> lhv.device.tokens" in done.stdout, done.stdout
