"""A Locust burst: each worker sends its share of a planned request sequence once, then the master ends the run.

Nothing of a burst goes through files. The harness hands the master (or the one local process) the burst's spec and,
once every worker is ready, the bearer tokens over a socket the master inherits (its descriptor in
LHV_BURST_CONTROL_FD); the master sends each worker its share, then the tokens, as Locust messages; each worker
sends its outcomes back as messages and the master hands them to the harness. A worker on another machine needs
only this file: `locust --worker -f <this file> --master-host HOST --master-port PORT` (or
`python -m lhv.load.worker --master HOST:PORT`). Without workers, the same messages go through Locust's
LocalRunner. Tokens live only in memory and on the master–worker socket: never written, never logged.

Self-contained on purpose (Locust, gevent and the standard library only): a worker machine needs nothing else.
Control lines, harness → master: {"spec": …}, {"go": {lane: token}}, {"abort": why}; master → harness:
{"progress": …}, {"ready": …}, {"outcomes": […]}, {"end": …} (see lhv.load.burst).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time

import gevent
import gevent.event
import gevent.lock
import gevent.queue
import gevent.ssl
from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser
from locust.runners import LocalRunner, MasterRunner, WorkerRunner

CONTROL_FD = "LHV_BURST_CONTROL_FD"  # the master's end of the harness's socket (never given to a worker)
WORKER_NAME = "LHV_LOAD_WORKER_NAME"  # how a worker calls itself in the burst's evidence (default: its host name)
HELLO, READY, SHARE, ARMED, GO, OUTCOMES = "lhv_hello", "lhv_ready", "lhv_share", "lhv_armed", "lhv_go", "lhv_outcomes"
BATCH = 500  # outcomes per message: a worker that dies mid-burst has still handed in what it sent
IDLE_BOUND_S = 900.0  # a user waits at most this long for its share (the master ends the run long before)
GRACE_S = 10.0  # how long past the time bound the master waits for a worker's last outcomes
CHUNK = 1000  # outcomes per control line to the harness

log = logging.getLogger("lhv.burst")


def identity() -> dict:
    """Names this process: the name it was given (or its host name), its host name and its process id."""
    host = socket.gethostname()
    return {"name": os.environ.get(WORKER_NAME) or host, "host": host, "pid": os.getpid()}


class Hand:
    """This process's part of the burst (a worker, or the one local process): its share and, once sent, the tokens."""

    def __init__(self) -> None:
        self.share: dict | None = None
        self.tokens: dict[str, str] = {}
        self.within_s = 0.0
        self.claimed = False
        self.got_share = gevent.event.Event()
        self.got_go = gevent.event.Event()

    def on_share(self, environment, msg, **_kwargs) -> None:
        """Keeps the share and answers with this process's clock, so that the master can tell its offset."""
        self.share = msg.data
        self.got_share.set()
        environment.runner.send_message(ARMED, {"index": msg.data["index"], "echo": msg.data["sent_at"],
                                                "clock": time.time()})

    def on_go(self, environment, msg, **_kwargs) -> None:
        """Keeps the tokens (in memory only) and how long the burst may still take."""
        self.tokens = dict(msg.data["tokens"])
        self.within_s = float(msg.data["within_s"])
        self.got_go.set()

    def ca_pem(self) -> str | None:
        """The trust store the harness gave (PEM text), or None for the system's."""
        return (self.share or {}).get("ca_pem")


HAND = Hand()


def trusting_context() -> gevent.ssl.SSLContext:
    """Verifies the target's certificate and host name against the trust store the master sent (or the system's)."""
    pem = HAND.ca_pem()
    return gevent.ssl.create_default_context(cadata=pem) if pem else gevent.ssl.create_default_context()


class Control:
    """The master's socket to the harness: JSON lines both ways; a line from the harness lands in `lines`."""

    def __init__(self, fd: int) -> None:
        self.sock = socket.socket(fileno=fd)  # gevent's socket: Locust has patched the module
        self.lines: gevent.queue.Queue = gevent.queue.Queue()
        self._writing = gevent.lock.Semaphore()
        gevent.spawn(self._read)

    def send(self, message: dict) -> None:
        """Sends one line to the harness."""
        with self._writing:
            self.sock.sendall(json.dumps(message).encode() + b"\n")

    def _read(self) -> None:
        reader = self.sock.makefile("rb")
        for line in reader:
            self.lines.put(json.loads(line))
        self.lines.put({"abort": "the harness closed its socket"})


class Coordinator:
    """The master's side (or the one local process's): holds the spec, hands out shares and tokens, gathers outcomes."""

    def __init__(self, environment, control: Control) -> None:
        self.env, self.runner, self.control = environment, environment.runner, control
        self.local = isinstance(self.runner, LocalRunner)
        self.hello: dict[str, dict] = {"local": identity()} if self.local else {}
        self.ready: dict[str, dict] = {}
        self.armed: dict[str, dict] = {}
        self.finished: set[str] = set()
        self.outcomes: list[dict] = []
        self.chosen: list[str] = []
        self.changed = gevent.event.Event()

    # ---- Locust messages from the workers (handlers only record: the coordinator's greenlet acts) -------------------

    def on_hello(self, msg, **_kwargs) -> None:
        self.hello[msg.node_id] = dict(msg.data or {})
        log.info("worker %s joined (host %s, pid %s, id %s)", self.hello[msg.node_id].get("name"),
                 self.hello[msg.node_id].get("host"), self.hello[msg.node_id].get("pid"), msg.node_id)
        self.changed.set()

    def on_ready(self, msg, **_kwargs) -> None:
        if not self.chosen:  # a user started after the shares went out gets none
            self.ready[msg.node_id] = dict(msg.data or {})
            self.hello.setdefault(msg.node_id, dict(msg.data or {}))
        self.changed.set()

    def on_armed(self, msg, **_kwargs) -> None:
        self.armed[msg.node_id] = {"echo": msg.data["echo"], "clock": msg.data["clock"], "at": time.time()}
        self.changed.set()

    def on_outcomes(self, msg, **_kwargs) -> None:
        if msg.node_id in self.chosen:  # outcomes from a process that held no share are no part of the burst
            self.outcomes.extend(msg.data["outcomes"])
            if msg.data.get("last"):
                self.finished.add(msg.node_id)
        self.changed.set()

    # ---- the burst -------------------------------------------------------------------------------------------------

    def run(self) -> None:
        """Drives the burst from spec to outcomes, then ends the run; ends it early if the harness aborts."""
        try:
            first = self.control.lines.get()
            if "spec" not in first:
                raise Abort(first.get("abort", "no spec from the harness"))
            spec = first["spec"]
            self._await_ready(spec["workers"])
            shares = self._send_shares(spec)
            self._await_armed()
            self.control.send({"ready": {"workers": self._described(shares), "joined": self._joined()}})
            ready_at = time.monotonic()
            order = self.control.lines.get()
            if "go" not in order:
                raise Abort(order.get("abort", "no go from the harness"))
            within = max(0.0, spec["time_bound_s"] - (time.monotonic() - ready_at))
            for client_id in self.chosen:
                self._send(GO, {"tokens": order["go"], "within_s": within}, client_id)
            del order
            self._await_outcomes(time.monotonic() + within + GRACE_S)
            self._hand_in()
        except Abort as why:
            log.error("the burst was abandoned: %s", why)
        finally:
            gevent.spawn(self.runner.quit)  # its own greenlet: quit() kills the users' greenlets

    def _wait(self, done, deadline: float | None = None) -> bool:
        """Waits until done() holds (True), the deadline passes or the harness aborts (Abort)."""
        while not done():
            if not self.control.lines.empty():
                raise Abort(self.control.lines.get().get("abort", "an unexpected line from the harness"))
            if deadline is not None and time.monotonic() > deadline:
                return False
            self.changed.clear()
            self.changed.wait(0.1)  # a timeout too: a worker may join without a hello
        return True

    def _present(self) -> list[str]:
        if self.local:
            return ["local"]
        return [client.id for client in self.runner.clients.all if client.state != "missing"]

    def _joined(self) -> list[dict]:
        return [{"id": client_id, **self.hello.get(client_id, {"name": None})} for client_id in self._present()]

    def _await_ready(self, expected: int) -> None:
        """Waits until `expected` workers have a user ready, telling the harness who joined whenever that changes."""
        reported: list[dict] = []

        def ready() -> bool:
            progress = {"joined": self._joined(), "ready": len(self.ready)}
            if progress not in reported[-1:]:
                self.control.send({"progress": progress})
                reported.append(progress)
            return len(self.ready) >= expected

        self._wait(ready)

    def _send_shares(self, spec: dict) -> list[dict]:
        expected = spec["workers"]
        self.chosen = sorted(self.ready, key=lambda cid: (str(self.ready[cid].get("name")), cid))[:expected]
        shares = []
        for index, client_id in enumerate(self.chosen):
            requests = spec["requests"][index::expected]
            shares.append({"index": index, "id": client_id, "requests": len(requests)})
            self._send(SHARE, {"index": index, "requests": requests, "ca_pem": spec.get("ca_pem"),
                               "time_bound_s": spec["time_bound_s"], "sent_at": time.time()}, client_id)
        log.info("shares sent to %d worker(s): %s", len(self.chosen),
                 ", ".join(f"{self.hello.get(c, {}).get('name')} ({s['requests']} requests)"
                           for c, s in zip(self.chosen, shares)))
        return shares

    def _await_armed(self) -> None:
        self._wait(lambda: all(client_id in self.armed for client_id in self.chosen))

    def _described(self, shares: list[dict]) -> list[dict]:
        """Who holds which share, with each worker's clock offset from the master's (±rtt/2)."""
        described = []
        for share in shares:
            who, armed = self.hello.get(share["id"], {}), self.armed[share["id"]]
            rtt = armed["at"] - armed["echo"]
            described.append({**share, "name": who.get("name"), "host": who.get("host"), "pid": who.get("pid"),
                              "clock_offset_s": round(armed["clock"] - (armed["echo"] + armed["at"]) / 2, 4),
                              "rtt_s": round(rtt, 4)})
        return described

    def _await_outcomes(self, deadline: float) -> None:
        if not self._wait(lambda: self.finished >= set(self.chosen), deadline):
            missing = [self.hello.get(c, {}).get("name") or c for c in self.chosen if c not in self.finished]
            log.error("no final outcomes from %s within the time bound", ", ".join(map(str, missing)))

    def _hand_in(self) -> None:
        for start in range(0, len(self.outcomes), CHUNK):
            self.control.send({"outcomes": self.outcomes[start:start + CHUNK]})
        missing = [self.hello.get(c, {}).get("name") or c for c in self.chosen if c not in self.finished]
        self.control.send({"end": {"outcomes": len(self.outcomes), "missing": missing}})
        log.info("%d outcome(s) handed to the harness", len(self.outcomes))

    def _send(self, msg_type: str, data: dict, client_id: str) -> None:
        try:
            self.runner.send_message(msg_type, data, client_id=client_id)
        except Exception as exc:  # a worker gone mid-burst: its share is missing from the outcomes, which says so
            log.error("could not send %s to %s: %s", msg_type, client_id, type(exc).__name__)


class Abort(Exception):
    """The harness abandoned the burst (or went away)."""


def _listener(method):
    return lambda environment, msg, **kwargs: method(msg)


@events.init.add_listener
def take_part(environment, **_kwargs) -> None:
    """Registers this process's messages: the master's (or local process's) side and the worker's side."""
    runner = environment.runner
    if isinstance(runner, (WorkerRunner, LocalRunner)):
        runner.register_message(SHARE, HAND.on_share)
        runner.register_message(GO, HAND.on_go)
    if isinstance(runner, WorkerRunner):
        runner.send_message(HELLO, identity())
    if isinstance(runner, (MasterRunner, LocalRunner)):
        fd = os.environ.get(CONTROL_FD)
        if fd is None:
            log.error("this master has no harness to take a burst from (%s is not set); the harness starts it",
                      CONTROL_FD)
            gevent.spawn(runner.quit)
            return
        coordinator = Coordinator(environment, Control(int(fd)))
        for msg_type, method in ((HELLO, coordinator.on_hello), (READY, coordinator.on_ready),
                                 (ARMED, coordinator.on_armed), (OUTCOMES, coordinator.on_outcomes)):
            runner.register_message(msg_type, _listener(method))
        gevent.spawn(coordinator.run)


class BurstUser(FastHttpUser):
    """Sends this process's share once, in order, and hands each outcome to the master; one user per process."""

    wait_time = constant(0)
    insecure = False
    ssl_context_factory = staticmethod(trusting_context)

    @task
    def burst(self) -> None:
        if HAND.claimed:  # a user the master re-dispatched to this process after its share was claimed sends nothing
            raise StopUser()
        HAND.claimed = True
        runner = self.environment.runner
        runner.send_message(READY, identity())
        if not HAND.got_share.wait(IDLE_BOUND_S):
            raise StopUser()
        share = HAND.share
        sent: list[dict] = []
        try:
            if HAND.got_go.wait(share["time_bound_s"] + GRACE_S):
                self.send(share["requests"], HAND.tokens, sent, runner, time.monotonic() + HAND.within_s)
        finally:  # an error ends the share early; the master still gets what was sent and the harness sees the rest
            runner.send_message(OUTCOMES, {"outcomes": sent, "last": True})
        raise StopUser()  # ends this user now, so quit() need not wait out --stop-timeout for it

    def send(self, share: list[dict], tokens: dict[str, str], sent: list[dict], runner, deadline: float) -> None:
        """Sends the share in order until the deadline, handing the outcomes in every BATCH requests."""
        for item in share:
            if time.monotonic() > deadline:
                break
            token = tokens.get(item["lane"]) if item["auth"] else None
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            started = time.time()
            with self.client.request(item["method"], item["path"], headers=headers,
                                     name=f"{item['method']} {item['path']} ({item['lane']})",
                                     catch_response=True, allow_redirects=False) as response:
                received = time.time()
                if response.status_code in (200, 429):
                    response.success()  # both are outcomes the plan judges; Locust's failures are the rest
                error = getattr(response, "error", None)
                sent.append({"seq": item["seq"], "lane": item["lane"], "sent": started, "received": received,
                             "status": response.status_code or None,
                             "retry_after": response.headers.get("Retry-After") if response.status_code else None,
                             "error": type(error).__name__ if error else None})
            if len(sent) >= BATCH:
                runner.send_message(OUTCOMES, {"outcomes": sent[:], "last": False})
                sent.clear()
