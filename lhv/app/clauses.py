"""The contract as numbered clauses (verification/clauses.toml): loading, validation, coverage and the readable page.

A clause is one testable obligation of the device, in the project's own words. It names the plans
and the named checks that verify it, the faults (later also mutants) that prove those checks can
fail, the profile settings its numbers are kept by, where the dialects differ, and where it departs
from the public SDK's evidence. `python -m lhv.app.clauses` prints docs/contract.md from the file.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from lhv.contract.clauses import SOURCE, Clause, Contract, contract

# ---- the names a clause may cite -------------------------------------------------------------------------------

# Where a check's name is recorded: the first argument of these classes (module, class). A function that passes
# one of its own parameters on to such a place (require, findings, forwarders of theirs) records names too.
_SINKS = {("lhv.core.evidence", "CheckResult"), ("lhv.core.errors", "CheckFailed"), ("lhv.checks.outcomes", "Finding")}
_SCANNED_PACKAGES = ("lhv", "lhv.plans")  # the plans live in verification/ of the repository


@dataclass(frozen=True)
class CheckNames:
    """The check names the code can record: exact names and patterns (from f-strings such as score-oracle-{x})."""

    exact: frozenset[str]
    patterns: tuple[str, ...]

    def knows(self, name: str) -> bool:
        """True when the code can record a check of this name."""
        return name in self.exact or any(re.fullmatch(pattern, name) for pattern in self.patterns)


@cache
def known_checks() -> CheckNames:
    """Every check name the harness can record: found by reading its source, plus its registries.

    Step checks are recorded through `CheckResult`/`CheckFailed`/`Finding`, mostly as literal names in
    `require(...)` calls, some through helpers that pass their own `name`/`check` parameter on (send_plain,
    checks_collected, check_property, ShapeReader.require, require_data): the scan follows such parameters to
    the literals their callers pass. Security checks and schemathesis checks are named by their registries.
    """
    from lhv.fuzz.runner import CHECK_NAMES, NO_ANSWER, TRANSPORT_HEADERS
    from lhv.security.registry import AREAS, checks_of

    exact, patterns = _scan_sources(_source_files())
    exact |= {check.id for area in AREAS for check in checks_of(area)}
    exact |= {f"fuzz:{name}" for name in (*CHECK_NAMES, NO_ANSWER, TRANSPORT_HEADERS)}
    return CheckNames(frozenset(exact), tuple(sorted(patterns)))


def _source_files() -> list[Path]:
    files = []
    for package in _SCANNED_PACKAGES:
        root = Path(str(resources.files(package)))
        files += sorted(path for path in root.rglob("*.py") if "__pycache__" not in path.parts)
    return files


def _scan_sources(paths: Iterable[Path]) -> tuple[set[str], set[str]]:
    """Returns (exact names, regex patterns) of the checks the given source files record."""
    trees = [ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in paths]
    sinks = [_sink_names(tree) for tree in trees]
    forwarders: dict[str, set[tuple[int, str]]] = {}
    changed = True
    while changed:  # a forwarder of a forwarder forwards too
        changed = False
        for tree, local_sinks in zip(trees, sinks):
            for name, slot in _forwarding(tree, local_sinks, forwarders):
                if slot not in forwarders.setdefault(name, set()):
                    forwarders[name].add(slot)
                    changed = True
    exact: set[str] = set()
    patterns: set[str] = set()
    for tree, local_sinks in zip(trees, sinks):
        for call in (node for node in ast.walk(tree) if isinstance(node, ast.Call)):
            for position, keyword in _slots(call, local_sinks, forwarders):
                argument = _argument(call, position, keyword)
                if argument is not None:
                    found_exact, found_patterns = _name_values(argument)
                    exact |= found_exact
                    patterns |= found_patterns
    return exact, patterns


def _sink_names(tree: ast.Module) -> dict[str, int]:
    """The local names of the sink classes a module imports, each with the position of the name argument."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                if (node.module, alias.name) in _SINKS:
                    names[alias.asname or alias.name] = 0
    return names


def _called(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _slots(call: ast.Call, sinks: Mapping[str, int], forwarders: Mapping[str, set[tuple[int, str]]]) \
        -> set[tuple[int, str | None]]:
    name = _called(call)
    slots: set[tuple[int, str | None]] = set()
    if isinstance(call.func, ast.Name) and name in sinks:
        slots.add((sinks[name], None))
    slots |= set(forwarders.get(name or "", ()))
    return slots


def _argument(call: ast.Call, position: int, keyword: str | None) -> ast.expr | None:
    if position < len(call.args) and not any(isinstance(arg, ast.Starred) for arg in call.args[:position + 1]):
        return call.args[position]
    return next((kw.value for kw in call.keywords if keyword is not None and kw.arg == keyword), None)


def _forwarding(tree: ast.Module, sinks: Mapping[str, int], forwarders: Mapping[str, set[tuple[int, str]]]) \
        -> Iterable[tuple[str, tuple[int, str]]]:
    """(function name, (position, parameter)) for each function that passes a parameter on as a check's name."""
    for function, in_class in _functions(tree):
        arguments = function.args
        parameters = [a.arg for a in arguments.posonlyargs + arguments.args]
        if in_class and parameters and parameters[0] in ("self", "cls"):
            parameters = parameters[1:]
        keyword_only = [a.arg for a in arguments.kwonlyargs]
        for call in (node for node in ast.walk(function) if isinstance(node, ast.Call)):
            for position, keyword in _slots(call, sinks, forwarders):
                argument = _argument(call, position, keyword)
                if isinstance(argument, ast.Name):
                    if argument.id in parameters:
                        yield function.name, (parameters.index(argument.id), argument.id)
                    elif argument.id in keyword_only:
                        yield function.name, (sys.maxsize, argument.id)


def _functions(tree: ast.Module) -> Iterable[tuple[ast.FunctionDef | ast.AsyncFunctionDef, bool]]:
    """Every function, and whether it is a method (its first parameter is then not a caller's argument)."""
    methods = {id(item) for node in ast.walk(tree) if isinstance(node, ast.ClassDef) for item in node.body}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node, id(node) in methods


def _name_values(node: ast.expr) -> tuple[set[str], set[str]]:
    """The literal names (and f-string patterns) an argument can take."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}, set()
    if isinstance(node, ast.JoinedStr):
        return set(), {"".join(re.escape(part.value) if isinstance(part, ast.Constant) else ".+"
                               for part in node.values)}
    if isinstance(node, ast.IfExp):
        body, orelse = _name_values(node.body), _name_values(node.orelse)
        return body[0] | orelse[0], body[1] | orelse[1]
    return set(), set()


def known_kills() -> frozenset[str]:
    """The names a clause's kills may cite: the reference device's faults and its generated mutants' ids."""
    from lhv.device.faults import FAULTS
    from lhv.device.mutants import all_mutants

    return frozenset(fault.name for fault in FAULTS) | frozenset(mutant.id for mutant in all_mutants())


# ---- kills of generated mutants, from the campaign's committed evidence ----------------------------------------

KILLS_FILE = "mutant_kills.json"  # in verification/: written by `lhv selftest --kills`, reviewed like code


@cache
def mutant_kills() -> Mapping[str, Mapping[str, Any]]:
    """Mutant id → its last campaign outcome ({status, caught_by: plan → checks, run_id}); empty when none ran."""
    path = resources.files("lhv.plans").joinpath(KILLS_FILE)
    if not path.is_file():
        return MappingProxyType({})
    return MappingProxyType(json.loads(path.read_text(encoding="utf-8")).get("mutants", {}))


def generated_kills(clause: Clause) -> tuple[str, ...]:
    """The generated mutants that break this clause (by the generator's attribution) and that a campaign saw killed
    by one of the clause's own checks in one of its plans."""
    from lhv.device.mutants import all_mutants

    kills = mutant_kills()
    found = []
    for mutant in all_mutants():
        outcome = kills.get(mutant.id)
        if clause.id not in mutant.clauses or not outcome or outcome.get("status") != "killed":
            continue
        caught = {name for plan, names in outcome.get("caught_by", {}).items() if plan in clause.plans
                  for name in names}
        if caught & set(clause.checks):
            found.append(mutant.id)
    return tuple(found)


def clause_gaps() -> dict[str, str]:
    """Clause id → what it lacks ("no check", "no kill", both), for the clauses not yet verified end to end."""
    gaps = {}
    for clause_id, clause in contract().clauses.items():
        missing = [what for what, present in (("no check", clause.checks),
                                              ("no kill", clause.kills or generated_kills(clause))) if not present]
        if missing:
            gaps[clause_id] = ", ".join(missing)
    return gaps


# ---- evidence: which checks failed in a run ---------------------------------------------------------------------

_NAMED = re.compile(r"\[([a-z][a-z0-9_.]*[-:][a-z0-9:_.-]*)\]")  # "[check-name]", as CheckFailed writes it


def failed_checks(results: Mapping[str, Any], plans: Iterable[str] | None = None,
                  record_dir: Path | None = None) -> dict[str, set[str]]:
    """Plan id → the names of the checks that failed in a run's results.json (for the plans given, or all).

    A failed check is a step check with passed false; the check a failed case's reason names ("[name] …", as
    a CheckFailed says it); a check named inside a failed check's detail (a property's counterexample, or a
    block of collected checks, reports the inner check that broke as "[name] …"); or a security finding kept in
    the record's attachments/<plan>/findings.json.
    """
    wanted = None if plans is None else set(plans)
    failed: dict[str, set[str]] = {}
    for plan in results.get("plans", []):
        if wanted is not None and plan["id"] not in wanted:
            continue
        names = failed.setdefault(plan["id"], set())
        for case in plan.get("cases", []):
            names |= case_failed_checks(case)
        if record_dir is not None:
            names |= _finding_ids(record_dir / "attachments" / plan["id"] / "findings.json")
    return failed


def case_failed_checks(case: Mapping[str, Any]) -> set[str]:
    """The names of the checks that failed in one case of a results.json: its steps' failed checks, the checks named
    inside their details, and the check a failed case's reason names."""
    names: set[str] = set()
    for step in case.get("steps", []):
        for check in step.get("checks", []):
            if not check.get("passed"):
                names.add(check["name"])
                names.update(_NAMED.findall(check.get("detail") or ""))
    reason = case.get("reason") or ""
    if case.get("verdict") == "failed" and _NAMED.match(reason):
        names.update(_NAMED.findall(reason))
    return names


def _finding_ids(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    return {finding["id"] for finding in json.loads(path.read_text(encoding="utf-8")) if "id" in finding}


# ---- the readable page -----------------------------------------------------------------------------------------

def _codes(names: Iterable[str]) -> str:
    return ", ".join(f"`{name}`" for name in names) or "—"


def render_markdown(source: Contract | None = None) -> str:
    """docs/contract.md: every clause by area, with its plans, checks, kills, settings and dialect notes."""
    contract_ = source or contract()
    lines = ["# The device contract, clause by clause", "",
             f"Generated from `{SOURCE}` by `python -m lhv.app.clauses`; do not edit by hand (a test keeps the two in "
             "step).",
             "", "Each clause is one testable obligation of the device. **Checks** are the harness's named checks that "
             "verify it (the names a record shows); **kills** are the reference device's faults (run by the fault "
             "matrix) that make those checks fail, proving they can; **generated kills** are the generated mutants "
             f"that break the clause and that a campaign saw killed by one of its checks (`verification/{KILLS_FILE}`, "
             "written by `lhv selftest --kills`). A clause with no check or no kill is listed as such: it is not yet "
             "verified, or not yet proven verifiable. **Settings** are the profile keys that keep the clause's numbers "
             "(the reference device's values are the profile defaults).", "",
             f"{len(contract_.clauses)} clauses in {len(contract_.areas)} areas.", ""]
    for area, title in contract_.areas.items():
        clauses = contract_.of_area(area)
        if not clauses:
            continue
        lines += [f"## {title}", ""]
        for clause in clauses:
            lines += [f"### {clause.id}", "", clause.text, ""]
            for name, text in clause.dialects.items():
                lines += [f"- Dialect {name}: {text}"]
            if clause.departs_from_sdk:
                lines += [f"- Departs from the public SDK: {clause.departs_from_sdk}"]
            generated = generated_kills(clause) if source is None else ()
            lines += [f"- Plans: {', '.join(clause.plans)}",
                      f"- Checks: {_codes(clause.checks) if clause.checks else '**none yet**'}",
                      f"- Kills: {_codes(clause.kills) if clause.kills else '**none yet**' if not generated else '—'}"]
            if generated:
                shown = _codes(generated[:3]) + (f" and {len(generated) - 3} more" if len(generated) > 3 else "")
                lines += [f"- Generated kills ({len(generated)}): {shown}"]
            if clause.settings:
                lines += [f"- Settings: {_codes(clause.settings)}"]
            lines.append("")
    unverified = [c.id for c in contract_.clauses.values() if not c.checks]
    unproven = [c.id for c in contract_.clauses.values()
                if c.checks and not c.kills and not (generated_kills(c) if source is None else ())]
    lines += ["## Open clauses", "",
              f"- Without a check ({len(unverified)}): {', '.join(unverified) or 'none'}",
              f"- With checks but nothing yet that kills them ({len(unproven)}): {', '.join(unproven) or 'none'}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def main() -> None:
    """Prints docs/contract.md."""
    sys.stdout.write(render_markdown())


if __name__ == "__main__":
    main()
