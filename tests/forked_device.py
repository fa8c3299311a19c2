"""Starts embedded reference devices for the self-tests' `lhv verify` runs by forking them from a preloaded process.

A fresh `python -m lhv.device` spends most of its second of start-up importing FastAPI, SciPy and the device's
modules. This server imports them once; for each device it forks a child that runs lhv/device/__main__.py as
__main__ (runpy's own -m) with the launcher's settings file, ready file, output file, working directory and
environment: the same code, the same listening sockets, certificates and database made at its start, its own pid.
The server reports each device's exit status to the launcher's handle, which stands in for subprocess.Popen
(poll, wait, terminate, kill, returncode). A launcher that goes away without waiting kills its device.

tests/lhv_forkserver.py points lhv.device.launcher.spawn at spawner(path) in the `lhv verify` runs it forks;
everything else (tests that start devices themselves, lhv selftest's own runs) spawns fresh interpreters.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import json
import os
import pkgutil
import select
import signal
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path, PurePath
from typing import BinaryIO

DEVICE_MAIN = Path(__file__).resolve().parents[1] / "lhv" / "device" / "__main__.py"
# with the route modules of every dialect (lhv/device/routes_*.py); then what each device imports on its way to
# listening: uvicorn's loop, protocol and lifespan choices (uvicorn.Config.load) and the pydantic.v1 FastAPI asks
# about each route's models (together a quarter of a device's start, 0.05 s CPU)
PRELOAD = ("lhv.device.server", "lhv.device.settings", "runpy", "uvicorn.loops.auto", "uvicorn.protocols.http.auto",
           "uvicorn.protocols.websockets.auto", "uvicorn.lifespan.on", "pydantic.v1")
PEAK_RSS_ENV = "LHV_TESTS_PEAK_RSS_FILE"  # set: a run writes its peak resident set (MiB) into this file as it ends
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGPIPE, signal.SIGCHLD,
           signal.SIGXFSZ)


class ForkedDevice:
    """The launcher's handle on a forked device: what subprocess.Popen offers and the launcher uses."""

    def __init__(self, connection: socket.socket, pid: int, args: list[str]):
        self.connection, self.pid, self.args = connection, pid, args
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """The exit code once the device ended, else None."""
        if self.returncode is None and select.select([self.connection], [], [], 0)[0]:
            self._read_status()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Waits for the device to end; raises subprocess.TimeoutExpired after timeout seconds."""
        if self.returncode is None:
            if not select.select([self.connection], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(self.args, timeout)
            self._read_status()
        return self.returncode

    def send_signal(self, signum: int) -> None:
        """Signals the device while it runs."""
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        """SIGTERM, as Popen.terminate."""
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL, as Popen.kill."""
        self.send_signal(signal.SIGKILL)

    def _read_status(self) -> None:
        line = read_line(self.connection)
        # no line: the server is gone, and it killed its devices on the way out
        self.returncode = json.loads(line)["status"] if line else -signal.SIGKILL
        self.connection.close()


def read_line(connection: socket.socket) -> bytes:
    """The next line, read byte by byte: nothing after it is taken from the socket, so select still sees it."""
    line = b""
    while not line.endswith(b"\n"):
        byte = connection.recv(1)
        if not byte:
            return b""
        line += byte
    return line


def spawner(path: str, fresh):
    """A replacement for lhv.device.launcher.spawn that asks the server at path for a forked device (fresh, the
    launcher's own, when that server is gone)."""
    def spawn(settings_file: Path, ready_file: Path, output: BinaryIO):
        args = [str(DEVICE_MAIN), str(settings_file), str(ready_file)]
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.connect(path)
            request = {"argv": args, "output": output.name, "cwd": os.getcwd(), "env": dict(os.environ)}
            connection.sendall((json.dumps(request) + "\n").encode())
            started = json.loads(read_line(connection) or b"{}")
        except OSError:
            started = {}
        if "pid" not in started:  # nothing was forked: the launcher's own way does the same, only slower
            connection.close()
            return fresh(settings_file, ready_file, output)
        return ForkedDevice(connection, started["pid"], [sys.executable, "-m", "lhv.device", *args[1:]])
    return spawn


def _serve(listener: socket.socket, control, dispositions: dict) -> dict | None:
    """Forks a device per request; returns the request in the child, None in the server once control closes."""
    devices: dict[int, tuple[int, socket.socket]] = {}  # pidfd → (pid, the launcher's connection)
    watching: dict[socket.socket, int] = {}  # the launcher's connection → its device's pidfd
    while True:
        ready, _, _ = select.select([control, listener, *watching, *devices], [], [])
        if control in ready and not control.read(1):
            break  # the tests are done
        for item in ready:
            if item is listener:
                connection, _ = listener.accept()
                connection.settimeout(30)  # a launcher that connects and says nothing holds no one else up
                try:
                    request = json.loads(read_line(connection) or b"null")
                except OSError:
                    request = None
                connection.settimeout(None)
                if request is None:
                    connection.close()
                    continue
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    for other in (control, listener, connection, *watching):
                        other.close()
                    for pidfd in devices:
                        os.close(pidfd)
                    return request
                pidfd = os.pidfd_open(pid)
                devices[pidfd], watching[connection] = (pid, connection), pidfd
                connection.sendall((json.dumps({"pid": pid}) + "\n").encode())
            elif item in devices:  # a device ended: its launcher learns the exit status
                pid, connection = devices.pop(item)
                os.close(item)
                watching.pop(connection, None)
                _, status = os.waitpid(pid, 0)
                try:
                    connection.sendall((json.dumps({"status": os.waitstatus_to_exitcode(status)}) + "\n").encode())
                except OSError:
                    pass  # the launcher went away meanwhile
                connection.close()
            elif item in watching:  # the launcher went away: its device goes too (its pidfd reports the end)
                os.kill(devices[watching.pop(item)][0], signal.SIGKILL)
    for pidfd, (pid, connection) in devices.items():  # the tests are gone: so are their devices
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(pidfd)
        connection.close()
    return None


def _become(request: dict, dispositions: dict, home: Home) -> None:
    """Turns this forked child into `python -m lhv.device SETTINGS READY` as the launcher would have started it."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    out = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)
    os.chdir(request["cwd"])
    home.rehome()  # multiprocessing's ORIGINAL_DIR
    os.environ.clear()
    os.environ.update(request["env"])
    for signum, handler in dispositions.items():
        signal.signal(signum, handler)
    sys.path[0] = os.getcwd()
    sys.argv = list(request["argv"])
    run_as_main("lhv.device")  # lhv/device/__main__.py ends the process itself


class Home:
    """The module globals that the server's imports computed from its working folder, found once after its preload
    (nothing is imported in the server after it)."""

    def __init__(self, server_cwd: str) -> None:
        self.server_cwd = server_cwd
        self.names = [(names, key) for module in list(sys.modules.values())
                      for names in (getattr(module, "__dict__", {}),) for key, value in list(names.items())
                      if isinstance(value, (str, PurePath)) and str(value).startswith(server_cwd)]

    def rehome(self) -> None:
        """Points those globals at this child's working folder, as a fresh process importing them here would have
        computed them."""
        cwd = os.getcwd()
        for names, key in self.names:
            value = names[key]
            names[key] = type(value)(cwd + str(value)[len(self.server_cwd):])


def run_as_main(module: str) -> None:
    """Runs module as `python -m module` does: its code in the __main__ module, emptied of this server's names."""
    import builtins
    import runpy

    namespace = vars(sys.modules["__main__"])  # the same object multiprocessing calls __mp_main__
    namespace.clear()
    namespace["__builtins__"] = builtins
    runpy._run_module_as_main(module, alter_argv=True)


def peak_mib() -> float:
    """Returns this process's peak resident set since its exec (VmHWM), in MiB. Not ru_maxrss: Linux carries that
    over exec from the forked copy of the parent, so a child of a big test worker would report the worker's size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def reset_peak() -> None:
    """Starts this process's peak resident set again from what it holds now (a forked child's from the fork)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass  # the peak then counts from the server's own, which is what the server holds (it only preloads)


def write_peak() -> None:
    """Writes this process's peak resident set (MiB) into the file PEAK_RSS_ENV names, where it names one."""
    if os.environ.get(PEAK_RSS_ENV):
        Path(os.environ[PEAK_RSS_ENV]).write_text(f"{peak_mib():.1f}\n")


def end_process(code: object) -> None:
    """Ends a forked `lhv` run as the interpreter ends a process, without freeing every object one by one: non-daemon
    threads joined, atexit run, the standard streams flushed (exit 120 where that fails), SystemExit's code (any other
    is printed, exit 1). Freeing the objects of the server's preloaded modules, which a fresh narrowed run never
    loaded, took 0.12 CPU-s a run. Where the run still holds a file open for writing (which freeing would flush and
    close, as it would close a database), the interpreter ends the process its own way."""
    threading._shutdown()
    atexit._run_exitfuncs()
    if _holds_a_file_for_writing():
        raise SystemExit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            status = 120
    os._exit(status & 0xFF)


def _holds_a_file_for_writing() -> bool:
    """Whether a descriptor beyond the standard streams is a regular file open for writing."""
    for fd in map(int, os.listdir("/proc/self/fd")):
        if fd <= 2:
            continue
        try:
            if not stat.S_ISREG(os.stat(fd).st_mode):
                continue
            with open(f"/proc/self/fdinfo/{fd}", encoding="ascii") as info:
                flags = int(next(line for line in info if line.startswith("flags:")).split()[1], 8)
        except (OSError, StopIteration, ValueError):
            continue  # closed meanwhile (the listing's own descriptor)
        if flags & (os.O_WRONLY | os.O_RDWR):
            return True
    return False


def main(path: str) -> tuple[dict, dict, Home] | None:
    """Preloads the device, listens on path, serves until stdin closes; returns a request only in a device."""
    dispositions = {signum: signal.getsignal(signum) for signum in SIGNALS}
    control = os.fdopen(os.dup(0), "rb", buffering=0)
    server_cwd = sys.path[0] = os.getcwd()
    for name in PRELOAD:
        importlib.import_module(name)
    device = sys.modules["lhv.device"]
    for route in pkgutil.iter_modules(device.__path__, prefix="lhv.device."):
        if route.name.startswith("lhv.device.routes_"):
            importlib.import_module(route.name)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    if threading.active_count() != 1 or not hasattr(os, "pidfd_open"):
        return None  # never ready: the launcher falls back to fresh interpreters
    home = Home(server_cwd)
    gc.collect()
    gc.freeze()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)  # nothing the server might print blocks on a pipe no one reads
    os.close(null)
    request = _serve(listener, control, dispositions)
    return None if request is None else (request, dispositions, home)


if __name__ == "__main__":
    child = main(sys.argv[1])
    if child is not None:
        _become(*child)
