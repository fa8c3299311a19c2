"""Uptime evidence: probe store, availability verdict, chart and prober loop (PLAN_018)."""
