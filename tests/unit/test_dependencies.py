"""Dependencies are honest: every distribution the package imports is declared, and every one declared is imported.

An optional extra ([project.optional-dependencies], e.g. `html`) counts as declared, but the package must work
without it: each import of a distribution that only an extra declares sits in a try whose except takes ImportError."""

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
_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError"}


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(name, ast.Name) and name.id in _IMPORT_ERRORS for name in caught)


def _imports(source: str) -> list[tuple[str, bool]]:
    """Each top-level module a source imports (absolute imports only), and whether that import is guarded."""
    tree = ast.parse(source)
    guarded = {id(node) for block in ast.walk(tree) if isinstance(block, ast.Try)
               and any(_catches_import_error(handler) for handler in block.handlers)
               for statement in block.body for node in ast.walk(statement)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name.split(".")[0], id(node) in guarded) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module.split(".")[0], id(node) in guarded))
    return found


def _imported() -> dict[str, list[tuple[Path, bool]]]:
    """Each distribution the package imports → where, and whether each import is guarded."""
    distributions = packages_distributions()
    found: dict[str, list[tuple[Path, bool]]] = {}
    for path in [*(ROOT / "lhv").rglob("*.py"), *(ROOT / "verification").rglob("*.py")]:
        for module, guarded in _imports(path.read_text(encoding="utf-8")):
            if module in sys.stdlib_module_names or module in ("lhv", "_pytest"):
                continue
            for dist in distributions.get(module, [module]):
                found.setdefault(dist.lower().replace("_", "-"), []).append((path.relative_to(ROOT), guarded))
    return found


def _declared() -> tuple[set[str], set[str]]:
    """The distributions the package requires, and those only its optional extras declare."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    required = {_name(requirement) for requirement in project["dependencies"]}
    extras = {_name(requirement) for group in project.get("optional-dependencies", {}).values()
              for requirement in group}
    return required, extras - required


def test_every_imported_distribution_is_declared_and_every_declared_one_imported():
    imported = set(_imported())
    required, optional = _declared()
    assert not imported - required - optional, \
        f"imported but not declared in pyproject.toml: {sorted(imported - required - optional)}"
    unused = required - imported - set(NOT_IMPORTED)
    assert not unused, f"declared but never imported: {sorted(unused)}"


def test_an_optional_extra_is_imported_only_where_its_absence_is_caught():
    _, optional = _declared()
    bare = [f"{path} imports {dist} without catching ImportError" for dist, places in _imported().items()
            if dist in optional for path, guarded in places if not guarded]
    assert not bare, "; ".join(bare)


def test_a_guard_is_a_try_that_catches_import_error():
    source = ("try:\n    from pytest_html import extras\nexcept ImportError:\n    extras = None\n"
              "try:\n    import pypdf\nexcept ValueError:\n    pass\n"
              "def f():\n    import numpy\n")
    assert _imports(source) == [("pytest_html", True), ("pypdf", False), ("numpy", False)]
