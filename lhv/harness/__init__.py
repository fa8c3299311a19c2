"""The pytest side of the harness: options, fixtures, evidence capture and the record."""
