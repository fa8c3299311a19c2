"""The API dialects the harness speaks, by name (lhv/contract/dialects/ holds each one's requests and replies)."""

DIALECT_NAMES: tuple[str, ...] = ("plan", "v2", "v1")
