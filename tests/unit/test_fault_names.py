"""Every fault or switch name the device asks for is registered: a misspelt name fails here, never silently."""

import ast
from pathlib import Path

from lhv.device.faults import FAULTS
from lhv.device.mutants import all_mutants

DEVICE = Path(__file__).resolve().parents[2] / "lhv" / "device"


def _asked_for() -> dict[str, list[str]]:
    """Name → where the device code asks `.has(name)` with a literal."""
    asked: dict[str, list[str]] = {}
    for path in sorted(DEVICE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "has" \
                    and len(node.args) == 1 and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):
                asked.setdefault(node.args[0].value, []).append(f"{path.relative_to(DEVICE)}:{node.lineno}")
    return asked


def test_every_name_the_device_asks_for_is_a_fault_or_a_mutant_switch():
    known = {fault.name for fault in FAULTS} | {mutant.id.split(":", 1)[1] for mutant in all_mutants()}
    asked = _asked_for()
    assert len(asked) > 30, "the scan found too few .has() calls: it no longer sees how the device asks"
    unknown = {name: where for name, where in asked.items() if name not in known}
    assert not unknown, f"names asked for that no fault or mutant switches: {unknown}"


def test_every_device_fault_is_asked_for_somewhere():
    asked = _asked_for()
    device_code = "\n".join(path.read_text(encoding="utf-8") for path in DEVICE.rglob("*.py"))
    silent = [fault.name for fault in FAULTS if not fault.is_evidence and fault.name not in asked
              and f'"{fault.name}"' not in device_code.replace(f'Fault("{fault.name}"', "")]
    assert not silent, f"faults no device code switches on: {silent}"
