"""``--inbox NAME`` on plan and apply: a run restricted to some inboxes, like terraform's -target.
(``export --inbox`` predates it and keeps its own option: it names inboxes of the server.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from inboxctl.cli.completion import complete_defined_inboxes

F = TypeVar("F", bound=Callable[..., Any])


def inbox_targets_option(func: F) -> F:
    return click.option(
        "--inbox", "targets", multiple=True, metavar="NAME", shell_complete=complete_defined_inboxes,
        help="Only this inbox (repeatable): the others are neither compared nor mentioned. Not with --prune.",
    )(func)
