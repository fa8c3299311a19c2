"""Item 6: requests per second the reference device serves, measured with wrk, per route.

Informational (no goal): it shows whether the device limits the other measurements. wrk sends with two
threads and four keep-alive connections for a few seconds per route to a device whose rate limits are lifted.
"""

from __future__ import annotations

from urllib.parse import urlencode

from bench import wrk
from bench.clinical import clinical_requests
from bench.device import bench_device
from bench.rows import Row, not_measured
from lhv.contract.dialects import dialect_named
from lhv.device.launcher import RunningDevice

SECONDS = 5
THREADS, CONNECTIONS = 2, 4
SHAPE = f"wrk -t{THREADS} -c{CONNECTIONS}, {SECONDS} s"


def measure() -> list[Row]:
    """Returns one row per route: health, login, and the clinical routes when the device serves them."""
    names = ["GET /health", "POST /login (argon2id verify per request)"]
    if not wrk.available():
        return [not_measured("6", name, wrk.INSTALL_HINT) for name in names]
    dialect = dialect_named("plan")
    rows = []
    with bench_device() as device:
        account = device.credentials["user"]
        login = dialect.route("login")
        form = urlencode(dialect.login_form(account["username"], account["password"])).encode()
        rows.append(_route_row(device, "GET /health", dialect.route("health").path))
        rows.append(_route_row(device, names[1], login.path,
                               wrk.Post(form, "application/x-www-form-urlencoded")))
        for name, path, body, bearer, skipped in clinical_requests(device, dialect):
            if skipped:
                rows.append(not_measured("6", name, skipped))
            else:
                rows.append(_route_row(device, name, path, wrk.Post(body, "application/json", bearer)))
    return rows


def _route_row(device: RunningDevice, name: str, path: str, post: wrk.Post | None = None) -> Row:
    try:
        result = wrk.run_wrk(device.https_url + path, threads=THREADS, connections=CONNECTIONS, seconds=SECONDS,
                             post=post)
    except Exception as exc:
        return not_measured("6", name, f"{type(exc).__name__}: {exc}")
    if not result.clean:
        return not_measured("6", name, f"{result.non_2xx} of {result.requests} answers were not 2xx/3xx and "
                            f"{result.socket_errors} socket errors: the rate would not be of served requests")
    return Row("6", f"device: {name}", f"{result.requests_per_s:.0f} req/s ({SHAPE}; latency avg "
               f"{result.latency_avg})")
