"""record.pdf: record.html printed by headless Chromium, within a time bound.

The page header and footer (run id, the manifest's hash, "page X of Y") come from the view's own
@page margin boxes, so Chromium's default header and footer are switched off.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from lhv.record.view import HTML, PDF

TIMEOUT_S = 180.0  # a full embedded run prints in well under a minute on two busy cores
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
HOW_TO_GET = ("Chromium is needed to print a record: install it (Debian/Ubuntu: apt-get install chromium) or set "
              "LHV_CHROMIUM to a Chromium or Chrome binary")


class PrintError(Exception):
    """Chromium is missing (exit_code 2) or could not print (exit_code 1); the message is one line."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


def chromium() -> str:
    """Returns the Chromium binary to print with: LHV_CHROMIUM, else the first browser on PATH."""
    chosen = os.environ.get("LHV_CHROMIUM")
    if chosen:
        found = shutil.which(chosen)
        if found is None:
            raise PrintError(f"LHV_CHROMIUM={chosen}: not an executable; {HOW_TO_GET}", 2)
        return found
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise PrintError(f"no Chromium found on PATH ({', '.join(BROWSERS)}); {HOW_TO_GET}", 2)


def print_pdf(folder: Path, *, timeout: float = TIMEOUT_S) -> Path:
    """Prints folder/record.html to folder/record.pdf; returns its path."""
    binary = chromium()
    source, target = folder / HTML, folder / PDF
    with tempfile.TemporaryDirectory(prefix="lhv-print-") as scratch:
        partial, log = Path(scratch) / PDF, Path(scratch) / "chromium.log"
        command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
                   "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
                   "--disable-extensions", "--disable-crash-reporter", f"--user-data-dir={Path(scratch) / 'profile'}",
                   "--no-pdf-header-footer", f"--print-to-pdf={partial}", source.resolve().as_uri()]
        with log.open("wb") as sink:  # a file, not a pipe: a helper process could hold a pipe open past the browser
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
                                       start_new_session=True, cwd=scratch)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _end(process)
                raise PrintError(f"Chromium did not print {source} within {timeout:g} s (stopped it)") from None
            except BaseException:  # interrupted: no browser stays behind
                _end(process)
                raise
        if not partial.is_file() or partial.read_bytes()[:5] != b"%PDF-":
            lines = [line for line in log.read_text("utf-8", "replace").splitlines() if line.strip()]
            raise PrintError(f"Chromium wrote no PDF of {source} (exit {process.returncode}): "
                             f"{(lines[-1] if lines else '')[:300]}")
        shutil.move(str(partial), target)
    return target


def _end(process: subprocess.Popen) -> None:
    """Ends the browser, still running and not yet reaped, with every process it started (its own session)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()
