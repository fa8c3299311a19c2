"""What a device stored for a password: its recognised format and whether it meets OWASP minimums."""

from lhv.checks.hashes.formats import StoredCredential, different_salts, recognise
from lhv.checks.hashes.minimums import (
    Assessment,
    PasswordStorageMinimums,
    assess,
    load_minimums,
)

__all__ = [
    "Assessment",
    "PasswordStorageMinimums",
    "StoredCredential",
    "assess",
    "different_salts",
    "load_minimums",
    "recognise",
]
