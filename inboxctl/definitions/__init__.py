"""Inbox definitions: the TOML format, loading, checking, normalising and writing back."""
