"""The Jinja environment of the HTML pages lhv writes (record, checklist, uptime report).

A page's template is compiled once per machine, not once per run: Jinja keeps the compiled code in the user's cache
folder (user_cache.user_cache_folder("templates")), keyed by the template's text, so an edited template compiles
again. Compiling the record's template took 0.06 CPU-s of every run. A cache folder that cannot be read or written
costs only the compiling.
"""

from __future__ import annotations

import os

from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, select_autoescape
from jinja2.bccache import Bucket

from lhv.core.user_cache import user_cache_folder


class _CompiledTemplates(FileSystemBytecodeCache):
    """Jinja's file cache of compiled templates, made when first written; a file that cannot be read, or is damaged,
    is compiled again, and one that cannot be written is not kept."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # noqa: BLE001 (unreadable, or cut short: Jinja's own check raises pickle's errors)
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass


def page_environment(package: str) -> Environment:
    """An autoescaping environment for the templates/ folder of a package of lhv."""
    return Environment(loader=PackageLoader(package, "templates"), autoescape=select_autoescape(default=True),
                       trim_blocks=True, lstrip_blocks=True,
                       bytecode_cache=_CompiledTemplates(str(user_cache_folder("templates"))))
