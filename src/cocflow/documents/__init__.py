"""Documents: a packet -> bytes (PDF letters, the fax cover)."""
