"""Filing: (case, decision) -> pre-submit findings and the request packet."""
