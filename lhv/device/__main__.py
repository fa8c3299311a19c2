"""Starts the reference device from a settings file: python -m lhv.device SETTINGS [READY_FILE]."""

import sys
from pathlib import Path

from lhv.device.server import serve
from lhv.device.settings import DeviceSettings

if __name__ == "__main__":
    serve(DeviceSettings.load(Path(sys.argv[1])), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
