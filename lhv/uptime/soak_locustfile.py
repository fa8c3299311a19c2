"""A Locust soak: users request the health route without pause until the run time or the request bound ends it.

Run by lhv.uptime.soak in its own process. The plan comes in the environment variable LHV_SOAK_SPEC (JSON,
no secret: the health route needs no token). The first user to start writes `ready` in spec["out_dir"].
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import gevent
from locust import HttpUser, constant, events, task

SPEC = json.loads(os.environ.get("LHV_SOAK_SPEC", "{}"))
_sent = 0
_quitting = False


class SoakUser(HttpUser):
    """Requests the health route in a loop; a request fails unless it gets 200 with the liveness body in time."""

    wait_time = constant(0)

    def on_start(self) -> None:
        Path(SPEC["out_dir"], "ready").touch()

    @task
    def health(self) -> None:
        global _sent, _quitting
        if _sent >= SPEC["max_requests"]:
            if not _quitting:
                _quitting = True
                gevent.spawn(self.environment.runner.quit)  # from another greenlet: quit() stops this one too
            gevent.sleep(1)
            return
        _sent += 1
        with self.client.get(SPEC["path"], verify=SPEC["ca_file"] or True, timeout=SPEC["timeout_s"],
                             name=f"GET {SPEC['path']}", catch_response=True, allow_redirects=False) as response:
            if response.error is not None:
                response.failure(type(response.error).__name__)
            elif response.status_code != 200:
                response.failure(f"status {response.status_code}")
            elif not _liveness(response.text):
                response.failure("not the liveness body")
            else:
                response.success()


def _liveness(text: str) -> bool:
    try:
        body = json.loads(text)
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("status") == "ok"


@events.quitting.add_listener
def _note_sent(environment, **_kwargs) -> None:
    Path(SPEC["out_dir"], "sent.json").write_text(json.dumps({"sent": _sent}))
