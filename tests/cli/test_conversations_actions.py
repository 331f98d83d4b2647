"""Conversation actions on the real local backend: each verb, targets, the safety rules, results and exit codes."""

from __future__ import annotations

import json
import sqlite3

import pytest

from inboxctl.cli import confirm, output
from inboxctl.conversations.journal import journals_dir


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """A person at a terminal who can answer questions."""
    monkeypatch.setattr(confirm, "stdin_is_terminal", lambda: True)


def ids_where(db: sqlite3.Connection, where: str, limit: int = 3) -> list[str]:
    rows = db.execute(f"SELECT c.id FROM conversations c WHERE {where} ORDER BY c.id LIMIT {limit}").fetchall()
    assert len(rows) == limit, f"the demo workspace needs {limit} conversations where {where}"
    return [str(row[0]) for row in rows]


def column(db: sqlite3.Connection, name: str, ids: list[str]) -> list:
    marks = ",".join("?" * len(ids))
    return [row[0] for row in db.execute(f"SELECT {name} FROM conversations WHERE id IN ({marks}) ORDER BY id", ids)]


def snapshot(db: sqlite3.Connection) -> list[tuple]:
    return [tuple(row) for row in db.execute("SELECT * FROM conversations ORDER BY id")]


OPEN = "c.status = 'open' AND c.trashed_at IS NULL AND c.spam = 0 AND c.filtered = 0"


# ---------------------------------------------------------------------------------------------
# close, reopen


def test_close_then_close_again_is_unchanged_not_an_error(run, db):
    ids = ids_where(db, OPEN)
    result = run("conv", "close", *ids)
    assert result.exit_code == 0
    assert "close: 3 changed, 0 unchanged, 0 failed." in result.stderr
    assert result.stdout == ""  # no -o: the summary on stderr is all
    assert column(db, "status", ids) == ["closed"] * 3
    again = run("conv", "close", *ids)
    assert again.exit_code == 0 and "close: 0 changed, 3 unchanged, 0 failed." in again.stderr


def test_close_with_ticket_closes_the_ticket_too_and_reopen_brings_both_back(run, db):
    [conversation] = ids_where(db, OPEN + " AND EXISTS (SELECT 1 FROM tickets t WHERE t.conversation_id = c.id "
                                          "AND t.status = 'open')", limit=1)
    ticket = "SELECT status FROM tickets WHERE conversation_id = ?"
    assert run("conv", "close", conversation, "--with-ticket").exit_code == 0
    assert db.execute(ticket, (conversation,)).fetchone()[0] == "closed"
    assert run("conv", "reopen", conversation).exit_code == 0
    assert column(db, "status", [conversation]) == ["open"]
    assert db.execute(ticket, (conversation,)).fetchone()[0] == "closed"  # without --with-ticket
    assert run("conv", "reopen", conversation, "--with-ticket").exit_code == 0
    assert db.execute(ticket, (conversation,)).fetchone()[0] == "open"


def test_results_per_conversation_as_json(run, db):
    ids = ids_where(db, OPEN, limit=2)
    assert run("conv", "close", ids[0]).exit_code == 0
    results = json.loads(run("conv", "close", *ids, "-o", "json").stdout)
    assert [(r["id"], r["outcome"]) for r in results] == [(ids[0], "unchanged"), (ids[1], "changed")]
    assert results[1]["before"]["status"] == "open" and results[1]["after"]["status"] == "closed"


# ---------------------------------------------------------------------------------------------
# ids from stdin, and the done-when pipe


def test_list_ids_pipe_into_close_from_stdin(run, db):
    listing = run("conv", "list", "--inbox", "Support", "--status", "open", "-o", "ids")
    ids = listing.stdout.split()
    assert ids
    result = run("conv", "close", "-", "--yes", input=listing.stdout)
    assert result.exit_code == 0, result.stderr
    assert f"close: {len(ids)} changed" in result.stderr
    assert set(column(db, "status", ids)) == {"closed"}


def test_stdin_ids_accept_blank_lines_and_comments(run, db):
    ids = ids_where(db, OPEN)
    text = f"{ids[0]}\n{ids[1]}\r\n\n# a comment\n{ids[2]}  # the third\n{ids[0]}\n"
    result = run("conv", "close", "-", "-o", "ids", input=text)
    assert result.exit_code == 0
    assert result.stdout.split() == ids  # each once, in order


def test_destructive_action_on_stdin_ids_needs_yes(run, db, terminal):
    ids = ids_where(db, OPEN)
    result = run("conv", "trash", "-", input="\n".join(ids))
    assert result.exit_code == 1
    assert "the ids came from stdin" in result.stderr and "--yes" in result.stderr
    assert column(db, "trashed_at", ids) == [None] * 3


# ---------------------------------------------------------------------------------------------
# Asking first


def test_filters_without_terminal_and_without_yes_refuse_and_say_why(run, db):
    before = snapshot(db)
    result = run("conv", "close", "--inbox", "Support", "--older-than", "30d")
    assert result.exit_code == 1
    assert "no terminal to ask on" in result.stderr and "--yes" in result.stderr
    assert snapshot(db) == before
    assert not journals_dir().exists()


def test_filters_on_a_terminal_show_count_and_sample_then_ask(run, db, terminal):
    before = snapshot(db)
    expected = db.execute("SELECT count(*) FROM conversations c JOIN inboxes i ON i.id = c.inbox_id "
                          f"WHERE i.name = 'Sales' AND {OPEN}").fetchone()[0]
    declined = run("conv", "close", "--inbox", "Sales", "--status", "open", input="n\n")
    assert declined.exit_code == 1
    assert f"{expected} conversations match (inbox Sales, status open)" in declined.stderr
    assert "ID" in declined.stderr and "SUBJECT" in declined.stderr  # the sample
    assert f"Close {expected} conversations? [y/N]" in declined.stderr
    assert "cancelled: nothing was changed" in declined.stderr
    assert snapshot(db) == before

    accepted = run("conv", "close", "--inbox", "Sales", "--status", "open", input="y\n")
    assert accepted.exit_code == 0
    assert f"close: {expected} changed" in accepted.stderr


def test_yes_skips_the_question(run, db, terminal):
    result = run("conv", "close", "--inbox", "Sales", "--status", "open", "--yes")
    assert result.exit_code == 0
    assert "[y/N]" not in result.stderr


def test_a_few_explicit_ids_need_no_question_but_many_do(run, db):
    assert run("conv", "close", *ids_where(db, OPEN)).exit_code == 0
    many = ids_where(db, OPEN, limit=21)
    result = run("conv", "close", *many)
    assert result.exit_code == 1 and "no terminal to ask on" in result.stderr
    assert run("conv", "close", *many, "--yes").exit_code == 0


@pytest.mark.parametrize("verb", ["trash", "spam", "block-sender"])
def test_destructive_actions_ask_even_for_one_id(run, db, terminal, verb):
    [one] = ids_where(db, OPEN, limit=1)
    result = run("conv", verb, one, input="n\n")
    assert result.exit_code == 1 and "[y/N]" in result.stderr
    assert f"1 conversation: {one}" in result.stderr


def test_no_targets_is_a_usage_error_and_ids_with_filters_too(run, db):
    result = run("conv", "close")
    assert result.exit_code == 64 and "say which conversations" in result.stderr
    result = run("conv", "close", "1", "--inbox", "Support")
    assert result.exit_code == 64 and "not both" in result.stderr


def test_filters_matching_nothing_do_nothing(run, db):
    result = run("conv", "close", "--search", "no conversation says this", "--yes")
    assert result.exit_code == 0 and "No conversations match" in result.stderr


def test_dry_run_lists_what_would_change_and_changes_nothing(run, db):
    before = snapshot(db)
    result = run("conv", "close", "--inbox", "Support", "--older-than", "30d", "--dry-run")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines and all(line.split("\t")[2] in ("would change", "unchanged") for line in lines)
    assert any("status open → closed" in line for line in lines)
    assert "Nothing was changed." in result.stderr
    assert snapshot(db) == before
    assert not journals_dir().exists()


def test_max_refuses_above_n_and_changes_nothing(run, db):
    before = snapshot(db)
    count = len(run("conv", "list", "--inbox", "Sales", "--all", "-o", "ids").stdout.split())
    result = run("conv", "trash", "--inbox", "Sales", "--max", str(count - 1), "--yes")
    assert result.exit_code == 1
    assert f"{count} conversations would change ({count} match), more than --max {count - 1}" in result.stderr
    assert snapshot(db) == before
    assert run("conv", "trash", "--inbox", "Sales", "--max", str(count), "--yes").exit_code == 0


# ---------------------------------------------------------------------------------------------
# Partial failure, and running again


def test_partial_failure_exits_3_with_each_reason_and_a_rerun_completes_the_rest(run, db):
    good = ids_where(db, OPEN + " AND c.assignee_id IS NULL", limit=2)
    [in_trash] = ids_where(db, "c.trashed_at IS NOT NULL", limit=1)
    targets = [good[0], in_trash, "999999", good[1]]

    result = run("conv", "assign", *targets, "--to", "bob@acme.example", "-o", "jsonl")
    assert result.exit_code == 3
    results = {r["id"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert [results[i]["outcome"] for i in targets] == ["changed", "failed", "failed", "changed"]
    assert results[in_trash]["reason"] == "in trash: restore it first"
    assert results["999999"]["reason"] == "no such conversation"
    assert f"failed {in_trash}: in trash: restore it first" in result.stderr
    assert "assign: 2 changed, 0 unchanged, 2 failed." in result.stderr
    # Permanent refusals: a re-run meets them again, and the message says so instead of promising otherwise.
    assert "running the same command again will not change that" in result.stderr
    assert "completes the rest" not in result.stderr

    assert run("conv", "restore", in_trash).exit_code == 0
    rerun = run("conv", "assign", good[0], in_trash, good[1], "--to", "bob@acme.example")
    assert rerun.exit_code == 0
    assert "assign: 1 changed, 2 unchanged, 0 failed." in rerun.stderr


# ---------------------------------------------------------------------------------------------
# assign


def test_assign_by_email_case_insensitively_and_take_over_from_a_bot(run, db):
    [human] = ids_where(db, OPEN + " AND c.assigned_to_bot = 0", limit=1)
    [bot] = ids_where(db, OPEN + " AND c.assigned_to_bot = 1", limit=1)
    result = run("conv", "assign", human, bot, "--to", "Dave@Acme.Example", "-o", "json")
    assert result.exit_code == 0
    assert [r["after"]["assignee"] for r in json.loads(result.stdout)] == ["dave@acme.example"] * 2
    assert column(db, "assigned_to_bot", [bot]) == [0]
    assert run("conv", "assign", bot, "--unassign").exit_code == 0
    assert column(db, "assignee_id", [bot]) == [None]


def test_assign_to_an_unknown_or_deactivated_user_is_refused_before_anything(run, db):
    [one] = ids_where(db, OPEN, limit=1)
    result = run("conv", "assign", one, "--to", "davd@acme.example")
    assert result.exit_code == 64 and "did you mean dave@acme.example?" in result.stderr
    result = run("conv", "assign", one, "--to", "frank@acme.example")
    assert result.exit_code == 64 and "deactivated" in result.stderr
    assert run("conv", "assign", one).exit_code == 64
    assert run("conv", "assign", one, "--to", "bob@acme.example", "--unassign").exit_code == 64


def test_hand_a_departed_agents_conversations_to_someone(run, db):
    before = len(run("conv", "list", "--assignee", "frank@acme.example", "--include-deactivated", "--all",
                     "-o", "ids").stdout.split())
    result = run("conv", "assign", "--assignee", "frank@acme.example", "--include-deactivated",
                 "--to", "carol@acme.example", "--yes")
    assert result.exit_code == 0 and f"assign: {before} changed" in result.stderr
    assert run("conv", "list", "--assignee", "frank@acme.example", "--include-deactivated", "-o", "ids").stdout == ""


# ---------------------------------------------------------------------------------------------
# trash, restore, delete and the 30-day purge


def test_trash_and_restore(run, db):
    ids = ids_where(db, OPEN)
    assert run("conv", "trash", *ids, "--yes").exit_code == 0
    assert all(column(db, "trashed_at", ids))
    trash_view = run("conv", "list", "--view", "trash", "--all", "-o", "ids").stdout.split()
    assert set(ids) <= set(trash_view)
    assert not set(ids) & set(run("conv", "list", "--all", "-o", "ids").stdout.split())
    assert run("conv", "restore", *ids).exit_code == 0
    assert column(db, "trashed_at", ids) == [None] * 3
    assert "0 changed, 3 unchanged" in run("conv", "restore", *ids).stderr


def test_delete_needs_permanent(run, db):
    result = run("conv", "delete", "1", "--yes")
    assert result.exit_code == 64 and "--permanent" in result.stderr and "conv trash" in result.stderr


def test_delete_permanent_only_in_trash_and_takes_the_ticket(run, db):
    [with_ticket] = ids_where(db, OPEN + " AND EXISTS (SELECT 1 FROM tickets t WHERE t.conversation_id = c.id)", 1)
    result = run("conv", "delete", with_ticket, "--permanent", "--yes")
    assert result.exit_code == 3
    assert "not in trash" in result.stderr
    assert column(db, "id", [with_ticket]) == [int(with_ticket)]

    assert run("conv", "trash", with_ticket, "--yes").exit_code == 0
    result = run("conv", "delete", with_ticket, "--permanent", "--yes")
    assert result.exit_code == 0 and "delete: 1 changed" in result.stderr
    assert column(db, "id", [with_ticket]) == []
    assert db.execute("SELECT count(*) FROM tickets WHERE conversation_id = ?", (with_ticket,)).fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM messages WHERE conversation_id = ?", (with_ticket,)).fetchone()[0] == 0
    shown = run("conv", "show", with_ticket)
    assert shown.exit_code == 64 and "permanently deleted" in shown.stderr


def test_delete_by_filters_looks_in_trash_only_and_warns(run, db, terminal):
    in_trash = run("conv", "list", "--view", "trash", "--inbox", "Sales", "--all", "-o", "ids").stdout.split()
    assert in_trash
    result = run("conv", "delete", "--permanent", "--inbox", "Sales", input="n\n")
    assert result.exit_code == 1
    assert f"{len(in_trash)} conversation" in result.stderr and "cannot be undone" in result.stderr
    result = run("conv", "delete", "--permanent", "--inbox", "Sales", "--yes")
    assert result.exit_code == 0 and f"delete: {len(in_trash)} changed" in result.stderr
    assert column(db, "id", in_trash) == []


def test_conversations_trashed_over_30_days_ago_are_purged_and_cannot_be_restored(run, db, monkeypatch):
    ids = ids_where(db, OPEN, limit=2)
    assert run("conv", "trash", *ids, "--yes").exit_code == 0

    import inboxctl.backends.local.store as store
    real_now = store.utc_now
    from datetime import timedelta

    monkeypatch.setattr(store, "utc_now", lambda: real_now() + timedelta(days=29))
    assert set(ids) <= set(run("conv", "list", "--view", "trash", "--all", "-o", "ids").stdout.split())

    monkeypatch.setattr(store, "utc_now", lambda: real_now() + timedelta(days=30, minutes=1))
    assert not set(ids) & set(run("conv", "list", "--view", "trash", "--all", "-o", "ids").stdout.split())
    result = run("conv", "restore", *ids, "-o", "json")
    assert result.exit_code == 3
    reasons = [r["reason"] for r in json.loads(result.stdout)]
    assert all("purged from trash" in reason and "cannot be restored" in reason for reason in reasons)
    assert column(db, "id", ids) == []


def test_the_seeded_stale_trash_is_purged_on_first_use(run, inboxctl_home):
    from inboxctl.backends.local.backend import LocalBackend

    backend = LocalBackend.open_default()  # creates the workspace; nothing has used it yet
    stale = [str(r[0]) for r in backend.store.connection.execute(
        "SELECT id FROM conversations WHERE trashed_at < strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '-30 days')")]
    backend.close()
    assert stale, "the demo seeds some conversations trashed more than 30 days ago"
    result = run("conv", "restore", stale[0])
    assert result.exit_code == 3
    assert "purged from trash on" in result.stderr and "cannot be restored" in result.stderr


# ---------------------------------------------------------------------------------------------
# spam, block-sender, comment


def test_spam_and_unspam(run, db):
    [one] = ids_where(db, OPEN, limit=1)
    assert run("conv", "spam", one, "--yes").exit_code == 0
    assert one in run("conv", "list", "--view", "spam", "--all", "-o", "ids").stdout.split()
    assert db.execute("SELECT count(*) FROM blocked_senders b JOIN contacts ct ON ct.email = b.address "
                      "JOIN conversations c ON c.contact_id = ct.id WHERE c.id = ?", (one,)).fetchone()[0] == 0
    assert run("conv", "unspam", one).exit_code == 0
    assert column(db, "spam", [one]) == [0]


def test_block_and_unblock_sender(run, db):
    [one] = ids_where(db, OPEN, limit=1)
    sender = db.execute("SELECT ct.email FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE c.id = ?",
                        (one,)).fetchone()[0]
    blocked = "SELECT count(*) FROM blocked_senders WHERE address = ?"
    assert run("conv", "block-sender", one, "--yes").exit_code == 0
    assert db.execute(blocked, (sender,)).fetchone()[0] == 1 and column(db, "filtered", [one]) == [1]
    assert one in run("conv", "list", "--view", "spam", "--all", "-o", "ids").stdout.split()
    assert run("conv", "unblock-sender", one).exit_code == 0
    assert db.execute(blocked, (sender,)).fetchone()[0] == 0 and column(db, "filtered", [one]) == [0]


def test_comment_is_an_internal_note_by_the_current_user(run, db):
    [one] = ids_where(db, OPEN, limit=1)
    assert run("conv", "comment", one, "--text", "Refund approved").exit_code == 0
    assert run("conv", "comment", one, "--text", "Sent the label", "--as", "grace@acme.example").exit_code == 0
    comments = json.loads(run("conv", "show", one, "-o", "json").stdout)["comments"]
    assert [(c["author"], c["body"]) for c in comments[-2:]] == [
        ("alice@acme.example", "Refund approved"), ("grace@acme.example", "Sent the label")]
    assert run("conv", "comment", one, "--text", "  ").exit_code == 64


# ---------------------------------------------------------------------------------------------
# Progress


def test_progress_bar_only_when_stderr_is_a_terminal(run, db, monkeypatch):
    ids = ids_where(db, OPEN)
    quiet = run("conv", "close", *ids)
    assert quiet.stderr.splitlines()[0] == "close: 3 changed, 0 unchanged, 0 failed."  # no progress when piped
    monkeypatch.setattr(output, "stderr_is_terminal", lambda: True)
    shown = run("conv", "reopen", *ids)
    # The bar is redrawn in place (\r) and left complete on its line, before the summary.
    assert shown.stderr.split("\n")[0].split("\r")[-1] == "reopen [" + "#" * 30 + "] 3/3"
    assert shown.stdout == ""
