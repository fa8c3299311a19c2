"""PLAN_014 Password hashing during user registration.

Purpose: accounts registered through the profile's registration path are stored as a salted
slow hash (argon2id, bcrypt, scrypt or PBKDF2) whose parameters reach the current OWASP
minimums (lhv/data/owasp_password_storage.toml), never as the password; two users with one
password get different hashes. The stored credential is read through the profile's inspection
hook and only its format and parameters reach the record. Where no hook can reach the storage,
a named person's attestation with its evidence stands in, marked as such; with neither, the
plan is inconclusive ("not verifiable"), never passed.
"""

import secrets

from lhv.checks.credentials import hashes_differ, is_salted_slow_hash, meets_minimums, stored_is_not_password
from lhv.checks.hashes import load_minimums
from lhv.checks.replies import status_is
from lhv.harness.credential_steps import attest, minimums_file, read_stored_credential
from lhv.inspection.hooks import inspection_hook

PLAN_ID = "PLAN_014"


def _register(api, accounts, step, purposes, password=None):
    with step(f"Register {len(purposes)} disposable account(s) through the profile's registration path "
              f"({accounts.registration})" + (" with one password" if password else ""),
              expect="each is registered and logs in with its password"):
        registered = [accounts.disposable(purpose, password) for purpose in purposes]
        for account in registered:
            status_is(api.login(account), 200)
    return registered


def test_stored_credential_is_a_salted_slow_hash_at_owasp_minimums(api, accounts, step, target, lhv_run):
    """The stored credential is not the password but a salted slow hash with parameters at or above OWASP's."""
    minimums = load_minimums()
    step.uses(minimums_file(), f"OWASP password-storage minimums, reviewed {minimums.reviewed}")
    (account,) = _register(api, accounts, step, ["hashing"])
    hook = inspection_hook(target)
    if hook is None:
        attest(step, target, lhv_run, PLAN_ID, {
            "password_not_stored": "the stored credential is not the password nor an encoding of it",
            "salted_slow_hash_at_owasp_minimums": "it is a salted slow hash with parameters at or above the "
                                                  "OWASP minimums"})
        return
    _, credential = read_stored_credential(step, hook, account)
    with step("Compare the stored credential with the password", expect="neither the password nor an encoding of it"):
        stored_is_not_password(credential)
    with step("Recognise the stored credential's format",
              expect="a salted slow hash: argon2id, bcrypt, scrypt or PBKDF2"):
        is_salted_slow_hash(credential)
    with step("Compare its parameters with the OWASP minimums",
              expect=f"at or above the minimums reviewed {minimums.reviewed} ({minimums.source})"):
        meets_minimums(credential, minimums)


def test_one_password_gives_two_different_hashes(api, accounts, step, target, lhv_run):
    """Two users registered with one password get different stored credentials (different salts)."""
    password = secrets.token_urlsafe(16)
    first, second = _register(api, accounts, step, ["same-password-a", "same-password-b"], password)
    hook = inspection_hook(target)
    if hook is None:
        attest(step, target, lhv_run, PLAN_ID, {
            "distinct_hashes_for_one_password": "two users with one password get different stored credentials"})
        return
    first_stored, first_credential = read_stored_credential(step, hook, first)
    second_stored, second_credential = read_stored_credential(step, hook, second)
    with step("Compare the two stored credentials", expect="different salts and different digests"):
        hashes_differ(first_credential, second_credential, first_stored == second_stored)
