"""The lhv command and the harness's self-qualification (clauses, selftest)."""
