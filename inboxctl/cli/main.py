"""The ``inboxctl`` command group: global options, exit codes, and the commands of the registry.

Start-up time matters here (scripts call inboxctl in loops, completion on every Tab): this module
imports click and little else. Each command's module is imported only when that command runs, from
``commands.registry``, and what a command needs is imported by that command.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from inboxctl import __version__
from inboxctl.cli.commands.registry import COMMANDS, LazyGroup
from inboxctl.cli.exit_codes import EXIT_CODES_HELP  # the contract: the README's table, held by a test


class InboxctlGroup(LazyGroup):
    """A group whose ``main`` maps every error to inboxctl's documented exit codes.

    Click would exit 2 on a usage error; inboxctl reserves 2 for "changes pending", so
    errors are caught here (also under ``CliRunner``) and mapped in one place.
    """

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        args = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in args
        try:
            # Inside the error boundary: finding a subcommand imports its module, which an
            # interrupt can land in like anywhere else.
            from inboxctl.cli.global_options import hoist_global_options  # `plan x/ --profile cw` too

            args = hoist_global_options(self, args)
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        except BaseException as error:  # noqa: BLE001 - this is the single error boundary
            if isinstance(error, SystemExit):
                raise
            from inboxctl.cli.errors import report_error

            sys.exit(report_error(error, debug=debug))
        sys.exit(result if isinstance(result, int) else 0)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        # "conv" is the documented short alias of "conversations".
        if args and args[0] == "conv":
            args = ["conversations", *args[1:]]
        return super().resolve_command(ctx, args)


def _configure_logging(verbose: int, debug: bool) -> None:
    import logging

    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr, force=True)


def _complete_profiles(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    from inboxctl.cli.completion import complete_profiles

    return complete_profiles(ctx, param, incomplete)


@click.group(cls=InboxctlGroup, lazy_commands=COMMANDS, epilog=EXIT_CODES_HELP,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="inboxctl")
@click.option("--profile", "profile_name", envvar="INBOXCTL_PROFILE", metavar="NAME", shell_complete=_complete_profiles,
              help="Server profile to use (default: the active profile, else 'local'). Env: INBOXCTL_PROFILE.")
@click.option("-v", "--verbose", count=True, help="Say more about what is happening (on stderr).")
@click.option("--debug", is_flag=True, help="Log HTTP calls (tokens redacted) and show tracebacks of internal errors.")
@click.option("--no-color", is_flag=True, help="Never colour the output. Also when NO_COLOR is set to anything.")
@click.pass_context
def cli(ctx: click.Context, profile_name: str | None, verbose: int, debug: bool, no_color: bool) -> None:
    """Manage shared conversation inboxes as code, and their conversations in bulk.

    \b
    Examples:
      inboxctl validate configs/
      inboxctl plan configs/ --detailed-exitcode
      inboxctl apply configs/ --yes
      inboxctl export --dir live/
      inboxctl conv list --inbox Support --status open -o json
      inboxctl conv close --inbox Support --older-than 30d --dry-run
    """
    from inboxctl.cli.context import AppContext  # not for --help and --version, which stop before this

    _configure_logging(verbose, debug)
    no_color = no_color or bool(os.environ.get("NO_COLOR"))  # no-color.org: any non-empty value
    app = AppContext(profile_name=profile_name, verbose=verbose, debug=debug, color=False if no_color else None)
    if no_color:
        ctx.color = False
    ctx.obj = app
    ctx.call_on_close(app.close)


def main() -> None:
    from inboxctl.interrupts import end_runs_on_termination_signals

    try:
        end_runs_on_termination_signals()  # SIGTERM and SIGHUP end a run cleanly, like Ctrl-C (exit 130)
        cli(prog_name="inboxctl")
    except KeyboardInterrupt:  # landed in the instant before the error boundary of InboxctlGroup.main
        sys.exit(130)
