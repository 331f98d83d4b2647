"""``inboxctl validate``: check definition files offline."""

from __future__ import annotations

import json
from typing import Any

import click

from inboxctl.cli.annotations import GITHUB, echo_problem_annotations, format_option
from inboxctl.cli.errors import render_problems
from inboxctl.cli.options import output_option, paths_argument
from inboxctl.cli.safe_text import json_safe, terminal_safe
from inboxctl.definitions.loader import collect_definitions
from inboxctl.definitions.model import WARNING, InboxDefinition, Problem, errors_only
from inboxctl.errors import ExitCode, InvalidDefinitionError


@click.command()
@paths_argument
@output_option("text", "json")
@format_option
def validate(paths: tuple[str, ...], output: str, problem_format: str) -> None:
    """Check inbox definitions without contacting any server.

    Every problem is reported at once, by line, with file:line:column, the key and a fix;
    so are warnings (a legacy time zone), which do not make a definition invalid.
    A directory means every *.toml file in it. Exits 5 when a definition is invalid.
    On GitHub Actions (or with --format github) each problem is an annotation on its line.

    \b
    Examples:
      inboxctl validate configs/
      inboxctl validate configs/support.toml -o json
      inboxctl validate configs/ --format github     # ::error file=...,line=...,col=...::...
    """
    inboxes, found = collect_definitions(paths)
    problems = errors_only(found)
    if output == "json":
        click.echo(json_safe(json.dumps(_json_report(inboxes, found), indent=2, ensure_ascii=False)))
    if problem_format == GITHUB:
        echo_problem_annotations(found, command="validate")
    elif output == "text" and problems:
        raise InvalidDefinitionError(found)  # the one error boundary prints them, warnings included
    elif output == "text":
        render_problems(found)
    if problems:
        if output == "text":
            click.secho(f"Error: {InvalidDefinitionError(problems).message}", fg="red", err=True)
        raise click.exceptions.Exit(int(ExitCode.INVALID_DEFINITION))
    if output == "text":
        click.echo(terminal_safe(_valid_line(inboxes, len(found))), err=True)


def _json_report(inboxes: list[InboxDefinition], found: list[Problem]) -> dict[str, Any]:
    return {"valid": not errors_only(found), "inboxes": [inbox.name for inbox in inboxes],
            "problems": [problem.to_dict() for problem in errors_only(found)],
            "warnings": [problem.to_dict() for problem in found if problem.severity == WARNING]}


def _valid_line(inboxes: list[InboxDefinition], warnings: int) -> str:
    names = ", ".join(inbox.name for inbox in inboxes)
    line = f"Valid: {len(inboxes)} inbox definition{'s' if len(inboxes) != 1 else ''} ({names})"
    return line + (f", with {warnings} warning{'s' if warnings != 1 else ''}." if warnings else ".")
