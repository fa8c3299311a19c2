"""RS256 access tokens of the reference device."""

from __future__ import annotations

import base64
import threading
import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

_TEN_YEARS = 10 * 365 * 24 * 3600
_SUB_PREFIX = "user:"  # generated mutant token:sub:prefixed: sub names the account another way than its e-mail
_HS256_SECRET = "a-shared-secret-of-the-reference-device"  # generated mutant token:alg:HS256


class TokenService:
    """Issues and checks the device's JWTs."""

    def __init__(self, lifetime_seconds: int, faults: list[str]):
        self.lifetime = lifetime_seconds
        self.faults = set(faults)
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._public_pem = self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        self._last_issued: dict[str, tuple[float, int]] = {}  # fault renewal-expires-sooner: subject → (when, exp)
        self._lock = threading.Lock()

    def issue(self, subject: str) -> str:
        """Returns a signed token for a subject (generated mutants token:… change its claims or algorithm)."""
        clock = time.time()
        now = int(clock)
        exp = now + (_TEN_YEARS if "token-never-expires" in self.faults else self.lifetime)
        if "renewal-expires-sooner" in self.faults:
            exp = self._renewal_exp(subject, clock, exp)
        claims = {"sub": f"{_SUB_PREFIX}{subject}" if "token:sub:prefixed" in self.faults else subject,
                  "iat": now, "exp": exp, "jti": uuid.uuid4().hex}
        if "token:exp:none" in self.faults:
            claims.pop("exp")
        if "token:alg:HS256" in self.faults:
            return jwt.encode(claims, _HS256_SECRET, algorithm="HS256")
        token = jwt.encode(claims, self._key, algorithm="RS256")
        return base64.urlsafe_b64encode(token.encode()).decode().rstrip("=") if "token:opaque" in self.faults else token

    def _renewal_exp(self, subject: str, clock: float, full: int) -> int:
        """The defect of fault `renewal-expires-sooner`: a login within half a lifetime of the subject's previous
        one is taken as a renewal of that token and charged a second of the session, so its exp is the previous
        token's less one; a later login starts a session with the full lifetime."""
        with self._lock:
            previous = self._last_issued.get(subject)
            exp = previous[1] - 1 if previous and clock - previous[0] < self.lifetime / 2 else full
            self._last_issued[subject] = (clock, exp)
        return exp

    def subject(self, token: str) -> str | None:
        """Returns the token's subject if the token is valid, else None."""
        options = {"require": ["sub"] if "token:exp:none" in self.faults else ["exp", "sub"],
                   "verify_exp": "exp-not-enforced" not in self.faults}
        if "token:opaque" in self.faults:
            try:
                token = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            except ValueError:
                return None
        try:
            if "token:alg:HS256" in self.faults:
                claims = jwt.decode(token, _HS256_SECRET, algorithms=["HS256"], options=options)
            elif "alg-none-accepted" in self.faults and jwt.get_unverified_header(token).get("alg") == "none":
                claims = jwt.decode(token, options={"verify_signature": False})
            elif "signature-not-checked" in self.faults:
                claims = jwt.decode(token, options={"verify_signature": False, **options})
            else:
                claims = jwt.decode(token, self._public_pem, algorithms=["RS256"], options=options)
        except jwt.PyJWTError:
            return None
        if "token-expires-early" in self.faults and time.time() > claims["iat"] + (claims["exp"] - claims["iat"]) / 4:
            return None  # the defect: a session store that drops tokens after a quarter of the lifetime exp states
        sub = claims.get("sub")
        if isinstance(sub, str) and "token:sub:prefixed" in self.faults:
            sub = sub.removeprefix(_SUB_PREFIX)
        return sub if isinstance(sub, str) else None
