"""Problems as GitHub Actions workflow commands, so that a pull request shows each one on its line.

``::error file=configs/support.toml,line=12,col=5,title=inboxctl validate: routing.mode::message``

They are written to stderr, like the human-readable problems they replace: the Actions runner reads
workflow commands on both streams, and stdout stays data only (a JSON or Markdown plan). The format is
chosen with ``--format github``, and is the default when ``GITHUB_ACTIONS=true``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from inboxctl.cli.safe_text import terminal_safe, terminal_safe_lines
from inboxctl.definitions.model import InboxDefinition, Problem, in_reading_order
from inboxctl.errors import InboxctlError, InvalidDefinitionError, PlanError
from inboxctl.planner.plan import Plan

F = TypeVar("F", bound=Callable[..., Any])

TEXT, GITHUB = "text", "github"


def running_on_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def _default_format() -> str:
    return GITHUB if running_on_github_actions() else TEXT


def format_option(func: F) -> F:
    return click.option(
        "--format", "problem_format", type=click.Choice([TEXT, GITHUB]), default=_default_format,
        show_default="github when GITHUB_ACTIONS=true, else text",
        help="How problems in the definitions are reported on stderr: text (file:line:column: key: message), "
             "or github (workflow commands that GitHub Actions shows on the lines of a pull request).",
    )(func)


# -- escaping, as GitHub's own toolkit does it (@actions/core, command.ts) ----------------------------

def escape_data(text: str) -> str:
    """A command's message: '%', CR and LF would end or corrupt the command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value (file, title): also ':' and ',', which separate the properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(command: str, message: str, **properties: str | int | None) -> str:
    """``::command key=value,...::message``, with the properties given (``None`` leaves one out)."""
    given = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items()
                     if value is not None)
    return f"::{command}{' ' + given if given else ''}::{escape_data(message)}"


def annotation_path(file: str) -> str:
    """The file as GitHub names it: relative to the checkout ($GITHUB_WORKSPACE) when it lies inside it,
    whatever directory inboxctl ran in; otherwise as given."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if not workspace:
        return file
    absolute = Path(os.path.abspath(file))
    root = Path(os.path.abspath(workspace))
    if absolute == root or root not in absolute.parents:
        return file
    return absolute.relative_to(root).as_posix()


def problem_annotation(problem: Problem, *, command: str, level: str | None = None) -> str:
    """One problem as a workflow command (``::error``, or ``::warning`` for a warning): located when the
    problem has a place in a file."""
    level = level or problem.severity
    location = problem.location
    message = f"{problem.key}: {problem.message}" if problem.key else problem.message
    if problem.fix:
        message += f"\nfix: {problem.fix}"
    message = terminal_safe_lines(message)  # names written by anyone end up in the job's log
    title = f"inboxctl {command}" + (f": {problem.key}" if problem.key else "")
    return workflow_command(level, message, file=annotation_path(location.file) if location else None,
                            line=location.line if location else None, col=location.column if location else None,
                            title=title)


def echo_problem_annotations(problems: list[Problem], *, command: str) -> None:
    for problem in problems:
        click.echo(problem_annotation(problem, command=command), err=True)


def echo_warning_annotations(plan: Plan, *, command: str) -> None:
    """What a change would take with it (conversations deleted with an inbox), as warnings on the run."""
    for change in plan.changes:
        for warning in change.warnings:
            click.echo(workflow_command("warning", terminal_safe(f"{change.address}: {warning}"),
                                        title=f"inboxctl {command}"), err=True)


def echo_definition_warnings(inboxes: list[InboxDefinition], *, problem_format: str, command: str) -> None:
    """The warnings of valid definitions (a legacy time zone, a deactivated member), in reading order, on stderr:
    as annotations in the github format, else as ``file:line:column: warning: key: message`` lines."""
    warnings = in_reading_order([warning for inbox in inboxes for warning in inbox.warnings],
                                [inbox.source or "" for inbox in inboxes])
    if problem_format == GITHUB:
        echo_problem_annotations(warnings, command=command)
        return
    for warning in warnings:
        click.echo(terminal_safe_lines(str(warning)), err=True)


class AnnotatedProblemsError(InboxctlError):
    """Problems already reported as annotations: ends the command with the original message and exit code,
    without printing the problems a second time."""

    def __init__(self, error: InvalidDefinitionError | PlanError) -> None:
        super().__init__(error.message, hint=error.hint)
        self.exit_code = error.exit_code


@contextmanager
def problems_reported_as(problem_format: str, *, command: str) -> Iterator[None]:
    """In the github format, report the problems of invalid definitions or of a plan as annotations.
    In the text format, change nothing: the one error boundary prints them as usual."""
    try:
        yield
    except (InvalidDefinitionError, PlanError) as error:
        if problem_format != GITHUB:
            raise
        echo_problem_annotations(error.problems, command=command)
        raise AnnotatedProblemsError(error) from error
