"""Verification harness for the Legit.Health Plus medical-device API."""

__version__ = "0.1.0"
