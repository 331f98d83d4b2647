"""``inboxctl validate``: check definition files offline."""

from __future__ import annotations

import json

import click

from inboxctl.cli.annotations import GITHUB, echo_problem_annotations, format_option
from inboxctl.cli.options import output_option, paths_argument
from inboxctl.definitions.loader import collect_definitions
from inboxctl.errors import InvalidDefinitionError


@click.command()
@paths_argument
@output_option("text", "json")
@format_option
def validate(paths: tuple[str, ...], output: str, problem_format: str) -> None:
    """Check inbox definitions without contacting any server.

    Every problem is reported at once, with file:line:column, the key and a fix.
    A directory means every *.toml file in it. Exits 5 when a definition is invalid.
    On GitHub Actions (or with --format github) each problem is an annotation on its line.

    \b
    Examples:
      inboxctl validate configs/
      inboxctl validate configs/support.toml -o json
      inboxctl validate configs/ --format github     # ::error file=...,line=...,col=...::...
    """
    inboxes, problems = collect_definitions(paths)
    if output == "json":
        click.echo(json.dumps({"valid": not problems, "inboxes": [inbox.name for inbox in inboxes],
                               "problems": [problem.to_dict() for problem in problems]}, indent=2))
    if problems and problem_format == GITHUB:
        echo_problem_annotations(problems, command="validate")
        if output == "text":
            click.secho(f"Error: {InvalidDefinitionError(problems).message}", fg="red", err=True)
        raise click.exceptions.Exit(5)
    if problems:
        raise InvalidDefinitionError(problems) if output == "text" else click.exceptions.Exit(5)
    if output == "text":
        names = ", ".join(inbox.name for inbox in inboxes)
        click.echo(f"Valid: {len(inboxes)} inbox definition{'s' if len(inboxes) != 1 else ''} ({names}).", err=True)
