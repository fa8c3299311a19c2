"""Starts the reference device from a settings file: python -m lhv.device SETTINGS [READY_FILE]."""

import os
import sys
from pathlib import Path

from lhv.device.server import serve
from lhv.device.settings import DeviceSettings

if __name__ == "__main__":
    serve(DeviceSettings.load(Path(sys.argv[1])), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
    # Stopped: the log and the database were written through as the device ran, and nothing is left to finalise;
    # tearing down the interpreter's modules would keep every stop waiting a quarter of a second more.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
