"""The local backend's SQLite file: schema, connection, transactions, clock."""

from __future__ import annotations

import json
import math
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from inboxctl.errors import BackendError, UsageError
from inboxctl.names import name_key

SCHEMA_VERSION = 1

Clock = Callable[[], datetime]

# How long a run waits for another one holding the file (a write, or the first run creating it).
LOCK_TIMEOUT_ENV = "INBOXCTL_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 15.0
# Names are compared by this SQL function (inboxctl.names.name_key), never by SQLite's ASCII-only NOCASE.
NAME_KEY = "name_key"
RESET_HINT = "rebuild it with `inboxctl local reset --yes` (everything in it is lost)"

# SQLite's primary result codes (https://sqlite.org/rescode.html) that say the file itself is fine.
_BUSY_CODES = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED
_ENVIRONMENT_CODES = frozenset({3, 7, 8, 10, 13, 14})  # PERM, NOMEM, READONLY, IOERR, FULL, CANTOPEN
_READONLY = 8


class CorruptStoreError(sqlite3.DatabaseError):
    """A value in the file that inboxctl never writes there (a damaged file, or one edited by hand)."""


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


def lock_timeout() -> float:
    """Seconds to wait for another run: ``$INBOXCTL_LOCK_TIMEOUT``, else 15."""
    raw = os.environ.get(LOCK_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_LOCK_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds <= 3600:  # also refuses NaN
        raise UsageError(f"{LOCK_TIMEOUT_ENV}={raw!r} is not a number of seconds between 0 and 3600")
    return seconds


def busy_error(path: Path, waited: float) -> BackendError:
    return BackendError(f"another inboxctl is using the local backend ({path}): still busy after waiting "
                        f"{waited:g} s, so nothing was done",
                        hint=f"run this again when the other run has finished; set {LOCK_TIMEOUT_ENV} "
                             "to wait longer")


def unusable_error(path: Path, error: BaseException) -> BackendError:
    return BackendError(f"{path} is not a usable inboxctl database", reason=str(error) or type(error).__name__,
                        hint=RESET_HINT)


def translated(error: sqlite3.Error | UnicodeDecodeError, path: Path, waited: float) -> BackendError:
    """What a SQLite error means for the user: another run, their disk, a refused write or a damaged file."""
    if not isinstance(error, sqlite3.Error):
        return unusable_error(path, error)
    code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF
    text = str(error)
    if code in _BUSY_CODES or "database is locked" in text or "database table is locked" in text:
        return busy_error(path, waited)
    if isinstance(error, sqlite3.IntegrityError):
        return BackendError("the local backend refused the change", reason=text)
    if code == _READONLY and os.access(path, os.W_OK):
        return unusable_error(path, error)  # writable, yet read-only to SQLite: its header says so (damaged)
    if code in _ENVIRONMENT_CODES:
        return BackendError(f"cannot use the local backend's file {path}", reason=text,
                            hint="check the disk space and the permissions of that file and its directory")
    return unusable_error(path, error)


def same_name(column: str) -> str:
    """The SQL condition "``column`` is the name given as the next parameter", by inboxctl's one case rule."""
    return f"{NAME_KEY}({column}) = {NAME_KEY}(?)"


def _sql_name_key(value: str | int | float | bytes | None) -> str | int | float | bytes | None:
    # A function, not a collation: text that is not UTF-8 (a damaged file) fails the statement with an
    # OperationalError here, where a collation would leave a stray UnicodeDecodeError behind.
    return name_key(value) if isinstance(value, str) else value


def checked_row(row: sqlite3.Row, where: str, *, text: tuple[str, ...] = (),
                optional: tuple[str, ...] = ()) -> sqlite3.Row:
    """``row``, if its ``text`` columns hold text and its ``optional`` ones text or NULL (what inboxctl writes)."""
    for column in text + optional:
        value = row[column]
        if not isinstance(value, str) and (value is not None or column in text):
            raise CorruptStoreError(f"{where}: {column} holds {type(value).__name__}, not text")
    return row


def json_column(text: object, where: str) -> object:
    """A JSON column's value; a damaged one is a CorruptStoreError, never a ValueError from deep inside."""
    if not isinstance(text, str):
        raise CorruptStoreError(f"{where} holds a {type(text).__name__}, not JSON text")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        raise CorruptStoreError(f"{where} holds malformed JSON ({error})") from None


class LocalStore:
    """One SQLite file. Every write goes through ``transaction()``; callers read it inside ``errors()``."""

    def __init__(self, path: Path, *, clock: Clock | None = None) -> None:
        self.path = path
        # Looked up at call time so tests can replace ``utc_now`` (e.g. to reach the 30-day purge).
        self.clock: Clock = clock if clock is not None else (lambda: utc_now())
        self.lock_timeout = lock_timeout()
        path.parent.mkdir(parents=True, exist_ok=True)
        # timeout: SQLite's busy timeout, so a run waits for another one's write instead of failing at once.
        self.connection = sqlite3.connect(path, isolation_level=None, timeout=self.lock_timeout)
        self.connection.row_factory = sqlite3.Row
        self.connection.create_function(NAME_KEY, 1, _sql_name_key, deterministic=True)
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

    @contextmanager
    def errors(self) -> Iterator[None]:
        """The boundary where the file is read and written: SQLite's errors become clear BackendErrors."""
        try:
            yield
        except (sqlite3.ProgrammingError, sqlite3.InterfaceError):
            raise  # a misuse of the connection is a bug, not a problem of the file
        except (sqlite3.Error, UnicodeDecodeError) as error:  # a message or text in the file that is not UTF-8
            raise translated(error, self.path, self.lock_timeout) from error

    def now_iso(self) -> str:
        return self.clock().astimezone(timezone.utc).isoformat(timespec="seconds")

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else default

    def close(self) -> None:
        self.connection.close()
