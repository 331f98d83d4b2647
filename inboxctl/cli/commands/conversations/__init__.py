"""``inboxctl conversations`` (alias ``conv``): one module per verb, gathered in one group.

The verbs are listed in ``registry.CONVERSATION_COMMANDS``; a verb's module is imported when it runs.
"""

from __future__ import annotations

import click

from inboxctl.cli.commands.registry import CONVERSATION_COMMANDS, LazyGroup


@click.group("conversations", cls=LazyGroup, lazy_commands=CONVERSATION_COMMANDS)
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
