"""Where hypothesis keeps its caches while lhv draws examples: the user's cache folder, never the working folder.

Hypothesis saves what it derives from the interpreter and from source files (the tables of the characters a codec
encodes, 1.3 s CPU to make; the constants of each local source file, 0.6 s; keyed by Unicode version and source
hash) under a storage folder that defaults to .hypothesis in the working folder. lhv saves no examples there
(database=None), so the folder holds only these caches: kept in the user's cache folder, they are made once per
machine rather than once per working folder (or once per run, in a scratch folder).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import configuration

from lhv.core.user_cache import user_cache_folder

_HOME = "__hypothesis_home_directory"  # hypothesis keeps its storage home in this module global
_LOCK = threading.Lock()
_held = {"blocks": 0, "previous": None}  # plans run in threads at once: the first block in sets, the last out restores


def cache_folder() -> Path:
    """$HYPOTHESIS_STORAGE_DIRECTORY (hypothesis's own setting) when set, else the user's cache folder's hypothesis
    folder ($XDG_CACHE_HOME/lhv/hypothesis, else ~/.cache/lhv/hypothesis)."""
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        return Path(os.environ["HYPOTHESIS_STORAGE_DIRECTORY"])
    return user_cache_folder("hypothesis")


@contextmanager
def cached_storage() -> Iterator[Path]:
    """Points hypothesis's storage at cache_folder() while the block runs; the last of the blocks running at once (in
    plans' threads) restores the previous setting."""
    folder = cache_folder()
    with _LOCK:
        if _held["blocks"] == 0:
            _held["previous"] = vars(configuration).get(_HOME)
            configuration.set_hypothesis_home_dir(folder)
        _held["blocks"] += 1
    try:
        yield folder
    finally:
        with _LOCK:
            _held["blocks"] -= 1
            if _held["blocks"] == 0:
                configuration.set_hypothesis_home_dir(_held["previous"])
