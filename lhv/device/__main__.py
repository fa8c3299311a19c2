"""Starts the reference device from a settings file: python -m lhv.device SETTINGS [READY_FILE]."""

import os
import signal
import sys
import threading
import time
from pathlib import Path

from lhv.device.launcher import PARENT_ENV

ORPHAN_POLL_S = 0.5
ORPHAN_GRACE_S = 5.0


def stop_when_orphaned(parent: int) -> None:
    """Stops this device once the process that started it is gone (killed with SIGKILL, it could not stop us)."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(ORPHAN_POLL_S)
        os.kill(os.getpid(), signal.SIGTERM)  # a graceful stop first
        time.sleep(ORPHAN_GRACE_S)
        os._exit(3)

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()


if __name__ == "__main__":
    # before the device's imports (half a second): a parent killed meanwhile must not leave the device running
    stop_when_orphaned(int(os.environ.get(PARENT_ENV) or os.getppid()))
    from lhv.device.server import serve
    from lhv.device.settings import DeviceSettings

    serve(DeviceSettings.load(Path(sys.argv[1])), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
    # Stopped: the log and the database were written through as the device ran, and nothing is left to finalise;
    # tearing down the interpreter's modules would keep every stop waiting a quarter of a second more.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
