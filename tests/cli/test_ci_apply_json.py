"""``apply -o json``: one versioned result per change on stdout (applied, failed with the server's reason,
skipped), for CI logs; the plan and the progress go to stderr. Against the real local backend."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path


from inboxctl.backends.local.backend import default_database_path

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
RESULT_KEYS = ["action", "kind", "inbox", "channel_type", "channel_key", "address", "outcome", "reason"]

ESCALATIONS = """\
[inbox]
name = "Escalations"
members = ["bob@acme.example"]

[routing]
mode = "users_and_teams"
users = ["bob@acme.example"]

[[channels]]
type = "chat"
name = "Escalations chat"
"""



def test_every_change_has_a_result_in_plan_order_and_stdout_is_only_json(run, configs: Path) -> None:
    planned = json.loads(run("plan", str(configs), "-o", "json").stdout)
    result = run("apply", str(configs), "--yes", "-o", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)

    assert list(document) == ["format_version", "server", "dry_run", "targets", "complete", "summary", "results"]
    assert document["format_version"] == 1 and document["server"] == "the local backend"
    assert document["complete"] is True and document["dry_run"] is False and document["targets"] == []
    assert document["summary"] == {"applied": 12, "failed": 0, "skipped": 0}
    assert [list(entry) for entry in document["results"]] == [RESULT_KEYS] * 12
    assert [(r["action"], r["kind"], r["inbox"], r["channel_type"], r["channel_key"]) for r in document["results"]] \
        == [(c["action"], c["kind"], c["inbox"], c["channel_type"], c["channel_key"]) for c in planned["changes"]]
    assert {(r["outcome"], r["reason"]) for r in document["results"]} == {("applied", None)}
    assert document["results"][0]["address"] == 'inbox "Partners"'
    # What a person reads went to stderr: the plan, each step, the summary.
    assert 'Plan: 7 to create, 5 to update, 0 to delete.' in result.stderr and "Applied 12 changes." in result.stderr


def test_nothing_to_do_is_an_empty_complete_result(run, configs: Path) -> None:
    assert run("apply", str(configs), "--yes").exit_code == 0
    result = run("apply", str(configs), "--yes", "-o", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"format_version": 1, "server": "the local backend", "dry_run": False,
                                         "targets": [], "complete": True,
                                         "summary": {"applied": 0, "failed": 0, "skipped": 0}, "results": []}


def test_a_dry_run_skips_every_change_and_writes_nothing(run, configs: Path) -> None:
    result = run("apply", str(configs), "--dry-run", "-o", "json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["dry_run"] is True and document["complete"] is False
    assert document["summary"] == {"applied": 0, "failed": 0, "skipped": 12}
    assert {(r["outcome"], r["reason"]) for r in document["results"]} == {
        ("skipped", "dry run: nothing was changed")}
    assert run("plan", str(configs), "--detailed-exitcode").exit_code == 2


def test_a_failure_carries_the_servers_reason_and_what_depended_on_it_is_skipped(run, tmp_path: Path) -> None:
    definitions = tmp_path / "definitions"
    definitions.mkdir()
    (definitions / "escalations.toml").write_text(ESCALATIONS, encoding="utf-8")
    shutil.copy(CONFIGS / "minimal.toml", definitions)
    plan_file = tmp_path / "plan.json"
    assert run("plan", str(definitions), "--out", str(plan_file)).exit_code == 0
    # Reviewed and approved; then an admin takes Bob's paid seat away, which the server enforces (F25).
    with sqlite3.connect(default_database_path()) as db:
        db.execute("UPDATE users SET has_seat = 0 WHERE email = 'bob@acme.example'")

    result = run("apply", str(plan_file), "--yes", "-o", "json")
    assert result.exit_code == 3
    document = json.loads(result.stdout)
    assert document["complete"] is False
    assert document["summary"] == {"applied": 1, "failed": 1, "skipped": 1}
    assert [(r["address"], r["outcome"], r["reason"]) for r in document["results"]] == [
        ('inbox "Escalations"', "failed",
         "invalid routing rule: bob@acme.example has no paid seat, and only users with one can be routing targets"),
        ('inbox "Partners"', "applied", None),
        ('inbox "Escalations" / chat "Escalations chat"', "skipped", "its inbox could not be created"),
    ]
    assert "Error: Applied 1 change; 1 failed and 1 skipped" in result.stderr


def test_an_error_before_any_change_prints_no_json(run, configs: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    assert run("plan", str(configs), "--out", str(plan_file)).exit_code == 0
    assert run("apply", str(configs / "minimal.toml"), "--yes").exit_code == 0  # the server moves on
    result = run("apply", str(plan_file), "--yes", "-o", "json")
    assert result.exit_code == 1 and result.stdout == ""
    assert "changed since this plan was made" in result.stderr
