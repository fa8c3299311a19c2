"""Describes the machine and software a benchmark run used: CPU, cores, memory, OS, Python, package versions."""

from __future__ import annotations

import platform
import re
import shutil
import sqlite3
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import psutil

PACKAGES = ("lhv", "pytest", "locust", "uvicorn", "fastapi", "httpx", "argon2-cffi", "cryptography", "sslyze",
            "hypothesis", "schemathesis", "psycopg", "psutil")


def cpu_model() -> str:
    """Returns the CPU's model name as the kernel reports it."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        if found:
            return found.group(1).strip()
    return platform.processor() or "unknown"


def os_name() -> str:
    """Returns the distribution's pretty name and the kernel release."""
    release = Path("/etc/os-release")
    pretty = platform.system()
    if release.is_file():
        found = re.search(r'^PRETTY_NAME="?([^"\n]+)"?$', release.read_text(), re.MULTILINE)
        pretty = found.group(1) if found else pretty
    return f"{pretty}, kernel {platform.release()} ({platform.machine()})"


def package_version(name: str) -> str:
    """Returns an installed distribution's version, or 'not installed'."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def tool_version(command: list[str], pattern: str) -> str:
    """Returns the first match of pattern in a tool's output, or why there is none."""
    if shutil.which(command[0]) is None:
        return "not installed"
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    found = re.search(pattern, done.stdout + done.stderr)
    return found.group(1) if found else "unknown"


def postgresql_version() -> str:
    """Returns the version of the newest Debian PostgreSQL server found, or 'not installed'."""
    servers = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"),
                     key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.parent.name)])
    if not servers:
        return "not installed"
    return tool_version([str(servers[-1]), "--version"], r"\(PostgreSQL\)\s+(\S+)")


def describe() -> list[tuple[str, str]]:
    """Returns (what, value) pairs that describe this machine and the software measured."""
    memory = psutil.virtual_memory()
    physical = psutil.cpu_count(logical=False)
    return [
        ("CPU", cpu_model()),
        ("cores", f"{psutil.cpu_count(logical=True)} logical"
                  + (f", {physical} physical" if physical else "")
                  + f"; {len(psutil.Process().cpu_affinity())} usable by this process"),
        ("RAM", f"{memory.total / 2**30:.1f} GiB"),
        ("OS", os_name()),
        ("Python", f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})"),
        ("SQLite", sqlite3.sqlite_version),
        ("PostgreSQL server", postgresql_version()),
        ("wrk", tool_version(["wrk", "--version"], r"wrk\s+(\S+)")),
        ("packages", ", ".join(f"{name} {package_version(name)}" for name in PACKAGES)),
    ]
