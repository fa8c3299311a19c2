"""Hypothesis's caches go to the user's cache folder while lhv draws examples, never to the working folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import configuration
from hypothesis import strategies as st

from lhv.core.evidence import CURRENT_CASE, CaseEvidence, Step
from lhv.core.hypothesis_cache import cache_folder, cached_storage
from lhv.harness.properties import PropertyBudget, check_property


def _storage() -> Path:
    return configuration.storage_directory("constants", intent_to_write=False).path


@pytest.mark.parametrize(("xdg", "expected"), [("/x/cache", "/x/cache/lhv/hypothesis"),
                                               ("relative/cache", "HOME/.cache/lhv/hypothesis"),
                                               ("", "HOME/.cache/lhv/hypothesis")])
def test_the_cache_folder_follows_the_xdg_rule(monkeypatch, tmp_path, xdg, expected):
    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_folder() == Path(expected.replace("HOME", str(tmp_path)))


def test_hypothesiss_own_setting_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("HYPOTHESIS_STORAGE_DIRECTORY", str(tmp_path / "mine"))
    assert cache_folder() == tmp_path / "mine"


def test_a_property_keeps_hypothesiss_storage_in_the_cache_folder_and_restores_it(monkeypatch, tmp_path):
    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    before = _storage()
    seen = []
    case = CaseEvidence(steps=[Step(number=1, action="act", expected="x", verdict="running")])
    token = CURRENT_CASE.set(case)
    try:
        check_property(case.steps[0], "held", st.integers(), lambda _: seen.append(_storage()), PropertyBudget(3, 1))
    finally:
        CURRENT_CASE.reset(token)
    assert seen and set(seen) == {tmp_path / "cache" / "lhv" / "hypothesis" / "constants"}
    assert _storage() == before  # as it was: a test suite's own hypothesis settings are left alone


def test_the_setting_is_restored_when_the_block_raises(tmp_path):
    before = _storage()
    with pytest.raises(RuntimeError), cached_storage() as folder:
        assert _storage() == folder / "constants"
        raise RuntimeError("stop")
    assert _storage() == before


def test_blocks_open_at_once_keep_the_folder_until_the_last_one_ends(monkeypatch, tmp_path):
    # plans run in threads at the same time: one plan's fuzzing ending must not point another's storage back at the
    # working folder while it still draws
    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    before = _storage()
    first, second = cached_storage(), cached_storage()
    folder = first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert _storage() == folder / "constants"
    second.__exit__(None, None, None)
    assert _storage() == before
