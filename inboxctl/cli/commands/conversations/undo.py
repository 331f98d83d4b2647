"""``inboxctl conversations undo [JOURNAL]``: reverse a journaled run, naming what cannot be reversed."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import click

from inboxctl.cli.commands.conversations.render import JOURNAL_COLUMNS
from inboxctl.cli.commands.conversations.run import Batch, execute
from inboxctl.cli.commands.conversations.session import Session
from inboxctl.cli.confirm import confirm_or_refuse
from inboxctl.cli.context import AppContext, pass_app
from inboxctl.cli.output import output_option, write_rows
from inboxctl.cli.safe_text import terminal_safe
from inboxctl.conversations.bulk import BulkOptions
from inboxctl.conversations.journal import JournalInfo, JournalWriter, find_journal, list_journals, plan_undo
from inboxctl.errors import RefusedError, UsageError


@click.command("undo")
@click.argument("journal", required=False, metavar="[JOURNAL]")
@click.option("--list", "list_", is_flag=True, help="List the journals, newest first, and whether each was undone.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask; needed when there is no terminal to ask on.")
@click.option("--dry-run", is_flag=True, help="Only list what undo would change; change nothing.")
@output_option(default=None, help="Print one result per conversation (table, json, jsonl, csv, ids), "
                                  "or with --list the journals.")
@pass_app
def undo(app: AppContext, journal: str | None, list_: bool, yes: bool, dry_run: bool, output: str | None) -> None:
    """Reverse an action run from its journal: the latest one not undone yet, or JOURNAL.

    Reopens what was closed, restores what was trashed, gives conversations back to their
    previous assignee (unless someone reassigned them since), takes them out of spam, unblocks
    senders. A permanent delete, a comment, a hand-over from a bot, and conversations purged from
    trash since cannot be reversed: each is named, and the exit code is 3.

    JOURNAL is a file name from --list (or a unique start of it), or a path. Journals live in
    the data directory under journals/.

    \b
    Examples:
      inboxctl conv undo --list
      inboxctl conv undo --dry-run
      inboxctl conv undo --yes
      inboxctl conv undo 20240501T120000.000000Z-trash.jsonl --yes
    """
    if list_:
        _list(output or "table")
        return
    skipped: list[str] = []
    info = find_journal(journal, skipped)
    for warning in skipped:
        click.echo(terminal_safe(f"warning: {warning}"), err=True)
    session = Session(app)
    _check_same_server(info, session)
    if journal is None:
        click.echo(terminal_safe(f"Undoing the latest run that changed something: {info.name} ({info.action}, "
                                 f"{info.header.get('targets')}, started {info.header.get('started_at')})."), err=True)
    plan = plan_undo(info)
    label = f"undo of {info.name}"
    if plan.total == 0:
        click.echo(f"Nothing to undo in {info.name}: it changed nothing.", err=True)
        return
    batches: list[Batch] = [(replace(request, dry_run=dry_run), ids) for request, ids in plan.groups.items()]
    if dry_run:
        execute(session, batches, label=label, output=output or "table", options=BulkOptions(),
                known=plan.not_reversible, dry_run=True)
        return
    _describe(info, batches, len(plan.not_reversible))
    confirm_or_refuse(f"Undo {info.action} on {plan.total} conversation{'s' if plan.total != 1 else ''}?", yes=yes)
    writer = JournalWriter.create(action="undo", request=None, backend=session.backend.name, profile=session.profile,
                                  server=session.backend.server_identity(), targets=f"undo of {info.name}",
                                  total=plan.total, undo_of=info.name)
    execute(session, batches, label=label, output=output, options=BulkOptions(), journal=writer,
            known=plan.not_reversible, undo_hint=False)


def _check_same_server(info: JournalInfo, session: Session) -> None:
    """Undo changes conversations on the server the run changed, never on one a profile was pointed at since."""
    backend, profile, recorded = info.header.get("backend"), info.header.get("profile"), info.server
    if backend != session.backend.name:
        raise UsageError(f"{info.name} was recorded on profile {profile!r} ({backend}), not on {session.profile!r}",
                         hint=f"run undo with --profile {profile}")
    current = session.backend.server_identity()
    if recorded is None:
        if backend == "local":
            return  # journals live beside the local database: one home, one database
        raise RefusedError(f"{info.name} does not say which server it changed (an older inboxctl wrote it), so "
                           "inboxctl cannot make sure undo changes the same one; nothing was changed",
                           hint="undo it by hand: the journal lists each conversation and its state before")
    if recorded != current:
        raise RefusedError(f"{info.name} changed conversations on {recorded}, but profile {session.profile!r} now "
                           f"points at {current}; nothing was changed",
                           hint="point a profile at the server the run changed, then run undo with it")


def _describe(info: JournalInfo, batches: list[Batch], not_reversible: int) -> None:
    parts = [f"{request.action} {len(ids)}" for request, ids in batches]
    if not_reversible:
        parts.append(f"{not_reversible} not reversible")
    click.echo(terminal_safe(f"Undo of {info.name} ({info.action}, {info.header.get('targets')}): {', '.join(parts)}."),
               err=True)


def _list(output: str) -> None:
    skipped: list[str] = []
    journals = list_journals(skipped)
    for warning in skipped:
        click.echo(terminal_safe(f"warning: {warning}"), err=True)
    undone = {j.undo_of for j in journals if j.undo_of}
    write_rows((_journal_row(j, j.name in undone) for j in journals), output, JOURNAL_COLUMNS, id_key="name")


def _journal_row(info: JournalInfo, undone: bool) -> dict[str, Any]:
    summary = info.summary or {}
    return {
        "name": info.name, "action": info.action, "started_at": info.header.get("started_at"),
        "changed": summary.get("changed"), "unchanged": summary.get("unchanged"), "failed": summary.get("failed"),
        "undone": "n/a" if info.undo_of else ("yes" if undone else "no"), "targets": info.header.get("targets"),
        "interrupted": summary.get("interrupted", info.summary is None), "undo_of": info.undo_of,
    }
