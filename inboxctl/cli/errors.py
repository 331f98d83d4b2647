"""The one place where errors become messages on stderr and exit codes."""

from __future__ import annotations

import sys
import traceback

import click

from inboxctl.errors import ExitCode, InboxctlError, InvalidDefinitionError, PlanError


def render_problems(problems: list) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


def report_error(error: BaseException, *, debug: bool) -> int:
    """Print ``error`` for a human and return the exit code it maps to."""
    if isinstance(error, (InvalidDefinitionError, PlanError)):
        render_problems(error.problems)
        click.secho(f"Error: {error.message}", fg="red", err=True)
        return int(error.exit_code)
    if isinstance(error, InboxctlError):
        click.secho(f"Error: {error}", fg="red", err=True)
        return int(error.exit_code)
    if isinstance(error, click.exceptions.UsageError):
        error.show()
        return int(ExitCode.USAGE)
    if isinstance(error, click.ClickException):
        error.show()
        return int(ExitCode.ERROR)
    if isinstance(error, OSError) and error.filename:
        # A path the user gave that cannot be read or written: their environment, not a bug.
        click.secho(f"Error: {error.filename}: {error.strerror or error}", fg="red", err=True)
        return int(ExitCode.ERROR)
    if isinstance(error, (KeyboardInterrupt, click.exceptions.Abort)):
        click.echo("Interrupted.", err=True)
        return int(ExitCode.INTERRUPTED)
    if debug:
        traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
    click.secho(
        f"Internal error: {type(error).__name__}: {error}\n"
        "This is a bug in inboxctl. Re-run with --debug for a traceback and report it.",
        fg="red", err=True,
    )
    return int(ExitCode.ERROR)
