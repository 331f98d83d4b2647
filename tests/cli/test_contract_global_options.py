"""Global options anywhere, and typos never answered with a destructive option (issue 10, item 14)."""

from __future__ import annotations

import inspect
import re

import click
import pytest

from inboxctl.cli import main
from inboxctl.cli.global_options import DESTRUCTIVE_OPTIONS, hoist_global_options
from inboxctl.cli.main import cli

CONFIGS = "configs"
hoisting = pytest.mark.skipif(
    "hoist_global_options" not in inspect.getsource(main.InboxctlGroup.main),
    reason="inboxctl/cli/main.py does not call hoist_global_options yet (issue 10: the lead applies that patch)")


@pytest.mark.parametrize("typed, meant", [
    (["plan", "all/", "--profile", "local"], ["--profile", "local", "plan", "all/"]),
    (["plan", "x", "-vv", "--debug", "--no-color"], ["-vv", "--debug", "--no-color", "plan", "x"]),
    (["--profile", "a", "plan", "x", "--profile=b"], ["--profile", "a", "--profile=b", "plan", "x"]),  # later wins
    (["conv", "--debug", "list", "--verbose"], ["--debug", "--verbose", "conv", "list"]),
    (["auth", "login", "--profile", "cw", "-v"], ["-v", "auth", "login", "--profile", "cw"]),  # its own --profile
    (["conv", "comment", "1", "--text", "--debug"], ["conv", "comment", "1", "--text", "--debug"]),  # a value
    (["conv", "list", "--", "--debug"], ["conv", "list", "--", "--debug"]),
    (["plan", "x", "--profile"], ["plan", "x", "--profile"]),  # no value to take: left for the error
    (["no-such-command", "--debug"], ["no-such-command", "--debug"]),
])
def test_global_options_typed_after_the_subcommand_move_before_it(typed: list[str], meant: list[str]) -> None:
    assert hoist_global_options(cli, typed) == meant


@hoisting
def test_profile_after_the_subcommand_is_the_global_one(run) -> None:
    result = run("plan", CONFIGS, "--profile", "local", "-v")
    assert result.exit_code == 0, result.stderr
    assert "using profile 'local'" in result.stderr  # -v, after the subcommand too
    assert run("conv", "list", "--limit", "1", "--profile", "nope").exit_code == 64


@hoisting
def test_debug_and_no_color_after_the_subcommand(run) -> None:
    assert run("conv", "list", "--limit", "1", "--no-color", "--debug").exit_code == 0


def test_a_typo_of_a_global_option_suggests_it(run) -> None:
    result = run("plan", CONFIGS, "--profil", "local")
    assert result.exit_code == 64 and "Did you mean '--profile'?" in result.stderr


def test_a_global_option_without_its_value_says_so(run) -> None:
    result = run("plan", CONFIGS, "--profile")
    assert result.exit_code == 64 and "Option '--profile' requires an argument" in result.stderr


def destructive_options(group: click.Group = cli, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    ctx = click.Context(group)
    found = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            found += destructive_options(command, (*path, name))
            continue
        found += [((*path, name), option) for param in command.params for option in getattr(param, "opts", [])
                  if option in DESTRUCTIVE_OPTIONS and option.startswith("--")]
    return found


DESTRUCTIVE = destructive_options()


def typos(option: str) -> list[str]:
    """A letter left out, doubled or swapped with the next one."""
    name = option[2:]
    return sorted({f"--{name[:i]}{name[i + 1:]}" for i in range(len(name))}
                  | {f"--{name[:i]}{name[i]}{name[i:]}" for i in range(len(name))}
                  | {f"--{name[:i]}{name[i + 1]}{name[i]}{name[i + 2:]}" for i in range(len(name) - 1)} - {option})


def test_every_destructive_option_is_known_to_the_guard() -> None:
    long_names = {option for option in DESTRUCTIVE_OPTIONS if option.startswith("--")}
    assert {option for _, option in DESTRUCTIVE} == long_names


@pytest.mark.parametrize("path, option", DESTRUCTIVE, ids=lambda value: " ".join(value) if isinstance(value, tuple)
                         else value)
def test_no_typo_is_answered_with_a_destructive_option(run, path: tuple[str, ...], option: str) -> None:
    for typo in typos(option)[:6]:
        result = run(*path, typo)
        assert result.exit_code == 64
        suggested = re.findall(r"Did you mean (.*)\?", result.stderr)
        assert not any(option in line for line in suggested), (typo, result.stderr)
        assert "never guessed from a typo" in result.stderr or not suggested
