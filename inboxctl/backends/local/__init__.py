"""The embedded local backend: a real SQLite file, the reference semantics of inboxctl."""
