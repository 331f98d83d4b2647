"""``inboxctl conversations show ID``: one conversation and everything around it."""

from __future__ import annotations

import json

import click

from inboxctl.cli.commands.conversations.render import show_text
from inboxctl.cli.context import AppContext, pass_app
from inboxctl.cli.safe_text import json_safe


@click.command("show")
@click.argument("conversation_id", metavar="ID")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@pass_app
def show(app: AppContext, conversation_id: str, output: str) -> None:
    """Show a conversation: its contact, channel, assignee, status, ticket, messages and comments.

    Works for conversations in trash too (and says when they will be purged). A conversation
    that was purged or deleted permanently is reported as such.

    \b
    Examples:
      inboxctl conv show 42
      inboxctl conv show 42 -o json | jq .comments
    """
    detail = app.backend().get_conversation(conversation_id)
    if output == "json":
        click.echo(json_safe(json.dumps(detail.to_dict(), indent=2, ensure_ascii=False)))
    else:
        click.echo(show_text(detail))
