"""The reference device: a real implementation of CONTRACT.md with switchable faults."""
