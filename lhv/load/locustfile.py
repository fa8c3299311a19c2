"""A Locust burst: each user sends its share of a planned request sequence once, then the run stops.

Each share is claimed once (a `claimed-<index>` file), so a user the master re-dispatches never resends one.
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
import gevent.ssl
from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser
from locust.runners import MasterRunner, WorkerRunner

SPEC = json.loads(Path(os.environ["LHV_BURST_SPEC"]).read_text()) if os.environ.get("LHV_BURST_SPEC") else {}


def trusting_context() -> gevent.ssl.SSLContext:
    """Verifies the target's certificate and host name against the profile's trust store (or the system's)."""
    return gevent.ssl.create_default_context(cafile=SPEC.get("ca_file") or None)


def quit_when_every_share_is_sent(runner: MasterRunner) -> None:
    """Ends a distributed run from the master once every worker has sent its share.

    Workers never quit on their own: the master would re-dispatch a quitting worker's user to one still running.
    """
    folder = Path(SPEC["out_dir"])
    while not all((folder / f"done-{index}").exists() for index in range(SPEC["workers"])):
        gevent.sleep(0.02)
    runner.quit()


@events.init.add_listener
def watch_from_the_master(environment, **_kwargs) -> None:
    """Starts the master's watch for the end of the burst."""
    if SPEC and isinstance(environment.runner, MasterRunner):
        gevent.spawn(quit_when_every_share_is_sent, environment.runner)


class BurstUser(FastHttpUser):
    """Sends requests[i::workers] once per worker index i, records each outcome, then ends the run."""

    wait_time = constant(0)
    insecure = False
    ssl_context_factory = staticmethod(trusting_context)

    @task
    def burst(self) -> None:
        runner = self.environment.runner
        index = getattr(runner, "worker_index", 0) or 0
        share = SPEC["requests"][index::max(1, SPEC["workers"])]
        folder = Path(SPEC["out_dir"])
        try:
            (folder / f"claimed-{index}").open("x").close()
        except FileExistsError:
            # Should the master re-dispatch a user to a worker that has claimed its share, that user sends nothing.
            raise StopUser() from None
        (folder / f"ready-{index}").touch()
        deadline = time.monotonic() + SPEC["time_bound_s"]
        while not (folder / "go.json").exists() and time.monotonic() < deadline:
            gevent.sleep(0.01)
        tokens = json.loads((folder / "go.json").read_text()) if (folder / "go.json").exists() else {}
        try:
            with (folder / f"outcomes-{index}-{os.getpid()}.jsonl").open("a", encoding="utf-8") as sink:
                self.send(share, tokens, sink, deadline)
        finally:  # an error ends the share early; the run still ends, and the harness sees the outcomes missing
            (folder / f"done-{index}").touch()
            if not isinstance(runner, WorkerRunner):
                gevent.spawn(runner.quit)  # from a separate greenlet: quit() stops this user's greenlet too
        raise StopUser()  # ends this user now, so quit() need not wait out --stop-timeout for it

    def send(self, share: list[dict], tokens: dict[str, str], sink, deadline: float) -> None:
        """Sends the share in order until the deadline, writing each outcome as one JSON line."""
        for item in share:
            if time.monotonic() > deadline:
                break
            token = tokens.get(item["lane"]) if item["auth"] else None
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            sent = time.time()
            with self.client.request(item["method"], item["path"], headers=headers,
                                     name=f"{item['method']} {item['path']} ({item['lane']})",
                                     catch_response=True, allow_redirects=False) as response:
                received = time.time()
                if response.status_code in (200, 429):
                    response.success()  # both are outcomes the plan judges; Locust's failures are the rest
                sink.write(json.dumps({
                    "seq": item["seq"], "lane": item["lane"], "sent": sent, "received": received,
                    "status": response.status_code or None,
                    "retry_after": response.headers.get("Retry-After") if response.status_code else None,
                    "error": type(error).__name__ if (error := getattr(response, "error", None)) else None})
                    + "\n")
