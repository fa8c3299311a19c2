"""Clinical replies judged against the contract: reports, rankings, scores by the oracle, refusals; used by the
plans' steps and by the fuzzing alike."""
