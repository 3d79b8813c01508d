"""The edges: files the user names, settings and atomic writes, turned into values."""
