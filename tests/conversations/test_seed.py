"""The demo conversations: deterministic, honour the count, and give every view something to show."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from inboxctl.backends.local.backend import LocalBackend
from inboxctl.conversations.model import ConversationQuery

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


def workspace(path: Path, count: int) -> LocalBackend:
    return LocalBackend.open(path, clock=lambda: NOW, conversations=count)


def test_same_seed_and_clock_same_workspace(tmp_path):
    first, second = workspace(tmp_path / "a.sqlite3", 300), workspace(tmp_path / "b.sqlite3", 300)
    dump = "SELECT * FROM conversations ORDER BY id"
    assert [tuple(r) for r in first.store.connection.execute(dump)] == \
        [tuple(r) for r in second.store.connection.execute(dump)]
    first.close()
    second.close()


def test_count_is_honoured_and_ids_follow_time(tmp_path):
    backend = workspace(tmp_path / "local.sqlite3", 1234)
    db = backend.store.connection
    assert db.execute("SELECT count(*) FROM conversations").fetchone()[0] == 1234
    times = [r[0] for r in db.execute("SELECT created_at FROM conversations ORDER BY id")]
    assert times == sorted(times)
    assert times[0] >= "2024-11-01" and times[-1] <= NOW.isoformat()
    backend.close()


def test_the_mix_covers_every_view_and_filter(tmp_path):
    backend = workspace(tmp_path / "local.sqlite3", 300)
    db = backend.store.connection

    def count(where: str) -> int:
        return db.execute(f"SELECT count(*) FROM conversations c WHERE {where}").fetchone()[0]

    inboxes = {r[0] for r in db.execute(
        "SELECT DISTINCT i.name FROM conversations c JOIN inboxes i ON i.id = c.inbox_id")}
    assert inboxes == {"Support", "Sales"}
    channels = {r[0] for r in db.execute("SELECT DISTINCT channel_type FROM conversations")}
    assert channels == {"email", "chat", "messenger", "form", "whatsapp", "calling"}
    for where in ("status = 'open'", "status = 'closed'", "assignee_id IS NULL AND assigned_to_bot = 0",
                  "assigned_to_bot = 1", "outgoing = 1", "spam = 1", "filtered = 1",
                  "assignee_id = (SELECT id FROM users WHERE email = 'frank@acme.example')",
                  "trashed_at > '2025-01-30'", "trashed_at < '2025-01-30'",
                  "EXISTS (SELECT 1 FROM tickets t WHERE t.conversation_id = c.id)",
                  "EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.kind = 'comment')"):
        assert count(where) > 0, where
    assert db.execute("SELECT count(*) FROM contacts WHERE owner_id IS NOT NULL").fetchone()[0] > 0
    blocked = "SELECT count(*) FROM conversations c JOIN contacts ct ON ct.id = c.contact_id " \
              "JOIN blocked_senders b ON b.address = ct.email WHERE c.filtered = 0"
    assert db.execute(blocked).fetchone()[0] == 0  # every conversation of a blocked sender is filtered
    backend.close()


def test_no_conversations_is_allowed(tmp_path):
    backend = workspace(tmp_path / "local.sqlite3", 0)
    assert list(backend.list_conversations(ConversationQuery())) == []
    backend.close()
