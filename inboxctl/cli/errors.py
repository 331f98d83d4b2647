"""The one place where errors become messages on stderr and exit codes (the contract: ``exit_codes``)."""

from __future__ import annotations

import sys
import traceback

import click

from inboxctl.cli.global_options import destructive_lookalikes, missing_value, suggestions
from inboxctl.cli.safe_text import terminal_safe_lines
from inboxctl.errors import ExitCode, InboxctlError, InvalidDefinitionError, PlanError


def render_problems(problems: list) -> None:
    for problem in problems:
        click.echo(terminal_safe_lines(str(problem)), err=True)


def _error_line(text: str) -> None:
    """``Error: ...`` in red; the text may quote a server or a customer, so no control character passes."""
    click.secho(f"Error: {terminal_safe_lines(text)}", fg="red", err=True)


def report_error(error: BaseException, *, debug: bool) -> int:
    """Print ``error`` for a human and return the exit code it maps to."""
    if isinstance(error, (InvalidDefinitionError, PlanError)):
        render_problems(error.problems)
        _error_line(error.message)
        return int(error.exit_code)
    if isinstance(error, InboxctlError):
        _error_line(str(error))
        return int(error.exit_code)
    if isinstance(error, click.exceptions.NoSuchOption) and missing_value(error.option_name):
        click.exceptions.UsageError(f"Option {error.option_name!r} requires an argument.", ctx=error.ctx).show()
        return int(ExitCode.USAGE)
    if isinstance(error, click.exceptions.NoSuchOption):
        without_risky_guesses(error).show()
        return int(ExitCode.USAGE)
    if isinstance(error, click.exceptions.UsageError):
        error.show()
        return int(ExitCode.USAGE)
    if isinstance(error, click.ClickException):
        error.show()
        return int(ExitCode.ERROR)
    if isinstance(error, OSError) and error.filename:
        # A path the user gave that cannot be read or written: their environment, not a bug.
        _error_line(f"{error.filename}: {error.strerror or error}")
        return int(ExitCode.ERROR)
    if isinstance(error, (KeyboardInterrupt, click.exceptions.Abort)):
        click.echo("Interrupted.", err=True)
        return int(ExitCode.INTERRUPTED)
    return _internal_error(error, debug=debug)


def without_risky_guesses(error: click.exceptions.NoSuchOption) -> click.exceptions.NoSuchOption:
    """The same error, guessing among the command's and the global options but never a destructive one:
    ``--prun`` must not be answered with "Did you mean '--prune'?"."""
    command = error.ctx.command if error.ctx is not None else None
    if destructive_lookalikes(error.option_name, command):  # then anything else guessed would be noise
        message = f"{error.message} Options that delete or skip a question are never guessed from a typo: see --help."
        return click.exceptions.NoSuchOption(error.option_name, message=message, ctx=error.ctx)
    return click.exceptions.NoSuchOption(error.option_name, message=error.message,
                                         possibilities=suggestions(error.option_name, command), ctx=error.ctx)


def _internal_error(error: BaseException, *, debug: bool) -> int:
    if debug:
        traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
    click.secho(
        f"Internal error: {type(error).__name__}: {terminal_safe_lines(str(error))}\n"
        "This is a bug in inboxctl. Re-run with --debug for a traceback and report it.",
        fg="red", err=True,
    )
    return int(ExitCode.ERROR)
