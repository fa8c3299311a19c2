"""A reference device for throughput measurements: loopback, rate limits lifted, long token lifetime."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from lhv.core.secrets import SECRETS
from lhv.device.launcher import RunningDevice, start_device
from lhv.device.settings import DeviceSettings

UNLIMITED = 10**9  # the limits would otherwise answer 429 within the first window


@contextmanager
def bench_device() -> Iterator[RunningDevice]:
    """Starts a device whose limits no benchmark reaches, yields it, then stops it and removes its state."""
    state = tempfile.mkdtemp(prefix="lhv-bench-device-")
    device = start_device(DeviceSettings(state_dir=state, anonymous_limit=UNLIMITED, authenticated_limit=UNLIMITED,
                                         token_lifetime_seconds=3600))
    for account in device.credentials.values():
        SECRETS.add(account["password"], "password")
    try:
        yield device
    finally:
        device.stop()
        shutil.rmtree(state, ignore_errors=True)
