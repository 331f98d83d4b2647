"""The files users copy from examples/ci/: valid YAML, valid for the tool that reads them, and every
``inboxctl ...`` command in them parses against the real CLI (the command exists, with those options)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import yaml

from inboxctl.cli.main import cli

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "ci"
WORKFLOWS = sorted(EXAMPLES.glob("*.yml"))
SHELL_OPERATORS = {">", ">>", "<", "|", "||", "&&", ";", "&", "2>", "2>&1"}


def run_scripts(workflow: dict) -> Iterator[str]:
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "run" in step:
                yield step["run"]


def inboxctl_commands(script: str) -> Iterator[list[str]]:
    """Each ``inboxctl`` command line of a step's script, as argv, with ``${{ ... }}`` expressions and shell
    variables replaced by a value (what matters here is the options), and redirections cut off."""
    script = re.sub(r"\$\{\{[^}]*\}\}", "1", script).replace("\\\n", " ")
    for line in script.splitlines():
        if not line.strip().startswith("inboxctl "):
            continue
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words = list(lexer)
        cut = next((index for index, word in enumerate(words) if word in SHELL_OPERATORS), len(words))
        yield words[1:cut]


def parse_against_cli(argv: list[str]) -> click.Command:
    """Parse ``inboxctl ARGV`` down to its command, exactly as a run would, without running it."""
    ctx = cli.make_context("inboxctl", list(argv))
    command: click.Command = cli
    while isinstance(command, click.Group):
        # What the group left for its subcommand (click's own completion reads it the same way).
        remaining = [*ctx._protected_args, *ctx.args]  # noqa: SLF001
        _, found, rest = command.resolve_command(ctx, remaining)
        assert found is not None, argv
        ctx = found.make_context(found.name or "", rest, parent=ctx)
        command = found
    return command


@pytest.fixture(scope="module")
def workflows() -> dict[str, dict]:
    assert [path.name for path in WORKFLOWS] == ["inboxctl-drift.yml", "inboxctl-pull-request.yml"]
    return {path.name: yaml.safe_load(path.read_text(encoding="utf-8")) for path in WORKFLOWS}


def test_workflows_are_github_actions_workflows(workflows: dict[str, dict]) -> None:
    for name, workflow in workflows.items():
        triggers = workflow[True]  # YAML 1.1 reads the key `on` as true, as PyYAML does
        assert workflow["name"] and workflow["jobs"], name
        for job in workflow["jobs"].values():
            assert job["runs-on"] == "ubuntu-latest" and job["steps"]
            assert all(("uses" in step) != ("run" in step) for step in job["steps"])
        assert set(triggers) in ({"pull_request", "push"}, {"schedule", "workflow_dispatch"}), name


def test_every_inboxctl_command_in_them_parses_against_the_cli(workflows: dict[str, dict]) -> None:
    commands = [argv for workflow in workflows.values() for script in run_scripts(workflow)
                for argv in inboxctl_commands(script)]
    names = [parse_against_cli(argv).name for argv in commands]
    # What the issue asks of them: validate and plan on pull requests, apply on merge, a nightly plan.
    assert names.count("validate") == 1 and names.count("plan") == 2 and names.count("apply") == 1
    assert ["plan", "configs/", "--detailed-exitcode", "-o", "markdown", "--out", "plan.json"] in commands
    assert ["apply", "configs/", "--yes", "-o", "json"] in commands
    assert ["plan", "configs/", "--detailed-exitcode", "-o", "markdown"] in commands


def test_a_wrong_option_would_be_caught() -> None:
    with pytest.raises(click.UsageError):
        parse_against_cli(["plan", "configs/", "--output", "html"])
    with pytest.raises(click.UsageError):
        parse_against_cli(["apply", "configs/", "--yes-please"])
    assert next(inboxctl_commands('inboxctl plan x --inbox "${{ inputs.inbox }}" > "$OUT" 2>&1')) == [
        "plan", "x", "--inbox", "1"]


def test_the_pre_commit_example_is_a_valid_pre_commit_config() -> None:
    config = EXAMPLES / "pre-commit-config.yaml"
    result = subprocess.run([sys.executable, "-m", "pre_commit", "validate-config", str(config)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    (hook,) = yaml.safe_load(config.read_text())["repos"][0]["hooks"]
    assert hook["id"] == "inboxctl-validate"
    assert re.search(hook["files"], "configs/support.toml") and not re.search(hook["files"], "pyproject.toml")
