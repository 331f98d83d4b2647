"""Definitions against the server and saved plans (issue 10, items 17 and 18)."""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "team.toml"
    path.write_text(text, encoding="utf-8")
    return path


# -- 17. a deactivated user listed where they would not work --------------------------------------------------

def test_a_deactivated_member_is_planned_with_a_warning_naming_them(run, tmp_path: Path) -> None:
    path = write(tmp_path, '[inbox]\nname = "Team"\nmembers = ["alice@acme.example", "frank@acme.example"]\n')
    result = run("plan", str(path))
    assert result.exit_code == 0
    assert result.stderr.startswith(
        f"{path}:3:34: warning: inbox.members[1]: frank@acme.example is deactivated on the local backend: as a "
        "member they can neither see nor answer this inbox's conversations\n"
        "    fix: remove the user from this list, or reactivate them\n")
    assert "frank@acme.example" in json.loads(run("plan", str(path), "-o", "json").stdout)["changes"][0]["desired"][
        "members"]  # still planned as written: a warning, not a refusal
    applied = run("apply", str(path), "--yes", "--format", "github")
    assert applied.exit_code == 0
    assert f"::warning file={path},line=3,col=34,title=inboxctl apply%3A inbox.members[1]::" in applied.stderr


def test_a_deactivated_ticket_owner_and_chat_heading_user_are_warned_about(run, tmp_path: Path) -> None:
    path = write(tmp_path, '[inbox]\nname = "Team"\n\n[ticket_defaults]\nenabled = true\n'
                           'pipeline = "Support Pipeline"\nowner = "frank@acme.example"\n\n'
                           '[[channels]]\ntype = "chat"\nname = "Team chat"\n'
                           'heading = { mode = "users_and_teams", users = ["frank@acme.example"] }\n')
    result = run("plan", str(path))
    assert result.exit_code == 0
    assert "ticket_defaults.owner: frank@acme.example is deactivated" in result.stderr
    assert "channels[0].heading.users[0]: frank@acme.example is deactivated" in result.stderr


def test_the_same_user_as_a_routing_target_is_still_refused_with_the_warnings_alongside(run, tmp_path: Path) -> None:
    path = write(tmp_path, '[inbox]\nname = "Team"\nmembers = ["frank@acme.example"]\n\n[routing]\n'
                           'mode = "users_and_teams"\nusers = ["frank@acme.example"]\n')
    result = run("plan", str(path))
    assert result.exit_code == 5
    lines = [line for line in result.stderr.splitlines() if line.startswith(str(path))]
    assert [line.split(": ")[1:3] for line in lines] == [
        ["warning", "inbox.members[0]"], ["routing.users[0]", "frank@acme.example is deactivated and cannot be a "
                                                             "routing target"]]


def test_an_active_member_gets_no_warning(run, tmp_path: Path) -> None:
    assert "warning" not in run("plan", str(write(tmp_path, '[inbox]\nname = "Team"\nmembers = ["bob@acme.example"]\n'))
                                ).stderr


# -- 18. a saved plan is applied alone --------------------------------------------------------------------------

def test_a_saved_plan_mixed_with_definitions_is_a_usage_error_saying_so(run, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    assert run("plan", str(CONFIGS), "--out", str(plan_file)).exit_code == 0
    mixed = run("apply", str(plan_file), str(CONFIGS), "--yes")
    assert mixed.exit_code == 64
    assert f"Error: {plan_file} is a saved plan, which is applied alone: it cannot be mixed with definitions" in (
        mixed.stderr)
    assert f"inboxctl apply {plan_file}" in mixed.stderr and "invalid TOML" not in mixed.stderr
    assert run("apply", str(plan_file), str(plan_file), "--yes").exit_code == 64
    assert run("apply", str(plan_file), "--yes").exit_code == 0  # alone, as reviewed


def test_plan_and_validate_say_a_json_file_is_no_definition(run, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    assert run("plan", str(CONFIGS), "--out", str(plan_file)).exit_code == 0
    for command in ("plan", "validate"):
        result = run(command, str(plan_file))
        assert result.exit_code == 5
        assert f"{plan_file}:1:1: a JSON file, not a TOML inbox definition" in result.stderr
        assert f"inboxctl apply {plan_file}" in result.stderr
