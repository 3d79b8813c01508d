"""Screening: (case, rules, as-of date) -> decision, with no I/O."""
