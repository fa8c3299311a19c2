"""A customer's integration: its example requests, its volume against the rate limits, its validation checklist."""
