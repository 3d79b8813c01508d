"""The proof file's hash chain (pure)."""
