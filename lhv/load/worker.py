"""`python -m lhv.load.worker --master HOST:PORT`: a Locust worker for the harness's distributed bursts, on any machine.

The worker joins the master a burst starts (limits.load_workers with a master that listens beyond loopback),
takes its share and the bearer tokens as Locust messages, sends its share and hands the outcomes back the same
way: it writes nothing and needs nothing from the harness's machine but the master's port. A master ends its run
after one burst, so by default the worker joins the next master at the same address again until it is stopped;
with --once it serves one burst (or gives up once Locust does: about five minutes without a master).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from lhv.load.locust import WORKER_NAME, worker_command

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
MASTER_GONE_BOUND_S = 15.0  # after a burst: how long to wait for its master to close before joining again
DESCRIPTION = ("Joins the Locust master of the harness's bursts from this machine: takes a share of each burst and "
               "its bearer tokens as Locust messages, sends the share and hands the outcomes back; writes nothing.")
RESTART_PAUSE_S = 1.0  # at least this between two workers: one that fails at once is not restarted in a tight loop


def master_address(text: str) -> tuple[str, int]:
    """Reads HOST:PORT (IPv6 in brackets: [::1]:5557); raises ValueError with one clear line."""
    host, sep, port = text.strip().rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--master: expected HOST:PORT (e.g. 10.0.0.5:5557), not {text!r}")
    return host, int(port)


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Adds `lhv load-worker` to the lhv command's parser."""
    worker = commands.add_parser("load-worker", help="join a burst's Locust master from this machine "
                                                     "(distributed load)", description=DESCRIPTION)
    _arguments(worker)
    worker.set_defaults(handler=lambda args, extra: run(args))


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--master", required=True, metavar="HOST:PORT",
                        help="where the burst's master listens for workers")
    parser.add_argument("--name", help="how this worker is named in the burst's evidence (default: the host name)")
    parser.add_argument("--once", action="store_true", help="serve one burst, then exit")


def run(args: argparse.Namespace) -> int:
    """Runs the worker (once, or burst after burst); returns Locust's exit code, or 2 on bad input."""
    try:
        host, port = master_address(args.master)
    except ValueError as exc:
        print(f"lhv load-worker: {exc}", file=sys.stderr)
        return 2
    command = worker_command(str(LOCUSTFILE), host, port)
    env = {**os.environ, **({WORKER_NAME: args.name} if args.name else {})}
    if args.once:
        os.execve(sys.executable, command, env)  # this process becomes the worker: a signal to it reaches Locust
    return _serve(command, env, (host, port))


def wait_until_closed(address: tuple[str, int], bound_s: float) -> bool:
    """Waits until nothing listens at address (True) or bound_s passes (False).

    A worker that joined the master of the burst just ended would wait for it in vain: the next master, at the
    same address, would not know it."""
    deadline = time.monotonic() + bound_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(address, timeout=1).close()
        except OSError:
            return True
        time.sleep(0.1)
    return False


def _serve(command: list[str], env: dict[str, str], master: tuple[str, int]) -> int:
    """Starts a worker burst after burst until this process is interrupted or terminated."""
    current: list[subprocess.Popen] = []

    def stop(signum, _frame) -> None:
        for process in current:
            process.send_signal(signum)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        while True:
            current[:] = [subprocess.Popen(command, env=env)]
            code = current[0].wait()
            print(f"lhv load-worker: the worker ended (exit {code}); joining the next burst's master", flush=True)
            wait_until_closed(master, MASTER_GONE_BOUND_S)
            time.sleep(RESTART_PAUSE_S)
    except KeyboardInterrupt:  # the worker shares this terminal's process group: it has the interrupt too
        return 130
    finally:
        for process in current:
            _end(process)


def _end(process: subprocess.Popen) -> None:
    """Gives a worker that was told to stop a moment to do so, then kills it."""
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main(argv: list[str] | None = None) -> int:
    """The module's command line."""
    parser = argparse.ArgumentParser(prog="python -m lhv.load.worker", description=DESCRIPTION)
    _arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
