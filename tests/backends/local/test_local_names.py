"""One case rule for names: what the plan calls the same inbox or channel, the local backend finds.

SQLite's NOCASE folds ASCII letters only, so "Über" and "über" (or "Kelvin" and "\u212aelvin", with
the Kelvin sign) were one inbox to the planner and two to the database: the plan said "update" and
apply failed "does not exist", forever. The backend now compares names with inboxctl.names.name_key.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from inboxctl.names import name_key, same_name


def definition(path: Path, name: str, *, members: str, chat: str | None = None) -> Path:
    channel = f'\n[[channels]]\ntype = "chat"\nname = "{chat}"\n' if chat else ""
    path.write_text(f'[inbox]\nname = "{name}"\nmembers = [{members}]\n{channel}', encoding="utf-8")
    return path


@pytest.mark.parametrize(("live", "defined"), [
    ("Über", "über"), ("über", "ÜBER"), ("Kelvin", "\u212aelvin"), ("Ǆemal", "ǆemal"),
    ("Straße", "STRASSE"), ("U\u0308ber", "Über")])
def test_an_inbox_named_in_another_case_is_updated_then_the_plan_is_empty(run, tmp_path, live, defined):
    created = run("apply", str(definition(tmp_path / "a.toml", live, members='"alice@acme.example"')), "--yes")
    assert created.exit_code == 0, created.stderr
    changed = definition(tmp_path / "b.toml", defined, members='"bob@acme.example"')
    planned = run("plan", str(changed))
    said = planned.stdout + planned.stderr
    assert "to update" in said and "to create" not in said.replace("0 to create", "")
    applied = run("apply", str(changed), "--yes")
    assert applied.exit_code == 0, applied.stderr
    assert run("plan", str(changed), "--detailed-exitcode").exit_code == 0


def test_a_chat_named_in_another_case_is_updated_in_place(run, tmp_path, db):
    first = definition(tmp_path / "a.toml", "Help", members='"alice@acme.example"', chat="Über chat")
    assert run("apply", str(first), "--yes").exit_code == 0
    renamed = definition(tmp_path / "a.toml", "Help", members='"alice@acme.example"', chat="über chat")
    applied = run("apply", str(renamed), "--yes")
    assert applied.exit_code == 0, applied.stderr
    assert run("plan", str(renamed), "--detailed-exitcode").exit_code == 0
    keys = db.execute("SELECT key FROM channels WHERE type = 'chat' AND key != 'Website chat'").fetchall()
    assert [tuple(row) for row in keys] == [("über chat",)]


def test_creating_an_inbox_whose_name_differs_only_in_case_is_refused(run, tmp_path, db):
    db.execute("INSERT INTO inboxes (name, settings, fallback_address, updated_at) VALUES ('Über', '{}', 'x@y', 'now')")
    db.commit()
    plan = tmp_path / "plan.json"
    assert run("plan", str(definition(tmp_path / "a.toml", "Zed", members="")), "--out", str(plan)).exit_code == 0
    text = plan.read_text(encoding="utf-8").replace('"Zed"', '"ÜBER"')
    plan.write_text(text, encoding="utf-8")
    applied = run("apply", str(plan), "--yes")
    assert applied.exit_code == 3, applied.stderr
    assert "cannot create inbox 'ÜBER': inbox 'Über' already exists (names are the same whatever their case)" \
        in applied.stderr


def test_the_rule_is_full_case_folding_of_composed_text():
    assert same_name("Über", "über") and same_name("\u212aelvin", "kelvin") and same_name("Straße", "STRASSE")
    assert same_name("U\u0308ber", "über")  # decomposed and composed umlauts are one name
    assert not same_name("Uber", "Über")
    assert name_key("Ǆemal") == name_key("ǆemal") == name_key("ǅemal")


def test_names_in_a_damaged_file_are_a_clear_error_not_a_stray_decoding_error(run, db):
    db.execute("UPDATE inboxes SET name = CAST(x'ff4142' AS TEXT) WHERE name = 'Sales'")
    db.commit()
    listed = run("conv", "list", "--inbox", "Sales")
    assert listed.exit_code == 1 and "is not a usable inboxctl database" in listed.stderr, listed.stderr


def test_sqlite_nocase_alone_would_disagree(tmp_path):
    """Why the rule cannot be left to SQLite: its NOCASE does not fold Ü or the Kelvin sign."""
    connection = sqlite3.connect(tmp_path / "x.db")
    assert connection.execute("SELECT 'Über' = 'über' COLLATE NOCASE, 'Kelvin' = '\u212aelvin' COLLATE NOCASE"
                              ).fetchone() == (0, 0)
