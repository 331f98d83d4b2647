"""Destructive work is exact (issue 7): one test per finding, through the CLI on the real local backend.

Nothing a user can type or pipe makes a bulk action touch a conversation they did not name;
journals say which server they changed and survive damage; the messages say what is true.
Interrupts with real signals are in ``test_interrupts.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inboxctl.conversations.journal import journals_dir

REPO_CONFIGS = Path(__file__).resolve().parents[2] / "configs"
OPEN = "c.status = 'open' AND c.trashed_at IS NULL AND c.spam = 0 AND c.filtered = 0"
FILTER_OPTIONS = ("--inbox", "--search", "--contact", "--channel", "--assignee", "--since", "--until",
                  "--older-than")


def ids_where(db: sqlite3.Connection, where: str, limit: int = 3) -> list[str]:
    rows = db.execute(f"SELECT c.id FROM conversations c WHERE {where} ORDER BY c.id LIMIT {limit}").fetchall()
    assert len(rows) == limit
    return [str(row[0]) for row in rows]


def snapshot(db: sqlite3.Connection) -> list[tuple]:
    return [tuple(row) for row in db.execute("SELECT * FROM conversations ORDER BY id")]


def journal_names() -> list[str]:
    return sorted(path.name for path in journals_dir().glob("*.jsonl")) if journals_dir().is_dir() else []


# ---------------------------------------------------------------------------------------------
# 1. ids from stdin: only what -o ids prints


def test_a_table_piped_by_mistake_changes_nothing_and_names_the_first_bad_line(run, db):
    table = run("conv", "list", "--inbox", "Support", "--limit", "5")
    assert table.exit_code == 0 and table.stdout.strip()
    before = snapshot(db)
    result = run("conv", "close", "-", "--yes", input=table.stdout)
    assert result.exit_code == 64
    assert "stdin line 1 is not a conversation id" in result.stderr and "-o ids" in result.stderr
    assert snapshot(db) == before and journal_names() == []


def test_numbers_inside_subjects_are_never_ids(run, db):
    [target] = ids_where(db, OPEN, limit=1)
    before = snapshot(db)
    text = f"{target}\nInvoice 7204 is wrong\n"
    result = run("conv", "trash", "-", "--yes", input=text)
    assert result.exit_code == 64 and "stdin line 2" in result.stderr
    assert snapshot(db) == before  # not even the valid first line: refused before any write


def test_json_piped_by_mistake_is_refused(run, db):
    listing = run("conv", "list", "--limit", "3", "-o", "json")
    before = snapshot(db)
    result = run("conv", "close", "-", "--yes", input=listing.stdout)
    assert result.exit_code == 64 and snapshot(db) == before


LINE = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), max_size=30)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(LINE, min_size=1, max_size=6))
def test_fuzzed_stdin_acts_only_on_lines_that_are_exactly_ids(run, db, lines):
    """Whatever is piped in, either every non-comment line is an ASCII id and only those ids are
    acted on, or nothing is: never a number pulled out of other text."""
    from inboxctl.conversations.bulk import parse_piped_ids
    from inboxctl.errors import UsageError

    try:
        ids = parse_piped_ids(line + "\n" for line in lines)
    except UsageError:
        return
    meaningful = [line.split("#", 1)[0].strip() for line in lines]
    expected = [str(int(text)) for text in meaningful if text]
    assert ids == expected
    assert all(text == "" or set(text) <= set(string.digits) for text in meaningful)


# ---------------------------------------------------------------------------------------------
# 2. ids themselves


@pytest.mark.parametrize("bad", ["٣", "²", "３", "99999999999999999999999", "9223372036854775808", "-3", "3.0",
                                 "0x3", "1e3", "3\x00"])
def test_what_is_not_an_ascii_id_of_sane_length_is_a_usage_error(run, db, bad):
    before = snapshot(db)
    by_argument = run("conv", "close", bad, "--yes")
    assert by_argument.exit_code == 64, by_argument.stderr
    assert "Internal error" not in by_argument.stderr
    assert "is not a conversation id" in by_argument.stderr or "No such option" in by_argument.stderr
    by_stdin = run("conv", "close", "-", "--yes", input=bad + "\n")
    assert by_stdin.exit_code == 64 and "Internal error" not in by_stdin.stderr
    shown = run("conv", "show", bad)
    assert shown.exit_code in (1, 64) and "Internal error" not in shown.stderr
    assert snapshot(db) == before


# ---------------------------------------------------------------------------------------------
# 3. empty filters never widen to everything


@pytest.mark.parametrize("option", FILTER_OPTIONS)
@pytest.mark.parametrize("value", ["", " ", "\t"])
def test_an_empty_filter_is_a_usage_error_and_changes_nothing(run, db, option, value):
    before = snapshot(db)
    result = run("conv", "trash", option, value, "--yes")
    assert result.exit_code == 64, result.stderr
    assert f"{option} is empty" in result.stderr
    assert snapshot(db) == before and journal_names() == []
    assert run("conv", "list", option, value).exit_code == 64


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(option=st.sampled_from(("--inbox", "--search", "--contact", "--channel")),
       value=st.text(alphabet=" \t\u00a0\u2003", max_size=4))
def test_fuzzed_blank_filter_values_never_reach_a_bulk_action(run, db, option, value):
    before = snapshot(db)
    result = run("conv", "close", option, value, "--yes")
    assert result.exit_code == 64
    assert snapshot(db) == before


# ---------------------------------------------------------------------------------------------
# 4. undo on another server: see tests/backends/chatwoot/test_chatwoot_cli.py; here the record itself


def test_a_journal_records_the_server_it_changed(run, db, inboxctl_home):
    [target] = ids_where(db, OPEN, limit=1)
    assert run("conv", "close", target).exit_code == 0
    [name] = journal_names()
    header = json.loads((journals_dir() / name).read_text().splitlines()[0])
    assert header["server"] == f"local:{(inboxctl_home / 'local.sqlite3').resolve()}"


# ---------------------------------------------------------------------------------------------
# 5. saved plans that grew


@pytest.fixture
def pruning_plan(run, db, tmp_path):
    """A saved --prune plan that deletes the managed inbox 'Partners' (configs/minimal.toml)."""
    assert run("apply", str(REPO_CONFIGS), "--yes").exit_code == 0
    kept = tmp_path / "kept"
    kept.mkdir()
    for name in ("support.toml", "sales.toml"):
        shutil.copy(REPO_CONFIGS / name, kept / name)
    plan_file = tmp_path / "plan.json"
    planned = run("plan", str(kept), "--prune", "-o", "json", "--out", str(plan_file))
    assert planned.exit_code == 0, planned.stderr
    deletes = [c for c in json.loads(plan_file.read_text())["changes"] if c["action"] == "delete"]
    assert [(c["kind"], c["inbox"]) for c in deletes] == [("inbox", "Partners")]
    return plan_file


def _inbox_exists(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM inboxes WHERE name = ?", (name,)).fetchone() is not None


def test_a_saved_plan_whose_deletion_would_now_take_conversations_is_refused(run, db, pruning_plan):
    partners = db.execute("SELECT id FROM inboxes WHERE name = 'Partners'").fetchone()[0]
    with db:  # conversations arrive in the inbox after the plan was reviewed
        db.execute("UPDATE conversations SET inbox_id = ? WHERE id IN (SELECT id FROM conversations LIMIT 5)",
                   (partners,))
    result = run("apply", str(pruning_plan), "--yes")
    assert result.exit_code == 1
    assert "its 5 conversations will be deleted with it" in result.stderr and "nothing was changed" in result.stderr
    assert _inbox_exists(db, "Partners")


def test_max_deletes_holds_for_saved_plans(run, db, pruning_plan):
    result = run("apply", str(pruning_plan), "--yes", "--max-deletes", "0")
    assert result.exit_code == 1 and "more than --max-deletes 0" in result.stderr
    assert _inbox_exists(db, "Partners")
    assert run("apply", str(pruning_plan), "--yes").exit_code == 0  # as reviewed, within the default budget
    assert not _inbox_exists(db, "Partners")


# ---------------------------------------------------------------------------------------------
# 6. export through links, and names that map to one file


def test_export_never_writes_through_a_link_out_of_the_directory(run, db, tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "support.toml").symlink_to(elsewhere / "victim.txt")  # dangling
    result = run("export", "--dir", str(out))
    assert result.exit_code == 64, result.stderr
    assert "outside" in result.stderr and not (elsewhere / "victim.txt").exists()
    assert list(out.glob("sales*.toml")) == []  # refused before the first write, not half way


def test_inbox_names_that_map_to_one_file_name_get_distinct_files(run, db, tmp_path):
    for index, name in enumerate(("Team A/B", "Team A B", "Team-A-B")):
        (tmp_path / f"in{index}.toml").write_text(f'[inbox]\nname = "{name}"\n', encoding="utf-8")
    assert run("apply", str(tmp_path), "--yes").exit_code == 0
    out = tmp_path / "out"
    for _ in range(2):  # and the second run updates the same files
        exported = run("export", "--dir", str(out))
        assert exported.exit_code == 0, exported.stderr
    names = sorted(path.name for path in out.glob("team-a-b*.toml"))
    assert names == ["team-a-b-2.toml", "team-a-b-3.toml", "team-a-b.toml"]
    assert run("plan", str(out), "--detailed-exitcode").exit_code == 0


# ---------------------------------------------------------------------------------------------
# 9. broken journals


def _trash_then_damage(run, db) -> tuple[str, list[str]]:
    ids = ids_where(db, OPEN)
    assert run("conv", "trash", *ids, "--yes").exit_code == 0
    [good] = journal_names()
    (journals_dir() / "00000000T000000.000000Z-empty.jsonl").write_text("", encoding="utf-8")
    (journals_dir() / "99999999T000000.000000Z-garbage.jsonl").write_bytes(b"\xff\xfe{not json")
    return good, ids


def test_unreadable_journals_are_skipped_with_a_warning_and_a_good_one_still_undoes(run, db):
    good, ids = _trash_then_damage(run, db)
    listed = run("conv", "undo", "--list")
    assert listed.exit_code == 0 and good in listed.stdout
    assert "warning: skipped 99999999T000000.000000Z-garbage.jsonl" in listed.stderr
    undone = run("conv", "undo", "--yes")
    assert undone.exit_code == 0, undone.stderr
    assert "3 changed" in undone.stderr
    marks = ",".join("?" * len(ids))
    assert db.execute(f"SELECT count(*) FROM conversations WHERE trashed_at IS NULL AND id IN ({marks})",
                      ids).fetchone()[0] == 3


def test_a_torn_last_line_is_tolerated(run, db):
    ids = ids_where(db, OPEN)
    assert run("conv", "close", *ids).exit_code == 0
    [name] = journal_names()
    path = journals_dir() / name
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])  # the summary, cut in half
    undone = run("conv", "undo", str(path), "--yes")
    assert undone.exit_code == 0, undone.stderr
    assert "undo of" in undone.stderr and "3 changed" in undone.stderr


# ---------------------------------------------------------------------------------------------
# 10. which run undo takes


def test_undo_takes_the_latest_run_that_changed_something_and_says_which(run, db):
    ids = ids_where(db, OPEN)
    assert run("conv", "trash", *ids, "--yes").exit_code == 0
    [trash_journal] = journal_names()
    closed = ids_where(db, "c.status = 'closed' AND c.trashed_at IS NULL", limit=2)
    assert run("conv", "close", *closed).exit_code == 0  # a later run that changed nothing
    undone = run("conv", "undo", "--yes")
    assert undone.exit_code == 0, undone.stderr
    assert f"Undoing the latest run that changed something: {trash_journal}" in undone.stderr
    assert "3 changed" in undone.stderr


# ---------------------------------------------------------------------------------------------
# 11. the prompt and --max count what would change


def test_the_prompt_and_max_count_what_would_change_not_what_matched(run, db, monkeypatch):
    from inboxctl.cli import confirm

    monkeypatch.setattr(confirm, "stdin_is_terminal", lambda: True)
    matched = run("conv", "list", "--inbox", "Sales", "--all", "-o", "json")
    rows = json.loads(matched.stdout)
    to_change = sum(1 for row in rows if row["status"] == "open")
    assert 0 < to_change < len(rows)
    asked = run("conv", "close", "--inbox", "Sales", input="n\n")
    assert f"Close {to_change} conversations?" in asked.stderr
    assert f"{len(rows)} conversations match (inbox Sales); {to_change} would change" in asked.stderr
    refused = run("conv", "close", "--inbox", "Sales", "--max", str(to_change - 1), "--yes")
    assert refused.exit_code == 1
    assert f"{to_change} conversations would change ({len(rows)} match)" in refused.stderr
    allowed = run("conv", "close", "--inbox", "Sales", "--max", str(to_change), "--yes")
    assert allowed.exit_code == 0 and f"close: {to_change} changed" in allowed.stderr


# ---------------------------------------------------------------------------------------------
# 12. hints only where they are true


def test_no_undo_hint_after_what_cannot_be_undone(run, db):
    [trashed] = ids_where(db, "c.trashed_at IS NOT NULL", limit=1)
    deleted = run("conv", "delete", "--permanent", trashed, "--yes")
    assert deleted.exit_code == 0, deleted.stderr
    assert "Undo with" not in deleted.stderr and "cannot be undone" in deleted.stderr
    [target] = ids_where(db, OPEN, limit=1)
    commented = run("conv", "comment", target, "--text", "checked")
    assert commented.exit_code == 0 and "Undo with" not in commented.stderr


def test_permanent_failures_give_their_reason_and_no_false_promise(run, db):
    [open_one] = ids_where(db, OPEN, limit=1)
    result = run("conv", "delete", "--permanent", open_one, "999999", "--yes")
    assert result.exit_code == 3
    assert f"failed {open_one}: not in trash" in result.stderr
    assert "failed 999999: no such conversation" in result.stderr
    assert "will not change that" in result.stderr and "completes the rest" not in result.stderr


def test_environment_left_untouched_by_this_module():
    assert "INBOXCTL_TOKEN" not in os.environ
