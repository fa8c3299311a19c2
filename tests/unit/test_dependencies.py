"""Dependencies are honest: every distribution the package imports is declared, and every one declared is imported."""

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOT_IMPORTED = {  # declared for what they do, not for an import
    "python-multipart": "FastAPI parses the device's form bodies with it",
}


def _imported_modules() -> set[str]:
    names = set()
    for path in [*(ROOT / "lhv").rglob("*.py"), *(ROOT / "verification").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return {name for name in names if name not in sys.stdlib_module_names and name not in ("lhv", "_pytest")}


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")
            for requirement in project["dependencies"]}


def test_every_imported_distribution_is_declared_and_every_declared_one_imported():
    distributions = packages_distributions()
    imported = {dist.lower().replace("_", "-") for module in _imported_modules()
                for dist in distributions.get(module, [module])}
    declared = _declared()
    assert not imported - declared, f"imported but not declared in pyproject.toml: {sorted(imported - declared)}"
    unused = declared - imported - set(NOT_IMPORTED)
    assert not unused, f"declared but never imported: {sorted(unused)}"
