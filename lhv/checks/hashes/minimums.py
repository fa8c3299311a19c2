"""Loads OWASP's password-storage minimums and judges a stored credential against them.

Argon2i and Argon2d are rejected unless the minimums file lists them as accepted variants:
OWASP recommends Argon2id, and the device contract names argon2id (bcrypt, scrypt and
PBKDF2 acceptable). Equivalent configurations count as alternatives: a hash passes when
every parameter reaches those of at least one of them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from lhv.checks.hashes.formats import StoredCredential
from lhv.core.errors import ConfigError

DEFAULT_MINIMUMS_FILE: Traversable = resources.files("lhv") / "data" / "owasp_password_storage.toml"


@dataclass(frozen=True)
class Argon2Cost:
    """One Argon2 configuration: memory in KiB, iterations, lanes."""

    memory_kib: int
    iterations: int
    parallelism: int

    def __str__(self) -> str:
        return f"m={self.memory_kib} t={self.iterations} p={self.parallelism}"


@dataclass(frozen=True)
class ScryptCost:
    """One scrypt configuration: CPU/memory cost N, block size r, parallelisation p."""

    n: int
    r: int
    p: int

    def __str__(self) -> str:
        return f"N={self.n} r={self.r} p={self.p}"


@dataclass(frozen=True)
class PasswordStorageMinimums:
    """The password-storage minimums of one reviewed edition of the OWASP cheat sheet."""

    source: str
    reviewed: date
    argon2_variants: tuple[str, ...]
    argon2: tuple[Argon2Cost, ...]
    scrypt: tuple[ScryptCost, ...]
    bcrypt_cost: int
    pbkdf2_iterations: dict[str, int]


@dataclass(frozen=True)
class Assessment:
    """Whether a stored credential meets the minimums, why not, and what else is worth knowing."""

    acceptable: bool
    findings: list[str]  # each reason it is not acceptable; empty when acceptable
    notes: list[str] = field(default_factory=list)


def load_minimums(path: str | Path | None = None) -> PasswordStorageMinimums:
    """Reads the minimums file (the packaged OWASP one by default); errors name the file and key."""
    file = DEFAULT_MINIMUMS_FILE if path is None else Path(path)
    source = str(file)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(source, None, "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, None, f"not valid TOML: {exc}") from None
    toml = _TomlReader(source, data)
    return PasswordStorageMinimums(
        source=toml.text("source"),
        reviewed=toml.day("reviewed"),
        argon2_variants=tuple(toml.texts("argon2", "accepted_variants")),
        argon2=tuple(
            Argon2Cost(toml.positive_int("argon2", "configurations", i, "memory_kib"),
                       toml.positive_int("argon2", "configurations", i, "iterations"),
                       toml.positive_int("argon2", "configurations", i, "parallelism"))
            for i in range(toml.table_count("argon2", "configurations"))),
        scrypt=tuple(
            ScryptCost(toml.positive_int("scrypt", "configurations", i, "n"),
                       toml.positive_int("scrypt", "configurations", i, "r"),
                       toml.positive_int("scrypt", "configurations", i, "p"))
            for i in range(toml.table_count("scrypt", "configurations"))),
        bcrypt_cost=toml.positive_int("bcrypt", "min_cost"),
        pbkdf2_iterations={name: toml.positive_int("pbkdf2", name) for name in toml.keys("pbkdf2")},
    )


def assess(credential: StoredCredential, minimums: PasswordStorageMinimums | None = None) -> Assessment:
    """Compares a stored credential's scheme and cost with the minimums (the packaged ones by default)."""
    if minimums is None:
        minimums = load_minimums()
    if not credential.is_slow_hash:
        return Assessment(False, [f"not a salted slow password hash: {credential.summary()}"])
    findings: list[str] = []
    notes: list[str] = []
    params = credential.params
    if credential.scheme.startswith("argon2"):
        _check_argon2(credential.scheme, params, minimums, findings, notes)
    elif credential.scheme == "scrypt":
        cost = ScryptCost(int(params["N"]), int(params["r"]), int(params["p"]))
        if not any(cost.n >= c.n and cost.r >= c.r and cost.p >= c.p for c in minimums.scrypt):
            findings.append(f"scrypt {cost} is below every OWASP configuration ({_listing(minimums.scrypt)})")
    elif credential.scheme == "bcrypt":
        if int(params["cost"]) < minimums.bcrypt_cost:
            findings.append(f"bcrypt cost {params['cost']} is below the OWASP minimum {minimums.bcrypt_cost}")
        if "prehash" not in params:
            notes.append("bcrypt reads only the first 72 bytes of a password")
    else:
        _check_pbkdf2(str(params["hash"]), int(params["iterations"]), minimums, findings)
    return Assessment(not findings, findings, notes)


def _check_argon2(variant: str, params: dict[str, int | str], minimums: PasswordStorageMinimums,
                  findings: list[str], notes: list[str]) -> None:
    if variant not in minimums.argon2_variants:
        findings.append(f"{variant} is not an accepted Argon2 variant "
                        f"({', '.join(minimums.argon2_variants)}; OWASP recommends argon2id)")
    cost = Argon2Cost(int(params["m"]), int(params["t"]), int(params["p"]))
    if not any(cost.memory_kib >= c.memory_kib and cost.iterations >= c.iterations
               and cost.parallelism >= c.parallelism for c in minimums.argon2):
        findings.append(f"argon2 {cost} is below every OWASP configuration ({_listing(minimums.argon2)})")
    if params["v"] != 19:
        notes.append(f"Argon2 version v={params['v']} predates the current version 1.3 (v=19)")


def _check_pbkdf2(hash_name: str, iterations: int, minimums: PasswordStorageMinimums,
                  findings: list[str]) -> None:
    required = minimums.pbkdf2_iterations.get(hash_name)
    if required is None:
        findings.append(f"no OWASP minimum is listed for PBKDF2-HMAC-{hash_name.upper()}")
    elif iterations < required:
        findings.append(f"PBKDF2-HMAC-{hash_name.upper()} with {iterations} iterations "
                        f"is below the OWASP minimum {required}")


def _listing(configurations: tuple[Argon2Cost, ...] | tuple[ScryptCost, ...]) -> str:
    return "; ".join(str(c) for c in configurations)


class _TomlReader:
    """Reads typed values from parsed TOML; every error names the file and the dotted key."""

    def __init__(self, source: str, data: dict[str, Any]):
        self._source, self._data = source, data

    def text(self, *path: str | int) -> str:
        value = self._get(path)
        if not isinstance(value, str) or not value.strip():
            raise self._error(path, f"must be a non-empty string, got {value!r}")
        return value

    def texts(self, *path: str | int) -> list[str]:
        value = self._get(path)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise self._error(path, f"must be a non-empty list of strings, got {value!r}")
        return value

    def day(self, *path: str | int) -> date:
        value = self._get(path)
        if type(value) is not date:
            raise self._error(path, f"must be a TOML date such as 2026-01-31 (unquoted), got {value!r}")
        return value

    def positive_int(self, *path: str | int) -> int:
        value = self._get(path)
        if type(value) is not int or value < 1:
            raise self._error(path, f"must be a positive integer, got {value!r}")
        return value

    def table_count(self, *path: str | int) -> int:
        value = self._get(path)
        if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
            raise self._error(path, "must be a non-empty array of tables ([[...]] entries)")
        return len(value)

    def keys(self, *path: str | int) -> list[str]:
        value = self._get(path)
        if not isinstance(value, dict) or not value:
            raise self._error(path, "must be a non-empty table")
        return list(value)

    def _get(self, path: tuple[str | int, ...]) -> Any:
        node: Any = self._data
        for depth, key in enumerate(path):
            if isinstance(key, int):
                found = isinstance(node, list) and key < len(node)
            else:
                found = isinstance(node, dict) and key in node
            if not found:
                raise self._error(path[:depth + 1], "is missing")
            node = node[key]
        return node

    def _error(self, path: tuple[str | int, ...], problem: str) -> ConfigError:
        name = "".join(f"[{key}]" if isinstance(key, int) else f".{key}" for key in path).lstrip(".")
        return ConfigError(self._source, name, problem)
