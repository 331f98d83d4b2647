"""Journals on disk and the undo plan read from them (no backend)."""

from __future__ import annotations

import json

import pytest

from inboxctl.conversations.journal import (
    JournalWriter,
    find_journal,
    inverse_request,
    journals_dir,
    list_journals,
    plan_undo,
)
from inboxctl.conversations.model import ActionRequest, ActionResult, ActionSummary, ConversationState
from inboxctl.errors import UsageError

OPEN = ConversationState(status="open", assignee="bob@acme.example", ticket_status="open")
BLOCKED = OPEN.with_changes(filtered=True, sender_blocked=True)


def result(action: str, before: ConversationState | None, after: ConversationState | None, *, id: str = "1",
           outcome: str = "changed") -> ActionResult:
    return ActionResult(id=id, action=action, outcome=outcome, before=before, after=after)  # type: ignore[arg-type]


def write(action: str, results: list[ActionResult], *, undo_of: str | None = None) -> JournalWriter:
    writer = JournalWriter.create(
        server="test-server", action=action, request=ActionRequest(action=action) if action != "undo" else None,
                                  backend="local", profile="local", targets="test", total=len(results),
                                  undo_of=undo_of)
    summary = ActionSummary()
    for item in results:
        writer.record(item)
        summary.add(item)
    writer.finish(summary)
    return writer


@pytest.mark.parametrize(("action", "before", "after", "expected"), [
    ("close", OPEN, OPEN.with_changes(status="closed"), ActionRequest(action="reopen")),
    ("close", OPEN, OPEN.with_changes(status="closed", ticket_status="closed"),
     ActionRequest(action="reopen", with_ticket=True)),
    ("reopen", OPEN.with_changes(status="closed"), OPEN, ActionRequest(action="close")),
    ("trash", OPEN, OPEN.with_changes(trashed_at="2025-01-01T00:00:00+00:00"), ActionRequest(action="restore")),
    ("restore", OPEN.with_changes(trashed_at="2025-01-01T00:00:00+00:00"), OPEN, ActionRequest(action="trash")),
    ("spam", OPEN, OPEN.with_changes(spam=True), ActionRequest(action="unspam")),
    ("unspam", OPEN.with_changes(spam=True), OPEN, ActionRequest(action="spam")),
    ("block-sender", OPEN, BLOCKED, ActionRequest(action="unblock-sender")),
    ("unblock-sender", BLOCKED, OPEN, ActionRequest(action="block-sender")),
    ("assign", OPEN, OPEN.with_changes(assignee="carol@acme.example"),
     ActionRequest(action="assign", assignee="bob@acme.example", precondition=(("assignee", "carol@acme.example"),))),
    ("assign", OPEN.with_changes(assignee=None), OPEN,
     ActionRequest(action="unassign", precondition=(("assignee", "bob@acme.example"),))),
    ("unassign", OPEN, OPEN.with_changes(assignee=None),
     ActionRequest(action="assign", assignee="bob@acme.example", precondition=(("assignee", None),))),
])
def test_inverse_of_each_action(action, before, after, expected):
    assert inverse_request(result(action, before, after)) == expected


@pytest.mark.parametrize(("action", "before", "after", "reason"), [
    ("delete", OPEN, None, "deleted permanently"),
    ("comment", OPEN, OPEN, "comments cannot be removed"),
    ("assign", OPEN.with_changes(assignee=None, assigned_to_bot=True), OPEN, "handed back to a bot"),
])
def test_what_cannot_be_undone_says_why(action, before, after, reason):
    inverse = inverse_request(result(action, before, after))
    assert isinstance(inverse, str) and reason in inverse


def test_plan_groups_by_inverse_and_skips_what_did_not_change():
    closed = OPEN.with_changes(status="closed")
    writer = write("close", [result("close", OPEN, closed, id="1"), result("close", closed, closed, id="2",
                                                                           outcome="unchanged"),
                             result("close", OPEN, closed, id="3"), result("close", None, None, id="4",
                                                                           outcome="failed")])
    plan = plan_undo(find_journal(writer.name))
    assert plan.groups == {ActionRequest(action="reopen"): ["1", "3"]}
    assert plan.not_reversible == [] and plan.total == 2


def test_journal_round_trip_and_latest_undoable(tmp_path):
    first = write("close", [result("close", OPEN, OPEN.with_changes(status="closed"))])
    second = write("trash", [result("trash", OPEN, OPEN.with_changes(trashed_at="x"))])
    assert [j.name for j in list_journals()] == [second.name, first.name]
    assert find_journal(None).name == second.name
    write("undo", [result("restore", OPEN.with_changes(trashed_at="x"), OPEN)], undo_of=second.name)
    assert find_journal(None).name == first.name
    assert find_journal(first.name[:20]).name == first.name
    assert find_journal(str(journals_dir() / first.name)).summary == {
        "type": "summary", "changed": 1, "unchanged": 0, "failed": 0, "interrupted": False,
        "finished_at": find_journal(first.name).summary["finished_at"]}
    [entry] = find_journal(first.name).results()
    assert entry.after == OPEN.with_changes(status="closed")


def test_an_interrupted_run_has_no_summary_but_its_results_are_there():
    writer = JournalWriter.create(
        server="test-server", action="close", request=ActionRequest(action="close"), backend="local",
                                  profile="local", targets="test", total=5)
    writer.record(result("close", OPEN, OPEN.with_changes(status="closed")))
    info = find_journal(writer.name)
    assert info.summary is None and len(list(info.results())) == 1
    lines = writer.path.read_text().splitlines()
    assert json.loads(lines[0])["type"] == "header"


def test_ambiguous_or_unknown_references():
    write("close", [])
    write("close", [])
    with pytest.raises(UsageError, match="matches 2 journals"):
        find_journal("2")
    with pytest.raises(UsageError, match="no journal"):
        find_journal("nope")
