"""SIGTERM and SIGINT end a run in order: children stopped, credentials removed, an aborted record written."""

from __future__ import annotations

import signal
import threading

_received: list[str] = []


def _interrupt(signum: int, frame: object) -> None:
    if _received:
        return  # a second signal while the run cleans up is ignored: the cleanup is bounded
    _received.append(signal.Signals(signum).name)
    raise KeyboardInterrupt(_received[0])


def install() -> None:
    """Makes SIGTERM and SIGINT raise KeyboardInterrupt once, so pytest's teardown and the record run."""
    if threading.current_thread() is threading.main_thread():
        _received.clear()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, _interrupt)


def received() -> str | None:
    """Returns the name of the signal that interrupted the run, if one did."""
    return _received[0] if _received else None
