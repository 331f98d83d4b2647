"""Targeted runs: ``plan``/``apply``/``export`` ``--inbox NAME`` work on those inboxes only, like terraform's
-target; nothing is said about the others; ``--prune`` cannot come with it. Against the real local backend."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CONFIGS = Path(__file__).resolve().parents[2] / "configs"



def changed_inboxes(document: dict) -> set[str]:
    return {change["inbox"] for change in document["changes"]}


def test_plan_covers_only_the_inboxes_named(run, configs: Path) -> None:
    result = run("plan", str(configs), "--inbox", "support", "--inbox", "Partners", "-o", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert changed_inboxes(document) == {"Support", "Partners"}
    assert document["targets"] == ["Partners", "Support"]  # as the definitions spell them
    text = run("plan", str(configs), "--inbox", "Support").stdout
    assert 'inbox "Sales"' not in text
    assert text.splitlines()[-2:] == [
        'Targeted (--inbox): only inbox "Support"; the others were not compared.',
        "Plan: 4 to create, 3 to update, 0 to delete."]


def test_other_managed_inboxes_are_not_mentioned(run, configs: Path) -> None:
    assert run("apply", str(configs), "--yes").exit_code == 0
    (configs / "sales.toml").unlink()
    (configs / "minimal.toml").unlink()
    whole = run("plan", str(configs))
    assert "note: inbox 'Sales' is managed by inboxctl but has no definition" in whole.stdout
    targeted = run("plan", str(configs), "--inbox", "Support", "-o", "json")
    assert json.loads(targeted.stdout)["notes"] == [] and json.loads(targeted.stdout)["changes"] == []
    assert "note:" not in run("plan", str(configs), "--inbox", "Support").stdout


def test_apply_changes_only_the_inboxes_named(run, configs: Path) -> None:
    result = run("apply", str(configs), "--inbox", "Sales", "--yes", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert {entry["inbox"] for entry in json.loads(result.stdout)["results"]} == {"Sales"}
    assert run("plan", str(configs), "--inbox", "Sales", "--detailed-exitcode").exit_code == 0
    rest = json.loads(run("plan", str(configs), "-o", "json").stdout)
    assert changed_inboxes(rest) == {"Support", "Partners"}


@pytest.mark.parametrize("command", [["plan"], ["apply", "--yes"]])
def test_prune_with_inbox_is_a_usage_error_before_anything_is_read(run, configs: Path, command: list[str]) -> None:
    result = run(*command, str(configs), "--inbox", "Support", "--prune")
    assert result.exit_code == 64
    assert "--prune cannot be combined with --inbox" in result.stderr
    assert run("plan", str(configs), "--detailed-exitcode").exit_code == 2  # nothing was applied


def test_a_name_without_a_definition_is_a_usage_error_with_the_closest_match(run, configs: Path) -> None:
    result = run("plan", str(configs), "--inbox", "Suport")
    assert result.exit_code == 64
    assert "--inbox 'Suport': no inbox of that name in the definitions given" in result.stderr
    assert 'did you mean "Support"?' in result.stderr


def test_a_saved_plan_is_applied_whole(run, configs: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    assert run("plan", str(configs), "--inbox", "Sales", "--out", str(plan_file)).exit_code == 0
    refused = run("apply", str(plan_file), "--inbox", "Sales", "--yes")
    assert refused.exit_code == 64 and "a saved plan is applied whole" in refused.stderr
    applied = run("apply", str(plan_file), "--yes", "-o", "json")  # the targeted plan, as reviewed
    assert applied.exit_code == 0
    assert json.loads(applied.stdout)["targets"] == ["Sales"]
    assert {entry["inbox"] for entry in json.loads(applied.stdout)["results"]} == {"Sales"}


def test_a_channel_held_by_an_inbox_left_out_says_to_target_it_too(run, configs: Path) -> None:
    assert run("apply", str(configs), "--yes").exit_code == 0
    sales, support = configs / "sales.toml", configs / "support.toml"
    # The pricing chat moves from Sales to Support: both files change, but only Support is targeted.
    chat = sales.read_text().split("[[channels]]")[2]
    sales.write_text("[[channels]]".join(sales.read_text().split("[[channels]]")[:2] +
                                         sales.read_text().split("[[channels]]")[3:]))
    support.write_text(support.read_text() + "\n[[channels]]" + chat)
    assert run("validate", str(configs)).exit_code == 0
    targeted = run("plan", str(configs), "--inbox", "Support")
    assert targeted.exit_code == 5
    assert "chat 'Pricing page chat' is connected to inbox 'Sales'" in targeted.stderr
    assert "fix: add --inbox 'Sales' to move it in the same run" in targeted.stderr
    both = run("plan", str(configs), "--inbox", "Support", "--inbox", "Sales", "-o", "json")
    assert both.exit_code == 0, both.stderr
    moves = [(c["action"], c["inbox"]) for c in json.loads(both.stdout)["changes"] if c["channel_type"] == "chat"
             and c["channel_key"] == "Pricing page chat"]
    assert moves == [("delete", "Sales"), ("create", "Support")]


def test_export_inbox_keeps_working(run, tmp_path: Path) -> None:
    single = run("export", "--inbox", "support")
    assert single.exit_code == 0 and 'name = "Support"' in single.stdout
    exported = run("export", "--inbox", "Support", "--inbox", "Sales", "--dir", str(tmp_path / "live"))
    assert exported.exit_code == 0
    assert sorted(path.name for path in (tmp_path / "live").glob("*.toml")) == ["sales.toml", "support.toml"]
    unknown = run("export", "--inbox", "Nope")
    assert unknown.exit_code == 64 and "no inbox named 'Nope'" in unknown.stderr
