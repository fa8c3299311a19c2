"""Bounded, consented load: rate-limit bursts driven by Locust in processes of its own, here or on other machines."""
