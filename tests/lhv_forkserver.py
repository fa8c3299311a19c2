"""Runs `python -m lhv.app.cli ...` in processes forked from one that has imported the harness once.

Every end-to-end self-test runs the real command in its own process. A fresh interpreter spends
seconds importing lhv, pytest, scipy, matplotlib and sslyze before the first plan starts; a child
forked from this server starts with those modules loaded and runs the very same code: lhv/app/cli.py
as __main__ (runpy's own -m), its own pid, cwd, environment, stdin, stdout and stderr, its exit
code from SystemExit and an interpreter's exit (thread joins, atexit, streams flushed; without freeing every object
one by one where no file is left open for writing: forked_device.end_process). The embedded device it
starts is forked in turn from a preloaded device process (tests/forked_device.py).

What is preloaded keeps the child equal to a fresh process: the modules lhv/app/cli.py imports before
pytest starts; the pytest plugins, loaded the way lhv.app.cli's own check of pytest arguments loads
them (with pytest's assert rewriting of their distributions, lhv's included), and modules of those
distributions that the plans import later, while that rewriting is on; and third-party libraries
whose distributions are no pytest plugin (pytest never rewrites their asserts). The rest
of lhv and the plans load in the child as in a fresh process; tests/test_forkserver.py compares
the two. An environment that differs from the server's in more than LHV_* variables goes to a
plain subprocess, as does everything when LHV_TESTS_SUBPROCESS=1.

Protocol (one server per test process, one command at a time): the client writes a JSON request
line; the server forks, answers {"pid": ...}, reaps the child and answers {"pid": ..., "status": ...}.
"""

from __future__ import annotations

import ast
import atexit
import gc
import importlib
import importlib.util
import inspect
import io
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODULE = "lhv.app.cli"  # what `python -m` runs; a fresh run's sys.argv[0] is its file
CLI = REPO.joinpath(*MODULE.split(".")).with_suffix(".py")
DEVICES = Path(__file__).with_name("forked_device.py")
START_TIMEOUT_S = 180
# heavy third-party libraries the plans import while pytest collects or runs them; none is a pytest plugin (not
# pyrate_limiter, which schemathesis imports: its multiprocessing keeps the working folder of its import)
LIBRARIES = ("numpy", "scipy.stats", "scipy.ndimage", "matplotlib.dates", "matplotlib.axes",
             "matplotlib.backends.backend_agg", "matplotlib.figure", "matplotlib.patches", "PIL.Image",
             "sslyze", "sslyze.json.json_output",
             "sslyze.plugins.certificate_info.trust_stores.trust_store_repository", "requests", "requests.adapters",
             "urllib3", "jsonschema", "fhir.resources.R4B.diagnosticreport", "cryptography.x509", "argon2", "bcrypt",
             "jwt", "jinja2", "markupsafe", "fastapi", "httpx", "pydantic",
             "PIL.JpegImagePlugin", "PIL.PngImagePlugin", "fhir.resources.R4B.codeableconcept",
             "fhir.resources.R4B.coding", "fhir.resources.R4B.reference")
# modules of a pytest plugin's distribution that the plans import later (PLAN_019's fuzzing loads its OpenAPI
# schema through these: a hundred modules of schemathesis, rewritten by pytest in each run, half a second)
PLUGIN_MODULES = ("schemathesis.openapi.loaders", "schemathesis.specs.openapi.schemas",
                  "schemathesis.specs.openapi.checks", "schemathesis.openapi.checks", "schemathesis.engine.events",
                  "schemathesis.engine.summary", "schemathesis.reporting.html", "schemathesis.reporting.junitxml",
                  "schemathesis.transport.asgi", "schemathesis.transport.wsgi", "schemathesis.graphql.checks",
                  "schemathesis.generation.body_overrides", "schemathesis.pytest.xdist")
FREE_KEYS = ("PYTEST_CURRENT_TEST",)  # set by pytest per test phase; read by no library at import
# a fresh `python -m lhv.app.cli ARGS` that writes its peak resident set as it ends
FRESH_MEASURED = (f"import atexit, runpy, sys; sys.path.insert(0, {str(REPO)!r}); from tests import forked_device; "
                  f"del sys.path[0]; atexit.register(forked_device.write_peak); "
                  f"runpy.run_module({MODULE!r}, run_name='__main__', alter_sys=True)")


@cache
def _forked_device():
    """tests/forked_device.py as a module of its own (the server runs as a script: there is no tests package)."""
    spec = importlib.util.spec_from_file_location("forked_device", DEVICES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cli_imports() -> list[str]:
    """The modules lhv/app/cli.py imports at its top level (a fresh `python -m lhv.app.cli` has them before pytest)."""
    names = []
    for node in ast.parse(CLI.read_text()).body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module != "__future__":
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _preload() -> None:
    for name in [*_cli_imports(), "pytest", "_pytest.config"]:
        _import(name)
    # lhv.app.cli's own way of asking pytest about arguments: the plugins load as a fresh run loads them, with
    # pytest's assert rewriting of their distributions (lhv's included) on; the config is undone again
    from _pytest.config import _prepareconfig

    config = _prepareconfig(["--pyargs", "lhv.plans", "-q", "-p", "no:cacheprovider",
                             "-W", "ignore::pytest.PytestAssertRewriteWarning"])
    try:
        with warnings.catch_warnings():
            for name in PLUGIN_MODULES:  # rewritten, as a run's own import of them is
                _import(name)
    finally:
        config._ensure_unconfigure()
    with warnings.catch_warnings():  # a filter a library adds on import lasts in a fresh run only while pytest collects
        for name in LIBRARIES:
            _import(name)


def _import(name: str) -> None:
    try:
        importlib.import_module(name)
    except ImportError:
        pass  # a name from `from x import y` that is no module, or a library no longer used: nothing to share


def _serve(requests, replies: int) -> dict | None:
    """Forks a child per request; returns the request in the child, None in the server when the client leaves."""
    for line in requests:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            requests.close()
            os.close(replies)
            return request
        os.write(replies, (json.dumps({"pid": pid}) + "\n").encode())
        _, status = os.waitpid(pid, 0)
        os.write(replies, (json.dumps({"pid": pid, "status": os.waitstatus_to_exitcode(status)}) + "\n").encode())
    return None


def _become(request: dict, dispositions: dict, devices, home) -> None:
    """Turns this forked child into `python -m lhv.app.cli ARGS` with the request's cwd, environment and files."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, fd)
        os.close(out)
    os.chdir(request["cwd"])
    home.rehome()  # hypothesis's storage home, rich's import cwd: as a fresh import here computes them
    os.environ.clear()
    os.environ.update(request["env"])
    sys.path[0] = os.getcwd()  # as -m does
    sys.argv = [str(CLI), *request["args"]]
    if request.get("devices"):  # the embedded device, too, comes from a fork of a preloaded process
        from lhv.device import launcher

        launcher.spawn = devices.spawner(request["devices"], launcher.spawn)
    for signum, handler in dispositions.items():  # as the interpreter set them up, before any preload
        signal.signal(signum, handler)
    if os.environ.get(devices.PEAK_RSS_ENV):
        devices.reset_peak()
        atexit.register(devices.write_peak)
    try:
        devices.run_as_main(MODULE)  # which empties this module's namespace: only locals are left afterwards
    except SystemExit as stop:
        devices.end_process(stop.code)
    devices.end_process(None)



def main() -> tuple | None:
    """Preloads, says ready, then serves requests on stdin; returns a request only in a forked child."""
    devices = _forked_device()
    dispositions = {signum: signal.getsignal(signum) for signum in devices.SIGNALS}
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    replies = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)  # what the preloads or the server might print never reaches the protocol
    os.close(null)
    server_cwd = sys.path[0] = os.getcwd()
    try:
        _preload()
    except Exception as exc:  # noqa: BLE001 (the client says why, and runs fresh processes)
        os.write(replies, (json.dumps({"refused": f"preloading failed: {exc!r}"}) + "\n").encode())
        return None
    if threading.active_count() != 1:  # a fork would lose those threads' state; the client falls back
        os.write(replies, b'{"refused": "a preloaded module started a thread"}\n')
        return None
    # inspect.getmodule, which pytest's failure reports call, reads every loaded module's file once per process and
    # keeps it: read here, a child reads only the modules it loads itself (a tenth of a second per failing run)
    inspect.getmodule(sys._getframe())
    home = devices.Home(server_cwd)
    gc.collect()
    gc.freeze()  # the preloaded objects are no child's garbage: its collections skip them
    os.write(replies, b'{"ready": true}\n')
    request = _serve(requests, replies)
    return None if request is None else (request, dispositions, devices, home)


class ForkServer:
    """The client: starts a server and runs commands in children forked from it."""

    def __init__(self) -> None:
        self.env = dict(os.environ)
        self._pending = b""  # what the server said that is not yet read as a reply
        self.home = tempfile.mkdtemp(prefix="lhv-forkserver-")
        self.device_socket = str(Path(self.home) / "devices")
        self.process = subprocess.Popen([sys.executable, str(Path(__file__))], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, cwd=self.home, env=self.env)
        self.devices: subprocess.Popen | None = subprocess.Popen(
            [sys.executable, str(DEVICES), self.device_socket], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            cwd=self.home, env=self.env)
        deadline = time.monotonic() + START_TIMEOUT_S
        try:
            hello = self._reply(deadline)
        except OSError:
            hello = None
        if not hello or not hello.get("ready"):
            self.close()
            raise OSError(f"the fork server did not start: {hello}")
        ready, _, _ = select.select([self.devices.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready or os.read(self.devices.stdout.fileno(), 6) != b"ready\n":  # launchers spawn fresh devices then
            self._stop(self.devices)
            self.devices = None

    def serves(self, env: dict[str, str]) -> bool:
        """Whether a child of this server would see what a fresh process with env sees at import time."""
        def fixed(environ: dict[str, str]) -> dict[str, str]:
            return {k: v for k, v in environ.items() if not k.startswith("LHV_") and k not in FREE_KEYS}
        return self.process.poll() is None and fixed(env) == fixed(self.env)

    def run(self, args: list[str], *, cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
        """Runs `python -m lhv.app.cli ARGS` in a forked child, like subprocess.run(capture_output=True, text=True)."""
        with tempfile.TemporaryDirectory(prefix="lhv-forked-") as scratch:
            out, err = Path(scratch) / "stdout", Path(scratch) / "stderr"
            request = {"args": args, "cwd": str(cwd), "env": env, "stdout": str(out), "stderr": str(err),
                       "devices": self.device_socket if self.devices and self.devices.poll() is None else None}
            self.process.stdin.write((json.dumps(request) + "\n").encode())
            self.process.stdin.flush()
            deadline = time.monotonic() + timeout
            started = self._reply(deadline + 30, started=True)
            if started is None:
                raise OSError("the fork server did not fork")
            try:
                done = self._reply(deadline, pid=started["pid"])
            except OSError as exc:  # the command may have run: it is not run again
                raise RuntimeError(f"lhv {' '.join(args)}: {exc} while the command ran") from None
            if done is None:
                os.kill(started["pid"], signal.SIGKILL)
                self._reply(time.monotonic() + 30, pid=started["pid"])
                raise subprocess.TimeoutExpired(["lhv", *args], timeout, _text(out), _text(err))
            command = [sys.executable, "-m", MODULE, *args]
            return subprocess.CompletedProcess(command, done["status"], _text(out), _text(err))

    def _reply(self, deadline: float, *, started: bool = False, pid: int | None = None) -> dict | None:
        """The server's next reply of a kind (a start, an end of pid, or any), or None at the deadline; OSError when
        the server is gone. Other replies (a killed run's late end) are passed over."""
        while True:
            while b"\n" not in self._pending:
                ready, _, _ = select.select([self.process.stdout], [], [], max(0.0, deadline - time.monotonic()))
                if not ready:
                    return None
                data = os.read(self.process.stdout.fileno(), 65536)  # unbuffered: select sees what is unread
                if not data:
                    raise OSError(f"the fork server ended (exit {self.process.wait()})")
                self._pending += data
            line, self._pending = self._pending.split(b"\n", 1)
            reply = json.loads(line)
            if started and ("pid" not in reply or "status" in reply):
                continue
            if pid is not None and (reply.get("pid") != pid or "status" not in reply):
                continue
            return reply

    def close(self) -> None:
        """Ends the servers (the command's has no child left: it serves one at a time; the devices' kills its own)."""
        for server in (self.process, self.devices):
            if server is not None:
                self._stop(server)
        shutil.rmtree(self.home, ignore_errors=True)

    @staticmethod
    def _stop(server: subprocess.Popen) -> None:
        server.stdin.close()  # end of requests: the server's loop ends
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server.stdout.close()


def _text(path: Path) -> str:
    """A captured stream as subprocess.run(text=True) returns it: locale encoding, universal newlines."""
    return io.TextIOWrapper(io.BytesIO(path.read_bytes() if path.exists() else b"")).read()


_SERVER: ForkServer | None = None
_REFUSED: str | None = None  # why a server could not start here once: plain subprocesses from then on
_LOCK = threading.Lock()  # one command at a time per server; a concurrent one runs as a plain subprocess


def _server() -> ForkServer | None:
    global _SERVER, _REFUSED
    if _REFUSED or os.environ.get("LHV_TESTS_SUBPROCESS") == "1":
        return None
    if _SERVER is None or _SERVER.process.poll() is not None:
        try:
            _SERVER = ForkServer()
        except OSError as exc:
            _SERVER, _REFUSED = None, str(exc)
    return _SERVER


def refusal() -> str | None:
    """Why no fork server runs here (the commands then run as plain subprocesses), or None."""
    if os.environ.get("LHV_TESTS_SUBPROCESS") == "1":
        return "LHV_TESTS_SUBPROCESS=1"
    return _REFUSED


def run_cli(args: list[str], *, cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    """`python -m lhv.app.cli ARGS` as subprocess.run(capture_output=True, text=True) gives it, forked where equal."""
    if _LOCK.acquire(blocking=False):
        try:
            server = _server()
            if server is not None and server.serves(env):
                try:
                    return server.run(args, cwd=cwd, env=env, timeout=timeout)
                except OSError:  # the server is gone before it forked: the command has not run
                    server.close()
        finally:
            _LOCK.release()
    measured = env.get(_forked_device().PEAK_RSS_ENV)
    command = [sys.executable, "-c", FRESH_MEASURED] if measured else [sys.executable, "-m", MODULE]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)


def shutdown() -> None:
    """Ends this process's server, if it started one."""
    global _SERVER
    with _LOCK:
        if _SERVER is not None:
            _SERVER.close()
            _SERVER = None


if __name__ == "__main__":
    child = main()
    if child is not None:
        _become(*child)
