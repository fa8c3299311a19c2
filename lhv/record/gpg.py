"""OpenPGP signatures of signature entries, made and checked by the gpg binary within a time bound.

The gpg binary is driven directly (not python-gnupg) so that every call has a timeout: signing may wait on
the signer's pinentry, checking never waits on anyone.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SIGN_TIMEOUT_S = 120.0  # a human may type a passphrase into pinentry
CHECK_TIMEOUT_S = 30.0
INSTALL_HINT = "gpg is not installed (Debian/Ubuntu: apt-get install gnupg)"


class GpgError(Exception):
    """gpg is missing, timed out or refused; the message is one line for the user."""


@dataclass(frozen=True)
class GpgCheck:
    """What gpg says about one detached signature."""

    good: bool
    fingerprint: str  # the primary key's fingerprint ("" when gpg could not tell)
    signer: str  # the key's user id as gpg reports it
    trust: str  # gpg's trust in the key (TRUST_ULTIMATE, TRUST_UNDEFINED, ...), "" when not given
    problem: str  # why it is not good, "" when it is


def _run(args: list[str], *, home: str | None, data: bytes, timeout: float) -> subprocess.CompletedProcess:
    binary = shutil.which("gpg")
    if binary is None:
        raise GpgError(INSTALL_HINT)
    command = [binary, "--batch", *(["--homedir", home] if home else []), *args]
    try:
        return subprocess.run(command, input=data, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise GpgError(f"gpg did not finish within {timeout:g} s ({' '.join(args[:2])})") from None


def _last_error(done: subprocess.CompletedProcess) -> str:
    lines = [line for line in done.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1].strip() if lines else f"gpg exited {done.returncode}"


def secret_key_fingerprint(key: str, home: str | None) -> str:
    """Returns the primary fingerprint of the one secret key that `key` names."""
    done = _run(["--with-colons", "--list-secret-keys", "--", key], home=home, data=b"", timeout=CHECK_TIMEOUT_S)
    if done.returncode != 0:
        raise GpgError(f"no secret key {key!r} in the keyring{f' {home}' if home else ''}: {_last_error(done)}")
    fingerprints, after_primary = [], False
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        fields = line.split(":")
        if fields[0] in ("sec", "ssb"):
            after_primary = fields[0] == "sec"
        elif fields[0] == "fpr" and after_primary:
            fingerprints.append(fields[9])
            after_primary = False
    if len(fingerprints) != 1:
        raise GpgError(f"{key!r} names {len(fingerprints)} secret keys: give one key's fingerprint")
    return fingerprints[0]


def sign(data: bytes, fingerprint: str, home: str | None) -> str:
    """Returns an ASCII-armoured detached signature of data by the key."""
    done = _run(["--armor", "--detach-sign", "--local-user", fingerprint, "--output", "-"], home=home, data=data,
                timeout=SIGN_TIMEOUT_S)
    if done.returncode != 0 or b"BEGIN PGP SIGNATURE" not in done.stdout:
        raise GpgError(f"gpg could not sign with {fingerprint}: {_last_error(done)}")
    return done.stdout.decode("ascii")


def check(data: bytes, signature: str, home: str | None) -> GpgCheck:
    """Checks a detached signature of data against the keyring."""
    with tempfile.TemporaryDirectory(prefix="lhv-gpg-") as scratch:
        path = Path(scratch) / "entry.asc"
        path.write_text(signature, encoding="ascii", errors="replace")
        done = _run(["--status-fd", "1", "--verify", str(path), "-"], home=home, data=data, timeout=CHECK_TIMEOUT_S)
    status: dict[str, str] = {}
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("[GNUPG:] "):
            word, _, rest = line[9:].partition(" ")
            status.setdefault(word, rest)
    trust = next((word for word in status if word.startswith("TRUST_")), "")
    if "VALIDSIG" in status and "GOODSIG" in status and done.returncode == 0:
        fields = status["VALIDSIG"].split()
        return GpgCheck(True, fields[-1], status["GOODSIG"].partition(" ")[2], trust, "")
    key = (status.get("NO_PUBKEY") or status.get("ERRSIG", "").partition(" ")[0]
           or status.get("BADSIG", "").partition(" ")[0])
    if "NO_PUBKEY" in status:
        problem = f"key {key} is not in the verifier's keyring (import the signer's public key)"
    elif "BADSIG" in status:
        problem = f"bad signature by key {key}: the entry was changed after it was signed"
    elif "EXPKEYSIG" in status or "REVKEYSIG" in status:
        problem = "the signing key is expired or revoked"
    else:
        problem = f"gpg could not check it: {_last_error(done)}"
    return GpgCheck(False, "", status.get("BADSIG", "").partition(" ")[2], trust, problem)
