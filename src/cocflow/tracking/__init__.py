"""Tracking: the travel log, dated obligations and what changed since filing."""
