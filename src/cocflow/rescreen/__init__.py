"""Screening stored cases again when the rules change: what changed between two decisions, and
how the stored cases are split into ranges of work. Pure."""
