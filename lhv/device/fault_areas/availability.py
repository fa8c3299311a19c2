"""Faults of uptime (PLAN_018)."""

from lhv.device.faults import Fault

FAULTS: tuple[Fault, ...] = (
    Fault("flapping", "one request in 50 (2 %) is dropped, alternately with 503 and by cutting the connection",
          ("PLAN_018",)),
    Fault("drops-every-tenth-health-request", "every tenth /health request gets 503, counted, not random (one "
          "worker of ten behind a round-robin balancer is wedged)", ("PLAN_018",)),
    Fault("slow-health", "/health answers 1.5 times the profile's probe timeout late", ("PLAN_018",)),
    Fault("down-window", "every request gets 503 from 1 s to 3 s after the first /health request",
          ("PLAN_018",)),
)
