"""``inboxctl apply``: make the server match the definitions (or a saved plan)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from inboxctl.backends.base import Backend
from inboxctl.cli.annotations import (
    GITHUB, echo_definition_warnings, echo_warning_annotations, format_option, problems_reported_as)
from inboxctl.cli.completion import remember_names
from inboxctl.cli.confirm import confirm_or_refuse
from inboxctl.cli.context import AppContext, pass_app
from inboxctl.cli.options import max_deletes_option, output_option, paths_argument, prune_option
from inboxctl.cli.render_plan import render_plan
from inboxctl.cli.safe_text import json_safe, terminal_safe
from inboxctl.cli.targets import inbox_targets_option
from inboxctl.definitions.loader import load_definitions
from inboxctl.errors import PartialFailureError, UsageError
from inboxctl.planner.plan import Plan, ResourceChange
from inboxctl.planner.service import (
    ApplyReport, SeenNames, apply_plan, check_saved_plan, make_plan, refuse_changes_by_hand,
    refuse_prune_with_targets)


def _is_plan_file(paths: tuple[str, ...]) -> bool:
    return len(paths) == 1 and paths[0].endswith(".json") and Path(paths[0]).is_file()


def refuse_plan_with_definitions(paths: tuple[str, ...]) -> None:
    """A saved plan is applied alone, exactly as reviewed: never read as a definition, never merged with some."""
    plans = [path for path in paths if path.endswith(".json") and Path(path).is_file()]
    if plans and len(paths) > 1:
        what = "another saved plan" if len(plans) > 1 else "definitions"
        raise UsageError(f"{plans[0]} is a saved plan, which is applied alone: it cannot be mixed with {what}",
                         hint=f"apply the plan as it was reviewed, `inboxctl apply {plans[0]}`, or the definitions "
                              "without it")


def _load_plan_file(path: str) -> Plan:
    try:
        from inboxctl.planner.plan_file import load_saved_plan  # the documented format, checked before use

        return load_saved_plan(Path(path))
    except (ValueError, KeyError, TypeError) as error:
        raise UsageError(f"{path} is not a plan saved by `inboxctl plan --out`: {error}") from error


def _report_step(change: ResourceChange, outcome: str, reason: str | None) -> None:
    marks = {"applied": click.style("✓", fg="green"), "failed": click.style("✗", fg="red"),
             "skipped": click.style("-", fg="yellow")}
    detail = f": {reason}" if reason else ""
    text = terminal_safe(f"{change.action} {change.address}{detail if outcome != 'applied' else ''}")
    click.echo(f"{marks[outcome]} {text}", err=True)


def _echo_json(report: ApplyReport, the_plan: Plan, *, dry_run: bool = False) -> None:
    click.echo(json_safe(json.dumps(report.to_dict(the_plan, dry_run=dry_run), indent=2, ensure_ascii=False)))


def _plan_to_apply(app: AppContext, backend: Backend, paths: tuple[str, ...], *, targets: tuple[str, ...],
                   prune: bool, max_deletes: int, problem_format: str) -> Plan:
    if _is_plan_file(paths):
        the_plan = _load_plan_file(paths[0])
        if the_plan.server != backend.capabilities.server:
            raise UsageError(f"this plan was made against {the_plan.server}, not {backend.capabilities.server}")
        check_saved_plan(backend, the_plan, max_deletes=max_deletes)
        return the_plan
    seen = SeenNames()
    inboxes = load_definitions(paths)
    the_plan = make_plan(backend, inboxes, prune=prune, max_deletes=max_deletes, targets=targets, seen=seen)
    remember_names(app.profile(), inboxes=seen.inboxes, users=seen.users, channels=seen.channels)
    echo_definition_warnings(inboxes, problem_format=problem_format, command="apply")
    return the_plan


def _finish(report: ApplyReport) -> None:
    summary = f"Applied {len(report.applied)} change{'s' if len(report.applied) != 1 else ''}"
    if report.complete:
        click.echo(summary + ".", err=True)
        return
    raise PartialFailureError(f"{summary}; {len(report.failed)} failed and {len(report.skipped)} skipped",
                              hint="fix the cause and run apply again: it completes what is left")


@click.command()
@paths_argument
@inbox_targets_option
@prune_option
@max_deletes_option
@click.option("-y", "--yes", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--dry-run", is_flag=True, help="Show the plan and change nothing.")
@output_option("text", "json")
@format_option
@pass_app
def apply(app: AppContext, paths: tuple[str, ...], targets: tuple[str, ...], prune: bool, max_deletes: int,
          yes: bool, dry_run: bool, output: str, problem_format: str) -> None:
    """Make the server match the definitions, after showing the plan.

    PATHS are definition files or directories, or a single plan saved with
    `inboxctl plan --out`; a saved plan is refused if the server changed since.
    Asks for confirmation on a terminal; with no terminal, --yes is required.
    With --inbox, only those inboxes are planned and applied (not with --prune).

    `-o json` prints one result per change on stdout (applied, failed with the
    server's reason, or skipped), versioned by format_version; the plan and the
    progress then go to stderr.

    On HubSpot, whose API cannot write inbox settings, apply writes nothing: it exits 0
    with "No changes" when HubSpot has every inbox and channel of the definitions, and
    otherwise exits 1 naming each change to make in HubSpot's own settings.

    \b
    Examples:
      inboxctl apply configs/               # shows the plan, then asks
      inboxctl apply configs/ --yes         # in CI
      inboxctl apply configs/ --yes -o json > apply.json
      inboxctl apply plan.json --yes        # exactly what was reviewed
      inboxctl apply configs/ --inbox Support --yes
      inboxctl apply configs/ --prune --max-deletes 2
    """
    refuse_prune_with_targets(prune, targets)
    refuse_plan_with_definitions(paths)
    if targets and _is_plan_file(paths):
        raise UsageError("--inbox selects inboxes of definitions: a saved plan is applied whole, as it was reviewed",
                         hint=f"save a targeted plan with `inboxctl plan DEFINITIONS --inbox {targets[0]} --out "
                              "plan.json` and apply that")
    backend = app.backend()
    with problems_reported_as(problem_format, command="apply"):
        the_plan = _plan_to_apply(app, backend, paths, targets=targets, prune=prune, max_deletes=max_deletes,
                                  problem_format=problem_format)
    as_json = output == "json"
    click.echo(render_plan(the_plan), err=as_json)  # with -o json, stdout holds the result only
    if problem_format == GITHUB:
        echo_warning_annotations(the_plan, command="apply")
    # Before the dry run and the question: on HubSpot no answer could make these changes happen.
    refuse_changes_by_hand(backend, the_plan)
    if the_plan.is_empty() or dry_run:
        if dry_run and not the_plan.is_empty():
            click.echo("Dry run: nothing was changed.", err=True)
        if as_json:
            _echo_json(ApplyReport.dry_run(the_plan) if dry_run else ApplyReport(), the_plan, dry_run=dry_run)
        return
    confirm_or_refuse(f"Apply these {len(the_plan.changes)} changes to {backend.capabilities.server}?", yes=yes)
    report = apply_plan(backend, the_plan, on_step=_report_step)
    if as_json:
        _echo_json(report, the_plan)
    _finish(report)
