"""``inboxctl export``: the live configuration as TOML definitions."""

from __future__ import annotations

from pathlib import Path

import click

from inboxctl.cli.completion import complete_inboxes, remember_names
from inboxctl.cli.context import AppContext, pass_app
from inboxctl.definitions.exporter import export_to_directory, select_inboxes
from inboxctl.definitions.writer import render_new
from inboxctl.errors import UsageError
from inboxctl.planner.verify import exposed_overlay


@click.command()
@click.option("--inbox", "names", multiple=True, metavar="NAME", shell_complete=complete_inboxes,
              help="Export this inbox (repeatable). Default: all.")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Write one file per inbox here; existing files are updated in place, comments kept.")
@pass_app
def export(app: AppContext, names: tuple[str, ...], directory: Path | None) -> None:
    """Write the server's inbox configuration as TOML definitions.

    Users appear by e-mail and everything else by name, never by server id, so
    `plan` on the exported files shows no changes. Exporting over an existing file
    keeps its comments and key order and rewrites only what differs.

    On HubSpot, whose API exposes only inboxes and their connected channels, new files
    hold just those; an existing file gets its channels updated and keeps every other
    setting as written.

    \b
    Examples:
      inboxctl export --inbox Support            # to stdout
      inboxctl export --dir configs/             # every inbox, one file each
    """
    backend = app.backend()
    inboxes = select_inboxes(backend, names)
    if not names:  # every inbox the server has: worth keeping for the completion of --inbox
        remember_names(app.profile(), inboxes=[inbox.name for inbox in inboxes])
    if not backend.capabilities.manages_inboxes:
        click.echo(f"note: {backend.capabilities.server}'s API shows only inboxes and their connected channels: "
                   "their other settings cannot be exported", err=True)
    if directory is None:
        if len(inboxes) != 1:
            raise UsageError(f"{len(inboxes)} inboxes to export: name one with --inbox, or use --dir DIR")
        click.echo(render_new(inboxes[0]), nl=False)
        return
    # HubSpot exposes only inboxes and their channels: existing files keep the rest as written.
    overlay = None if backend.capabilities.manages_inboxes else exposed_overlay(backend.capabilities.supports)
    for exported in export_to_directory(inboxes, directory, overlay=overlay):
        click.echo(f"{exported.outcome:>9} {exported.path}  (inbox {exported.inbox!r})", err=True)
