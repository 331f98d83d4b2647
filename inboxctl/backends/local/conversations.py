"""Conversations on the local backend: listing, one conversation, and every action (F50-F57).

The reference semantics: an action on a conversation already in the target state is
"unchanged"; a conversation in trash is only restored or deleted; a permanent delete needs
the conversation in trash and takes its ticket with it; trash is purged 30 days after a
conversation was trashed (lazily, on the store's injectable clock), and a purged or
deleted conversation is remembered so that restoring it says why it cannot be.
"""

from __future__ import annotations

import logging
import sqlite3
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from inboxctl.backends.local.store import LocalStore, checked_row, same_name
from inboxctl.conversations.model import (
    already_done,
    conversation_number,
    expected_state,
    CHANNEL_TYPES,
    TRASH_RETENTION,
    ActionRequest,
    ActionResult,
    Contact,
    Conversation,
    ConversationDetail,
    ConversationQuery,
    ConversationState,
    Message,
    Ticket,
)
from inboxctl.definitions.formats import did_you_mean
from inboxctl.interrupts import InterruptHold
from inboxctl.errors import NotFoundError
from inboxctl.names import name_key

log = logging.getLogger(__name__)

PAGE_SIZE = 500

# Remembers what left the store for good, so that "restore 42" can say it was purged.
# Kept here rather than in store.SCHEMA so that a store created before this table existed still works.
REMOVED_TABLE = """
CREATE TABLE IF NOT EXISTS removed_conversations (
    id INTEGER PRIMARY KEY,
    reason TEXT NOT NULL CHECK (reason IN ('purged', 'deleted')),
    trashed_at TEXT,
    removed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_in_trash ON conversations (trashed_at) WHERE trashed_at IS NOT NULL;
"""
# The team a conversation is assigned to, added to stores created before team assignment existed.
TEAM_COLUMN = "ALTER TABLE conversations ADD COLUMN team_id INTEGER REFERENCES teams(id) ON DELETE SET NULL"

_SELECT = """
SELECT c.id, i.name AS inbox, c.channel_type, c.channel_key, c.subject, ct.email AS contact_email,
       ct.name AS contact_name, u.email AS assignee_email, c.assigned_to_bot, c.status, c.outgoing, c.spam,
       c.filtered, EXISTS (SELECT 1 FROM tickets t WHERE t.conversation_id = c.id) AS has_ticket,
       c.created_at, c.updated_at, c.closed_at, c.trashed_at, tm.name AS team
FROM conversations c
JOIN inboxes i ON i.id = c.inbox_id
JOIN contacts ct ON ct.id = c.contact_id
LEFT JOIN users u ON u.id = c.assignee_id
LEFT JOIN teams tm ON tm.id = c.team_id
"""

_STATE = """
SELECT c.id, c.status, c.assigned_to_bot, c.spam, c.filtered, c.trashed_at, u.email AS assignee,
       ct.email AS contact_email, tm.name AS team,
       (SELECT t.status FROM tickets t WHERE t.conversation_id = c.id) AS ticket_status,
       EXISTS (SELECT 1 FROM blocked_senders b WHERE b.address = ct.email) AS sender_blocked
FROM conversations c
JOIN contacts ct ON ct.id = c.contact_id
LEFT JOIN users u ON u.id = c.assignee_id
LEFT JOIN teams tm ON tm.id = c.team_id
WHERE c.id = ?
"""

_prepared: weakref.WeakSet[LocalStore] = weakref.WeakSet()


# ---------------------------------------------------------------------------------------------
# Housekeeping: the tables this module adds, and the 30-day purge (F55)


def ensure_conversation_tables(db: sqlite3.Connection) -> None:
    """Create what this module adds to the schema; call inside a transaction."""
    for statement in REMOVED_TABLE.split(";"):
        if statement.strip():
            db.execute(statement)
    if not _has_team_column(db):
        db.execute(TEAM_COLUMN)


def _has_team_column(db: sqlite3.Connection) -> bool:
    return any(row[1] == "team_id" for row in db.execute("PRAGMA table_info(conversations)"))


def _prepare(store: LocalStore) -> None:
    """Run before every use: the purge is lazy, so it happens whenever the backend is used."""
    if store not in _prepared:
        exists = store.connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'removed_conversations'").fetchone()
        if not exists or not _has_team_column(store.connection):
            with store.transaction() as db:
                ensure_conversation_tables(db)
        _prepared.add(store)
    purge_expired_trash(store)


def purge_expired_trash(store: LocalStore) -> int:
    """Delete for good what has been in trash for 30 days; return how many were purged."""
    cutoff = _iso(store.clock() - TRASH_RETENTION)
    expired = "trashed_at IS NOT NULL AND trashed_at <= ?"
    if store.connection.execute(f"SELECT 1 FROM conversations WHERE {expired} LIMIT 1", (cutoff,)).fetchone() is None:
        return 0
    with store.transaction() as db:
        # The platform purges on the day; we purge when next used, but record the day it happened.
        db.execute("INSERT OR REPLACE INTO removed_conversations (id, reason, trashed_at, removed_at) "
                   "SELECT id, 'purged', trashed_at, strftime('%Y-%m-%dT%H:%M:%S+00:00', trashed_at, '+30 days') "
                   f"FROM conversations WHERE {expired}", (cutoff,))
        purged = db.execute(f"DELETE FROM conversations WHERE {expired}", (cutoff,)).rowcount
    log.info("purged %d conversation(s) that had been in trash for 30 days", purged)
    return purged


# ---------------------------------------------------------------------------------------------
# Listing


def list_conversations(store: LocalStore, query: ConversationQuery) -> Iterator[Conversation]:
    """Validate the query now (so errors come before any output), then yield page by page."""
    _prepare(store)
    clauses, params = _conditions(store, query)
    return _pages(store, clauses, params, query)


def _pages(store: LocalStore, clauses: list[str], params: list[Any],
           query: ConversationQuery) -> Iterator[Conversation]:
    # Keyset pagination: each page is its own short query, so no cursor stays open between the
    # rows we yield, memory stays constant, and the first rows come out before the last page is read.
    newest = query.sort == "newest"
    order = "DESC" if newest else "ASC"
    remaining = query.limit
    after: tuple[str, int] | None = None
    while remaining is None or remaining > 0:
        page_clauses, page_params = list(clauses), list(params)
        if after is not None:
            page_clauses.append(f"(c.created_at, c.id) {'<' if newest else '>'} (?, ?)")
            page_params.extend(after)
        size = PAGE_SIZE if remaining is None else min(PAGE_SIZE, remaining)
        where = f"WHERE {' AND '.join(page_clauses)}" if page_clauses else ""
        rows = store.connection.execute(
            f"{_SELECT} {where} ORDER BY c.created_at {order}, c.id {order} LIMIT ?", (*page_params, size)).fetchall()
        for row in rows:
            yield _conversation(row)
        if len(rows) < size:
            return
        after = (rows[-1]["created_at"], rows[-1]["id"])
        remaining = None if remaining is None else remaining - len(rows)


def _conditions(store: LocalStore, query: ConversationQuery) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []

    def where(clause: str, *values: Any) -> None:
        clauses.append(clause)
        params.extend(values)

    if query.inbox is not None:
        where("c.inbox_id = ?", _inbox_id(store.connection, query.inbox))
    if query.status is not None:
        where("c.status = ?", query.status)
    if query.channel is not None:
        _channel_condition(store.connection, query.channel, where)
    if query.assignee is not None:
        where(f"c.assignee_id IN (SELECT id FROM users WHERE {same_name('email')})", query.assignee)
    if query.unassigned:
        where("c.assignee_id IS NULL AND c.assigned_to_bot = 0")
    if query.bot is not None:
        where("c.assigned_to_bot = 1 AND c.assignee_id IS NULL" if query.bot else "c.assigned_to_bot = 0")
    if query.contact is not None:
        if "@" in query.contact:
            where(same_name("ct.email"), query.contact)
        else:
            where("ct.name LIKE ? ESCAPE '\\'", _like(query.contact))
    since, until = query.bounds(store.clock())
    if since is not None:
        where("c.created_at >= ?", _iso(since))
    if until is not None:
        where("c.created_at < ?", _iso(until))
    if query.search:
        where("(c.subject LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id "
              "AND m.body LIKE ? ESCAPE '\\'))", _like(query.search), _like(query.search))
    if query.outgoing is not None:
        where("c.outgoing = ?", int(query.outgoing))
    _scope_conditions(query, where)
    return clauses, params


def _scope_conditions(query: ConversationQuery, where: Any) -> None:
    if query.trash == "hide":
        where("c.trashed_at IS NULL")
    elif query.trash == "only":
        where("c.trashed_at IS NOT NULL")
    if query.filtered == "hide":
        where("c.spam = 0 AND c.filtered = 0")
    elif query.filtered == "only":
        where("(c.spam = 1 OR c.filtered = 1)")


def _channel_condition(db: sqlite3.Connection, channel: str, where: Any) -> None:
    if channel in CHANNEL_TYPES:
        where("c.channel_type = ?", channel)
        return
    names = sorted({checked_row(r, "a channel", text=("key",))["key"] for r in db.execute(
        "SELECT key FROM channels UNION SELECT DISTINCT channel_key FROM conversations")}, key=name_key)
    match = next((name for name in names if name_key(name) == name_key(channel)), None)
    if match is None:
        raise NotFoundError(f"no channel type or channel named {channel!r}",
                            hint=_suggest(channel, [*CHANNEL_TYPES, *names]))
    where(same_name("c.channel_key"), match)


def _inbox_id(db: sqlite3.Connection, name: str) -> int:
    row = db.execute(f"SELECT id FROM inboxes WHERE {same_name('name')}", (name,)).fetchone()
    if row is None:
        names = [r[0] for r in db.execute("SELECT name FROM inboxes ORDER BY name")]
        raise NotFoundError(f"no inbox named {name!r}", hint=_suggest(name, names))
    return int(row["id"])


def _suggest(wanted: str, names: list[str]) -> str:
    close = did_you_mean(wanted, names)
    return f"did you mean {close!r}?" if close else f"known: {', '.join(names)}"


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_TEXT = ("inbox", "channel_type", "channel_key", "subject", "contact_email", "contact_name", "status", "created_at",
         "updated_at")
_OPTIONAL_TEXT = ("assignee_email", "closed_at", "trashed_at", "team")


def _conversation(row: sqlite3.Row) -> Conversation:
    checked_row(row, f"conversation {row['id']}", text=_TEXT, optional=_OPTIONAL_TEXT)
    return Conversation(
        id=str(row["id"]), inbox=row["inbox"], channel=row["channel_type"], channel_name=row["channel_key"],
        subject=row["subject"], contact=row["contact_email"], contact_name=row["contact_name"],
        assignee=row["assignee_email"], assigned_to_bot=bool(row["assigned_to_bot"]), status=row["status"],
        outgoing=bool(row["outgoing"]), spam=bool(row["spam"]), filtered=bool(row["filtered"]),
        has_ticket=bool(row["has_ticket"]), created_at=row["created_at"], updated_at=row["updated_at"],
        closed_at=row["closed_at"], trashed_at=row["trashed_at"], team=row["team"])


# ---------------------------------------------------------------------------------------------
# One conversation


def get_conversation(store: LocalStore, conversation_id: str) -> ConversationDetail:
    _prepare(store)
    db = store.connection
    number = _parse_id(conversation_id)
    row = db.execute(f"{_SELECT} WHERE c.id = ?", (number,)).fetchone() if number is not None else None
    if row is None:
        raise NotFoundError(f"conversation {conversation_id}", reason=_missing_reason(db, conversation_id, number))
    extra = db.execute(
        "SELECT ct.owner_id, o.email AS owner, u.name AS assignee_name, u.active AS assignee_active "
        "FROM conversations c JOIN contacts ct ON ct.id = c.contact_id LEFT JOIN users o ON o.id = ct.owner_id "
        "LEFT JOIN users u ON u.id = c.assignee_id WHERE c.id = ?", (number,)).fetchone()
    where = f"conversation {number}"
    checked_row(extra, where, optional=("owner", "assignee_name"))
    ticket = db.execute("SELECT * FROM tickets WHERE conversation_id = ?", (number,)).fetchone()
    if ticket is not None:
        checked_row(ticket, f"the ticket of {where}", text=("pipeline", "stage", "status"), optional=("priority",))
    messages = [checked_row(m, f"a message of {where}", text=("kind", "author", "body", "created_at"))
                for m in db.execute("SELECT kind, author, body, created_at FROM messages WHERE conversation_id = ? "
                                    "ORDER BY created_at, id", (number,))]
    conversation = _conversation(row)
    return ConversationDetail(
        conversation=conversation,
        contact=Contact(email=conversation.contact, name=conversation.contact_name, owner=extra["owner"]),
        assignee_name=extra["assignee_name"],
        assignee_active=extra["assignee_active"] in (None, 1),
        ticket=Ticket(id=str(ticket["id"]), pipeline=ticket["pipeline"], stage=ticket["stage"],
                      status=ticket["status"], priority=ticket["priority"]) if ticket else None,
        messages=tuple(Message(kind=m["kind"], author=m["author"], body=m["body"], created_at=m["created_at"])
                       for m in messages))


def _parse_id(text: str) -> int | None:
    return conversation_number(text)


def _missing_reason(db: sqlite3.Connection, raw: str, number: int | None) -> str:
    if number is None:
        return f"{raw!r} is not a conversation id"
    removed = db.execute("SELECT * FROM removed_conversations WHERE id = ?", (number,)).fetchone()
    if removed is None:
        return "no such conversation"
    if removed["reason"] == "purged":
        return (f"purged from trash on {_day(removed['removed_at'])}, 30 days after it was trashed "
                f"on {_day(removed['trashed_at'])}; purged conversations cannot be restored")
    return f"permanently deleted on {_day(removed['removed_at'])}; it cannot be restored"


# ---------------------------------------------------------------------------------------------
# Actions


@dataclass
class _Context:
    db: sqlite3.Connection
    request: ActionRequest
    now: str
    users: dict[str, tuple[int, str, bool]] = field(default_factory=dict)  # name_key(e-mail) -> id, e-mail, active
    teams: dict[str, tuple[int, str]] = field(default_factory=dict)  # name_key(name) -> id, name


def run_action(store: LocalStore, request: ActionRequest, ids: Iterable[str]) -> Iterator[ActionResult]:
    """Apply ``request`` to every id in one transaction; a dry run computes the same results and writes nothing.

    The results are yielded inside the transaction, which commits once the caller has taken the
    last one: a caller that journals each result has journaled exactly what commits. From the first
    result to the commit, interrupts wait (``InterruptHold``); an interrupt before that rolls back
    everything, and a caller that stops early (an error) rolls back too.
    """
    _prepare(store)
    with InterruptHold() as hold, store.transaction() as db:
        users = {name_key(r["email"]): (r["id"], r["email"], bool(r["active"]))
                 for r in (checked_row(r, "a user", text=("email",)) for r in db.execute("SELECT * FROM users"))}
        teams = {name_key(r["name"]): (r["id"], r["name"])
                 for r in (checked_row(r, "a team", text=("name",)) for r in db.execute("SELECT * FROM teams"))}
        context = _Context(db=db, request=request, now=store.now_iso(), users=users, teams=teams)
        results = [_act(context, str(conversation_id)) for conversation_id in ids]
        hold.engage()
        yield from results


def _act(context: _Context, raw_id: str) -> ActionResult:
    request = context.request
    number = _parse_id(raw_id)
    row = context.db.execute(_STATE, (number,)).fetchone() if number is not None else None
    if number is None or row is None:
        return _result(request, raw_id, "failed", reason=_missing_reason(context.db, raw_id, number))
    conversation_id = str(number)
    before = _state(row)
    refusal = _refusal(context, before)
    if refusal is None and already_done(request, before):
        # Before undo's precondition: what is already as asked has nothing to take from anyone.
        return _result(request, conversation_id, "unchanged", before=before, after=before)
    refusal = refusal or request.unmet_precondition(before)
    if refusal is not None:
        return _result(request, conversation_id, "failed", reason=refusal, before=before)
    if request.action == "delete":
        if not request.dry_run:
            _delete(context, number, before)
        return _result(request, conversation_id, "changed", before=before, after=None)
    after = _desired(context, before)
    if not request.dry_run:
        _write(context, number, row["contact_email"], before, after)
    return _result(request, conversation_id, "changed", before=before, after=after)


def _result(request: ActionRequest, conversation_id: str, outcome: str, *, reason: str | None = None,
            before: ConversationState | None = None, after: ConversationState | None = None) -> ActionResult:
    return ActionResult(id=conversation_id, action=request.action, outcome=outcome,  # type: ignore[arg-type]
                        reason=reason, before=before, after=after, dry_run=request.dry_run)


def _state(row: sqlite3.Row) -> ConversationState:
    checked_row(row, f"conversation {row['id']}", text=("status", "contact_email"),
                optional=("assignee", "trashed_at", "ticket_status", "team"))
    return ConversationState(
        status=row["status"], assignee=row["assignee"], assigned_to_bot=bool(row["assigned_to_bot"]),
        spam=bool(row["spam"]), filtered=bool(row["filtered"]), trashed_at=row["trashed_at"],
        ticket_status=row["ticket_status"], sender_blocked=bool(row["sender_blocked"]), team=row["team"])


def _refusal(context: _Context, before: ConversationState) -> str | None:
    """The server's reason for refusing this action on this conversation, if it refuses."""
    action = context.request.action
    if action == "delete" and before.trashed_at is None:
        return "not in trash: only conversations in trash can be deleted permanently (trash it first)"
    if before.trashed_at is not None and action not in ("restore", "delete", "trash"):
        return "in trash: restore it first"
    if action == "assign":
        user = context.users.get(name_key(context.request.assignee or ""))
        if user is None:
            return f"no user {context.request.assignee}"
        if not user[2]:
            return f"{user[1]} is deactivated: conversations can only be given to active users"
    if action == "assign-team" and name_key(context.request.team or "") not in context.teams:
        return f"no team {context.request.team!r}"
    if action == "comment" and not (context.request.text or "").strip():
        return "a comment needs text"
    return None


def _desired(context: _Context, before: ConversationState) -> ConversationState:
    request = context.request
    if request.action == "assign":  # the user's e-mail as the workspace spells it
        request = replace(request, assignee=context.users[name_key(request.assignee or "")][1])
    if request.action == "assign-team":  # and the team's name
        request = replace(request, team=context.teams[name_key(request.team or "")][1])
    return expected_state(request, before, now=context.now) or before


def _write(context: _Context, number: int, sender: str, before: ConversationState, after: ConversationState) -> None:
    db, now = context.db, context.now
    columns: dict[str, Any] = {}
    if after.status != before.status:
        columns.update(status=after.status, closed_at=now if after.status == "closed" else None)
    if (after.assignee, after.assigned_to_bot) != (before.assignee, before.assigned_to_bot):
        columns.update(assignee_id=context.users[name_key(after.assignee)][0] if after.assignee else None,
                       assigned_to_bot=int(after.assigned_to_bot))
    if after.team != before.team:
        columns["team_id"] = context.teams[name_key(after.team)][0] if after.team else None
    for name in ("spam", "filtered", "trashed_at"):
        if getattr(after, name) != getattr(before, name):
            value = getattr(after, name)
            columns[name] = int(value) if isinstance(value, bool) else value
    if context.request.action == "comment":
        db.execute("INSERT INTO messages (conversation_id, kind, author, body, created_at) "
                   "VALUES (?, 'comment', ?, ?, ?)",
                   (number, context.request.author or "inboxctl", context.request.text, now))
    assignments = ", ".join(f"{name} = ?" for name in columns)
    db.execute(f"UPDATE conversations SET {assignments}{', ' if columns else ''}updated_at = ? WHERE id = ?",
               (*columns.values(), now, number))
    if after.ticket_status != before.ticket_status:
        db.execute("UPDATE tickets SET status = ? WHERE conversation_id = ?", (after.ticket_status, number))
    if after.sender_blocked and not before.sender_blocked:
        db.execute("INSERT OR IGNORE INTO blocked_senders (address, blocked_at) VALUES (?, ?)", (sender, now))
    elif before.sender_blocked and not after.sender_blocked:
        db.execute("DELETE FROM blocked_senders WHERE address = ?", (sender,))


def _delete(context: _Context, number: int, before: ConversationState) -> None:
    # F55: irreversible; messages and the ticket go with it (ON DELETE CASCADE).
    context.db.execute("INSERT OR REPLACE INTO removed_conversations (id, reason, trashed_at, removed_at) "
                       "VALUES (?, 'deleted', ?, ?)", (number, before.trashed_at, context.now))
    context.db.execute("DELETE FROM conversations WHERE id = ?", (number,))


# ---------------------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def _day(iso: str | None) -> str:
    return iso[:10] if iso else "an unknown day"
