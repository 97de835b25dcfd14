"""Numbered SQL migrations for the SQLite store, applied in order when the store opens."""
