"""The user's cache folder for what lhv derives once per machine: hypothesis's tables, compiled page templates."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def user_cache_folder(name: str) -> Path:
    """$XDG_CACHE_HOME/lhv/NAME, else ~/.cache/lhv/NAME (a folder of the temporary one where there is no home)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG rule: a relative value is ignored
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:
            base = str(Path(tempfile.gettempdir()) / f"lhv-cache-{os.getuid()}")
    return Path(base) / "lhv" / name
