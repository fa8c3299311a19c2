"""The reference device's settings: contract numbers, ports and faults for one start."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

# Faults of how a clinical request body is read: the parsers (lhv/device/clinical/*_shape.py) see no device context,
# so they ask lhv.device.switches, which holds these when they are on.
REQUEST_SHAPE_FAULTS = frozenset({"camel-case-keys-refused", "coding-null-accepted", "conclusion-text-required",
                                  "coding-fields-required", "v1-snake-sites-taken"})


V1_SNAKE_SITES = "v1-snake-case-body-sites"  # the switch v1's request parser reads: arm_left taken beside ARM_LEFT


@dataclass
class DeviceSettings:
    """Everything the device process needs to start."""

    state_dir: str
    token_lifetime_seconds: int = 3600
    lockout_threshold: int = 5
    lockout_seconds: int = 900
    anonymous_limit: int = 100
    authenticated_limit: int = 1000
    rate_window_seconds: float = 60
    max_body_bytes: int = 20 * 1024 * 1024
    probe_timeout_seconds: float = 10  # the uptime prober's timeout: the slow-health fault answers after it
    dialect: str = "plan"
    v1_body_sites: str = "UPPER_SNAKE"  # v1: "both" takes arm_left beside ARM_LEFT
    #                                     (the profile's severity.v1_body_sites)
    routes: dict[str, str] = field(default_factory=dict)  # intent → "METHOD /path" where the device serves it
    #                                                      instead of its dialect's default (a profile's [routes])
    faults: list[str] = field(default_factory=list)
    mutants: list[str] = field(default_factory=list)  # generated mutant ids (lhv/device/mutants.py)
    host: str = "127.0.0.1"
    https_port: int = 0
    http_port: int = 0
    device_version: str = "1.1.0.0-reference"

    def has(self, fault: str) -> bool:
        """Tells whether a fault, or the behaviour a generated mutant switches (its id without the dialect), is on."""
        return fault in self.faults or fault in self.switches()

    def switches(self) -> list[str]:
        """The behaviour switches of the generated mutants (ids without their dialect: key:…, cover:…, accept:…,
        token:…), and the request-shape faults that code without a device context asks for (REQUEST_SHAPE_FAULTS)."""
        shape_faults = [fault for fault in self.faults if fault in REQUEST_SHAPE_FAULTS]
        shape_faults += [V1_SNAKE_SITES] if self.v1_body_sites == "both" else []
        return shape_faults + [mutant.split(":", 1)[1] for mutant in self.mutants
                if mutant.split(":")[1:2] in (["key"], ["cover"], ["accept"], ["token"], ["password"], ["echo"],
                                              ["auth"])]

    def save(self, path: Path) -> None:
        """Writes the settings as JSON."""
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path: Path) -> DeviceSettings:
        """Reads settings written by save()."""
        return cls(**json.loads(path.read_text()))
