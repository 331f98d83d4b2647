"""inboxctl: shared inbox configuration as code, and safe bulk conversation operations."""

__version__ = "0.1.0"
