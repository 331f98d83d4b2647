"""The local backend: the reference semantics of every rule in DOMAIN.md, on a SQLite file."""

from __future__ import annotations

import functools
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from inboxctl.backends.base import (
    Backend,
    Capabilities,
    Directory,
    FacebookPage,
    LiveInbox,
    Pipeline,
    SendingCallback,
    Team,
    User,
)
from inboxctl.backends.local.seed import DEFAULT_CONVERSATIONS, seed_demo_workspace
from inboxctl.backends.local.store import (
    RESET_HINT, SCHEMA_VERSION, Clock, LocalStore, busy_error, checked_row, lock_timeout, translated)
from inboxctl.config.paths import data_dir
from inboxctl.errors import BackendError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; concurrent first runs there are not protected
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from inboxctl.conversations.model import (
        ActionRequest, ActionResult, Conversation, ConversationDetail, ConversationQuery)
    from inboxctl.planner.plan import ResourceChange

DATABASE_NAME = "local.sqlite3"
Method = TypeVar("Method", bound=Callable[..., Any])

LOCAL_CAPABILITIES = Capabilities(
    server="the local backend",
    settings=("*",),
    channel_types=frozenset({"email", "chat", "messenger", "form", "whatsapp", "calling"}),
    conversation_actions=frozenset({"assign", "unassign", "assign-team", "unassign-team", "close", "reopen",
                                    "trash", "restore", "delete", "spam", "block-sender", "unblock-sender",
                                    "comment"}),
)


def _guarded(method: Method) -> Method:
    """Read and write the file inside ``store.errors()``: a damaged or busy file is a clear error."""

    @functools.wraps(method)
    def guarded(self: LocalBackend, *args: Any, **kwargs: Any) -> Any:
        with self.store.errors():
            return method(self, *args, **kwargs)

    return guarded  # type: ignore[return-value]


def _guarded_rows(store: LocalStore, rows: Iterator[Any]) -> Iterator[Any]:
    """The same boundary for what is read lazily, page by page, after the call returned."""
    with store.errors():
        yield from rows


class LocalBackend(Backend):
    name = "local"
    capabilities = LOCAL_CAPABILITIES

    def __init__(self, store: LocalStore) -> None:
        self.store = store

    @classmethod
    def open(cls, path: Path, *, clock: Clock | None = None,
             conversations: int = DEFAULT_CONVERSATIONS) -> LocalBackend:
        """Open the file at ``path``, creating it with the demo workspace on first use.

        Concurrent first runs create it once: the others wait for it (see ``_creation_lock``)."""
        if not path.exists():
            _create(path, clock=clock, conversations=conversations, replace=False)
        return cls(_open_checked(path, clock))

    @classmethod
    def open_default(cls) -> LocalBackend:
        return cls.open(default_database_path())

    @classmethod
    def reset(cls, path: Path, *, conversations: int = DEFAULT_CONVERSATIONS,
              clock: Clock | None = None) -> LocalBackend:
        _create(path, clock=clock, conversations=conversations, replace=True)
        return cls.open(path, clock=clock)

    @_guarded
    def whoami(self) -> str:
        return f"local workspace {self.store.meta('account', 'Acme')} at {self.store.path}"

    def server_identity(self) -> str:
        return f"local:{Path(self.store.path).resolve()}"

    # -- configuration ---------------------------------------------------------------------
    @_guarded
    def directory(self) -> Directory:
        db = self.store.connection
        users = tuple(User(r["email"], r["name"], bool(r["has_seat"]), bool(r["active"]))
                      for r in _rows(db, "SELECT * FROM users ORDER BY email", "email", "name"))
        teams = tuple(Team(r["name"], _texts(db, _TEAM_MEMBERS, r["id"]))
                      for r in _rows(db, "SELECT * FROM teams ORDER BY name", "name"))
        pipelines = tuple(Pipeline(r["name"], _texts(db, _STAGES, r["id"]))
                          for r in _rows(db, "SELECT * FROM pipelines ORDER BY name", "name"))
        return Directory(
            users=users, teams=teams, pipelines=pipelines,
            forms=_texts(db, "SELECT name FROM forms ORDER BY name"),
            facebook_pages=tuple(FacebookPage(r["name"], bool(r["other_account"]))
                                 for r in _rows(db, "SELECT * FROM facebook_pages ORDER BY name", "name")),
            whatsapp_numbers=_texts(db, "SELECT phone FROM whatsapp_numbers"),
            tier=self.store.meta("tier", "enterprise") or "enterprise",
            personal_addresses=tuple(u.email for u in users),
        )

    @_guarded
    def read_inboxes(self) -> list[LiveInbox]:
        from inboxctl.backends.local import config_store

        return config_store.read_inboxes(self.store)

    @_guarded
    def apply_change(self, change: ResourceChange) -> None:
        from inboxctl.backends.local import config_store

        config_store.apply_change(self.store, change)

    @_guarded
    def consequences(self, change: ResourceChange) -> list[str]:
        from inboxctl.backends.local import config_store

        return config_store.consequences(self.store, change)

    # -- conversations -----------------------------------------------------------------------
    @_guarded
    def list_conversations(self, query: ConversationQuery) -> Iterator[Conversation]:
        from inboxctl.backends.local import conversations

        return _guarded_rows(self.store, conversations.list_conversations(self.store, query))

    @_guarded
    def get_conversation(self, conversation_id: str) -> ConversationDetail:
        from inboxctl.backends.local import conversations

        return conversations.get_conversation(self.store, conversation_id)

    def run_action(self, request: ActionRequest, ids: Iterable[str], *,
                   known: Mapping[str, Conversation] | None = None,
                   sending: SendingCallback | None = None) -> Iterator[ActionResult]:
        # One transaction, journaled before it commits: neither the listing's states nor "sending"
        # records are needed here.
        from inboxctl.backends.local import conversations

        return _guarded_rows(self.store, conversations.run_action(self.store, request, ids))

    def close(self) -> None:
        self.store.close()


_TEAM_MEMBERS = ("SELECT u.email FROM team_members tm JOIN users u ON u.id = tm.user_id WHERE tm.team_id = ? "
                 "ORDER BY u.email")
_STAGES = "SELECT name FROM stages WHERE pipeline_id = ? ORDER BY position"


def _rows(db: sqlite3.Connection, sql: str, *text: str) -> list[sqlite3.Row]:
    """The rows of a directory query, each with text in its ``text`` columns (else the file is damaged)."""
    return [checked_row(row, "the directory", text=text) for row in db.execute(sql)]


def _texts(db: sqlite3.Connection, sql: str, *params: object) -> tuple[str, ...]:
    """The first column of a query, all text."""
    return tuple(checked_row(row, "the directory", text=(row.keys()[0],))[0] for row in db.execute(sql, params))


def _open_checked(path: Path, clock: Clock | None) -> LocalStore:
    """Open an existing file, refusing one that is not a database of this version of inboxctl."""
    try:
        store = LocalStore(path, clock=clock)
    except (sqlite3.Error, UnicodeDecodeError) as error:  # SQLite's message may quote bytes that are not UTF-8
        raise translated(error, path, lock_timeout()) from error
    try:
        with store.errors():
            version = store.meta("schema_version")
    except BackendError:
        store.close()
        raise
    if version != str(SCHEMA_VERSION):
        store.close()
        raise BackendError(f"{path} was made by another version of inboxctl (schema {version!r}, "
                           f"expected {SCHEMA_VERSION})", hint=RESET_HINT)
    return store


def _create(path: Path, *, clock: Clock | None, conversations: int, replace: bool) -> None:
    """Create the file (``replace``: rebuild it), once, however many runs try at the same time."""
    with _creation_lock(path):
        if replace:
            _remove_database(path)
        elif path.exists():
            return  # another run made it while this one waited
        try:
            _create_atomically(path, clock=clock, conversations=conversations)
        except (sqlite3.Error, UnicodeDecodeError) as error:
            raise translated(error, path, lock_timeout()) from error


@contextmanager
def _creation_lock(path: Path) -> Iterator[None]:
    """Only one run at a time creates (or rebuilds) the file; the others wait, then find it made.

    An advisory lock on a file beside the database, held until the finished file is renamed into
    place. It is never deleted: removing a lock file while another run waits on it would let a
    third run lock a new file and create the database a second time."""
    if fcntl is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _wait_for_lock(handle, path)
        yield
    finally:
        os.close(handle)  # closing releases the lock


def _wait_for_lock(handle: int, path: Path) -> None:
    waited = lock_timeout()
    deadline = time.monotonic() + waited
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise busy_error(path, waited) from None
            time.sleep(0.05)


def _create_atomically(path: Path, *, clock: Clock | None, conversations: int) -> None:
    """Build the demo workspace in a scratch file and rename it into place, so that an
    interrupted or failed first run never leaves a half-made database behind. Called with the
    creation lock held, so the scratch file is this run's alone."""
    from inboxctl.backends.local.conversations import ensure_conversation_tables

    scratch = path.with_name(f".{path.name}.creating")
    _remove_database(scratch)
    store = LocalStore(scratch, clock=clock)
    try:
        store.create_schema()
        seed_demo_workspace(store, conversations=conversations)
        with store.transaction() as db:  # complete from the start: no first use has to add tables
            ensure_conversation_tables(db)
        store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()
    scratch.replace(path)
    _remove_database(scratch)


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def default_database_path() -> Path:
    return data_dir() / DATABASE_NAME
