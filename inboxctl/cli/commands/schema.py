"""``inboxctl schema``: the JSON Schema of definition files, for editors."""

from __future__ import annotations

import click

from inboxctl.definitions.jsonschema import render_schema


@click.command()
def schema() -> None:
    """Print the JSON Schema of inbox definition files.

    Editors with Taplo (e.g. VS Code's "Even Better TOML") use it through a first line
    such as `#:schema ./schema/inbox.schema.json` for completion and checks.

    \b
    Example:
      inboxctl schema > configs/schema/inbox.schema.json
    """
    click.echo(render_schema(), nl=False)
