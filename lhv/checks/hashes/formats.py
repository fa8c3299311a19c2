"""Recognises what a device stored for a password, without ever showing the stored secret."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

HEX_DIGEST_LENGTHS = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}

_B64 = r"[A-Za-z0-9+/]+"        # PHC: standard alphabet, no padding
_ANY64 = r"[A-Za-z0-9+/.]+"
_TEXT_SALT = r"[^$]+"           # Django and werkzeug store the salt as plain text
_ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

_ARGON2 = re.compile(
    rf"^(argon2)?\$(argon2id|argon2i|argon2d)\$(?:v=(\d+)\$)?m=(\d+),t=(\d+),p=(\d+)"
    rf"(?:,[a-z]+=[^$,]*)*\$({_B64})\$({_B64})$")
_BCRYPT = re.compile(
    r"^(?:(bcrypt|bcrypt_sha256)\$)?\$(2[aby])\$(\d{2})\$([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$")
_SCRYPT_PHC = re.compile(rf"^\$scrypt\$ln=(\d{{1,2}}),r=(\d+),p=(\d+)\$({_ANY64})\$({_ANY64})$")
_SCRYPT_CRYPT = re.compile(  # libsodium's "$7$": log2(N), r and p in crypt base64, then salt and hash
    r"^\$7\$([./0-9A-Za-z])([./0-9A-Za-z]{5})([./0-9A-Za-z]{5})([^$]+)\$([./0-9A-Za-z]{43})$")
_SCRYPT_DJANGO = re.compile(rf"^scrypt\$(\d+)\$({_TEXT_SALT})\$(\d+)\$(\d+)\$({_B64}={{0,2}})$")
_SCRYPT_WERKZEUG = re.compile(rf"^scrypt:(\d+):(\d+):(\d+)\$({_TEXT_SALT})\$([0-9a-f]+)$")
_PBKDF2_DJANGO = re.compile(rf"^pbkdf2_(sha1|sha256|sha512)\$(\d+)\$({_TEXT_SALT})\$({_B64}={{0,2}})$")
_PBKDF2_PASSLIB = re.compile(  # passlib's "$pbkdf2-sha256$29000$…" and PHC's "$pbkdf2-sha256$i=…,l=…$…"
    rf"^\$pbkdf2(?:-(sha1|sha256|sha512))?\$(i=)?(\d+)(?:,l=\d+)?\$({_ANY64})\$({_ANY64})$")
_PBKDF2_WERKZEUG = re.compile(rf"^pbkdf2:(sha1|sha256|sha512):(\d+)\$({_TEXT_SALT})\$([0-9a-f]+)$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")


@dataclass(frozen=True)
class StoredCredential:
    """What a stored credential is (scheme, cost, salting), holding its secret parts out of sight."""

    scheme: str
    encoding: str
    params: dict[str, int | str] = field(default_factory=dict)
    salted: bool | None = None
    is_slow_hash: bool = False
    # True when checked to be the password or a fast unsalted function of it; None when unchecked.
    matches_password: bool | None = None
    _salt: bytes = field(default=b"", repr=False, compare=False)
    _digest: bytes = field(default=b"", repr=False, compare=False)

    def summary(self) -> str:
        """Returns a one-line description that names scheme and cost, never salt, digest or password."""
        if self.is_slow_hash:
            settings = " ".join(f"{key}={value}" for key, value in self.params.items())
            return f"{self.scheme} {settings} ({self.encoding} format)"
        if self.scheme == "plaintext":
            return "plaintext: the stored value is the password itself"
        if self.scheme == "base64_of_password":
            return "base64_of_password: the password in base64, an encoding, not a hash"
        if self.scheme.endswith("_hex"):
            return f"{self.scheme}: {self._hex_verdict()}"
        return "unknown: not a recognised password-hash format"

    __str__ = summary

    def _hex_verdict(self) -> str:
        algorithm = self.params["hash"]
        if self.matches_password:
            return f"unsalted fast hash of the password ({algorithm})"
        if self.matches_password is False:
            return (f"{len(self._digest)} hex digits, not the plain {algorithm} of the password "
                    "(a fast digest, perhaps salted or peppered elsewhere)")
        return f"{len(self._digest)} hex digits, a fast digest (not checked against a password)"


def recognise(stored: str, password: str | None = None) -> StoredCredential:
    """Returns what `stored` (exactly as stored) is; a `password` also exposes it kept as is or barely encoded."""
    if password is not None and stored == password:
        return StoredCredential("plaintext", "raw", salted=False, matches_password=True)
    for parse in _SLOW_PARSERS:
        credential = parse(stored)
        if credential is not None:
            return credential
    if _HEX.fullmatch(stored) and len(stored) in HEX_DIGEST_LENGTHS:
        return _hex_digest(stored, password)
    if password is not None and stored in _base64_forms(password):
        return StoredCredential("base64_of_password", "base64", salted=False, matches_password=True)
    return StoredCredential("unknown", "unknown")


def different_salts(a: StoredCredential, b: StoredCredential) -> bool:
    """Tells whether two credentials both carry salts and differ in salt and digest, revealing neither."""
    if not (a._salt and b._salt):
        return False
    return a._salt != b._salt and a._digest != b._digest


def _slow(scheme: str, encoding: str, params: dict[str, int | str], salt: str, digest: str) -> StoredCredential:
    return StoredCredential(scheme, encoding, params, salted=bool(salt), is_slow_hash=True,
                            _salt=salt.encode(), _digest=digest.encode())


def _argon2(stored: str) -> StoredCredential | None:
    match = _ARGON2.fullmatch(stored)
    if not match:
        return None
    django, variant, version, m, t, p, salt, digest = match.groups()
    # A PHC string without "v=" was written by Argon2 1.0 (0x10 = 16).
    params: dict[str, int | str] = {"v": int(version or 16), "m": int(m), "t": int(t), "p": int(p)}
    return _slow(variant, "django" if django else "phc", params, salt, digest)


def _bcrypt(stored: str) -> StoredCredential | None:
    match = _BCRYPT.fullmatch(stored)
    if not match:
        return None
    django, ident, cost, salt, digest = match.groups()
    params: dict[str, int | str] = {"ident": ident, "cost": int(cost)}
    if django == "bcrypt_sha256":
        params["prehash"] = "sha256"
    return _slow("bcrypt", "django" if django else "modular crypt", params, salt, digest)


def _scrypt_params(n: int, r: int, p: int) -> dict[str, int | str] | None:
    if n < 2 or n & (n - 1):
        return None
    return {"N": n, "ln": n.bit_length() - 1, "r": r, "p": p}


def _scrypt(stored: str) -> StoredCredential | None:
    if match := _SCRYPT_PHC.fullmatch(stored):
        ln, r, p, salt, digest = match.groups()
        n, encoding = 2 ** int(ln), "phc"
    elif match := _SCRYPT_CRYPT.fullmatch(stored):
        ln, r, p, salt, digest = match.groups()
        n, r, p, encoding = 2 ** _ITOA64.index(ln), _itoa64_int(r), _itoa64_int(p), "crypt $7$"
    elif match := _SCRYPT_DJANGO.fullmatch(stored):
        n, salt, r, p, digest = match.groups()
        encoding = "django"
    elif match := _SCRYPT_WERKZEUG.fullmatch(stored):
        n, r, p, salt, digest = match.groups()
        encoding = "werkzeug"
    else:
        return None
    params = _scrypt_params(int(n), int(r), int(p))
    return _slow("scrypt", encoding, params, salt, digest) if params else None


def _itoa64_int(text: str) -> int:
    """Decodes the little-endian 6-bit groups that the $7$ format uses for r and p."""
    return sum(_ITOA64.index(char) << (6 * position) for position, char in enumerate(text))


def _pbkdf2(stored: str) -> StoredCredential | None:
    if match := _PBKDF2_DJANGO.fullmatch(stored):
        algorithm, iterations, salt, digest = match.groups()
        encoding = "django"
    elif match := _PBKDF2_PASSLIB.fullmatch(stored):
        algorithm, phc_marker, iterations, salt, digest = match.groups()
        algorithm = algorithm or "sha1"
        encoding = "phc" if phc_marker else "passlib"
    elif match := _PBKDF2_WERKZEUG.fullmatch(stored):
        algorithm, iterations, salt, digest = match.groups()
        encoding = "werkzeug"
    else:
        return None
    params: dict[str, int | str] = {"iterations": int(iterations), "hash": algorithm}
    return _slow(f"pbkdf2_{algorithm}", encoding, params, salt, digest)


_SLOW_PARSERS: tuple[Callable[[str], StoredCredential | None], ...] = (_argon2, _bcrypt, _scrypt, _pbkdf2)


def _hex_digest(stored: str, password: str | None) -> StoredCredential:
    algorithm = HEX_DIGEST_LENGTHS[len(stored)]
    matches = None
    if password is not None:
        matches = hashlib.new(algorithm, password.encode()).hexdigest() == stored.lower()
    return StoredCredential(f"{algorithm}_hex", "hex", {"hash": algorithm},
                            salted=False if matches else None, matches_password=matches,
                            _digest=stored.lower().encode())


def _base64_forms(password: str) -> set[str]:
    raw = password.encode()
    padded = {base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
    return padded | {form.rstrip("=") for form in padded}
