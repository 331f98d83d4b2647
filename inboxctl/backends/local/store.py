"""The local backend's SQLite file: schema, connection, transactions, clock."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

SCHEMA_VERSION = 1

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- The directory: what definitions name (users by e-mail, the rest by display name).
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,   -- also the user's personal address (F10)
    name TEXT NOT NULL,
    has_seat INTEGER NOT NULL DEFAULT 1,          -- F25: paid Sales/Service seat
    active INTEGER NOT NULL DEFAULT 1             -- 0: deactivated or removed user
);
CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE);
CREATE TABLE team_members (
    team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);
CREATE TABLE pipelines (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE);
CREATE TABLE stages (
    id INTEGER PRIMARY KEY,
    pipeline_id INTEGER NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
    name TEXT NOT NULL COLLATE NOCASE,
    position INTEGER NOT NULL,
    UNIQUE (pipeline_id, name)
);
CREATE TABLE forms (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE);
CREATE TABLE facebook_pages (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    other_account INTEGER NOT NULL DEFAULT 0      -- F12: connected to another account already
);
CREATE TABLE whatsapp_numbers (id INTEGER PRIMARY KEY, phone TEXT NOT NULL UNIQUE);

-- The configuration.
CREATE TABLE inboxes (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    managed INTEGER NOT NULL DEFAULT 0,           -- ownership marker: created or adopted by inboxctl
    protect INTEGER NOT NULL DEFAULT 0,
    settings TEXT NOT NULL DEFAULT '{}',          -- normalised inbox-level settings (JSON)
    fallback_address TEXT NOT NULL,               -- F2: used when no team e-mail is connected
    updated_at TEXT NOT NULL
);
CREATE TABLE inbox_members (
    inbox_id INTEGER NOT NULL REFERENCES inboxes(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (inbox_id, user_id)
);
CREATE TABLE inbox_teams (
    inbox_id INTEGER NOT NULL REFERENCES inboxes(id) ON DELETE CASCADE,
    team_id INTEGER NOT NULL REFERENCES teams(id),
    PRIMARY KEY (inbox_id, team_id)
);
CREATE TABLE channels (
    id INTEGER PRIMARY KEY,
    inbox_id INTEGER NOT NULL REFERENCES inboxes(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    key TEXT NOT NULL COLLATE NOCASE,             -- address, chat name, page, form or phone
    settings TEXT NOT NULL DEFAULT '{}',
    UNIQUE (type, key)                            -- F10/F12: one address or page in one inbox only
);

-- Conversations.
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name TEXT NOT NULL,
    owner_id INTEGER REFERENCES users(id)
);
CREATE TABLE blocked_senders (address TEXT PRIMARY KEY COLLATE NOCASE, blocked_at TEXT NOT NULL);
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    inbox_id INTEGER NOT NULL REFERENCES inboxes(id) ON DELETE CASCADE,
    channel_type TEXT NOT NULL,                   -- email | chat | messenger | form | whatsapp | calling
    channel_key TEXT NOT NULL,
    subject TEXT NOT NULL,
    contact_id INTEGER NOT NULL REFERENCES contacts(id),
    assignee_id INTEGER REFERENCES users(id),
    assigned_to_bot INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    outgoing INTEGER NOT NULL DEFAULT 0,          -- started by an agent: the "Sent" view
    spam INTEGER NOT NULL DEFAULT 0,
    filtered INTEGER NOT NULL DEFAULT 0,          -- the sender is blocked (F56)
    trashed_at TEXT,                              -- in trash since; purged 30 days later (F55)
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE INDEX conversations_by_inbox ON conversations (inbox_id, status, created_at);
CREATE INDEX conversations_by_created ON conversations (created_at);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('incoming', 'outgoing', 'comment')),
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX messages_by_conversation ON messages (conversation_id);
CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL UNIQUE REFERENCES conversations(id) ON DELETE CASCADE,
    pipeline TEXT NOT NULL,
    stage TEXT NOT NULL,
    priority TEXT,
    status TEXT NOT NULL DEFAULT 'open'
);
"""


class LocalStore:
    """One SQLite file. Every write goes through ``transaction()``."""

    def __init__(self, path: Path, *, clock: Clock | None = None) -> None:
        self.path = path
        # Looked up at call time so tests can replace ``utc_now`` (e.g. to reach the 30-day purge).
        self.clock: Clock = clock if clock is not None else (lambda: utc_now())
        path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = sqlite3.connect(path, isolation_level=None)  # we manage transactions
        self.connection.row_factory = sqlite3.Row
        self.connection.execute("PRAGMA foreign_keys = ON")
        self.connection.execute("PRAGMA journal_mode = WAL")

    def create_schema(self) -> None:
        # executescript() runs the statements as one script; the explicit BEGIN/COMMIT makes it atomic.
        self.connection.executescript(
            f"BEGIN;\n{SCHEMA}\nINSERT INTO meta (key, value) VALUES ('schema_version', '{SCHEMA_VERSION}');\nCOMMIT;")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield self.connection
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        else:
            self.connection.execute("COMMIT")

    def now_iso(self) -> str:
        return self.clock().astimezone(timezone.utc).isoformat(timespec="seconds")

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else default

    def close(self) -> None:
        self.connection.close()
