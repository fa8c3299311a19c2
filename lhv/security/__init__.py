"""The security pass of PLAN_019: named black-box checks (OWASP API Security Top 10 2023) raising typed findings."""
