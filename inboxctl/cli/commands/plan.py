"""``inboxctl plan``: what apply would change, and nothing else."""

from __future__ import annotations

from pathlib import Path

from typing import Any

import click

from inboxctl.cli.annotations import (
    GITHUB, echo_definition_warnings, echo_warning_annotations, format_option, problems_reported_as)
from inboxctl.cli.completion import remember_names
from inboxctl.cli.context import AppContext, pass_app
from inboxctl.cli.options import max_deletes_option, output_option, paths_argument, prune_option
from inboxctl.cli.render_plan import render_plan, render_plan_json
from inboxctl.cli.targets import inbox_targets_option
from inboxctl.definitions.loader import load_definitions
from inboxctl.errors import ExitCode
from inboxctl.planner.service import SeenNames, make_plan, refuse_prune_with_targets

def _render_markdown(plan: Any, **options: Any) -> str:
    from inboxctl.cli.render_markdown import render_plan_markdown  # only for -o markdown

    return render_plan_markdown(plan, **options)


RENDERERS = {"text": render_plan, "json": render_plan_json, "markdown": _render_markdown}


@click.command()
@paths_argument
@inbox_targets_option
@prune_option
@max_deletes_option
@output_option("text", "json", "markdown")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, writable=True),
              help="Also save the plan as JSON, for `inboxctl apply PLANFILE`.")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 0 with no changes, 2 with changes pending; an error keeps its own code (inboxctl --help).")
@format_option
@pass_app
def plan(app: AppContext, paths: tuple[str, ...], targets: tuple[str, ...], prune: bool, max_deletes: int,
         output: str, out_file: str | None, detailed_exitcode: bool, problem_format: str) -> None:
    """Show what `apply` would change on the server, without changing anything.

    Names in the definitions are resolved against the server: an unknown user, team,
    pipeline, stage, form or page is an error with the closest match. Settings the
    server cannot manage are errors too, before anything is written.

    With --inbox, only those inboxes are planned (the others are neither compared nor
    mentioned); it cannot be combined with --prune. `-o markdown` is the plan for a pull
    request comment: a table per inbox, warnings in bold, within GitHub's comment limit.

    On HubSpot, whose API can read but not write inbox settings, the plan checks that
    each inbox exists and each channel is connected to it, and lists every other
    setting once per inbox, to manage in HubSpot's settings: those are not changes,
    and --detailed-exitcode exits 2 only for real differences.

    \b
    Examples:
      inboxctl plan configs/
      inboxctl plan configs/ --detailed-exitcode     # 0 none, 2 pending, else an error
      inboxctl plan configs/ -o json --out plan.json
      inboxctl plan configs/ -o markdown > plan.md   # for a pull request comment
      inboxctl plan configs/ --inbox Support         # only this inbox
      inboxctl plan configs/ --prune                 # include deletions of removed inboxes
    """
    refuse_prune_with_targets(prune, targets)
    seen = SeenNames()
    with problems_reported_as(problem_format, command="plan"):
        inboxes = load_definitions(paths)
        the_plan = make_plan(app.backend(), inboxes, prune=prune, max_deletes=max_deletes, targets=targets,
                             seen=seen)
    remember_names(app.profile(), inboxes=seen.inboxes, users=seen.users, channels=seen.channels)
    echo_definition_warnings(inboxes, problem_format=problem_format, command="plan")
    click.echo(RENDERERS[output](the_plan), nl=output != "markdown")
    if problem_format == GITHUB:
        echo_warning_annotations(the_plan, command="plan")
    if out_file:
        Path(out_file).write_text(render_plan_json(the_plan) + "\n", encoding="utf-8")
        click.echo(f"Plan saved to {out_file}: apply it with `inboxctl apply {out_file}`.", err=True)
    if detailed_exitcode and not the_plan.is_empty():
        raise click.exceptions.Exit(int(ExitCode.CHANGES_PENDING))
