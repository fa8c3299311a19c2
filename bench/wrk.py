"""Runs wrk (the Debian package) against one URL and reads its summary."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = "wrk is not installed (apt-get install -y wrk)"


@dataclass(frozen=True)
class WrkResult:
    """wrk's totals: requests completed, seconds, requests per second, and answers that were not 2xx/3xx."""

    requests: int
    seconds: float
    requests_per_s: float
    non_2xx: int
    socket_errors: int
    latency_avg: str

    @property
    def clean(self) -> bool:
        """Tells whether every request got a 2xx or 3xx answer."""
        return self.non_2xx == 0 and self.socket_errors == 0


@dataclass(frozen=True)
class Post:
    """A request body for wrk to send with POST; the body file may hold a secret, so it stays in a 0600 file."""

    body: bytes
    content_type: str
    bearer: str | None = None


def available() -> bool:
    """Tells whether wrk is on PATH."""
    return shutil.which("wrk") is not None


def run_wrk(url: str, *, threads: int, connections: int, seconds: int, post: Post | None = None) -> WrkResult:
    """Runs wrk for seconds with threads and connections (HTTP keep-alive); raises RuntimeError if it fails."""
    if not available():
        raise RuntimeError(INSTALL_HINT)
    with tempfile.TemporaryDirectory(prefix="lhv-bench-wrk-") as scratch:
        command = ["wrk", f"-t{threads}", f"-c{max(connections, threads)}", f"-d{seconds}s", "--timeout", "10s"]
        env = dict(os.environ)
        if post is not None:
            command += ["-s", str(_script(Path(scratch), post))]
            if post.bearer:
                env["LHV_BENCH_BEARER"] = post.bearer  # for wrk's script only, never on its command line
        done = subprocess.run(command + [url], capture_output=True, text=True, timeout=seconds + 60, check=False,
                              env=env)
    if done.returncode != 0:
        raise RuntimeError(f"wrk exited {done.returncode}: {(done.stderr or done.stdout).strip()[-400:]}")
    return parse(done.stdout)


def parse(output: str) -> WrkResult:
    """Reads wrk's summary."""
    totals = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not totals or not rate:
        raise RuntimeError(f"wrk printed no totals: {output.strip()[-400:]}")
    scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[totals.group(3)]
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    latency = re.search(r"Latency\s+(\S+)", output)
    return WrkResult(int(totals.group(1)), float(totals.group(2)) * scale, float(rate.group(1)),
                     int(non_2xx.group(1)) if non_2xx else 0,
                     sum(int(n) for n in sockets.groups()) if sockets else 0,
                     latency.group(1) if latency else "?")


def _script(folder: Path, post: Post) -> Path:
    """Writes the body and a Lua script that reads it; both readable by this user only."""
    body, script = folder / "body", folder / "post.lua"
    for path in (body, script):
        path.touch(mode=0o600)
    body.write_bytes(post.body)
    headers = [f'wrk.headers["Content-Type"] = "{post.content_type}"']
    if post.bearer:
        headers.append('wrk.headers["Authorization"] = "Bearer " .. os.getenv("LHV_BENCH_BEARER")')
    script.write_text("\n".join([
        'wrk.method = "POST"',
        f'local file = assert(io.open("{body}", "rb"))',
        "wrk.body = file:read(\"*a\")",
        "file:close()",
        *headers]) + "\n")
    return script
