"""Named checks on stored credentials and on what a device says back: each names formats, never values."""

from __future__ import annotations

import re

from lhv.checks.hashes import PasswordStorageMinimums, StoredCredential, assess, different_salts, recognise
from lhv.checks.outcomes import require

_ENCODINGS_OF_PASSWORD = ("plaintext", "base64_of_password")
_TOKEN = re.compile(r"[^\s\"';{}()\[\]]{20,}")  # commas stay: argon2 parameters hold them


def stored_is_not_password(credential: StoredCredential) -> None:
    """The stored credential is neither the password nor an encoding of it."""
    require("stored-is-not-password", credential.scheme not in _ENCODINGS_OF_PASSWORD,
            f"the device stored {credential.summary()}",
            f"the stored credential is not the password nor an encoding of it: {credential.summary()}")


def is_salted_slow_hash(credential: StoredCredential) -> None:
    """The stored credential is a recognised salted slow password hash (argon2, bcrypt, scrypt, PBKDF2)."""
    require("salted-slow-hash", credential.is_slow_hash and bool(credential.salted),
            f"not a recognised salted slow password hash: {credential.summary()}",
            f"recognised: {credential.summary()}")


def meets_minimums(credential: StoredCredential, minimums: PasswordStorageMinimums) -> None:
    """The hash's parameters reach the password-storage minimums (OWASP, from the minimums file)."""
    assessment = assess(credential, minimums)
    reviewed = f"OWASP minimums reviewed {minimums.reviewed.isoformat()}"
    notes = f"; notes: {'; '.join(assessment.notes)}" if assessment.notes else ""
    require("owasp-minimums", assessment.acceptable,
            f"{'; '.join(assessment.findings)} ({reviewed}){notes}",
            f"{credential.summary()} reaches the {reviewed}{notes}")


def hashes_differ(first: StoredCredential, second: StoredCredential, identical_values: bool) -> None:
    """Two users with one password have different stored credentials, with different salts."""
    require("distinct-hashes-for-one-password", not identical_values and different_salts(first, second),
            "the two stored credentials are identical" if identical_values else
            "the two stored credentials do not carry two different salts and digests",
            "different salts and different digests for one password")


def reveals_no_credential(text: str, what: str, password: str, stored: str | None = None) -> None:
    """A reply or output holds neither the password, nor the stored credential, nor any hash of the password."""
    leaks = []
    if password in text:
        leaks.append("the password")
    if stored and stored in text:
        leaks.append("the stored credential")
    for token in _TOKEN.findall(text):
        found = recognise(token, password)
        if found.is_slow_hash or found.matches_password:
            leaks.append(f"a value recognised as {found.scheme}")
    require("reveals-no-credential", not leaks, f"{what} holds {', '.join(dict.fromkeys(leaks))}",
            f"{what} holds no password, stored credential or password hash")
