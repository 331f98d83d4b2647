"""Asking before destructive or wide changes, the same way in every command."""

from __future__ import annotations

import sys

import click

from inboxctl.errors import RefusedError


def stdin_is_terminal() -> bool:
    """Whether a person can answer a prompt. Tests replace this to simulate a terminal."""
    return sys.stdin.isatty()


def confirm_or_refuse(question: str, *, yes: bool) -> None:
    """Return if the change may go ahead; raise RefusedError or click.Abort otherwise.

    ``--yes`` skips the question. With no terminal and no ``--yes`` we refuse rather than
    guess, and say how to proceed: CI must opt in explicitly.
    """
    if yes:
        return
    if not stdin_is_terminal():
        raise RefusedError("refusing to make changes without confirmation: no terminal to ask on",
                           hint=_rerun_hint())
    if not click.confirm(question, default=False, err=True):
        raise RefusedError("cancelled: nothing was changed")


def _rerun_hint() -> str:
    """How to go ahead, naming only the options this command has (``local reset`` has no --dry-run)."""
    ctx = click.get_current_context(silent=True)
    names = {name for param in (ctx.command.params if ctx else []) for name in getattr(param, "opts", [])}
    hint = "re-run with --yes to confirm"
    return hint + (", or --dry-run to only see what would change" if "--dry-run" in names else "")
