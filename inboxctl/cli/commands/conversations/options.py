"""Options shared by the conversation commands, declared once: filters, targets, safety, output."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from inboxctl.conversations.filters import CURRENT_USER_ENV, DEFAULT_LOCAL_USER, VIEWS, FilterSpec
from inboxctl.cli.completion import complete_channels, complete_inboxes, complete_users
from inboxctl.cli.output import output_option

F = TypeVar("F", bound=Callable[..., Any])

FILTER_OPTIONS = [
    click.option("--view", type=click.Choice(list(VIEWS)), help="A view of the web inbox; filters given "
                 "explicitly win over the view's."),
    click.option("--inbox", metavar="NAME", shell_complete=complete_inboxes, help="Only this inbox."),
    click.option("--status", type=click.Choice(["open", "closed"]), help="Only open or only closed conversations."),
    click.option("--channel", metavar="TYPE|NAME", shell_complete=complete_channels,
                 help="A channel type (email, chat, messenger, form, whatsapp, calling) "
                      "or a channel's name or address."),
    click.option("--assignee", metavar="EMAIL", shell_complete=complete_users,
                 help="Assigned to this user (case-insensitive)."),
    click.option("--unassigned", is_flag=True, help="Assigned to nobody (no user, no bot)."),
    click.option("--include-deactivated", is_flag=True,
                 help="Allow --assignee to name a deactivated or removed user."),
    click.option("--contact", metavar="EMAIL|NAME", help="The contact's e-mail (exact) or part of their name."),
    click.option("--since", metavar="WHEN",
                 help="Created at or after WHEN: 2024-05-01, 2024-05-01T14:00, or 7d (ago)."),
    click.option("--until", metavar="WHEN", help="Created before the end of WHEN (a date includes that day)."),
    click.option("--older-than", metavar="DURATION", help="Created more than DURATION ago: 30d, 12h, 2w."),
    click.option("--search", metavar="TEXT", help="TEXT in the subject or any message."),
    click.option("--include-filtered", is_flag=True, help="Also show spam and conversations from blocked senders."),
    click.option("--include-trash", is_flag=True, help="Also show conversations in trash."),
]
AS_OPTION = click.option(
    "--as", "as_user", metavar="EMAIL",
    help=f"Who you are, for --view mine and comment authors. Default: ${CURRENT_USER_ENV}, else "
         f"{DEFAULT_LOCAL_USER} on the local backend.")


def _apply(func: Callable[..., Any], options: list[Callable[[Any], Any]]) -> Any:
    for option in reversed(options):
        func = option(func)
    return func


def filter_options(func: F) -> F:
    """Add the filters of ``list`` and gather them into one ``filters: FilterSpec`` argument."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs["filters"] = FilterSpec(**{name: kwargs.pop(name) for name in FilterSpec.field_names()})
        return func(*args, **kwargs)

    return _apply(wrapper, [*FILTER_OPTIONS, AS_OPTION])  # type: ignore[no-any-return]


@dataclass(frozen=True, kw_only=True)
class ActionArgs:
    """Everything an action command shares: targets, identity, safety and output."""

    ids: tuple[str, ...]
    filters: FilterSpec
    as_user: str | None
    yes: bool
    dry_run: bool
    max_count: int | None
    concurrency: int
    rate: float | None
    output: str | None


ACTION_OPTIONS = [
    click.argument("ids", nargs=-1, metavar="[ID|-]..."),
    click.option("-y", "--yes", is_flag=True, help="Do not ask; needed when there is no terminal to ask on."),
    click.option("--dry-run", is_flag=True, help="Only list what would change; change nothing."),
    click.option("--max", "max_count", type=click.IntRange(min=0), metavar="N",
                 help="Refuse, changing nothing, if more than N conversations are targeted."),
    click.option("--concurrency", type=click.IntRange(min=1, max=32), default=4, show_default=True,
                 help="Batches of 25 conversations in flight at once (HTTP backends; the local backend "
                      "runs each action in one transaction)."),
    click.option("--rate", type=click.FloatRange(min=0.1), metavar="PER_SECOND",
                 help="At most this many requests per second (HTTP backends)."),
    output_option(default=None, help="Print one result per conversation: table, json, jsonl, csv, or ids "
                                     "(the ids that changed). Default: a summary on stderr only."),
]
_ACTION_FIELDS = ("ids", "as_user", "yes", "dry_run", "max_count", "concurrency", "rate", "output")


def action_options(func: F) -> F:
    """Add targets (ids, ``-`` for stdin, or filters), --yes, --dry-run, --max... as one ``args: ActionArgs``."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        filters = FilterSpec(**{name: kwargs.pop(name) for name in FilterSpec.field_names()})
        kwargs["args"] = ActionArgs(filters=filters, **{name: kwargs.pop(name) for name in _ACTION_FIELDS})
        return func(*args, **kwargs)

    return _apply(wrapper, [*ACTION_OPTIONS, *FILTER_OPTIONS, AS_OPTION])  # type: ignore[no-any-return]
