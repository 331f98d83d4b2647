"""What every command owes its user: help with examples, exit codes, completions, no tracebacks."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from inboxctl.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]


def all_commands(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append((prefix + (name,), command))
        if isinstance(command, click.Group):
            found += all_commands(command, prefix + (name,))
    return found


def _command_id(value: object) -> str:
    return " ".join(value) if isinstance(value, tuple) else ""


@pytest.mark.parametrize("path,command", all_commands(), ids=_command_id)
def test_every_command_has_help(run, path: tuple[str, ...], command: click.Command) -> None:
    assert command.help, f"inboxctl {' '.join(path)} has no help text"
    result = run(*path, "--help")
    assert result.exit_code == 0
    if not isinstance(command, click.Group) and command.params:
        assert "Example" in result.stdout, f"inboxctl {' '.join(path)} --help shows no example"


def test_top_level_help_lists_exit_codes(run) -> None:
    result = run("--help")
    for line in ("0    success", "2    changes pending", "3    partial failure", "4    authentication",
                 "5    invalid definition", "6    rate limited", "64   usage error", "130  interrupted"):
        assert line in result.stdout


def test_usage_errors_exit_64(run) -> None:
    assert run("plan").exit_code == 64
    assert run("no-such-command").exit_code == 64
    assert run("plan", "configs", "--max-deletes", "minus").exit_code == 64


def test_missing_path_is_a_clear_error(run, tmp_path: Path) -> None:
    result = run("validate", str(tmp_path / "nope.toml"))
    assert result.exit_code == 5
    assert "no such file or directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_version(run) -> None:
    assert run("--version").stdout.startswith("inboxctl, version ")


@pytest.mark.parametrize("shell,file_name",
                         [("bash", "inboxctl.bash"), ("zsh", "_inboxctl"), ("fish", "inboxctl.fish")])
def test_completion_scripts_are_in_sync(shell: str, file_name: str) -> None:
    result = CliRunner().invoke(cli, [], prog_name="inboxctl", env={"_INBOXCTL_COMPLETE": f"{shell}_source"})
    # Click versions differ only in the final newline of these templates.
    assert result.stdout.rstrip("\n") == (ROOT / "completions" / file_name).read_text().rstrip("\n"), \
        "completions are stale: run completions/generate.sh"


def test_completion_offers_commands() -> None:
    result = CliRunner().invoke(cli, [], prog_name="inboxctl",
                                env={"_INBOXCTL_COMPLETE": "bash_complete", "COMP_WORDS": "inboxctl pl",
                                     "COMP_CWORD": "1"})
    assert "plan" in result.stdout


def test_json_schema_file_is_in_sync_and_accepts_the_examples() -> None:
    import json

    import jsonschema
    import tomlkit

    from inboxctl.definitions.jsonschema import render_schema

    schema_file = ROOT / "configs" / "schema" / "inbox.schema.json"
    assert schema_file.read_text() == render_schema(), "run: inboxctl schema > configs/schema/inbox.schema.json"
    schema = json.loads(schema_file.read_text())
    for example in (ROOT / "configs").glob("*.toml"):
        assert example.read_text().startswith("#:schema ./schema/inbox.schema.json")
        jsonschema.validate(tomlkit.parse(example.read_text()).unwrap(), schema)


def test_json_schema_and_loader_reject_the_same_unknown_keys() -> None:
    import jsonschema

    from inboxctl.definitions.jsonschema import document_schema
    from inboxctl.definitions.loader import parse_definition

    for source in ('[inbox]\nname = "A"\ncolour = "x"\n', '[inbox]\nname = "A"\n[[channels]]\ntype = "email"\n'
                   'address = "a@b.example"\ncolor = "#FFFFFF"\n', '[inbox]\nname = "A"\n[routing]\nmode = "random"\n'):
        import tomlkit

        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(tomlkit.parse(source).unwrap(), document_schema())
        assert parse_definition(source, "x.toml")[1]


@pytest.mark.parametrize("value", ["1", "anything", "true"])
def test_no_color_accepts_any_non_empty_value(run, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("NO_COLOR", value)
    result = run("validate", str(ROOT / "configs"))
    assert result.exit_code == 0, result.stderr


def test_an_unwritable_output_path_is_a_clear_error_not_a_bug(run, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir" / "plan.json"
    result = run("plan", str(ROOT / "configs"), "--out", str(missing))
    assert result.exit_code == 1
    assert f"Error: {missing}: No such file or directory" in result.stderr
    assert "bug" not in result.stderr
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    exported = run("export", "--dir", str(blocker / "sub"))
    assert exported.exit_code == 1 and "bug" not in exported.stderr
