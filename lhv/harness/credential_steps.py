"""Plan steps shared by the credential plans: reading a stored credential, or recording an attestation."""

from __future__ import annotations

from pathlib import Path

from lhv.checks.hashes import StoredCredential, recognise
from lhv.checks.hashes.verify import VERIFIABLE, verifies
from lhv.checks.outcomes import require
from lhv.core.errors import Inconclusive
from lhv.harness.steps import StepRecorder
from lhv.inspection.attestation import load_attestation
from lhv.inspection.hooks import InspectionHook
from lhv.session.clinic import profile_path
from lhv.session.run import RunState
from lhv.session.target import Credentials, Target


def read_stored_credential(step: StepRecorder, hook: InspectionHook,
                           account: Credentials) -> tuple[str, StoredCredential]:
    """Reads an account's stored credential through the hook; the record gets its format only."""
    with step(f"Read the stored credential of {account.username} through the inspection hook ({hook.kind})",
              expect="exactly one stored value; the record keeps its format and parameters, never the value"):
        stored = hook.stored_credential(account.username)
        credential = recognise(stored, account.password)
        require("stored-credential-found", bool(stored), "the hook returned no stored credential",
                f"found via {hook.description}; format: {credential.summary()}")
    if credential.is_slow_hash:
        with step("Verify the stored hash against the password the harness registered",
                  expect="it is that password's hash (a hook that reads some other value proves nothing)"):
            verdict = verifies(stored, account.password)
            if verdict is None:
                raise Inconclusive(f"no verifier here reads {credential.summary()} (verifiable: {VERIFIABLE}), so "
                                   "the stored value was not shown to be this account's password hash")
            require("stored-hash-verifies", verdict,
                    f"the stored {credential.scheme} hash does not verify against the password registered for "
                    f"{account.username}: the hook reads another value than the one login checks",
                    f"the stored {credential.scheme} hash verifies against the registered password")
    return stored, credential


def attest(step: StepRecorder, target: Target, run: RunState, plan_id: str, questions: dict[str, str]) -> None:
    """Records the profile's attestation in place of an inspection; with none, the case is inconclusive."""
    section = target.profile.inspection
    if section.kind != "attestation":
        with step("Find a way to see the stored credentials: an inspection hook or an attestation",
                  expect="the profile's [inspection] names a hook (sql, command) or an attestation file"):
            raise Inconclusive("not verifiable: the profile has no inspection hook and no attestation "
                               f"([inspection] kind = \"{section.kind}\"), and no HTTP client can see how "
                               "passwords are stored; wire a hook or attach an attestation (see README)")
    attestation = load_attestation(profile_path(target, section.attestation, Path(section.attestation)))
    run.add_test_data(plan_id, attestation.source, f"attestation by {attestation.attested_by}")
    with step(f"Attestation (no automated inspection): {attestation.byline()}",
              expect="the named person answers yes to each question, with evidence attached") as current:
        for evidence in attestation.evidence:
            current.attachments.append({"name": evidence.name, "description": f"attestation evidence, "
                                        f"{evidence.size} bytes, sha256 {evidence.sha256}"})
        stored_format = attestation.answers.get("stored_format")
        if stored_format:
            step.note(f"attested stored format: {stored_format}")
        for question, wording in questions.items():
            answer = attestation.answer(question)
            require(f"attested-{question.replace('_', '-')}", answer is True,
                    f"{attestation.attested_by} answers {answer!r} to: {wording}",
                    f"{attestation.attested_by} attests: {wording}")


def minimums_file() -> Path:
    """Returns the packaged OWASP minimums file, for the record's test data."""
    from lhv.checks.hashes.minimums import DEFAULT_MINIMUMS_FILE

    return Path(str(DEFAULT_MINIMUMS_FILE))
