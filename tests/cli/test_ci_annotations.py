"""Problems as GitHub Actions annotations (``::error file=...,line=...,col=...,title=...::message``), through
the CLI: with --format github, or by default when GITHUB_ACTIONS=true; text otherwise, unchanged."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from inboxctl.cli.annotations import escape_data, escape_property, workflow_command

CONFIGS = Path(__file__).resolve().parents[2] / "configs"

BROKEN = """\
[inbox]
name = "Broken"
members = ["alice@acme"]

[routing]
mode = "contact_ownr"
"""

COMMAND = re.compile(r"^::(?P<command>[a-z]+)(?: (?P<properties>[^:]*))?::(?P<message>.*)$")


def unescape(text: str) -> str:
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, raw)
    return text


def parse_workflow_command(line: str) -> dict[str, str]:
    """A workflow command read back the way the runner reads it."""
    match = COMMAND.match(line)
    assert match, line
    properties = dict(part.split("=", 1) for part in (match["properties"] or "").split(",") if part)
    return {"command": match["command"], "message": unescape(match["message"]),
            **{key: unescape(value) for key, value in properties.items()}}


def annotations(stderr: str) -> list[dict[str, str]]:
    return [parse_workflow_command(line) for line in stderr.splitlines() if line.startswith("::")]


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    path = tmp_path / "defs" / "broken.toml"
    path.parent.mkdir()
    path.write_text(BROKEN, encoding="utf-8")
    return path


def test_validate_problems_become_error_annotations_on_their_lines(run, broken: Path) -> None:
    result = run("validate", str(broken), "--format", "github")
    assert result.exit_code == 5 and result.stdout == ""
    found = annotations(result.stderr)
    assert [(a["command"], a["file"], a["line"], a["col"], a["title"]) for a in found] == [
        ("error", str(broken), "3", "12", "inboxctl validate: inbox.members[0]"),
        ("error", str(broken), "6", "8", "inboxctl validate: routing.mode"),
    ]
    assert found[1]["message"] == ("routing.mode: 'contact_ownr' is not a valid value\n"
                                   'fix: did you mean "contact_owner"? (one of "users_and_teams", '
                                   '"contact_owner", "unassigned")')
    # The annotations replace the text lines of the problems; the summary line and exit code stay.
    assert f"{broken}:6:8" not in result.stderr
    assert result.stderr.rstrip().endswith("Error: 2 problems found in the definitions")


def test_on_github_actions_annotations_are_the_default_and_paths_are_relative_to_the_checkout(
        run, broken: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(broken.parent.parent))
    result = run("validate", str(broken))
    assert result.exit_code == 5
    assert [a["file"] for a in annotations(result.stderr)] == ["defs/broken.toml", "defs/broken.toml"]
    assert run("validate", str(broken), "--format", "text").stderr.startswith(f"{broken}:3:12: ")


def test_text_output_is_unchanged_outside_github_actions(run, broken: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "false")
    result = run("validate", str(broken))
    assert result.exit_code == 5
    assert "::" not in result.stderr
    assert result.stderr == (
        f"{broken}:3:12: inbox.members[0]: 'alice@acme' is not an e-mail address\n"
        "    fix: write it as name@example.com\n"
        f"{broken}:6:8: routing.mode: 'contact_ownr' is not a valid value\n"
        '    fix: did you mean "contact_owner"? (one of "users_and_teams", "contact_owner", "unassigned")\n'
        "Error: 2 problems found in the definitions\n")


def test_json_output_stays_pure_json_on_stdout_with_annotations_on_stderr(run, broken: Path) -> None:
    result = run("validate", str(broken), "-o", "json", "--format", "github")
    assert result.exit_code == 5
    assert [problem["line"] for problem in json.loads(result.stdout)["problems"]] == [3, 6]
    assert len(annotations(result.stderr)) == 2


def test_percent_newline_colon_and_comma_are_escaped(run, tmp_path: Path) -> None:
    path = tmp_path / "odd: name, really.toml"
    path.write_text(BROKEN.replace("alice@acme", "100%alice").replace('mode = "contact_ownr"\n', ""),
                    encoding="utf-8")
    result = run("validate", str(path), "--format", "github")
    line = next(line for line in result.stderr.splitlines() if line.startswith("::error"))
    assert "file=" + str(path).replace(":", "%3A").replace(",", "%2C") + ",line=3" in line
    assert "'100%25alice' is not an e-mail address%0Afix: " in line
    assert "\n" not in line and parse_workflow_command(line)["file"] == str(path)
    assert parse_workflow_command(line)["message"].startswith("inbox.members[0]: '100%alice' is not")


def test_escaping_follows_githubs_rules() -> None:
    assert escape_data("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext: a, b"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert workflow_command("error", "m", file="x.toml", line=None, col=2) == "::error file=x.toml,col=2::m"
    assert workflow_command("notice", "only a message") == "::notice::only a message"


def test_plan_problems_are_annotated_where_the_name_is_written(run, tmp_path: Path) -> None:
    path = tmp_path / "team.toml"
    path.write_text('[inbox]\nname = "Team"\nmembers = ["alise@acme.example"]\n', encoding="utf-8")
    result = run("plan", str(path), "--format", "github")
    assert result.exit_code == 5
    (found,) = annotations(result.stderr)
    assert (found["file"], found["line"], found["col"]) == (str(path), "3", "12")
    assert found["title"] == "inboxctl plan: inbox.members[0]" and "alice@acme.example" in found["message"]
    assert result.stderr.rstrip().endswith("Error: cannot plan: 1 problem")


def test_a_problem_without_a_place_is_annotated_without_one(run, tmp_path: Path) -> None:
    result = run("validate", str(tmp_path / "missing.toml"), "--format", "github")
    assert result.exit_code == 5
    (found,) = annotations(result.stderr)
    assert "file" not in found and "line" not in found and found["title"] == "inboxctl validate"
    assert found["message"].endswith("missing.toml: no such file or directory")


def test_apply_reports_problems_the_same_way(run, broken: Path) -> None:
    result = run("apply", str(broken), "--yes", "--format", "github")
    assert result.exit_code == 5
    assert [a["title"] for a in annotations(result.stderr)] == [
        "inboxctl apply: inbox.members[0]", "inboxctl apply: routing.mode"]


def test_what_a_deletion_takes_with_it_is_a_warning_annotation(run, tmp_path: Path) -> None:
    configs = tmp_path / "configs"
    shutil.copytree(CONFIGS, configs)
    assert run("apply", str(configs), "--yes").exit_code == 0
    (configs / "sales.toml").unlink()
    result = run("plan", str(configs), "--prune", "--format", "github")
    assert result.exit_code == 0, result.stderr
    (found,) = annotations(result.stderr)
    assert found["command"] == "warning" and found["title"] == "inboxctl plan"
    assert re.fullmatch(r'inbox "Sales": its \d+ conversations will be deleted with it', found["message"])
    assert "::" not in result.stdout  # the plan itself is unchanged
    dry_run = run("apply", str(configs), "--prune", "--dry-run", "--format", "github")
    assert [a["title"] for a in annotations(dry_run.stderr)] == ["inboxctl apply"]
