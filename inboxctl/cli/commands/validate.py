"""``inboxctl validate``: check definition files offline."""

from __future__ import annotations

import json

import click

from inboxctl.cli.options import output_option, paths_argument
from inboxctl.definitions.loader import collect_definitions
from inboxctl.errors import InvalidDefinitionError


@click.command()
@paths_argument
@output_option("text", "json")
def validate(paths: tuple[str, ...], output: str) -> None:
    """Check inbox definitions without contacting any server.

    Every problem is reported at once, with file:line:column, the key and a fix.
    A directory means every *.toml file in it. Exits 5 when a definition is invalid.

    \b
    Examples:
      inboxctl validate configs/
      inboxctl validate configs/support.toml -o json
    """
    inboxes, problems = collect_definitions(paths)
    if output == "json":
        click.echo(json.dumps({"valid": not problems, "inboxes": [inbox.name for inbox in inboxes],
                               "problems": [problem.to_dict() for problem in problems]}, indent=2))
    if problems:
        raise InvalidDefinitionError(problems) if output == "text" else click.exceptions.Exit(5)
    if output == "text":
        names = ", ".join(inbox.name for inbox in inboxes)
        click.echo(f"Valid: {len(inboxes)} inbox definition{'s' if len(inboxes) != 1 else ''} ({names}).", err=True)
