"""The verification plans PLAN_001–PLAN_019, one module per plan, runnable against any target profile."""
