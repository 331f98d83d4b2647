"""The local backend's conversation semantics, on a real SQLite file with an injected clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from inboxctl.backends.local import conversations as local
from inboxctl.backends.local.backend import LocalBackend
from inboxctl.conversations.model import ActionRequest, ConversationQuery
from inboxctl.errors import NotFoundError

START = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def backend(tmp_path: Path, clock: Clock):
    backend = LocalBackend.open(tmp_path / "local.sqlite3", clock=clock)
    local.purge_expired_trash(backend.store)  # what the demo seeded as trashed long ago goes on first use
    yield backend
    backend.close()


def sql_ids(backend: LocalBackend, where: str = "1", order: str = "created_at DESC, id DESC") -> list[str]:
    return [str(r[0]) for r in backend.store.connection.execute(
        f"SELECT id FROM conversations WHERE {where} ORDER BY {order}")]


VISIBLE = "trashed_at IS NULL AND spam = 0 AND filtered = 0"


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_pages_cover_every_row_once_in_order_even_with_equal_times(backend, monkeypatch, sort):
    monkeypatch.setattr(local, "PAGE_SIZE", 7)
    with backend.store.transaction() as db:  # ties across page boundaries must neither repeat nor skip
        db.execute("UPDATE conversations SET created_at = '2025-02-01T00:00:00+00:00' WHERE id BETWEEN 100 AND 130")
    listed = [c.id for c in backend.list_conversations(ConversationQuery(sort=sort))]
    order = "created_at DESC, id DESC" if sort == "newest" else "created_at ASC, id ASC"
    assert listed == sql_ids(backend, VISIBLE, order)


def test_the_first_row_comes_before_the_next_page_is_read(backend, monkeypatch):
    monkeypatch.setattr(local, "PAGE_SIZE", 10)
    statements: list[str] = []
    rows = backend.list_conversations(ConversationQuery())
    backend.store.connection.set_trace_callback(statements.append)
    next(rows)
    pages = [s for s in statements if "FROM conversations c" in s and "ORDER BY" in s]
    assert len(pages) == 1
    for _ in range(10):
        next(rows)
    assert len([s for s in statements if "FROM conversations c" in s and "ORDER BY" in s]) == 2


def test_limit_stops_the_listing(backend):
    assert [c.id for c in backend.list_conversations(ConversationQuery(limit=3))] == sql_ids(backend, VISIBLE)[:3]


def test_unknown_inbox_fails_before_any_row(backend):
    with pytest.raises(NotFoundError, match="no inbox named 'Sails'"):
        backend.list_conversations(ConversationQuery(inbox="Sails"))


def test_relative_dates_follow_the_backend_clock(backend, clock):
    old = ConversationQuery(until=timedelta(days=30))
    count = len(list(backend.list_conversations(old)))
    clock.now = START + timedelta(days=10)
    assert len(list(backend.list_conversations(old))) > count


def test_one_transaction_per_bulk_action_committed_once_every_result_is_taken(backend):
    # The caller journals each result before the commit, so the journal never lacks what committed.
    ids = sql_ids(backend, VISIBLE + " AND status = 'open'")[:25]
    statements: list[str] = []
    backend.store.connection.set_trace_callback(statements.append)
    results = backend.run_action(ActionRequest(action="close"), ids)
    outcomes = [next(results).outcome for _ in ids]
    assert statements.count("BEGIN IMMEDIATE") == 1 and statements.count("COMMIT") == 0
    assert list(results) == [] and statements.count("COMMIT") == 1
    assert outcomes == ["changed"] * 25


def test_a_caller_that_stops_before_the_last_result_rolls_everything_back(backend):
    ids = sql_ids(backend, VISIBLE + " AND status = 'open'")[:5]
    results = backend.run_action(ActionRequest(action="close"), ids)
    next(results)
    results.close()
    marks = ",".join("?" * len(ids))
    rows = backend.store.connection.execute(f"SELECT status FROM conversations WHERE id IN ({marks})", ids)
    statuses = {row[0] for row in rows}
    assert statuses == {"open"}


def test_dry_run_computes_the_same_results_and_writes_nothing(backend):
    ids = sql_ids(backend, VISIBLE)[:10]
    before = [tuple(r) for r in backend.store.connection.execute("SELECT * FROM conversations ORDER BY id")]
    dry = list(backend.run_action(ActionRequest(action="close", dry_run=True), ids))
    assert [tuple(r) for r in backend.store.connection.execute("SELECT * FROM conversations ORDER BY id")] == before
    real = list(backend.run_action(ActionRequest(action="close"), ids))
    assert [(r.id, r.outcome, r.after) for r in dry] == [(r.id, r.outcome, r.after) for r in real]
    assert all(r.dry_run for r in dry)


def test_trash_purged_after_30_days_on_the_injected_clock_and_remembered(backend, clock):
    ids = sql_ids(backend, VISIBLE)[:2]
    list(backend.run_action(ActionRequest(action="trash"), ids))
    clock.now = START + timedelta(days=30) - timedelta(seconds=1)
    local.purge_expired_trash(backend.store)
    assert set(ids) <= set(sql_ids(backend))
    clock.now = START + timedelta(days=30)
    assert local.purge_expired_trash(backend.store) >= 2
    assert not set(ids) & set(sql_ids(backend))
    results = list(backend.run_action(ActionRequest(action="restore"), ids))
    assert [r.outcome for r in results] == ["failed", "failed"]
    assert results[0].reason == ("purged from trash on 2025-03-31, 30 days after it was trashed on 2025-03-01; "
                                 "purged conversations cannot be restored")
    with pytest.raises(NotFoundError, match="purged from trash"):
        backend.get_conversation(ids[0])


def test_purge_is_lazy_on_any_use(backend, clock):
    [one] = sql_ids(backend, VISIBLE)[:1]
    list(backend.run_action(ActionRequest(action="trash"), [one]))
    clock.now = START + timedelta(days=31)
    assert one in sql_ids(backend)  # nothing used the backend yet
    list(backend.list_conversations(ConversationQuery(limit=1)))
    assert one not in sql_ids(backend)


def test_precondition_leaves_changed_conversations_alone(backend):
    [one] = sql_ids(backend, VISIBLE + " AND assigned_to_bot = 0")[:1]
    list(backend.run_action(ActionRequest(action="assign", assignee="bob@acme.example"), [one]))
    request = ActionRequest(action="unassign", precondition=(("assignee", "carol@acme.example"),))
    [result] = backend.run_action(request, [one])
    assert result.outcome == "failed"
    assert result.reason == "changed since: assignee is now bob@acme.example, not carol@acme.example; left as is"
    [result] = backend.run_action(ActionRequest(action="unassign", precondition=(("assignee", "BOB@acme.example"),)),
                                  [one])
    assert result.outcome == "changed" and result.after.assignee is None


def test_blocking_two_conversations_of_one_sender_in_one_run(backend):
    db = backend.store.connection
    contact = db.execute("SELECT contact_id FROM conversations WHERE " + VISIBLE +
                         " GROUP BY contact_id HAVING count(*) >= 2 LIMIT 1").fetchone()[0]
    ids = sql_ids(backend, f"{VISIBLE} AND contact_id = {contact}", "id")[:2]
    first, second = backend.run_action(ActionRequest(action="block-sender"), ids)
    assert (first.before.sender_blocked, second.before.sender_blocked) == (False, True)
    assert first.outcome == second.outcome == "changed" and second.after.filtered


def test_assigning_to_a_deactivated_user_is_refused_by_the_server(backend):
    [one] = sql_ids(backend, VISIBLE)[:1]
    [result] = backend.run_action(ActionRequest(action="assign", assignee="frank@acme.example"), [one])
    assert result.outcome == "failed" and "deactivated" in result.reason


def test_unknown_actions_are_rejected():
    with pytest.raises(ValueError, match="unknown action"):
        ActionRequest(action="archive")
