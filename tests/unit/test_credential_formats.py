"""Recognising stored credentials and judging them against the OWASP minimums."""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2.low_level import Type, hash_secret

from lhv.checks.hashes import assess, different_salts, load_minimums, recognise
from lhv.checks.hashes.minimums import DEFAULT_MINIMUMS_FILE
from lhv.core.errors import ConfigError

PASSWORD = "Tr0ub4dor&3-correct-horse"
# From the OpenBSD/John the Ripper bcrypt test vectors: the password "U*U" at cost 5.
BCRYPT_VECTOR = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
MINIMUMS = load_minimums()


@dataclass(frozen=True)
class Sample:
    """A stored credential together with the secret parts its summary must never show."""

    stored: str
    salt: str
    digest: str


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode().rstrip("=")


def ab64(raw: bytes) -> str:
    return b64(raw).replace("+", ".")


def text_salt() -> str:
    return base64.b32encode(os.urandom(10)).decode().lower()


def argon2_hash(kind: Type, m: int = 64, t: int = 1, p: int = 1, password: str = PASSWORD) -> Sample:
    stored = hash_secret(password.encode(), os.urandom(16), time_cost=t, memory_cost=m,
                         parallelism=p, hash_len=32, type=kind).decode()
    *_, salt, digest = stored.split("$")
    return Sample(stored, salt, digest)


def scrypt_key(salt: bytes, n: int = 1024, r: int = 8, p: int = 1, dklen: int = 32) -> bytes:
    return hashlib.scrypt(PASSWORD.encode(), salt=salt, n=n, r=r, p=p, dklen=dklen)


def pbkdf2_key(hash_name: str, salt: bytes, iterations: int = 1000) -> bytes:
    return hashlib.pbkdf2_hmac(hash_name, PASSWORD.encode(), salt, iterations)


def scrypt_phc() -> Sample:
    salt = os.urandom(16)
    key = scrypt_key(salt)
    return Sample(f"$scrypt$ln=10,r=8,p=1${b64(salt)}${b64(key)}", b64(salt), b64(key))


def scrypt_werkzeug() -> Sample:
    salt = text_salt()
    key = scrypt_key(salt.encode(), dklen=64).hex()
    return Sample(f"scrypt:1024:8:1${salt}${key}", salt, key)


def scrypt_django() -> Sample:
    salt = text_salt()
    key = base64.b64encode(scrypt_key(salt.encode(), dklen=64)).decode()
    return Sample(f"scrypt$1024${salt}$8$1${key}", salt, key)


def pbkdf2_django(hash_name: str) -> Sample:
    salt = text_salt()
    key = base64.b64encode(pbkdf2_key(hash_name, salt.encode())).decode()
    return Sample(f"pbkdf2_{hash_name}$1000${salt}${key}", salt, key)


def pbkdf2_passlib(hash_name: str) -> Sample:
    salt = os.urandom(16)
    key = pbkdf2_key(hash_name, salt)
    ident = "$pbkdf2" if hash_name == "sha1" else f"$pbkdf2-{hash_name}"
    return Sample(f"{ident}$1000${ab64(salt)}${ab64(key)}", ab64(salt), ab64(key))


def pbkdf2_phc(hash_name: str) -> Sample:
    salt = os.urandom(16)
    key = pbkdf2_key(hash_name, salt)
    return Sample(f"$pbkdf2-{hash_name}$i=1000,l={len(key)}${b64(salt)}${b64(key)}", b64(salt), b64(key))


def pbkdf2_werkzeug(hash_name: str) -> Sample:
    salt = text_salt()
    key = pbkdf2_key(hash_name, salt.encode()).hex()
    return Sample(f"pbkdf2:{hash_name}:1000${salt}${key}", salt, key)


def bcrypt_sample(prefix: str = "", ident: str = "2a") -> Sample:
    stored = prefix + BCRYPT_VECTOR.replace("$2a$", f"${ident}$")
    return Sample(stored, BCRYPT_VECTOR[7:29], BCRYPT_VECTOR[29:])


def shape(scheme_format: str, **params: object) -> str:
    """Builds a well-formed stored value with the given cost and a random salt and digest."""
    salt, digest = os.urandom(16), os.urandom(32)
    return scheme_format.format(salt=b64(salt), digest=b64(digest), **params)


SLOW_SAMPLES = {
    "argon2id phc": (lambda: argon2_hash(Type.ID), "argon2id", "phc"),
    "argon2i phc": (lambda: argon2_hash(Type.I), "argon2i", "phc"),
    "argon2d phc": (lambda: argon2_hash(Type.D), "argon2d", "phc"),
    "argon2id django": (lambda: _prefixed("argon2", argon2_hash(Type.ID)), "argon2id", "django"),
    "bcrypt 2a": (lambda: bcrypt_sample(), "bcrypt", "modular crypt"),
    "bcrypt 2b": (lambda: bcrypt_sample(ident="2b"), "bcrypt", "modular crypt"),
    "bcrypt 2y": (lambda: bcrypt_sample(ident="2y"), "bcrypt", "modular crypt"),
    "bcrypt django": (lambda: bcrypt_sample(prefix="bcrypt$"), "bcrypt", "django"),
    "scrypt phc": (scrypt_phc, "scrypt", "phc"),
    "scrypt werkzeug": (scrypt_werkzeug, "scrypt", "werkzeug"),
    "scrypt django": (scrypt_django, "scrypt", "django"),
    **{f"pbkdf2 {name} {fmt}": (lambda builder=builder, name=name: builder(name), f"pbkdf2_{name}", fmt)
       for name in ("sha1", "sha256", "sha512")
       for fmt, builder in (("django", pbkdf2_django), ("passlib", pbkdf2_passlib),
                            ("phc", pbkdf2_phc), ("werkzeug", pbkdf2_werkzeug))},
}


def _prefixed(prefix: str, sample: Sample) -> Sample:
    return Sample(prefix + sample.stored, sample.salt, sample.digest)


@pytest.mark.parametrize("name", SLOW_SAMPLES)
def test_slow_hash_formats_are_recognised(name: str) -> None:
    build, scheme, encoding = SLOW_SAMPLES[name]
    credential = recognise(build().stored, PASSWORD)
    assert (credential.scheme, credential.encoding) == (scheme, encoding)
    assert credential.is_slow_hash and credential.salted is True
    assert credential.matches_password is None


def test_argon2_parameters_are_read() -> None:
    credential = recognise(argon2_hash(Type.ID, m=256, t=3, p=2).stored)
    assert credential.params == {"v": 19, "m": 256, "t": 3, "p": 2}
    assert credential.summary() == "argon2id v=19 m=256 t=3 p=2 (phc format)"


def test_argon2_without_version_is_argon2_1_0() -> None:
    stored = shape("$argon2i$m=4096,t=3,p=1${salt}${digest}")
    assert recognise(stored).params["v"] == 16


def test_bcrypt_cost_and_prehash_are_read() -> None:
    assert recognise(BCRYPT_VECTOR).params == {"ident": "2a", "cost": 5}
    assert recognise("bcrypt_sha256$" + BCRYPT_VECTOR).params["prehash"] == "sha256"


@pytest.mark.parametrize("build", [scrypt_phc, scrypt_werkzeug, scrypt_django])
def test_scrypt_parameters_are_read(build) -> None:
    assert recognise(build().stored).params == {"N": 1024, "ln": 10, "r": 8, "p": 1}


def test_scrypt_crypt_format_from_libsodium_vector() -> None:
    stored = "$7$C6..../....SodiumChloride$kBGj9fHznVYFQMEn/qDCfrDevf9YDtcDdKvEqHJLV8D"
    credential = recognise(stored)
    assert credential.scheme == "scrypt"
    assert credential.params == {"N": 16384, "ln": 14, "r": 8, "p": 1}


@pytest.mark.parametrize("build", [pbkdf2_django, pbkdf2_passlib, pbkdf2_phc, pbkdf2_werkzeug])
def test_pbkdf2_parameters_are_read(build) -> None:
    assert recognise(build("sha512").stored).params == {"iterations": 1000, "hash": "sha512"}


def test_plaintext_is_the_password() -> None:
    credential = recognise(PASSWORD, PASSWORD)
    assert (credential.scheme, credential.salted, credential.matches_password) == ("plaintext", False, True)
    assert recognise(PASSWORD).scheme == "unknown"


@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha256", "sha512"])
def test_hex_digest_of_the_password_is_an_unsalted_fast_hash(algorithm: str) -> None:
    stored = hashlib.new(algorithm, PASSWORD.encode()).hexdigest()
    credential = recognise(stored.upper(), PASSWORD)
    assert credential.scheme == f"{algorithm}_hex"
    assert (credential.salted, credential.matches_password, credential.is_slow_hash) == (False, True, False)
    assert "unsalted fast hash of the password" in credential.summary()


@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha256", "sha512"])
def test_hex_digest_of_something_else_is_not_called_unsalted(algorithm: str) -> None:
    stored = hashlib.new(algorithm, b"salt" + PASSWORD.encode()).hexdigest()
    checked, unchecked = recognise(stored, PASSWORD), recognise(stored)
    assert checked.scheme == unchecked.scheme == f"{algorithm}_hex"
    assert (checked.salted, checked.matches_password) == (None, False)
    assert (unchecked.salted, unchecked.matches_password) == (None, None)
    assert "unsalted" not in checked.summary() + unchecked.summary()


@pytest.mark.parametrize("encode", [base64.b64encode, base64.urlsafe_b64encode,
                                    lambda raw: base64.b64encode(raw).rstrip(b"=")])
def test_base64_of_the_password_is_recognised(encode) -> None:
    credential = recognise(encode(b"pass?word>>").decode(), "pass?word>>")
    assert (credential.scheme, credential.salted, credential.is_slow_hash) == ("base64_of_password", False, False)


@pytest.mark.parametrize("stored", [
    "", "not a hash", "$argon2id$v=19$m=x,t=2,p=1$c2FsdA$aGFzaA", "$2a$05$tooshort",
    "scrypt:1000:8:1$salt$abcdef",  # N not a power of two
    "pbkdf2:md5:1000$salt$abcdef", "abc123", BCRYPT_VECTOR + "\n",
])
def test_other_values_are_unknown(stored: str) -> None:
    credential = recognise(stored, PASSWORD)
    assert (credential.scheme, credential.is_slow_hash, credential.salted) == ("unknown", False, None)


def _every_format() -> list[tuple[str, Sample]]:
    samples = [(name, build()) for name, (build, _, _) in SLOW_SAMPLES.items()]
    for algorithm in ("md5", "sha1", "sha256", "sha512"):
        digest = hashlib.new(algorithm, PASSWORD.encode()).hexdigest()
        samples.append((f"{algorithm} hex", Sample(digest, "", digest)))
    encoded = base64.b64encode(PASSWORD.encode()).decode()
    samples.append(("base64", Sample(encoded, "", encoded)))
    samples.append(("plaintext", Sample(PASSWORD, "", PASSWORD)))
    samples.append(("unknown", Sample("opaque-" + os.urandom(12).hex(), "", "opaque-")))
    return samples


EVERY_FORMAT = _every_format()


@pytest.mark.parametrize(("name", "sample"), EVERY_FORMAT, ids=[name for name, _ in EVERY_FORMAT])
def test_descriptions_never_show_salt_digest_or_password(name: str, sample: Sample) -> None:
    credential = recognise(sample.stored, PASSWORD)
    for text in (credential.summary(), str(credential), repr(credential), str(credential.params)):
        assert PASSWORD not in text
        assert sample.stored not in text
        for secret in (sample.salt, sample.digest):
            if secret:
                assert secret not in text and secret.lower() not in text.lower()


def test_two_hashes_of_one_password_have_different_salts() -> None:
    first, second = (recognise(argon2_hash(Type.ID).stored) for _ in range(2))
    assert different_salts(first, second)
    assert not different_salts(first, first)


def test_a_reused_salt_is_detected() -> None:
    salt = text_salt()
    key = pbkdf2_key("sha256", salt.encode()).hex()
    first = recognise(f"pbkdf2:sha256:1000${salt}${key}")
    second = recognise(f"pbkdf2:sha256:1000${salt}${key}")
    assert not different_salts(first, second)


def test_unsalted_values_never_count_as_differently_salted() -> None:
    md5 = recognise(hashlib.md5(PASSWORD.encode()).hexdigest(), PASSWORD)
    other = recognise(hashlib.md5(b"other").hexdigest())
    assert not different_salts(md5, other)
    assert not different_salts(recognise(PASSWORD, PASSWORD), recognise(PASSWORD, PASSWORD))


# --- minimums -------------------------------------------------------------------------------

ARGON2_SHAPE = "${variant}$v=19$m={m},t={t},p={p}${salt}${digest}"
SCRYPT_SHAPE = "$scrypt$ln={ln},r={r},p={p}${salt}${digest}"


def argon2_cost(m: int, t: int, p: int = 1, variant: str = "argon2id"):
    return recognise(shape(ARGON2_SHAPE, variant=variant, m=m, t=t, p=p))


def scrypt_cost(n: int, r: int, p: int):
    return recognise(shape(SCRYPT_SHAPE, ln=n.bit_length() - 1, r=r, p=p))


def test_packaged_minimums_are_owasp_current() -> None:
    assert "owasp.org" in MINIMUMS.source and MINIMUMS.reviewed.year >= 2025
    assert MINIMUMS.argon2[1].memory_kib == 19456 and MINIMUMS.argon2[1].iterations == 2
    assert (MINIMUMS.scrypt[0].n, MINIMUMS.scrypt[0].r, MINIMUMS.scrypt[0].p) == (2**17, 8, 1)
    assert MINIMUMS.bcrypt_cost == 10
    assert MINIMUMS.pbkdf2_iterations == {"sha1": 1_300_000, "sha256": 600_000, "sha512": 210_000}


def test_real_argon2id_at_the_headline_minimum_passes_and_just_below_fails() -> None:
    at = assess(recognise(argon2_hash(Type.ID, m=19456, t=2).stored), MINIMUMS)
    below = assess(recognise(argon2_hash(Type.ID, m=19455, t=2).stored), MINIMUMS)
    assert at.acceptable and at.findings == []
    assert not below.acceptable and "below every OWASP configuration" in below.findings[0]


@pytest.mark.parametrize("config", MINIMUMS.argon2, ids=str)
def test_each_equivalent_argon2id_configuration(config) -> None:
    m, t = config.memory_kib, config.iterations
    assert assess(argon2_cost(m, t), MINIMUMS).acceptable
    assert assess(argon2_cost(m * 2, t + 1, p=4), MINIMUMS).acceptable
    assert not assess(argon2_cost(m - 1, t), MINIMUMS).acceptable
    if t > 1:
        assert not assess(argon2_cost(m, t - 1), MINIMUMS).acceptable


@pytest.mark.parametrize("variant", ["argon2i", "argon2d"])
def test_argon2_variants_other_than_id_are_rejected(variant: str) -> None:
    result = assess(argon2_cost(65536, 3, variant=variant), MINIMUMS)
    assert not result.acceptable
    assert result.findings == [f"{variant} is not an accepted Argon2 variant "
                               "(argon2id; OWASP recommends argon2id)"]


def test_argon2_version_1_0_is_noted() -> None:
    result = assess(recognise(shape("$argon2id$m=65536,t=3,p=1${salt}${digest}")), MINIMUMS)
    assert result.acceptable and "v=16" in result.notes[0]


@pytest.mark.parametrize("config", MINIMUMS.scrypt, ids=str)
def test_each_equivalent_scrypt_configuration(config) -> None:
    assert assess(scrypt_cost(config.n, config.r, config.p), MINIMUMS).acceptable
    assert assess(scrypt_cost(config.n * 2, config.r, config.p + 1), MINIMUMS).acceptable
    assert not assess(scrypt_cost(config.n // 2, config.r, config.p), MINIMUMS).acceptable
    assert not assess(scrypt_cost(config.n, config.r - 1, config.p), MINIMUMS).acceptable


def test_werkzeug_default_scrypt_is_below_owasp() -> None:
    result = assess(recognise(f"scrypt:32768:8:1${text_salt()}${os.urandom(64).hex()}"), MINIMUMS)
    assert not result.acceptable and "N=32768 r=8 p=1" in result.findings[0]


@pytest.mark.parametrize(("cost", "acceptable"), [(9, False), (10, True), (12, True)])
def test_bcrypt_cost_threshold(cost: int, acceptable: bool) -> None:
    result = assess(recognise(BCRYPT_VECTOR.replace("$05$", f"${cost:02d}$")), MINIMUMS)
    assert result.acceptable is acceptable
    assert result.notes == ["bcrypt reads only the first 72 bytes of a password"]


def test_prehashed_bcrypt_has_no_length_note() -> None:
    result = assess(recognise("bcrypt_sha256$" + BCRYPT_VECTOR.replace("$05$", "$12$")), MINIMUMS)
    assert result.acceptable and result.notes == []


@pytest.mark.parametrize(("hash_name", "minimum"), [("sha1", 1_300_000), ("sha256", 600_000),
                                                    ("sha512", 210_000)])
def test_pbkdf2_iteration_thresholds(hash_name: str, minimum: int) -> None:
    def stored(iterations: int) -> str:
        return f"pbkdf2_{hash_name}${iterations}${text_salt()}${base64.b64encode(os.urandom(32)).decode()}"
    assert assess(recognise(stored(minimum)), MINIMUMS).acceptable
    assert assess(recognise(stored(minimum + 1)), MINIMUMS).acceptable
    below = assess(recognise(stored(minimum - 1)), MINIMUMS)
    assert not below.acceptable
    assert below.findings == [f"PBKDF2-HMAC-{hash_name.upper()} with {minimum - 1} iterations "
                              f"is below the OWASP minimum {minimum}"]


def test_real_pbkdf2_sha256_at_the_minimum_passes() -> None:
    salt = text_salt()
    key = base64.b64encode(pbkdf2_key("sha256", salt.encode(), 600_000)).decode()
    assert assess(recognise(f"pbkdf2_sha256$600000${salt}${key}"), MINIMUMS).acceptable


@pytest.mark.parametrize("stored", [
    PASSWORD,
    hashlib.md5(PASSWORD.encode()).hexdigest(),
    hashlib.sha256(b"pepper" + PASSWORD.encode()).hexdigest(),
    base64.b64encode(PASSWORD.encode()).decode(),
    "opaque-value",
])
def test_known_bad_shapes_are_never_acceptable(stored: str) -> None:
    credential = recognise(stored, PASSWORD)
    result = assess(credential, MINIMUMS)
    assert not result.acceptable
    assert result.findings == [f"not a salted slow password hash: {credential.summary()}"]


def test_assess_uses_the_packaged_minimums_by_default() -> None:
    assert not assess(recognise(BCRYPT_VECTOR)).acceptable


# --- the minimums file ----------------------------------------------------------------------

def _edited_minimums(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_MINIMUMS_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "minimums.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "message"), [
    ("min_cost = 10", "min_cots = 10", "minimums.toml: bcrypt.min_cost: is missing"),
    ("memory_kib = 19456", 'memory_kib = "19 MiB"',
     "minimums.toml: argon2.configurations[1].memory_kib: must be a positive integer, got '19 MiB'"),
    ("reviewed = 2026-11-22", 'reviewed = "2026-11-22"', "minimums.toml: reviewed: must be a TOML date"),
    ('accepted_variants = ["argon2id"]', "accepted_variants = []",
     "minimums.toml: argon2.accepted_variants: must be a non-empty list of strings"),
    ("sha256 = 600000", "sha256 = 600000 600000", "minimums.toml: not valid TOML: "),
])
def test_a_broken_minimums_file_names_the_file_and_key(tmp_path: Path, old: str, new: str,
                                                        message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_minimums(_edited_minimums(tmp_path, old, new))
    assert message in str(raised.value)


def test_a_missing_minimums_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="absent.toml: file not found"):
        load_minimums(tmp_path / "absent.toml")


def test_a_hash_without_a_listed_minimum_is_not_acceptable(tmp_path: Path) -> None:
    minimums = load_minimums(_edited_minimums(tmp_path, "sha1 = 1300000\n", ""))
    result = assess(recognise(pbkdf2_werkzeug("sha1").stored), minimums)
    assert result.findings == ["no OWASP minimum is listed for PBKDF2-HMAC-SHA1"]
