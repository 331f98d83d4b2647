"""The local backend: the reference semantics of every rule in DOMAIN.md, on a SQLite file."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

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
from inboxctl.backends.local import config_store
from inboxctl.backends.local.seed import DEFAULT_CONVERSATIONS, seed_demo_workspace
from inboxctl.backends.local.store import SCHEMA_VERSION, Clock, LocalStore
from inboxctl.config.paths import data_dir
from inboxctl.errors import BackendError

if TYPE_CHECKING:
    from inboxctl.conversations.model import (
        ActionRequest, ActionResult, Conversation, ConversationDetail, ConversationQuery)
    from inboxctl.planner.plan import ResourceChange

DATABASE_NAME = "local.sqlite3"

LOCAL_CAPABILITIES = Capabilities(
    server="the local backend",
    settings=("*",),
    channel_types=frozenset({"email", "chat", "messenger", "form", "whatsapp", "calling"}),
    conversation_actions=frozenset({"assign", "unassign", "assign-team", "unassign-team", "close", "reopen",
                                    "trash", "restore", "delete", "spam", "block-sender", "unblock-sender",
                                    "comment"}),
)


class LocalBackend(Backend):
    name = "local"
    capabilities = LOCAL_CAPABILITIES

    def __init__(self, store: LocalStore) -> None:
        self.store = store

    @classmethod
    def open(cls, path: Path, *, clock: Clock | None = None,
             conversations: int = DEFAULT_CONVERSATIONS) -> LocalBackend:
        """Open the file at ``path``, creating it with the demo workspace on first use."""
        if not path.exists():
            _create_atomically(path, clock=clock, conversations=conversations)
        return cls(_open_checked(path, clock))

    @classmethod
    def open_default(cls) -> LocalBackend:
        return cls.open(default_database_path())

    @classmethod
    def reset(cls, path: Path, *, conversations: int = DEFAULT_CONVERSATIONS,
              clock: Clock | None = None) -> LocalBackend:
        _remove_database(path)
        return cls.open(path, clock=clock, conversations=conversations)

    def whoami(self) -> str:
        return f"local workspace {self.store.meta('account', 'Acme')} at {self.store.path}"

    def server_identity(self) -> str:
        return f"local:{Path(self.store.path).resolve()}"

    # -- configuration ---------------------------------------------------------------------
    def directory(self) -> Directory:
        db = self.store.connection
        users = tuple(User(r["email"], r["name"], bool(r["has_seat"]), bool(r["active"]))
                      for r in db.execute("SELECT * FROM users ORDER BY email"))
        teams = tuple(
            Team(r["name"], tuple(m["email"] for m in db.execute(
                "SELECT u.email FROM team_members tm JOIN users u ON u.id = tm.user_id "
                "WHERE tm.team_id = ? ORDER BY u.email", (r["id"],))))
            for r in db.execute("SELECT * FROM teams ORDER BY name"))
        pipelines = tuple(
            Pipeline(r["name"], tuple(s["name"] for s in db.execute(
                "SELECT name FROM stages WHERE pipeline_id = ? ORDER BY position", (r["id"],))))
            for r in db.execute("SELECT * FROM pipelines ORDER BY name"))
        return Directory(
            users=users, teams=teams, pipelines=pipelines,
            forms=tuple(r["name"] for r in db.execute("SELECT name FROM forms ORDER BY name")),
            facebook_pages=tuple(FacebookPage(r["name"], bool(r["other_account"]))
                                 for r in db.execute("SELECT * FROM facebook_pages ORDER BY name")),
            whatsapp_numbers=tuple(r["phone"] for r in db.execute("SELECT phone FROM whatsapp_numbers")),
            tier=self.store.meta("tier", "enterprise") or "enterprise",
            personal_addresses=tuple(u.email for u in users),
        )

    def read_inboxes(self) -> list[LiveInbox]:
        return config_store.read_inboxes(self.store)

    def apply_change(self, change: ResourceChange) -> None:
        config_store.apply_change(self.store, change)

    def consequences(self, change: ResourceChange) -> list[str]:
        return config_store.consequences(self.store, change)

    # -- conversations -----------------------------------------------------------------------
    def list_conversations(self, query: ConversationQuery) -> Iterator[Conversation]:
        from inboxctl.backends.local import conversations

        return conversations.list_conversations(self.store, query)

    def get_conversation(self, conversation_id: str) -> ConversationDetail:
        from inboxctl.backends.local import conversations

        return conversations.get_conversation(self.store, conversation_id)

    def run_action(self, request: ActionRequest, ids: Iterable[str], *,
                   known: Mapping[str, Conversation] | None = None,
                   sending: SendingCallback | None = None) -> Iterator[ActionResult]:
        # One transaction, journaled before it commits: neither the listing's states nor "sending"
        # records are needed here.
        from inboxctl.backends.local import conversations

        return conversations.run_action(self.store, request, ids)

    def close(self) -> None:
        self.store.close()


def _open_checked(path: Path, clock: Clock | None) -> LocalStore:
    """Open an existing file, refusing one that is not a database of this version of inboxctl."""
    fix = "rebuild it with `inboxctl local reset --yes` (everything in it is lost)"
    try:
        store = LocalStore(path, clock=clock)
        version = store.meta("schema_version")
    except sqlite3.DatabaseError as error:
        raise BackendError(f"{path} is not a usable inboxctl database", reason=str(error), hint=fix) from error
    if version != str(SCHEMA_VERSION):
        store.close()
        raise BackendError(f"{path} was made by another version of inboxctl (schema {version}, "
                           f"expected {SCHEMA_VERSION})", hint=fix)
    return store


def _create_atomically(path: Path, *, clock: Clock | None, conversations: int) -> None:
    """Build the demo workspace in a scratch file and rename it into place, so that an
    interrupted or failed first run never leaves a half-made database behind."""
    scratch = path.with_name(f".{path.name}.creating")
    _remove_database(scratch)
    store = LocalStore(scratch, clock=clock)
    try:
        store.create_schema()
        seed_demo_workspace(store, conversations=conversations)
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
