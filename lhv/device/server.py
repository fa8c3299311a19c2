"""Runs the reference device: HTTPS on loopback plus a plain-HTTP listener that redirects."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import secrets
import signal
import socket
import ssl
import warnings
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from lhv.device import pki
from lhv.device.app import create_app
from lhv.device.context import DeviceContext
from lhv.device.settings import DeviceSettings

ACCOUNTS = {"admin": ("admin@reference.device", "admin"),
            "user": ("tester@reference.device", "user"),
            "second_user": ("tester2@reference.device", "user")}
WEAK_RSA_BITS = 1024  # weak-rsa-key: OpenSSL loads such a key only at security level 1 or below
WEAK_KEY_CIPHERS = "DEFAULT:@SECLEVEL=1"
LEGACY_CIPHERS = "DEFAULT:@SECLEVEL=0"  # OpenSSL 3 negotiates TLS 1.0/1.1 (SHA-1 handshakes) only at level 0
EVERY_CIPHER = "ALL:COMPLEMENTOFALL:@SECLEVEL=0"  # "everything, for compatibility": NULL and anonymous suites too


class PortInUse(OSError):
    """A port the device should listen on is taken, or the address is not this machine's."""


def _bind(host: str, port: int) -> socket.socket:
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and without it
    # every response waits ~40 ms for a delayed ACK (Nagle)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise PortInUse(f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port/--http-port "
                        "(0: any free port) or --host") from None
    sock.set_inheritable(True)
    return sock


def _issue_certificates(settings: DeviceSettings) -> pki.Pki:
    directory = Path(settings.state_dir) / "pki"
    if settings.has("expired-cert"):
        start = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
        return pki.issue(directory, not_before=start, valid_days=10)
    if settings.has("wrong-host-cert"):
        return pki.issue(directory, hosts=("wrong-host.example.net",))
    if settings.has("weak-rsa-key"):
        return pki.issue(directory, rsa_bits=WEAK_RSA_BITS)
    return pki.issue(directory, self_signed=settings.has("self-signed-cert"))


def _bootstrap_accounts(ctx: DeviceContext, directory: Path) -> Path:
    credentials = {}
    for label, (email, role) in ACCOUNTS.items():
        password = secrets.token_urlsafe(18)
        ctx.users.add(email, password, role)
        credentials[label] = {"username": email, "password": password}
    path = directory / "credentials.json"
    path.touch(mode=0o600)
    path.write_text(json.dumps(credentials, indent=2))
    return path


@dataclass(frozen=True)
class TlsPolicy:
    """The HTTPS listener's protocol versions and cipher list (None: Python's defaults)."""

    floor: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2
    ceiling: ssl.TLSVersion | None = None
    ciphers: str | None = None

    def context(self, certfile: Path, keyfile: Path) -> ssl.SSLContext:
        """Returns the server context: versions and ciphers first, as the security level decides which keys load."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with warnings.catch_warnings():  # TLS 1.0/1.1 are deprecated: the faults that set them mean it
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = self.floor
            if self.ceiling is not None:
                ctx.maximum_version = self.ceiling
        if self.ciphers is not None:
            ctx.set_ciphers(self.ciphers)
        ctx.load_cert_chain(str(certfile), str(keyfile))
        return ctx


def tls_policy(settings: DeviceSettings) -> TlsPolicy:
    """Returns the contract's TLS set-up (TLS 1.2+, default suites), or what the device's TLS faults make of it."""
    legacy_only = settings.has("legacy-tls-only")
    floor = ssl.TLSVersion.TLSv1 if legacy_only or settings.has("tls1.0-enabled") else ssl.TLSVersion.TLSv1_2
    ciphers = (EVERY_CIPHER if settings.has("weak-cipher-suites")
               else LEGACY_CIPHERS if floor < ssl.TLSVersion.TLSv1_2
               else WEAK_KEY_CIPHERS if settings.has("weak-rsa-key") else None)
    return TlsPolicy(floor, ssl.TLSVersion.TLSv1_1 if legacy_only else None, ciphers)


class _TlsConfig(uvicorn.Config):
    """Uvicorn config whose TLS context is the device's own (TlsPolicy), not uvicorn's."""

    def __init__(self, *args, tls: TlsPolicy, certs: pki.Pki, **kwargs):
        self._tls, self._certs = tls, certs
        super().__init__(*args, **kwargs)

    def load(self) -> None:
        super().load()
        self.ssl = self._tls.context(self._certs.server_cert, self._certs.server_key)


async def _redirect_app(scope, receive, send):
    if scope["type"] != "http":
        return
    host = next((v.decode() for k, v in scope["headers"] if k == b"host"), "localhost").split(":")[0]
    https_port = scope["app_state"]["https_port"]
    query = scope.get("query_string", b"").decode()
    location = f"https://{host}:{https_port}{scope['path']}" + (f"?{query}" if query else "")
    await send({"type": "http.response.start", "status": 308,
                "headers": [(b"location", location.encode()), (b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


def serve(settings: DeviceSettings, ready_file: Path | None = None) -> None:
    """Starts the device and serves until interrupted; writes a ready file when listening."""
    state = Path(settings.state_dir)
    state.mkdir(parents=True, exist_ok=True)
    https_sock = _bind(settings.host, settings.https_port)
    try:
        http_sock = _bind(settings.host, settings.http_port)
    except PortInUse:
        https_sock.close()
        raise
    certs = _issue_certificates(settings)
    ctx = DeviceContext(settings)
    credentials_file = _bootstrap_accounts(ctx, state)
    https_port, http_port = https_sock.getsockname()[1], http_sock.getsockname()[1]
    app = create_app(ctx)
    https = uvicorn.Server(_TlsConfig(app, tls=tls_policy(settings), certs=certs, log_level="warning",
                                      access_log=False, server_header=False, date_header=True,
                                      timeout_graceful_shutdown=2))
    plain_app = app if settings.has("http-served") else _with_state(_redirect_app, {"https_port": https_port})
    if settings.has("http-served-clinical"):
        plain_app = _split_by_path(_clinical_paths(settings), app, plain_app)
    http = uvicorn.Server(uvicorn.Config(plain_app, log_level="warning", access_log=False, server_header=False,
                                        timeout_graceful_shutdown=2))
    info = {"https_url": f"https://localhost:{https_port}", "http_url": f"http://localhost:{http_port}",
            "ca_cert": str(certs.ca_cert), "credentials_file": str(credentials_file),
            "log_file": str(ctx.log.path), "database": str(ctx.users.path), "pid": os.getpid(),
            "faults": settings.faults}

    async def run() -> None:
        tasks = [asyncio.create_task(https.serve(sockets=[https_sock])),
                 asyncio.create_task(http.serve(sockets=[http_sock]))]
        while not (https.started and http.started):
            await asyncio.sleep(0.02)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: _stop(https, http))
        if ready_file:
            tmp = ready_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(info))
            tmp.replace(ready_file)
        await asyncio.gather(*tasks)

    print(json.dumps(info), flush=True)
    asyncio.run(run())


def _stop(*servers: uvicorn.Server) -> None:
    for server in servers:
        server.should_exit = True


CLINICAL_INTENTS = ("diagnose", "assess_severity", "assess_manually")


def _clinical_paths(settings: DeviceSettings) -> tuple[str, ...]:
    """The clinical routes' paths as the device serves them: its dialect's, moved by the profile's route map."""
    from lhv.contract.dialects import DIALECTS

    routes = DIALECTS[settings.dialect](settings.routes).routes
    return tuple(routes[intent].path for intent in CLINICAL_INTENTS if intent in routes)


def _split_by_path(prefixes: tuple[str, ...], matching, other):
    async def split(scope, receive, send):
        chosen = matching if scope.get("path", "").startswith(prefixes) else other
        await chosen(scope, receive, send)
    return split


def _with_state(app, state: dict):
    async def wrapped(scope, receive, send):
        await app({**scope, "app_state": state}, receive, send)
    return wrapped
