"""SIGTERM and SIGINT end a run in order: children stopped, credentials removed, an aborted record written."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

_received: list[str] = []
_held = False  # lhv verify's start, before pytest can clean up: a signal is noted, and the run aborts once it can


def _interrupt(signum: int, frame: object) -> None:
    if _received:
        return  # a second signal while the run cleans up is ignored: the cleanup is bounded
    _received.append(signal.Signals(signum).name)
    raise KeyboardInterrupt(_received[0])


def _note(signum: int, frame: object) -> None:
    if not _received:
        _received.append(signal.Signals(signum).name)


def hold() -> Callable[[], None]:
    """Until install(), SIGTERM and SIGINT are only noted (the embedded device starts while pytest collects, before
    the run can write a record); install() then aborts the run at once. Returns what puts the handlers back when
    install() never came (the run ended before it began)."""
    global _held
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    _received.clear()
    previous = {signum: signal.signal(signum, _note) for signum in (signal.SIGTERM, signal.SIGINT)}
    _held = True

    def restore() -> None:
        global _held
        if _held:
            _held = False
            for signum, handler in previous.items():
                signal.signal(signum, handler)
    return restore


def install() -> None:
    """Makes SIGTERM and SIGINT raise KeyboardInterrupt once, so pytest's teardown and the record run; a signal noted
    while they were held interrupts at once."""
    global _held
    if threading.current_thread() is threading.main_thread():
        noted = _held and bool(_received)
        _held = False
        if not noted:
            _received.clear()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, _interrupt)
        if noted:
            raise KeyboardInterrupt(_received[0])


def received() -> str | None:
    """Returns the name of the signal that interrupted the run, if one did."""
    return _received[0] if _received else None
