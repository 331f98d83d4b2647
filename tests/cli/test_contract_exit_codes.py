"""One exit-code contract (issue 10, item 13), held command by command.

Every command of the click tree has its cases here (a test fails for a command without any): what its
user can get wrong, and the code the contract gives it. The README's table is the contract, and
``inboxctl --help`` repeats it.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from inboxctl.cli import main
from inboxctl.cli.exit_codes import EXIT_CODES, EXIT_CODES_HELP
from inboxctl.errors import ExitCode

REPO = Path(__file__).resolve().parents[2]
CONFIGS = str(REPO / "configs")
USAGE, DEFINITION, ITEMS, ERROR = ExitCode.USAGE, ExitCode.INVALID_DEFINITION, ExitCode.PARTIAL_FAILURE, ExitCode.ERROR


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    code: int
    says: str  # part of what stderr says

    def __str__(self) -> str:
        return " ".join(self.args)


def case(code: int, says: str, *args: str) -> Case:
    return Case(args, int(code), says)


UNKNOWN_OPTION = "No such option"
NOT_FOUND_ID = "no such conversation"  # per item: the run goes on and exits 3
CASES: dict[str, list[Case]] = {
    "validate": [case(DEFINITION, "no such file or directory", "validate", "missing.toml"),
                 case(USAGE, UNKNOWN_OPTION, "validate", CONFIGS, "--detailed-exitcode")],
    "plan": [case(USAGE, "no inbox of that name in the definitions", "plan", CONFIGS, "--inbox", "Nope"),
             case(DEFINITION, "no such file or directory", "plan", "missing/", "--detailed-exitcode"),
             case(DEFINITION, "'supprt@acme.example' does not exist", "plan", "{unknown_user}",
                  "--detailed-exitcode"),
             case(USAGE, UNKNOWN_OPTION, "plan", CONFIGS, "--prun")],
    "apply": [case(USAGE, "no inbox of that name in the definitions", "apply", CONFIGS, "--inbox", "Nope", "--yes"),
              case(DEFINITION, "'supprt@acme.example' does not exist", "apply", "{unknown_user}", "--yes"),
              case(USAGE, "cannot be mixed with definitions", "apply", "{plan_file}", CONFIGS, "--yes")],
    "export": [case(USAGE, "no inbox named 'Nope'", "export", "--inbox", "Nope")],
    "local reset": [case(USAGE, UNKNOWN_OPTION, "local", "reset", "--dry-run"),
                    case(ERROR, "no terminal to ask on", "local", "reset")],
    "local where": [case(USAGE, "unexpected extra argument", "local", "where", "here")],
    "conversations list": [case(USAGE, "no inbox named 'Suport'", "conv", "list", "--inbox", "Suport"),
                           case(USAGE, "no user with this e-mail", "conv", "list", "--assignee", "bobb@acme.example"),
                           case(USAGE, "no channel type or channel named", "conv", "list", "--channel", "Webside")],
    "conversations show": [case(USAGE, "no such conversation", "conv", "show", "999999"),
                           case(USAGE, "not a conversation id", "conv", "show", "abc")],
    "conversations assign": [case(USAGE, "no user with this e-mail", "conv", "assign", "1", "--to", "bob@acme"),
                             case(USAGE, "no team with this name", "conv", "assign", "1", "--team", "Tier 9"),
                             case(ITEMS, NOT_FOUND_ID, "conv", "assign", "999999", "--unassign", "--yes")],
    "conversations undo": [case(USAGE, "no journal 'nope.jsonl'", "conv", "undo", "nope.jsonl"),
                           case(USAGE, "nothing to undo", "conv", "undo", "--yes")],
    "schema": [case(USAGE, "unexpected extra argument", "schema", "inbox")],
    "profile add": [case(USAGE, "is not one of", "profile", "add", "x", "--backend", "exchange")],
    "profile list": [case(USAGE, UNKNOWN_OPTION, "profile", "list", "--all")],
    "profile show": [case(USAGE, "unknown profile 'nope'", "profile", "show", "nope")],
    "profile use": [case(USAGE, "unknown profile 'nope'", "profile", "use", "nope")],
    "profile remove": [case(USAGE, "unknown profile 'nope'", "profile", "remove", "nope", "--yes")],
    "auth login": [case(USAGE, "unknown profile 'nope'", "auth", "login", "--profile", "nope")],
    "auth status": [case(USAGE, "unknown profile 'nope'", "auth", "status", "--profile", "nope")],
    "auth logout": [case(ExitCode.OK, "nothing to remove", "auth", "logout", "--profile", "nope")],
}
for _verb in ("close", "reopen", "trash", "restore", "spam", "unspam", "block-sender", "unblock-sender"):
    CASES[f"conversations {_verb}"] = [
        case(USAGE, "no inbox named 'Suport'", "conv", _verb, "--inbox", "Suport", "--yes"),
        case(ITEMS, NOT_FOUND_ID, "conv", _verb, "999999", "--yes")]
CASES["conversations delete"] = [case(USAGE, "no inbox named 'Suport'", "conv", "delete", "--permanent", "--inbox",
                                      "Suport", "--yes"),
                                 case(ITEMS, NOT_FOUND_ID, "conv", "delete", "--permanent", "999999", "--yes")]
CASES["conversations comment"] = [case(USAGE, "no inbox named 'Suport'", "conv", "comment", "--inbox", "Suport",
                                       "--text", "hi", "--yes"),
                                  case(ITEMS, NOT_FOUND_ID, "conv", "comment", "999999", "--text", "hi", "--yes")]


def leaf_commands(group: click.Group, path: tuple[str, ...] = ()) -> list[str]:
    ctx = click.Context(group)
    found = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            found += leaf_commands(command, (*path, name))
        else:
            found.append(" ".join((*path, name)))
    return found


def test_every_command_has_its_cases() -> None:
    assert sorted(leaf_commands(main.cli)) == sorted(CASES)


@pytest.fixture
def placeholders(db: sqlite3.Connection, tmp_path: Path, run) -> dict[str, str]:
    unknown_user = tmp_path / "unknown-user.toml"
    unknown_user.write_text('[inbox]\nname = "Help"\nmembers = ["supprt@acme.example"]\n', encoding="utf-8")
    plan_file = tmp_path / "plan.json"
    assert run("plan", CONFIGS, "--out", str(plan_file)).exit_code == 0
    return {"{unknown_user}": str(unknown_user), "{plan_file}": str(plan_file)}


@pytest.mark.parametrize("command, given", [(name, each) for name, cases in CASES.items() for each in cases],
                         ids=lambda value: str(value))
def test_each_command_keeps_the_contract(run, placeholders: dict[str, str], command: str, given: Case) -> None:
    result = run(*(placeholders.get(arg, arg) for arg in given.args))
    assert (result.exit_code, given.says in result.stderr) == (given.code, True), result.stderr
    assert "Traceback" not in result.stderr and "Internal error" not in result.stderr


def test_unknown_options_are_usage_errors_everywhere(run) -> None:
    codes = {name: run(*name.replace("conversations", "conv").split(), "--no-such-option").exit_code
             for name in CASES}
    assert codes == dict.fromkeys(CASES, int(USAGE))


def test_detailed_exitcode_adds_only_2(run, tmp_path: Path) -> None:
    assert run("plan", CONFIGS, "--detailed-exitcode").exit_code == ExitCode.CHANGES_PENDING
    assert run("apply", CONFIGS, "--yes").exit_code == 0
    assert run("plan", CONFIGS, "--detailed-exitcode").exit_code == 0
    broken = tmp_path / "broken.toml"
    broken.write_text('[inbox]\nname = 3\n', encoding="utf-8")
    assert run("plan", str(broken), "--detailed-exitcode").exit_code == DEFINITION
    assert "an error keeps its own code" in run("plan", "--help").stdout


def readme_table() -> list[tuple[int, str]]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Global options and exit codes", 1)[1].split("\n## ", 1)[0]
    return [(int(code), meaning) for code, meaning in re.findall(r"^\| (\d+) \| (.+) \|$", section, re.MULTILINE)]


def test_the_readme_table_is_the_contract() -> None:
    assert readme_table() == [(int(code), meaning) for code, meaning in EXIT_CODES]
    assert {code for code, _ in EXIT_CODES} == set(ExitCode)


@pytest.mark.skipif(main.EXIT_CODES_HELP != EXIT_CODES_HELP,
                    reason="inboxctl/cli/main.py does not take its epilog from inboxctl.cli.exit_codes yet "
                           "(issue 10: the lead applies that one-line change)")
def test_help_repeats_the_contract(run) -> None:
    shown = run("--help").stdout
    for code, meaning in EXIT_CODES:
        assert f"{int(code):<4} {meaning}" in shown
