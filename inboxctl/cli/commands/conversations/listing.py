"""``inboxctl conversations list``: views and filters (F50, F51), streamed in any output format."""

from __future__ import annotations

import click

from inboxctl.cli.commands.conversations.options import filter_options
from inboxctl.cli.commands.conversations.render import CONVERSATION_COLUMNS, conversation_rows
from inboxctl.cli.commands.conversations.session import Session
from inboxctl.cli.context import AppContext, pass_app
from inboxctl.cli.output import output_option, stderr_is_terminal, write_rows
from inboxctl.conversations.filters import DEFAULT_LIMIT, FilterSpec
from inboxctl.errors import UsageError


@click.command("list")
@filter_options
@click.option("--sort", type=click.Choice(["newest", "oldest"]), default="newest", show_default=True,
              help="By creation time.")
@click.option("--limit", type=click.IntRange(min=1), metavar="N",
              help=f"At most N conversations [default: {DEFAULT_LIMIT}].")
@click.option("--all", "all_", is_flag=True, help="Every matching conversation (streamed, constant memory).")
@output_option()
@pass_app
def list_(app: AppContext, filters: FilterSpec, as_user: str | None, sort: str, limit: int | None, all_: bool,
          output: str) -> None:
    """List conversations, newest first. Trash, spam and filtered ones are hidden unless asked for.

    A view is a preset of filters: unassigned, mine, open, chat, bots, email, messenger and forms
    show open conversations not waiting on a first reply; closed, sent, spam (and filtered) and
    trash show what they say. Any filter given explicitly wins over the view's.
    "mine" is --as, else $INBOXCTL_USER, else alice@acme.example on the local backend.

    Servers filter what they can and inboxctl the rest, with the same result. Chatwoot filters
    status, inbox, assignee type and message text; HubSpot filters inbox, status and trash (newest
    first reads every page before printing; --sort oldest streams). See the README per server.

    \b
    Examples:
      inboxctl conv list --view unassigned
      inboxctl conv list --inbox Support --status open --older-than 30d
      inboxctl conv list --view mine --as bob@acme.example
      inboxctl conv list --assignee frank@acme.example --include-deactivated
      inboxctl conv list --view trash -o json
      inboxctl conv list --all -o jsonl > conversations.jsonl
      inboxctl conv list --inbox Support -o ids | inboxctl conv close - --yes
    """
    if all_ and limit is not None:
        raise UsageError("--all and --limit contradict each other; give one of them")
    session = Session(app, as_user=as_user)
    query = session.query(filters, sort=sort, limit=None if all_ else (limit or DEFAULT_LIMIT))
    written = write_rows(conversation_rows(session.backend.list_conversations(query), output), output,
                         CONVERSATION_COLUMNS)
    if query.limit is not None and written == query.limit and stderr_is_terminal():
        click.echo(f"Showing the first {written}; there may be more: use --limit N or --all.", err=True)
