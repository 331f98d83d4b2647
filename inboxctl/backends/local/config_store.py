"""Inbox configuration in the local SQLite file: read it in definition terms, write one change at a time.

Like a real server, it enforces the domain's rules itself (F10, F12, F25) instead of
trusting the client: a request that breaks one fails with the reason.
"""

from __future__ import annotations

import copy
import json
import sqlite3
from typing import Any

from inboxctl.backends.base import LiveInbox
from inboxctl.backends.local.seed import fallback_address
from inboxctl.backends.local.store import CorruptStoreError, LocalStore, checked_row, json_column, same_name
from inboxctl.definitions.model import ChannelDefinition, InboxDefinition
from inboxctl.definitions.spec import CHANNEL_FIELDS, CHANNEL_KEY, DEFAULTED_TABLES, DOCUMENT
from inboxctl.definitions.validate import defaults_of
from inboxctl.errors import BackendError, NotFoundError
from inboxctl.planner.plan import CREATE, DELETE, INBOX, ResourceChange

# Inbox settings kept in the inboxes.settings JSON column; members and teams have tables of their own.
JSON_SETTINGS = (*DEFAULTED_TABLES, "business_hours")

# The rules this file enforces, in words (they are what a user reads when a change fails).
PAGE_ELSEWHERE = "it is connected to another account, and a page can be connected to one only"
NO_SEAT = "has no paid seat, and only users with one can be routing targets"


def channel_defaults(kind: str) -> dict[str, Any]:
    return {key: copy.deepcopy(spec.default) for key, spec in CHANNEL_FIELDS[kind].items() if spec.default is not None}


# -- reading ------------------------------------------------------------------------------------

def read_inboxes(store: LocalStore) -> list[LiveInbox]:
    db = store.connection
    return [_read_inbox(db, row) for row in db.execute("SELECT * FROM inboxes ORDER BY name")]


def _read_inbox(db: sqlite3.Connection, row: sqlite3.Row) -> LiveInbox:
    if not isinstance(row["name"], str):
        raise CorruptStoreError(f"inbox {row['id']} has no name")
    stored = _json_object(row["settings"], f"the settings of inbox {row['name']!r}")
    where = f"inbox {row['name']!r}"
    settings: dict[str, Any] = {
        "members": [checked_row(r, where, text=("email",))["email"] for r in db.execute(
            "SELECT u.email FROM inbox_members m JOIN users u ON u.id = m.user_id WHERE m.inbox_id = ? "
            "ORDER BY lower(u.email)", (row["id"],))],
        "teams": [checked_row(r, where, text=("name",))["name"] for r in db.execute(
            "SELECT t.name FROM inbox_teams it JOIN teams t ON t.id = it.team_id WHERE it.inbox_id = ? "
            "ORDER BY t.name", (row["id"],))],
        "protect": bool(row["protect"]),
        "business_hours": stored.get("business_hours"),
    }
    for table in DEFAULTED_TABLES:
        settings[table] = stored.get(table) or defaults_of(DOCUMENT[table])
    channels = [_read_channel(channel) for channel in db.execute(
        "SELECT * FROM channels WHERE inbox_id = ? ORDER BY id", (row["id"],))]
    definition = InboxDefinition(name=row["name"], settings=settings, channels=channels)
    return LiveInbox(definition=definition, managed=bool(row["managed"]), protect=bool(row["protect"]))


def _read_channel(row: sqlite3.Row) -> ChannelDefinition:
    kind = row["type"]
    if kind not in CHANNEL_KEY or not isinstance(row["key"], str):
        raise CorruptStoreError(f"channel {row['id']} has an unknown type or key ({kind!r}, {row['key']!r})")
    stored = _json_object(row["settings"], f"the settings of {kind} {row['key']!r}")
    return ChannelDefinition(type=kind, settings={**channel_defaults(kind), **stored, CHANNEL_KEY[kind]: row["key"]})


def _json_object(text: object, where: str) -> dict[str, Any]:
    value = json_column(text, where)
    if not isinstance(value, dict):
        raise CorruptStoreError(f"{where} is not a JSON object")
    return value


# -- writing ------------------------------------------------------------------------------------

def apply_change(store: LocalStore, change: ResourceChange) -> None:
    with store.transaction() as db:
        if change.kind == INBOX:
            _apply_inbox_change(db, change, store.now_iso())
        else:
            _apply_channel_change(db, change)


def _apply_inbox_change(db: sqlite3.Connection, change: ResourceChange, now: str) -> None:
    if change.action == DELETE:
        row = _inbox_row(db, change.inbox)
        if not row["managed"] or row["protect"]:
            raise BackendError(f"cannot delete inbox {change.inbox!r}",
                               reason="it is protected" if row["protect"] else "it is not managed by inboxctl")
        db.execute("DELETE FROM inboxes WHERE id = ?", (row["id"],))
        return
    desired = change.desired or {}
    _check_routing_targets(db, desired.get("routing", {}))
    stored = json.dumps({key: desired.get(key) for key in JSON_SETTINGS}, sort_keys=True)
    if change.action == CREATE:
        _refuse_second_inbox(db, change.inbox)
        inbox_id = db.execute(
            "INSERT INTO inboxes (name, managed, protect, settings, fallback_address, updated_at) "
            "VALUES (?, 1, ?, ?, ?, ?)",
            (change.inbox, int(desired.get("protect", False)), stored, fallback_address(change.inbox), now),
        ).lastrowid or 0
    else:
        inbox_id = _inbox_row(db, change.inbox)["id"]
        db.execute("UPDATE inboxes SET managed = 1, protect = ?, settings = ?, updated_at = ? WHERE id = ?",
                   (int(desired.get("protect", False)), stored, now, inbox_id))
    _replace_links(db, inbox_id, "inbox_members", "user_id", _user_ids(db, desired.get("members", [])))
    _replace_links(db, inbox_id, "inbox_teams", "team_id", _team_ids(db, desired.get("teams", [])))


def _apply_channel_change(db: sqlite3.Connection, change: ResourceChange) -> None:
    kind, key = change.channel_type or "", change.channel_key or ""
    if change.action == DELETE:
        inbox = _inbox_row(db, change.inbox)
        db.execute(f"DELETE FROM channels WHERE type = ? AND {same_name('key')} AND inbox_id = ?",
                   (kind, key, inbox["id"]))
        return
    inbox = _inbox_row(db, change.inbox)
    settings = {k: v for k, v in (change.desired or {}).items() if k != CHANNEL_KEY[kind]}
    _check_channel_rules(db, kind, key, settings)
    stored = json.dumps(settings, sort_keys=True)
    if change.action == CREATE:
        holder = db.execute("SELECT i.name FROM channels c JOIN inboxes i ON i.id = c.inbox_id "
                            f"WHERE c.type = ? AND {same_name('c.key')}", (kind, key)).fetchone()
        if holder:
            raise BackendError(f"cannot connect {kind} {key!r}",
                               reason=f"it is already connected to inbox {holder['name']!r}")
        db.execute("INSERT INTO channels (inbox_id, type, key, settings) VALUES (?, ?, ?, ?)",
                   (inbox["id"], kind, key, stored))
    else:
        # Keys compare by name_key, so this also applies a rename that changes only case.
        updated = db.execute(f"UPDATE channels SET settings = ?, key = ? WHERE type = ? AND {same_name('key')} "
                             "AND inbox_id = ?", (stored, key, kind, key, inbox["id"])).rowcount
        if not updated:
            raise NotFoundError(f"{kind} {key!r} is not connected to inbox {inbox['name']!r}")


def consequences(store: LocalStore, change: ResourceChange) -> list[str]:
    """Deleting an inbox deletes its conversations; a deleted channel's conversations stay in the inbox."""
    if change.kind != INBOX or change.action != DELETE:
        return []
    count = store.connection.execute(
        f"SELECT count(*) FROM conversations c JOIN inboxes i ON i.id = c.inbox_id WHERE {same_name('i.name')}",
        (change.inbox,)).fetchone()[0]
    return [f"its {count} conversation{'s' if count != 1 else ''} will be deleted with it"] if count else []


# -- the domain's rules, enforced by the server ----------------------------------------------

def _check_channel_rules(db: sqlite3.Connection, kind: str, key: str, settings: dict[str, Any]) -> None:
    _check_routing_targets(db, settings.get("routing", {}))
    if kind == "email" and db.execute(f"SELECT 1 FROM users WHERE {same_name('email')}", (key,)).fetchone():
        raise BackendError(f"cannot connect {key}",
                           reason="it is a user's personal address, and a team address cannot be one")
    if kind == "messenger":
        page = db.execute(f"SELECT other_account FROM facebook_pages WHERE {same_name('name')}",
                          (key,)).fetchone()
        if page is None or page["other_account"]:
            raise BackendError(f"cannot connect Facebook page {key!r}",
                               reason="no such page" if page is None else PAGE_ELSEWHERE)


def _check_routing_targets(db: sqlite3.Connection, routing: dict[str, Any]) -> None:
    fallback = routing.get("fallback")
    emails = list(routing.get("users", [])) + (list(fallback.get("users", [])) if isinstance(fallback, dict) else [])
    for email in emails:
        user = db.execute(f"SELECT has_seat FROM users WHERE {same_name('email')}", (email,)).fetchone()
        if user is not None and not user["has_seat"]:
            raise BackendError("invalid routing rule", reason=f"{email} {NO_SEAT}")


def _inbox_row(db: sqlite3.Connection, name: str) -> sqlite3.Row:
    rows = db.execute(f"SELECT * FROM inboxes WHERE {same_name('name')}", (name,)).fetchall()
    if not rows:
        raise NotFoundError(f"inbox {name!r} does not exist")
    if len(rows) > 1:  # made by an inboxctl that compared names with SQLite's ASCII-only NOCASE
        raise BackendError(f"inbox {name!r} is ambiguous: " + ", ".join(repr(row["name"]) for row in rows)
                           + " differ only in case", hint="rename or delete all but one of them")
    return rows[0]


def _refuse_second_inbox(db: sqlite3.Connection, name: str) -> None:
    row = db.execute(f"SELECT name FROM inboxes WHERE {same_name('name')}", (name,)).fetchone()
    if row is not None:
        same = "" if row["name"] == name else " (names are the same whatever their case)"
        raise BackendError(f"cannot create inbox {name!r}", reason=f"inbox {row['name']!r} already exists{same}; "
                                                                    "another run may have made it since the plan")


def _user_ids(db: sqlite3.Connection, emails: list[str]) -> list[int]:
    return [_lookup(db, "users", "email", email) for email in emails]


def _team_ids(db: sqlite3.Connection, names: list[str]) -> list[int]:
    return [_lookup(db, "teams", "name", name) for name in names]


def _lookup(db: sqlite3.Connection, table: str, column: str, value: str) -> int:
    row = db.execute(f"SELECT id FROM {table} WHERE {same_name(column)}",  # noqa: S608 - fixed names
                     (value,)).fetchone()
    if row is None:
        raise NotFoundError(f"{table[:-1]} {value!r} does not exist")
    return int(row["id"])


def _replace_links(db: sqlite3.Connection, inbox_id: int, table: str, column: str, ids: list[int]) -> None:
    db.execute(f"DELETE FROM {table} WHERE inbox_id = ?", (inbox_id,))  # noqa: S608 - fixed names
    db.executemany(f"INSERT INTO {table} (inbox_id, {column}) VALUES (?, ?)",  # noqa: S608
                   [(inbox_id, item) for item in ids])
