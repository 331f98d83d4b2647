"""`inboxctl conv assign --team NAME` and `--unassign-team` on the local backend, with the journal and undo
(issue 11, item 6); servers without teams refuse them by name."""

from __future__ import annotations

import json
import sqlite3
from types import SimpleNamespace

import pytest

from inboxctl.backends.base import Backend
from inboxctl.backends.local.backend import LocalBackend
from inboxctl.backends.local.store import LocalStore
from inboxctl.backends.hubspot.capabilities import HUBSPOT_CAPABILITIES
from inboxctl.cli import confirm
from inboxctl.conversations.bulk import check_supported
from inboxctl.conversations.model import ConversationQuery
from inboxctl.errors import UnsupportedError

OPEN = "c.status = 'open' AND c.trashed_at IS NULL AND c.spam = 0 AND c.filtered = 0"


def ids_where(db: sqlite3.Connection, where: str, limit: int = 3) -> list[str]:
    rows = db.execute(f"SELECT c.id FROM conversations c WHERE {where} ORDER BY c.id LIMIT {limit}").fetchall()
    assert len(rows) == limit
    return [str(row[0]) for row in rows]


def teams_of(db: sqlite3.Connection, ids: list[str]) -> list[str | None]:
    marks = ",".join("?" * len(ids))
    return [row[0] for row in db.execute(f"SELECT t.name FROM conversations c LEFT JOIN teams t ON t.id = c.team_id "
                                         f"WHERE c.id IN ({marks}) ORDER BY c.id", ids)]


def assignees_of(db: sqlite3.Connection, ids: list[str]) -> list[int | None]:
    marks = ",".join("?" * len(ids))
    return [row[0] for row in db.execute(f"SELECT assignee_id FROM conversations WHERE id IN ({marks}) ORDER BY id",
                                         ids)]


def test_assign_a_team_by_any_case_keeps_the_assignee_and_shows_in_listings_and_results(run, db):
    ids = ids_where(db, OPEN)
    assignees = assignees_of(db, ids)
    assigned = run("conv", "assign", *ids, "--team", "tier 2", "-o", "json")
    assert assigned.exit_code == 0, assigned.stderr
    results = json.loads(assigned.stdout)
    assert [(r["outcome"], r["before"]["team"], r["after"]["team"]) for r in results] == [
        ("changed", None, "Tier 2")] * 3
    assert teams_of(db, ids) == ["Tier 2"] * 3 and assignees_of(db, ids) == assignees
    listed = json.loads(run("conv", "list", "--inbox", "Support", "--all", "-o", "json").stdout)
    assert {row["id"]: row["team"] for row in listed if row["id"] in ids} == dict.fromkeys(ids, "Tier 2")
    table = run("conv", "assign", ids[0], "--team", "Tier 1", "-o", "table").stdout
    assert "team Tier 2 → Tier 1" in table
    again = run("conv", "assign", *ids[1:], "--team", "TIER 2")
    assert "assign-team: 0 changed, 2 unchanged, 0 failed." in again.stderr


def test_undo_gives_each_conversation_its_team_back_unless_moved_since(run, db):
    ids = ids_where(db, OPEN)
    assert run("conv", "assign", ids[0], "--team", "Billing").exit_code == 0
    assert run("conv", "assign", *ids, "--team", "Tier 1").exit_code == 0
    assert run("conv", "assign", ids[2], "--team", "Sales EMEA").exit_code == 0  # moved since, by someone
    journals = json.loads(run("conv", "undo", "--list", "-o", "json").stdout)
    tier_1_run = next(j["name"] for j in journals if j["targets"] == "3 id(s) given")
    undone = run("conv", "undo", tier_1_run, "--yes")
    assert undone.exit_code == 3
    assert "changed since: team is now Sales EMEA, not Tier 1; left as is" in undone.stderr
    assert teams_of(db, ids) == ["Billing", None, "Sales EMEA"]


def test_unassign_team_by_filter_asks_only_about_what_would_change(run, db, monkeypatch):
    ids = ids_where(db, OPEN + " AND c.inbox_id = (SELECT id FROM inboxes WHERE name = 'Sales')", limit=2)
    assert run("conv", "assign", *ids, "--team", "Sales EMEA").exit_code == 0
    monkeypatch.setattr(confirm, "stdin_is_terminal", lambda: True)
    dry = run("conv", "assign", "--inbox", "Sales", "--status", "open", "--unassign-team", "--dry-run")
    assert dry.exit_code == 0 and "2 would change" in dry.stderr
    removed = run("conv", "assign", "--inbox", "Sales", "--status", "open", "--unassign-team", input="y\n")
    assert removed.exit_code == 0, removed.stderr
    assert "; 2 would change," in removed.stderr and "unassign-team: 2 changed" in removed.stderr
    assert teams_of(db, ids) == [None, None]
    assert run("conv", "undo", "--yes").exit_code == 0
    assert teams_of(db, ids) == ["Sales EMEA"] * 2


def test_an_unknown_team_or_two_changes_at_once_are_usage_errors_before_anything_is_written(run, db):
    ids = ids_where(db, OPEN, limit=1)
    unknown = run("conv", "assign", *ids, "--team", "Tier 3")
    assert unknown.exit_code == 64 and "no team with this name" in unknown.stderr and "did you mean" in unknown.stderr
    both = run("conv", "assign", *ids, "--to", "bob@acme.example", "--team", "Tier 1")
    assert both.exit_code == 64 and "not --to and --team together" in both.stderr
    assert teams_of(db, ids) == [None]


def test_a_server_that_does_not_list_team_actions_refuses_them_by_name():
    """HubSpot declares its conversation actions; team assignment is not among them."""
    hubspot = SimpleNamespace(capabilities=HUBSPOT_CAPABILITIES)
    hubspot.unsupported_action = lambda action: Backend.unsupported_action(hubspot, action)  # type: ignore[arg-type]
    for action in ("assign-team", "unassign-team"):
        with pytest.raises(UnsupportedError, match=action):
            check_supported(hubspot, action)  # type: ignore[arg-type]


def test_a_local_database_from_before_team_assignment_gets_its_team_column_on_first_use(tmp_path):
    store = LocalStore(tmp_path / "old.sqlite3")
    store.create_schema()  # the schema as it was, without conversations.team_id
    assert list(LocalBackend(store).list_conversations(ConversationQuery())) == []
    assert "team_id" in {row[1] for row in store.connection.execute("PRAGMA table_info(conversations)")}
    store.close()
