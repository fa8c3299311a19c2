"""The pages' templates compile once per machine: later runs load the compiled code from the user's cache folder."""

from __future__ import annotations

from functools import partial

import pytest
from jinja2 import Environment

from lhv.core.templates import page_environment
from lhv.record import view
from lhv.uptime import report

PAGES = {"record": (view.environment, "record.html.j2"),
         "checklist": (partial(page_environment, "lhv.record"), "checklist.html.j2"),
         "uptime": (report.environment, "uptime.html.j2")}


def _compile_refused(*args, **kwargs):
    raise AssertionError("compiled again: the cached code was not used")


def _cached(folder):
    return sorted((folder / "lhv" / "templates").glob("*.cache"))


@pytest.mark.parametrize("page", PAGES)
def test_a_template_compiled_once_is_loaded_compiled_afterwards(monkeypatch, tmp_path, page):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    environment, name = PAGES[page]
    first = environment().get_template(name)
    assert len(_cached(tmp_path)) == 1, "the compiled template was not written to the cache folder"
    monkeypatch.setattr(Environment, "compile", _compile_refused)
    assert environment().get_template(name).debug_info == first.debug_info


def test_a_cache_folder_that_cannot_be_made_costs_only_the_compiling(monkeypatch, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    environment, name = PAGES["record"]
    assert environment().get_template(name).debug_info


def test_a_damaged_cache_file_is_compiled_again(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    environment, name = PAGES["uptime"]
    environment().get_template(name)
    (cached,) = _cached(tmp_path)
    whole = cached.read_bytes()
    cached.write_bytes(whole[:40])
    assert environment().get_template(name).debug_info
    assert cached.read_bytes() == whole
