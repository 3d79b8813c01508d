"""The interview's questions, as data."""
