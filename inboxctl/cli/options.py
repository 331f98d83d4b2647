"""Options shared by several commands, declared once."""

from __future__ import annotations

from collections.abc import Callable

import click
from click.decorators import FC

from inboxctl.planner import DEFAULT_MAX_DELETES

paths_argument = click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))

prune_option = click.option("--prune", is_flag=True,
                            help="Delete managed inboxes that no longer have a definition (never protected ones).")
max_deletes_option = click.option("--max-deletes", type=click.IntRange(min=0), default=DEFAULT_MAX_DELETES,
                                  show_default=True, help="Refuse a plan that deletes more inboxes than this.")


def output_option(*choices: str, default: str = "text") -> Callable[[FC], FC]:
    return click.option("-o", "--output", type=click.Choice(choices), default=default, show_default=True,
                        help="Output format.")
