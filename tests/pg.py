"""Throwaway PostgreSQL servers for tests: initdb into a temp dir, serve on loopback, remove after."""

from __future__ import annotations

import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

NOT_INSTALLED = "PostgreSQL server not installed (apt-get install postgresql)"
_SERVER_USER = "postgres"
_schema_numbers = itertools.count(1)


def server_bin_dir() -> Path | None:
    """Returns the directory holding initdb and pg_ctl: Debian's newest version first, then PATH."""
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.name)],
        reverse=True,
    )
    for directory in debian:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return Path(initdb).parent
    return None


@contextmanager
def postgres_server() -> Iterator[str]:
    """Starts a PostgreSQL server on a free loopback port, yields its URL, then stops and removes it.

    Calls pytest.skip when no PostgreSQL server binaries are installed.
    """
    bin_dir = server_bin_dir()
    if bin_dir is None:
        pytest.skip(NOT_INSTALLED)
    home = Path(tempfile.mkdtemp(prefix="lhv-pg-"))
    try:
        server = _Server(bin_dir, home)
        server.run("initdb", "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
        port = server.start()
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            server.run("pg_ctl", "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(home, ignore_errors=True)


class _Server:
    """A PostgreSQL data directory in a temp dir, driven by initdb and pg_ctl."""

    def __init__(self, bin_dir: Path, home: Path) -> None:
        self._bin_dir = bin_dir
        self._home = home
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            # initdb and postgres refuse to run as root: run them as the server's own user.
            try:
                account = pwd.getpwnam(_SERVER_USER)
            except KeyError:
                pytest.skip(f"running as root and there is no {_SERVER_USER!r} user to run PostgreSQL as")
            if shutil.which("runuser") is None:
                pytest.skip("running as root and runuser is missing to run PostgreSQL as another user")
            os.chown(home, account.pw_uid, account.pw_gid)
            self._as_user = ["runuser", "-u", _SERVER_USER, "--"]

    def run(self, program: str, *arguments: str) -> None:
        """Runs initdb or pg_ctl on the data directory; raises with the server log if it fails."""
        command = [*self._as_user, str(self._bin_dir / program), "-D", str(self._home / "data"), *arguments]
        done = subprocess.run(
            command,
            cwd=self._home,
            env={**os.environ, "LC_ALL": "C"},
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            log = self._home / "server.log"
            detail = log.read_text() if log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}{detail}")

    def start(self) -> int:
        """Starts the server on a free loopback port and returns the port."""
        failures = 0
        while True:  # another process may take the free port before the server does: try another
            port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={self._home}"
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            try:
                self.run("pg_ctl", "-l", str(self._home / "server.log"), "-o", options, "-w", "start")
                return port
            except RuntimeError:
                failures += 1
                if failures == 3:
                    raise


def new_store_url(server_url: str) -> str:
    """Creates an empty schema on the server and returns a URL whose connections work in it.

    A schema costs a millisecond where a new database costs a third of a second.
    """
    name = f"lhv_test_{os.getpid()}_{next(_schema_numbers)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    return f"{server_url}?options=-csearch_path%3D{name}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
