"""`inboxctl conv list` and `conv show` on the demo workspace of the real local backend."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest

from inboxctl.cli import output


def listed(run, *args: str) -> list[dict]:
    result = run("conv", "list", "--all", "-o", "jsonl", *args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_list_inbox_support_as_json_returns_the_demo_conversations(run, db):
    result = run("conv", "list", "--inbox", "Support", "-o", "json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert len(rows) == 50  # the default limit
    assert {row["inbox"] for row in rows} == {"Support"}
    assert [row["created_at"] for row in rows] == sorted((row["created_at"] for row in rows), reverse=True)
    newest = db.execute("SELECT c.id FROM conversations c JOIN inboxes i ON i.id = c.inbox_id WHERE i.name = 'Support'"
                        " AND c.trashed_at IS NULL AND c.spam = 0 AND c.filtered = 0"
                        " ORDER BY c.created_at DESC, c.id DESC LIMIT 1").fetchone()[0]
    assert rows[0]["id"] == str(newest)
    assert result.stderr == ""  # stdout is data only, and nothing else was said


def test_by_default_trash_spam_and_filtered_are_hidden(run, db):
    rows = listed(run)
    visible = db.execute("SELECT count(*) FROM conversations WHERE trashed_at IS NULL AND spam = 0 AND filtered = 0")
    assert len(rows) == visible.fetchone()[0]
    assert not any(row["trashed_at"] or row["spam"] or row["filtered"] for row in rows)
    assert len(listed(run, "--include-trash", "--include-filtered")) == db.execute(
        "SELECT count(*) FROM conversations").fetchone()[0]


VIEWS = {
    "unassigned": lambda r: r["status"] == "open" and r["assignee"] is None and not r["assigned_to_bot"],
    "mine": lambda r: r["status"] == "open" and r["assignee"] == "alice@acme.example",
    "open": lambda r: r["status"] == "open" and not r["outgoing"],
    "closed": lambda r: r["status"] == "closed",
    "sent": lambda r: r["outgoing"],
    "spam": lambda r: (r["spam"] or r["filtered"]) and not r["trashed_at"],
    "trash": lambda r: r["trashed_at"] is not None,
    "chat": lambda r: r["channel"] == "chat" and r["status"] == "open",
    "bots": lambda r: r["assigned_to_bot"] and r["assignee"] is None and r["status"] == "open",
    "email": lambda r: r["channel"] == "email" and r["status"] == "open",
    "messenger": lambda r: r["channel"] == "messenger" and r["status"] == "open",
    "forms": lambda r: r["channel"] == "form" and r["status"] == "open",
}


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_every_view_lists_what_it_says_and_only_that(run, db, view):
    rows = listed(run, "--view", view)
    assert rows, f"the demo workspace should have something in the {view} view"
    assert all(VIEWS[view](row) for row in rows)


def test_views_partition_open_and_closed(run, db):
    everything = listed(run)
    assert len(listed(run, "--view", "closed")) + len(listed(run, "--status", "open")) == len(everything)


def test_mine_is_the_user_from_as_or_the_environment(run, db, monkeypatch):
    assert {r["assignee"] for r in listed(run, "--view", "mine", "--as", "BOB@acme.example")} == {"bob@acme.example"}
    monkeypatch.setenv("INBOXCTL_USER", "carol@acme.example")
    assert {r["assignee"] for r in listed(run, "--view", "mine")} == {"carol@acme.example"}


def test_an_explicit_filter_wins_over_the_view(run, db):
    rows = listed(run, "--view", "mine", "--status", "closed")
    assert rows and all(r["status"] == "closed" and r["assignee"] == "alice@acme.example" for r in rows)


def test_filters_status_channel_and_channel_name(run, db):
    assert {r["status"] for r in listed(run, "--status", "closed")} == {"closed"}
    assert {r["channel"] for r in listed(run, "--channel", "messenger")} == {"messenger"}
    assert {r["channel_name"] for r in listed(run, "--channel", "website CHAT")} == {"Website chat"}


def test_unknown_channel_and_inbox_say_what_was_meant(run, db):
    result = run("conv", "list", "--inbox", "Suport")
    assert result.exit_code == 64
    assert "no inbox named 'Suport'" in result.stderr and "did you mean 'Support'?" in result.stderr
    assert result.stdout == ""
    result = run("conv", "list", "--channel", "Webside chat")
    assert result.exit_code == 64 and "did you mean 'Website chat'?" in result.stderr


def test_assignee_is_matched_case_insensitively(run, db):
    rows = listed(run, "--assignee", "Bob@ACME.example")
    assert rows and {r["assignee"] for r in rows} == {"bob@acme.example"}


def test_unknown_assignee_suggests_the_closest_user(run, db):
    result = run("conv", "list", "--assignee", "bobb@acme.example")
    assert result.exit_code == 64
    assert "no user with this e-mail" in result.stderr and "did you mean bob@acme.example?" in result.stderr


def test_deactivated_assignee_needs_include_deactivated(run, db):
    result = run("conv", "list", "--assignee", "frank@acme.example")
    assert result.exit_code == 64 and "--include-deactivated" in result.stderr
    rows = listed(run, "--assignee", "frank@acme.example", "--include-deactivated")
    assert rows and {r["assignee"] for r in rows} == {"frank@acme.example"}


def test_unassigned_and_assignee_contradict(run, db):
    result = run("conv", "list", "--unassigned", "--assignee", "bob@acme.example")
    assert result.exit_code == 64 and "contradict" in result.stderr


def test_contact_by_email_or_by_part_of_the_name(run, db):
    email, name = db.execute("SELECT ct.email, ct.name FROM conversations c JOIN contacts ct ON ct.id = c.contact_id "
                             "WHERE c.trashed_at IS NULL AND c.spam = 0 AND c.filtered = 0 LIMIT 1").fetchone()
    assert {r["contact"] for r in listed(run, "--contact", email.upper())} == {email}
    first = name.split()[0]
    rows = listed(run, "--contact", first.lower())
    assert rows and all(first in r["contact_name"] for r in rows)


def test_dates_relative_and_absolute(run, db):
    now = datetime.now(timezone.utc)
    recent = listed(run, "--since", "7d")
    assert recent and all(r["created_at"] >= (now - timedelta(days=7, minutes=1)).isoformat() for r in recent)
    old = listed(run, "--older-than", "30d")
    assert old and all(r["created_at"] < (now - timedelta(days=30)).isoformat() for r in old)
    day = old[0]["created_at"][:10]
    that_day = listed(run, "--since", day, "--until", day)
    assert that_day and {r["created_at"][:10] for r in that_day} == {day}


def test_bad_dates_are_usage_errors(run, db):
    result = run("conv", "list", "--since", "last tuesday")
    assert result.exit_code == 64 and "neither a date nor a duration" in result.stderr
    result = run("conv", "list", "--until", "2024-01-01", "--older-than", "3d")
    assert result.exit_code == 64


def test_search_looks_in_subjects_and_messages(run, db):
    def mentions(conversation_id: str, text: str) -> bool:
        return db.execute("SELECT 1 FROM conversations c WHERE c.id = ? AND (c.subject LIKE ? OR EXISTS ("
                          "SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.body LIKE ?))",
                          (conversation_id, f"%{text}%", f"%{text}%")).fetchone() is not None

    by_subject = listed(run, "--search", "REFUND")
    assert by_subject and all("refund" in r["subject"].lower() for r in by_subject)
    by_message = listed(run, "--search", "forwarded this to billing")
    assert by_message and all(mentions(r["id"], "forwarded this to billing") for r in by_message)
    assert len(by_message) < len(listed(run))


def test_sort_oldest_and_limit_and_all(run, db):
    oldest = json.loads(run("conv", "list", "--sort", "oldest", "--limit", "3", "-o", "json").stdout)
    assert len(oldest) == 3
    assert [r["created_at"] for r in oldest] == sorted(r["created_at"] for r in oldest)
    assert oldest[0]["created_at"] == min(r["created_at"] for r in listed(run))
    assert run("conv", "list", "--all", "--limit", "3").exit_code == 64


def test_piped_table_is_tab_separated_without_header(run, db):
    result = run("conv", "list", "--limit", "3")
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert all(len(line.split("\t")) == 9 for line in lines)
    assert not lines[0].startswith("ID")


def test_table_on_a_terminal_is_aligned_with_a_header(run, db, monkeypatch):
    monkeypatch.setattr(output, "stdout_is_terminal", lambda: True)
    lines = run("conv", "list", "--limit", "3").stdout.splitlines()
    assert lines[0].split()[:4] == ["ID", "INBOX", "CHANNEL", "STATUS"]
    assert set(lines[1]) <= {"-", " "}
    assert "\t" not in "".join(lines)
    assert len(lines) == 5


def test_csv_and_ids_outputs(run, db):
    rows = list(csv.DictReader(io.StringIO(run("conv", "list", "--limit", "4", "-o", "csv").stdout)))
    assert len(rows) == 4 and {"id", "inbox", "status", "created_at"} <= set(rows[0])
    ids = run("conv", "list", "--limit", "4", "-o", "ids").stdout.split()
    assert ids == [row["id"] for row in rows]


def test_json_of_nothing_is_an_empty_array(run, db):
    result = run("conv", "list", "--search", "no conversation says this", "-o", "json")
    assert result.exit_code == 0 and json.loads(result.stdout) == []


def test_conversations_is_the_long_name_of_conv(run, db):
    assert run("conversations", "list", "--limit", "2", "-o", "ids").stdout == \
        run("conv", "list", "--limit", "2", "-o", "ids").stdout


# ---------------------------------------------------------------------------------------------
# show


def test_show_has_contact_channel_assignee_status_ticket_messages_and_comments(run, db):
    row = db.execute("SELECT c.id, c.subject, ct.email FROM conversations c JOIN contacts ct ON ct.id = c.contact_id "
                     "JOIN tickets t ON t.conversation_id = c.id JOIN users u ON u.id = c.assignee_id "
                     "WHERE EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.kind = 'comment') "
                     "AND c.trashed_at IS NULL LIMIT 1").fetchone()
    result = run("conv", "show", str(row["id"]))
    assert result.exit_code == 0
    text = result.stdout
    assert f"Conversation {row['id']}: {row['subject']}" in text
    for label in ("Status:", "Inbox:", "Channel:", "Contact:", "Assignee:", "Ticket:", "Messages (", "Comments ("):
        assert label in text
    assert row["email"] in text and "Support Pipeline" in text and "(comment)" in text

    detail = json.loads(run("conv", "show", str(row["id"]), "-o", "json").stdout)
    assert detail["ticket"]["pipeline"] == "Support Pipeline"
    assert detail["contact"]["email"] == row["email"]
    assert detail["comments"] and all(m["kind"] == "comment" for m in detail["comments"])
    assert detail["messages"] and all(m["kind"] != "comment" for m in detail["messages"])


def test_show_a_conversation_in_trash_says_when_it_is_purged(run, db):
    trashed = db.execute("SELECT id, trashed_at FROM conversations WHERE trashed_at IS NOT NULL LIMIT 1").fetchone()
    purge_day = (datetime.fromisoformat(trashed["trashed_at"]) + timedelta(days=30)).date().isoformat()
    result = run("conv", "show", str(trashed["id"]))
    assert result.exit_code == 0 and f"purged on {purge_day}" in result.stdout


def test_show_an_unknown_conversation(run, db):
    result = run("conv", "show", "999999")
    assert result.exit_code == 64 and "conversation 999999: no such conversation" in result.stderr


@pytest.mark.parametrize("command", ["list", "show", "assign", "close", "reopen", "trash", "restore", "delete", "spam",
                                     "unspam", "block-sender", "unblock-sender", "comment", "undo"])
def test_every_command_has_help_with_examples(run, command):
    result = run("conv", command, "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.stdout and "inboxctl conv" in result.stdout
