"""``inboxctl apply``: make the server match the definitions (or a saved plan)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from inboxctl.cli.confirm import confirm_or_refuse
from inboxctl.cli.context import AppContext, pass_app
from inboxctl.cli.options import max_deletes_option, paths_argument, prune_option
from inboxctl.cli.render_plan import render_plan
from inboxctl.definitions.loader import load_definitions
from inboxctl.errors import PartialFailureError, UsageError
from inboxctl.planner.plan import Plan, ResourceChange
from inboxctl.planner.service import ApplyReport, apply_plan, check_saved_plan, make_plan, refuse_changes_by_hand


def _is_plan_file(paths: tuple[str, ...]) -> bool:
    return len(paths) == 1 and paths[0].endswith(".json") and Path(paths[0]).is_file()


def _load_plan_file(path: str) -> Plan:
    try:
        return Plan.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError) as error:
        raise UsageError(f"{path} is not a plan saved by `inboxctl plan --out`: {error}") from error


def _report_step(change: ResourceChange, outcome: str, reason: str | None) -> None:
    marks = {"applied": click.style("✓", fg="green"), "failed": click.style("✗", fg="red"),
             "skipped": click.style("-", fg="yellow")}
    detail = f": {reason}" if reason else ""
    click.echo(f"{marks[outcome]} {change.action} {change.address}{detail if outcome != 'applied' else ''}", err=True)


def _finish(report: ApplyReport) -> None:
    summary = f"Applied {len(report.applied)} change{'s' if len(report.applied) != 1 else ''}"
    if report.complete:
        click.echo(summary + ".", err=True)
        return
    raise PartialFailureError(f"{summary}; {len(report.failed)} failed and {len(report.skipped)} skipped",
                              hint="fix the cause and run apply again: it completes what is left")


@click.command()
@paths_argument
@prune_option
@max_deletes_option
@click.option("-y", "--yes", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--dry-run", is_flag=True, help="Show the plan and change nothing.")
@pass_app
def apply(app: AppContext, paths: tuple[str, ...], prune: bool, max_deletes: int, yes: bool, dry_run: bool) -> None:
    """Make the server match the definitions, after showing the plan.

    PATHS are definition files or directories, or a single plan saved with
    `inboxctl plan --out`; a saved plan is refused if the server changed since.
    Asks for confirmation on a terminal; with no terminal, --yes is required.

    On HubSpot, whose API cannot write inbox settings, apply writes nothing: it exits 0
    with "No changes" when HubSpot has every inbox and channel of the definitions, and
    otherwise exits 1 naming each change to make in HubSpot's own settings.

    \b
    Examples:
      inboxctl apply configs/               # shows the plan, then asks
      inboxctl apply configs/ --yes         # in CI
      inboxctl apply plan.json --yes        # exactly what was reviewed
      inboxctl apply configs/ --prune --max-deletes 2
    """
    backend = app.backend()
    if _is_plan_file(paths):
        the_plan = _load_plan_file(paths[0])
        if the_plan.server != backend.capabilities.server:
            raise UsageError(f"this plan was made against {the_plan.server}, not {backend.capabilities.server}")
        check_saved_plan(backend, the_plan, max_deletes=max_deletes)
    else:
        the_plan = make_plan(backend, load_definitions(paths), prune=prune, max_deletes=max_deletes)
    click.echo(render_plan(the_plan))
    # Before the dry run and the question: on HubSpot no answer could make these changes happen.
    refuse_changes_by_hand(backend, the_plan)
    if the_plan.is_empty() or dry_run:
        if dry_run and not the_plan.is_empty():
            click.echo("Dry run: nothing was changed.", err=True)
        return
    confirm_or_refuse(f"Apply these {len(the_plan.changes)} changes to {backend.capabilities.server}?", yes=yes)
    _finish(apply_plan(backend, the_plan, on_step=_report_step))
