"""Fixtures the unit tests share: one PostgreSQL server per test process, and probe-store URLs on it or on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg import new_store_url, postgres_server


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server's URL (each store on it gets a schema of its own: store_url)."""
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty probe store's URL: a SQLite file in the test's folder, or a new schema on the PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'probes.sqlite3'}"
    return new_store_url(request.getfixturevalue("postgres_url"))
