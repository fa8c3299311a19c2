"""The target's structured log: where it is read, and its rate-limit entries judged against the 429s."""
