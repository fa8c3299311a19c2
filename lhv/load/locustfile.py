"""A Locust burst: each user sends its share of a planned request sequence once, then the run stops.

Run by lhv.load.burst in a separate process (gevent patches that process, never pytest's). The plan
is the JSON file the environment variable LHV_BURST_SPEC names (no secret). Each user writes `ready-<index>` in
spec["out_dir"] and waits for `go.json` (mode 0600: the bearer tokens, fetched by the harness only once
Locust is up, so that they are fresh), then sends its share; every request's outcome is appended as one
JSON line to a file per process.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import gevent
from locust import HttpUser, constant, task
from locust.exception import StopUser

SPEC = json.loads(Path(os.environ["LHV_BURST_SPEC"]).read_text()) if os.environ.get("LHV_BURST_SPEC") else {}


class BurstUser(HttpUser):
    """Sends requests[i::workers] in order, records each outcome, then ends the run."""

    wait_time = constant(0)

    @task
    def burst(self) -> None:
        runner = self.environment.runner
        index = getattr(runner, "worker_index", 0) or 0
        share = SPEC["requests"][index::max(1, SPEC["workers"])]
        verify = SPEC["ca_file"] or True  # per request: REQUESTS_CA_BUNDLE would override a session setting
        folder = Path(SPEC["out_dir"])
        (folder / f"ready-{index}").touch()
        deadline = time.monotonic() + SPEC["time_bound_s"]
        while not (folder / "go.json").exists() and time.monotonic() < deadline:
            gevent.sleep(0.01)
        tokens = json.loads((folder / "go.json").read_text()) if (folder / "go.json").exists() else {}
        out = folder / f"outcomes-{index}-{os.getpid()}.jsonl"
        with out.open("a", encoding="utf-8") as sink:
            for item in share:
                if time.monotonic() > deadline:
                    break
                token = tokens.get(item["lane"]) if item["auth"] else None
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                sent = time.time()
                with self.client.request(item["method"], item["path"], headers=headers, verify=verify,
                                         name=f"{item['method']} {item['path']} ({item['lane']})",
                                         catch_response=True, allow_redirects=False) as response:
                    received = time.time()
                    if response.status_code in (200, 429):
                        response.success()  # both are outcomes the plan judges; Locust's failures are the rest
                    sink.write(json.dumps({
                        "seq": item["seq"], "lane": item["lane"], "sent": sent, "received": received,
                        "status": response.status_code or None,
                        "retry_after": response.headers.get("Retry-After") if response.status_code else None,
                        "error": type(response.error).__name__ if response.error else None}) + "\n")
        gevent.spawn(runner.quit)  # from a separate greenlet: quit() stops this user's greenlet too
        raise StopUser()  # ends this user now, so quit() need not wait out --stop-timeout for it
