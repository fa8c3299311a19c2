"""The check vocabulary: how a named check records and raises its outcome (outcomes.py), and the named checks of
replies and stored credentials, with the knowledge of password-hash formats and OWASP minimums (hashes/)."""
