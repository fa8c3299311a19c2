"""The session: the target profile, the target and its API facade, accounts, vault, run model and verdicts."""
