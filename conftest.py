"""Repository-level pytest settings: what pytest must not collect from this checkout."""

collect_ignore = ["reports", "bench", "fixtures", "payloads", "profiles"]
