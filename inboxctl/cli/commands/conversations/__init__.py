"""``inboxctl conversations`` (alias ``conv``): one module per verb, gathered in one group."""

from __future__ import annotations

import click

from inboxctl.cli.commands.conversations.actions import COMMANDS as ACTION_COMMANDS
from inboxctl.cli.commands.conversations.listing import list_
from inboxctl.cli.commands.conversations.show import show
from inboxctl.cli.commands.conversations.undo import undo


@click.group("conversations")
def conversations() -> None:
    """List, show and act on conversations, one by one or in bulk (alias: conv).

    Actions take ids, '-' for ids on stdin, or the filters of 'list'; they ask before wide or
    destructive changes, report every conversation, exit 3 if any failed, and can be undone.

    \b
    Examples:
      inboxctl conv list --inbox Support -o json
      inboxctl conv show 42
      inboxctl conv close --inbox Support --status open --older-than 30d --dry-run
      inboxctl conv trash --inbox Support --older-than 30d --yes
      inboxctl conv undo
    """


for _command in (list_, show, *ACTION_COMMANDS, undo):
    conversations.add_command(_command)
