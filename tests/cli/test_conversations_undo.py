"""`inboxctl conv undo`: journals, what undo reverses, and what it names as irreversible."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta


from inboxctl.backends.local import store
from inboxctl.cli import confirm
from inboxctl.conversations.journal import journals_dir


def ids_where(db: sqlite3.Connection, where: str, limit: int = 3) -> list[str]:
    rows = db.execute(f"SELECT c.id FROM conversations c WHERE {where} ORDER BY c.id LIMIT {limit}").fetchall()
    assert len(rows) == limit
    return [str(row[0]) for row in rows]


def everything(db: sqlite3.Connection) -> dict[str, list[tuple]]:
    """Every row of every table a conversation action can touch, except modification times."""
    conversations = [tuple(row) for row in db.execute(
        "SELECT id, inbox_id, channel_type, channel_key, subject, contact_id, assignee_id, assigned_to_bot, status,"
        " outgoing, spam, filtered, trashed_at, created_at, closed_at FROM conversations ORDER BY id")]
    return {
        "conversations": conversations,
        "messages": [tuple(r) for r in db.execute("SELECT * FROM messages ORDER BY id")],
        "tickets": [tuple(r) for r in db.execute("SELECT * FROM tickets ORDER BY id")],
        "blocked_senders": [tuple(r) for r in db.execute("SELECT * FROM blocked_senders ORDER BY address")],
    }


OPEN = "c.status = 'open' AND c.trashed_at IS NULL AND c.spam = 0 AND c.filtered = 0"


def test_trash_support_older_than_30d_asks_trashes_lists_and_undo_restores_all_and_nothing_else(
        run, db, monkeypatch):
    before = everything(db)
    listing = run("conv", "list", "--inbox", "Support", "--older-than", "30d", "--all", "-o", "ids")
    expected = set(listing.stdout.split())
    assert len(expected) > 20

    monkeypatch.setattr(confirm, "stdin_is_terminal", lambda: True)
    asked = run("conv", "trash", "--inbox", "Support", "--older-than", "30d", input="n\n")
    assert asked.exit_code == 1
    assert f"{len(expected)} conversations match (inbox Support, older than 30d)" in asked.stderr
    assert f"Trash {len(expected)} conversations? [y/N]" in asked.stderr
    assert everything(db) == before

    trashed = run("conv", "trash", "--inbox", "Support", "--older-than", "30d", "--yes")
    assert trashed.exit_code == 0
    assert f"trash: {len(expected)} changed, 0 unchanged, 0 failed." in trashed.stderr
    in_trash = set(run("conv", "list", "--view", "trash", "--all", "-o", "ids").stdout.split())
    assert expected <= in_trash

    undone = run("conv", "undo", "--yes")
    assert undone.exit_code == 0, undone.stderr
    assert f"{len(expected)} changed, 0 unchanged, 0 failed." in undone.stderr
    assert not expected & set(run("conv", "list", "--view", "trash", "--all", "-o", "ids").stdout.split())
    assert everything(db) == before  # all of them back, and nothing else changed


def test_undo_reopens_what_was_closed_and_names_the_journal(run, db):
    ids = ids_where(db, OPEN)
    closed = run("conv", "close", *ids)
    journal = next(line for line in closed.stderr.splitlines() if line.startswith("Undo with:")).split()[-1]
    assert (journals_dir() / journal).is_file()
    result = run("conv", "undo", journal, "--yes", "-o", "json")
    assert result.exit_code == 0
    assert [(r["id"], r["action"], r["outcome"]) for r in json.loads(result.stdout)] == \
        [(i, "reopen", "changed") for i in ids]


def test_undo_with_ticket_reopens_the_ticket_too(run, db):
    [one] = ids_where(db, OPEN + " AND EXISTS (SELECT 1 FROM tickets t WHERE t.conversation_id = c.id "
                                 "AND t.status = 'open')", limit=1)
    assert run("conv", "close", one, "--with-ticket").exit_code == 0
    assert run("conv", "undo", "--yes").exit_code == 0
    assert db.execute("SELECT status FROM tickets WHERE conversation_id = ?", (one,)).fetchone()[0] == "open"


def test_undo_gives_back_the_previous_assignee_unless_reassigned_since(run, db):
    ids = ids_where(db, OPEN + " AND c.assigned_to_bot = 0")
    owners = [row[0] for row in db.execute(
        f"SELECT assignee_id FROM conversations WHERE id IN ({','.join(ids)}) ORDER BY id")]
    assert run("conv", "assign", *ids, "--to", "grace@acme.example").exit_code == 0
    assert run("conv", "assign", ids[2], "--to", "dave@acme.example").exit_code == 0  # someone else, since
    # Undo the first assign, not the latest run.
    first = sorted(p.name for p in journals_dir().iterdir())[0]
    result = run("conv", "undo", first, "--yes", "-o", "jsonl")
    assert result.exit_code == 3
    outcomes = {r["id"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert outcomes[ids[0]]["outcome"] == outcomes[ids[1]]["outcome"] == "changed"
    assert outcomes[ids[2]]["outcome"] == "failed"
    assert "changed since: assignee is now dave@acme.example, not grace@acme.example" in outcomes[ids[2]]["reason"]
    now = [row[0] for row in db.execute(
        f"SELECT assignee_id FROM conversations WHERE id IN ({','.join(ids)}) ORDER BY id")]
    dave = db.execute("SELECT id FROM users WHERE email = 'dave@acme.example'").fetchone()[0]
    assert now == [owners[0], owners[1], dave]


def test_undo_names_what_cannot_be_reversed(run, db):
    ids = ids_where(db, OPEN, limit=2)
    assert run("conv", "trash", *ids, "--yes").exit_code == 0
    assert run("conv", "delete", *ids, "--permanent", "--yes").exit_code == 0
    result = run("conv", "undo", "--yes")
    assert result.exit_code == 3
    for conversation in ids:
        assert f"failed {conversation}: not reversible: it was deleted permanently, with its ticket" in result.stderr

    assert run("conv", "comment", ids_where(db, OPEN, 1)[0], "--text", "hello").exit_code == 0
    result = run("conv", "undo", "--yes")
    assert result.exit_code == 3 and "comments cannot be removed" in result.stderr


def test_undo_of_a_trash_purged_since_says_so(run, db, monkeypatch):
    ids = ids_where(db, OPEN, limit=2)
    assert run("conv", "trash", *ids, "--yes").exit_code == 0
    real_now = store.utc_now
    monkeypatch.setattr(store, "utc_now", lambda: real_now() + timedelta(days=31))
    result = run("conv", "undo", "--yes")
    assert result.exit_code == 3
    assert result.stderr.count("purged from trash on") == 2
    assert "purged conversations cannot be restored" in result.stderr


def test_undo_takes_the_latest_run_not_undone_yet_then_the_one_before(run, db):
    first, second = ids_where(db, OPEN, limit=2)
    assert run("conv", "close", first).exit_code == 0
    assert run("conv", "spam", second, "--yes").exit_code == 0
    assert run("conv", "undo", "--yes").exit_code == 0          # undoes the spam
    assert db.execute("SELECT spam, status FROM conversations WHERE id = ?", (second,)).fetchone()[:] == (0, "open")
    assert db.execute("SELECT status FROM conversations WHERE id = ?", (first,)).fetchone()[0] == "closed"
    assert run("conv", "undo", "--yes").exit_code == 0          # then the close
    assert db.execute("SELECT status FROM conversations WHERE id = ?", (first,)).fetchone()[0] == "open"
    nothing = run("conv", "undo", "--yes")
    assert nothing.exit_code == 64 and "nothing to undo" in nothing.stderr


def test_undo_list_shows_journals_and_what_was_undone(run, db):
    [one] = ids_where(db, OPEN, limit=1)
    assert run("conv", "close", one).exit_code == 0
    assert run("conv", "undo", "--yes").exit_code == 0
    rows = json.loads(run("conv", "undo", "--list", "-o", "json").stdout)
    assert [(r["action"], r["undone"], r["changed"]) for r in rows] == [("undo", "n/a", 1), ("close", "yes", 1)]
    assert rows[0]["undo_of"] == rows[1]["name"]


def test_undo_asks_first_and_refuses_without_a_terminal(run, db, monkeypatch):
    ids = ids_where(db, OPEN)
    assert run("conv", "close", *ids).exit_code == 0
    refused = run("conv", "undo")
    assert refused.exit_code == 1 and "no terminal to ask on" in refused.stderr
    monkeypatch.setattr(confirm, "stdin_is_terminal", lambda: True)
    asked = run("conv", "undo", input="y\n")
    assert asked.exit_code == 0
    assert "reopen 3" in asked.stderr and "Undo close on 3 conversations? [y/N]" in asked.stderr


def test_undo_dry_run_changes_nothing(run, db):
    ids = ids_where(db, OPEN)
    assert run("conv", "close", *ids).exit_code == 0
    result = run("conv", "undo", "--dry-run")
    assert result.exit_code == 0
    assert [line.split("\t")[:3] for line in result.stdout.splitlines()] == [[i, "reopen", "would change"] for i in ids]
    assert {r[0] for r in db.execute(f"SELECT status FROM conversations WHERE id IN ({','.join(ids)})")} == {"closed"}


def test_undo_of_an_unknown_journal(run, db):
    result = run("conv", "undo", "nope")
    assert result.exit_code == 64 and "no journal 'nope'" in result.stderr


def test_journal_is_json_lines_with_header_results_and_summary(run, db):
    ids = ids_where(db, OPEN, limit=2)
    assert run("conv", "close", *ids, "999999").exit_code == 3
    [path] = journals_dir().iterdir()
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert records[0]["type"] == "header" and records[0]["action"] == "close" and records[0]["total"] == 3
    assert [(r["id"], r["outcome"]) for r in records[1:-1]] == [(ids[0], "changed"), (ids[1], "changed"),
                                                                ("999999", "failed")]
    assert records[-1] == {**records[-1], "type": "summary", "changed": 2, "unchanged": 0, "failed": 1,
                           "interrupted": False}


def test_undo_refuses_a_journal_recorded_on_another_server(run, db):
    from inboxctl.conversations.journal import JournalWriter
    from inboxctl.conversations.model import ActionRequest, ActionSummary

    writer = JournalWriter.create(
        server="test-server", action="close", request=ActionRequest(action="close"), backend="chatwoot",
                                  profile="prod", targets="test", total=0)
    writer.finish(ActionSummary())
    result = run("conv", "undo", writer.name, "--yes")
    assert result.exit_code == 64
    assert "was recorded on profile 'prod' (chatwoot)" in result.stderr and "--profile prod" in result.stderr
