"""Where inboxctl keeps its files, server profiles, and credentials."""
