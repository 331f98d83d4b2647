"""validate / plan / apply / export / local on a real temporary local backend, as a user runs them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from inboxctl.backends.local.backend import default_database_path

CONFIGS = Path(__file__).resolve().parents[2] / "configs"



@pytest.fixture
def applied(run, configs: Path) -> Path:
    result = run("apply", str(configs), "--yes")
    assert result.exit_code == 0, result.stderr
    return configs


def test_validate_accepts_the_examples(run) -> None:
    result = run("validate", str(CONFIGS))
    assert result.exit_code == 0
    assert "Valid: 3 inbox definitions (Partners, Sales, Support)" in result.stderr
    assert result.stdout == ""


def test_apply_then_plan_is_empty_and_an_edit_shows_before_and_after(run, applied: Path) -> None:
    assert run("plan", str(applied), "--detailed-exitcode").exit_code == 0
    support = applied / "support.toml"
    support.write_text(support.read_text().replace('color = "#FF7A59"', 'color = "#00A4BD"'))
    result = run("plan", str(applied), "--detailed-exitcode")
    assert result.exit_code == 2
    assert '~ update inbox "Support" / chat "Website chat"' in result.stdout
    assert 'color: "#FF7A59" → "#00A4BD"' in result.stdout
    assert "Plan: 0 to create, 1 to update, 0 to delete." in result.stdout


def test_second_apply_says_no_changes_and_writes_nothing(run, applied: Path) -> None:
    before = _database_bytes()
    result = run("apply", str(applied), "--yes")
    assert result.exit_code == 0
    assert "No changes" in result.stdout
    assert "Applied" not in result.stderr
    assert _database_bytes() == before


def _database_bytes() -> bytes:
    connection = sqlite3.connect(default_database_path())
    dump = "\n".join(connection.iterdump()).encode()
    connection.close()
    return dump


def test_first_plan_adopts_hand_made_inboxes_and_creates_new_ones(run, configs: Path) -> None:
    result = run("plan", str(configs))
    assert result.exit_code == 0
    assert '+ create inbox "Partners"' in result.stdout
    assert '~ update inbox "Support"  (adopt' in result.stdout
    assert '+ create inbox "Support" / messenger "Acme Corp"' in result.stdout


def test_apply_refuses_without_terminal_and_without_yes(run, configs: Path) -> None:
    result = run("apply", str(configs))
    assert result.exit_code == 1
    assert "no terminal" in result.stderr and "--yes" in result.stderr
    assert "No changes" not in run("plan", str(configs)).stdout  # nothing was applied


def test_apply_asks_on_a_terminal(run, configs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("inboxctl.cli.confirm.stdin_is_terminal", lambda: True)
    declined = run("apply", str(configs), input="n\n")
    assert declined.exit_code == 1 and "nothing was changed" in declined.stderr
    accepted = run("apply", str(configs), input="y\n")
    assert accepted.exit_code == 0
    assert run("plan", str(configs), "--detailed-exitcode").exit_code == 0


def test_dry_run_changes_nothing(run, configs: Path) -> None:
    result = run("apply", str(configs), "--dry-run")
    assert result.exit_code == 0 and "Dry run" in result.stderr
    assert run("plan", str(configs), "--detailed-exitcode").exit_code == 2


def test_plan_json_is_versioned_and_saved_plan_applies(run, configs: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    result = run("plan", str(configs), "-o", "json", "--out", str(plan_file))
    document = json.loads(result.stdout)
    assert document["format_version"] == 1
    assert document["summary"]["create"] > 0
    assert {"action", "kind", "inbox", "fields"} <= set(document["changes"][0])
    assert json.loads(plan_file.read_text()) == document
    assert run("apply", str(plan_file), "--yes").exit_code == 0
    assert run("plan", str(configs), "--detailed-exitcode").exit_code == 0


def test_saved_plan_is_refused_when_the_server_changed(run, configs: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    run("plan", str(configs), "--out", str(plan_file))
    assert run("apply", str(configs / "minimal.toml"), "--yes").exit_code == 0  # the server moves on
    result = run("apply", str(plan_file), "--yes")
    assert result.exit_code == 1
    assert "changed since this plan was made" in result.stderr


def test_unknown_names_are_plan_errors_with_the_closest_match(run, configs: Path) -> None:
    minimal = configs / "minimal.toml"
    minimal.write_text(minimal.read_text().replace("alice@acme.example", "alise@acme.example")
                       + 'teams = ["Teir 1"]\n')
    result = run("plan", str(minimal))
    assert result.exit_code == 5
    assert "minimal.toml:7:12: inbox.members[0]: user 'alise@acme.example' does not exist" in result.stderr
    assert 'did you mean "alice@acme.example"?' in result.stderr
    assert "team 'Teir 1' does not exist" in result.stderr and 'did you mean "Tier 1"?' in result.stderr


def test_routing_to_a_user_without_a_seat_is_refused(run, configs: Path) -> None:
    minimal = configs / "minimal.toml"
    minimal.write_text(minimal.read_text() + '\n[routing]\nmode = "users_and_teams"\nusers = ["erin@acme.example"]\n')
    result = run("plan", str(minimal))
    assert result.exit_code == 5
    assert "erin@acme.example has no paid seat, and only users with one can be routing targets" in result.stderr


def test_a_personal_address_cannot_be_a_team_address(run, configs: Path) -> None:
    minimal = configs / "minimal.toml"
    minimal.write_text(minimal.read_text() + '\n[[channels]]\ntype = "email"\naddress = "bob@acme.example"\n')
    result = run("plan", str(minimal))
    assert "personal address, and a team address cannot be one" in result.stderr


def test_a_page_of_another_account_cannot_be_connected(run, configs: Path) -> None:
    minimal = configs / "minimal.toml"
    minimal.write_text(minimal.read_text() + '\n[[channels]]\ntype = "messenger"\npage = "Acme Outlet"\n')
    result = run("plan", str(minimal))
    assert "connected to another account, and a page can be connected to one only" in result.stderr


def test_a_channel_held_by_an_undeclared_inbox_is_a_plan_error(run, configs: Path) -> None:
    minimal = configs / "minimal.toml"
    minimal.write_text(minimal.read_text() + '\n[[channels]]\ntype = "email"\naddress = "sales@acme.example"\n')
    result = run("plan", str(minimal))
    assert result.exit_code == 5
    assert "email 'sales@acme.example' is connected to inbox 'Sales'" in result.stderr


def test_a_team_address_moves_between_declared_inboxes(run, applied: Path) -> None:
    sales, minimal = applied / "sales.toml", applied / "minimal.toml"
    sales.write_text(sales.read_text().replace(
        '[[channels]]\ntype = "email"\naddress = "sales@acme.example"\nprovider = "office365"\n'
        'sender_name = "company"\ncompany_name = "Acme Sales"\n', ""))
    minimal.write_text(minimal.read_text() + '\n[[channels]]\ntype = "email"\naddress = "sales@acme.example"\n')
    plan = run("plan", str(applied)).stdout
    assert plan.index('- delete inbox "Sales" / email') < plan.index('+ create inbox "Partners" / email')
    assert run("apply", str(applied), "--yes").exit_code == 0
    assert run("plan", str(applied), "--detailed-exitcode").exit_code == 0


def test_prune_deletes_only_managed_unprotected_inboxes_within_the_budget(run, applied: Path) -> None:
    (applied / "minimal.toml").unlink()
    plan = run("plan", str(applied))
    assert "--prune would delete it" in plan.stdout and "- delete" not in plan.stdout
    pruned = run("plan", str(applied), "--prune")
    assert '- delete inbox "Partners"' in pruned.stdout
    (applied / "sales.toml").unlink()
    refused = run("plan", str(applied), "--prune")
    assert refused.exit_code == 1 and "more than --max-deletes 1" in refused.stderr
    assert run("apply", str(applied), "--prune", "--max-deletes", "2", "--yes").exit_code == 0
    assert "Partners" not in run("export", "--dir", str(applied.parent / "after")).stderr


def test_protected_inboxes_are_never_pruned(run, configs: Path) -> None:
    minimal = configs / "minimal.toml"
    minimal.write_text(minimal.read_text().replace('name = "Partners"', 'name = "Partners"\nprotect = true'))
    run("apply", str(minimal), "--yes")
    minimal.unlink()
    result = run("plan", str(configs), "--prune")
    assert "protected (protect = true): kept" in result.stdout
    assert '- delete inbox "Partners"' not in result.stdout


def test_partial_failure_exits_3_and_a_rerun_completes(run, configs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from inboxctl.backends.local import config_store
    from inboxctl.errors import BackendError

    real = config_store.apply_change

    def flaky(store, change):
        if change.channel_type == "whatsapp":
            raise BackendError("cannot connect whatsapp", reason="the number is being verified")
        return real(store, change)

    monkeypatch.setattr(config_store, "apply_change", flaky)
    result = run("apply", str(configs), "--yes")
    assert result.exit_code == 3
    assert '✗ create inbox "Support" / whatsapp "+33123456789": cannot connect whatsapp: the number is being verified' \
        in result.stderr
    assert "1 failed" in result.stderr
    monkeypatch.setattr(config_store, "apply_change", real)
    rerun = run("plan", str(configs))
    assert rerun.stdout.count("+ create") == 1 and "whatsapp" in rerun.stdout
    assert run("apply", str(configs), "--yes").exit_code == 0
    assert run("plan", str(configs), "--detailed-exitcode").exit_code == 0


def test_export_then_plan_is_empty(run, applied: Path, tmp_path: Path) -> None:
    exported = tmp_path / "exported"
    result = run("export", "--dir", str(exported))
    assert result.exit_code == 0
    assert sorted(p.name for p in exported.glob("*.toml")) == ["partners.toml", "sales.toml", "support.toml"]
    assert run("plan", str(exported), "--detailed-exitcode").exit_code == 0


def test_export_over_the_examples_keeps_them_byte_for_byte(run, applied: Path) -> None:
    before = {path.name: path.read_text() for path in applied.glob("*.toml")}
    result = run("export", "--dir", str(applied))
    assert result.stderr.count("unchanged") == 3
    assert {path.name: path.read_text() for path in applied.glob("*.toml")} == before


def test_export_one_inbox_to_stdout(run, applied: Path) -> None:
    result = run("export", "--inbox", "sales")
    assert result.stdout.startswith('[inbox]\nname = "Sales"')
    assert run("export").exit_code == 64  # several inboxes and no --dir
    assert run("export", "--inbox", "Nope").exit_code == 64


def test_local_reset_rebuilds_the_demo_workspace(run, applied: Path) -> None:
    assert run("local", "reset").exit_code == 1  # no terminal, no --yes
    result = run("local", "reset", "--conversations", "20", "--yes")
    assert result.exit_code == 0
    assert run("plan", str(applied), "--detailed-exitcode").exit_code == 2
    count = sqlite3.connect(default_database_path()).execute("SELECT count(*) FROM conversations").fetchone()[0]
    assert count == 20


def test_renaming_a_channel_by_case_only_is_applied(run, applied: Path) -> None:
    support = applied / "support.toml"
    support.write_text(support.read_text().replace('name = "Website chat"', 'name = "Website Chat"'))
    plan = run("plan", str(applied)).stdout
    assert 'name: "Website chat" → "Website Chat"' in plan
    assert run("apply", str(applied), "--yes").exit_code == 0
    assert run("plan", str(applied), "--detailed-exitcode").exit_code == 0


def test_pruning_an_inbox_warns_how_many_conversations_go_with_it(run, applied: Path) -> None:
    (applied / "sales.toml").unlink()
    plan = run("plan", str(applied), "--prune")
    count = sqlite3.connect(default_database_path()).execute(
        "SELECT count(*) FROM conversations c JOIN inboxes i ON i.id = c.inbox_id WHERE i.name = 'Sales'").fetchone()[0]
    assert count > 0
    assert f'- delete inbox "Sales"\n    ! its {count} conversations will be deleted with it' in plan.stdout
    document = json.loads(run("plan", str(applied), "--prune", "-o", "json").stdout)
    assert document["changes"][-1]["warnings"] == [f"its {count} conversations will be deleted with it"]


def test_a_corrupt_local_file_is_a_clear_error_and_reset_repairs_it(run, inboxctl_home: Path) -> None:
    inboxctl_home.mkdir(parents=True)
    default_database_path().write_text("not a database at all")
    result = run("plan", str(CONFIGS))
    assert result.exit_code == 1
    assert "is not a usable inboxctl database" in result.stderr and "inboxctl local reset --yes" in result.stderr
    assert run("local", "reset", "--yes", "--conversations", "0").exit_code == 0
    assert run("plan", str(CONFIGS)).exit_code == 0
