"""Bounded, consented load: rate-limit bursts driven by Locust in its own process."""
