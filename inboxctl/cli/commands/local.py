"""``inboxctl local``: the embedded local backend's own file."""

from __future__ import annotations

import click

from inboxctl.backends.local.backend import LocalBackend, default_database_path
from inboxctl.backends.local.seed import DEFAULT_CONVERSATIONS


@click.group()
def local() -> None:
    """Manage the embedded local backend (a SQLite file in $INBOXCTL_HOME)."""


@local.command()
@click.option("--conversations", type=click.IntRange(min=0), default=DEFAULT_CONVERSATIONS, show_default=True,
              help="How many demo conversations to create.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask before discarding the current local data.")
def reset(conversations: int, yes: bool) -> None:
    """Rebuild the local backend with the demo workspace.

    Everything in the local file is discarded: inboxes, channels and conversations.

    \b
    Examples:
      inboxctl local reset --yes
      inboxctl local reset --conversations 100000 --yes
    """
    from inboxctl.cli.confirm import confirm_or_refuse

    path = default_database_path()
    if path.exists():
        confirm_or_refuse(f"Discard everything in {path}?", yes=yes)
    backend = LocalBackend.reset(path, conversations=conversations)
    backend.close()
    click.echo(f"Local backend rebuilt at {path} with the demo workspace ({conversations} conversations).", err=True)


@local.command()
def where() -> None:
    """Print the path of the local backend's SQLite file."""
    click.echo(str(default_database_path()))
