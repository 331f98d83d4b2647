"""The one flow every action command follows: targets, --max, dry run or question, run, report.

Commands only say which ``ActionRequest`` they want; this module does the rest the same way
for all of them, so that the safety rules cannot drift apart between verbs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import click

from inboxctl.cli.commands.conversations.options import ActionArgs
from inboxctl.cli.commands.conversations.render import RESULT_COLUMNS, result_row, sample_table, summary_line
from inboxctl.cli.commands.conversations.session import Session
from inboxctl.cli.confirm import confirm_or_refuse
from inboxctl.cli.context import AppContext
from inboxctl.cli.output import RowWriter, progress
from inboxctl.cli.safe_text import terminal_safe
from inboxctl.conversations.bulk import (
    BulkOptions,
    Targets,
    check_max,
    check_supported,
    explicit_targets,
    filter_targets,
    needs_confirmation,
    PIPE_HINT,
    parse_ids,
    parse_piped_ids,
    record_result,
    run_bulk,
)
from inboxctl.conversations.journal import JournalWriter
from inboxctl.conversations.model import IRREVERSIBLE_ACTIONS, ActionRequest, ActionResult, ActionSummary, Conversation
from inboxctl.errors import InboxctlError, PartialFailureError, RefusedError, UsageError

MAX_FAILURES_SHOWN = 20
Batch = tuple[ActionRequest, Sequence[str]]
# How the question names an action whose name is not a plain verb.
_PROMPT_VERBS = {"assign-team": "Assign a team to", "unassign-team": "Take the team from",
                 "block-sender": "Block the senders of", "unblock-sender": "Unblock the senders of",
                 "delete": "Delete permanently"}
_WARNINGS = {
    "delete": "Deleting permanently cannot be undone, and deletes each conversation's ticket too.",
    "block-sender": "Future e-mails and chats from these senders will be filtered.",
}


def run_action_command(app: AppContext, args: ActionArgs, make_request: Callable[[Session], ActionRequest], *,
                       scope: dict[str, Any] | None = None) -> None:
    session = Session(app, as_user=args.as_user, rate=args.rate)
    request = make_request(session)  # resolves --to and friends before anything is listed
    check_supported(session.backend, request.action)
    targets, from_stdin = select(session, args, scope, request)
    check_max(targets, args.max_count)
    if not targets.ids:
        click.echo(terminal_safe(f"No conversations match ({targets.describe()}); nothing to do."), err=True)
        return
    options = BulkOptions(concurrency=args.concurrency)
    if args.dry_run:
        execute(session, [(replace(request, dry_run=True), targets.ids)], label=request.action,
                output=args.output or "table", options=options, dry_run=True, known_states=targets.known)
        return
    if needs_confirmation(request, targets):
        confirm(request, targets, yes=args.yes, from_stdin=from_stdin)
    journal = JournalWriter.create(action=request.action, request=request, backend=session.backend.name,
                                   profile=session.profile, server=session.backend.server_identity(),
                                   targets=targets.describe(), total=len(targets.ids))
    execute(session, [(request, targets.ids)], label=request.action, output=args.output, options=options,
            journal=journal, known_states=targets.known)


def select(session: Session, args: ActionArgs, scope: dict[str, Any] | None,
           request: ActionRequest) -> tuple[Targets, bool]:
    """The targets, and whether their ids were read from stdin. Every id is checked before anything is done."""
    has_filters = not args.filters.is_empty()
    if args.ids and has_filters:
        raise UsageError("give conversation ids or filters, not both")
    if args.ids:
        from_stdin = "-" in args.ids
        ids = parse_ids(i for i in args.ids if i != "-")
        if from_stdin:
            ids.extend(parse_piped_ids(_stdin_lines()))
        return explicit_targets(ids), from_stdin
    if not has_filters:
        raise UsageError("say which conversations: ids, '-' to read ids from stdin, or filters",
                         hint="e.g. inboxctl conv close --inbox Support --older-than 30d")
    return filter_targets(session.backend, session.query(args.filters, scope=scope), request), False


def _stdin_lines() -> list[str]:
    try:
        return sys.stdin.readlines()
    except UnicodeDecodeError as error:
        raise UsageError(f"stdin is not text ({error.reason}); nothing was changed", hint=PIPE_HINT) from None


def confirm(request: ActionRequest, targets: Targets, *, yes: bool, from_stdin: bool) -> None:
    count = targets.count
    if not yes:
        if from_stdin:
            raise RefusedError("refusing to act without confirmation: the ids came from stdin, so there is no "
                               "terminal left to ask on",
                               hint="add --yes to confirm, or --dry-run to see what would change")
        show_targets(request, targets)
        if request.action in _WARNINGS:
            click.echo(_WARNINGS[request.action], err=True)
    verb = _PROMPT_VERBS.get(request.action, request.action.capitalize())
    confirm_or_refuse(f"{verb} {count} conversation{'s' if count != 1 else ''}?", yes=yes)


def show_targets(request: ActionRequest, targets: Targets) -> None:
    count = len(targets.ids)
    if targets.query is not None:
        matched = f"{count} conversation{'s' if count != 1 else ''} match ({targets.query.describe()})"
        if targets.to_change is not None and targets.to_change != count:
            matched += f"; {targets.to_change} would change, {count - targets.to_change} already as asked"
        which = f"The first {len(targets.sample)}" if targets.count > len(targets.sample) else "They are"
        click.echo(terminal_safe(f"{matched}. {which}{' to change' if targets.to_change != count else ''}:"), err=True)
        click.echo(sample_table(targets.sample), err=True)
    else:
        shown = ", ".join(targets.ids[:10]) + (", ..." if count > 10 else "")
        click.echo(f"{count} conversation{'s' if count != 1 else ''}: {shown}", err=True)


def execute(session: Session, batches: Sequence[Batch], *, label: str, output: str | None, options: BulkOptions,
            journal: JournalWriter | None = None, known: Sequence[ActionResult] = (), dry_run: bool = False,
            undo_hint: bool = True, known_states: Mapping[str, Conversation] | None = None) -> None:
    """Run each batch (one request, its ids) into one summary, one output and one journal, then report.

    ``known`` are results decided without asking the server (what undo cannot revert): they are
    reported and journaled like the others. ``known_states`` are the conversations as listed.
    """
    summary = ActionSummary()
    writer = ResultWriter(output)

    def on_result(result: ActionResult) -> None:
        advance(1)
        writer.write(result)

    total = sum(len(ids) for _, ids in batches) + len(known)
    with progress(total, label=label) as advance:
        for result in known:
            record_result(result, summary, journal, on_result)
        try:
            for request, ids in batches:
                run_bulk(session.backend, request, ids, options=options, journal=journal, on_result=on_result,
                         summary=summary, known=known_states)
        except (KeyboardInterrupt, InboxctlError) as stop:
            writer.close()
            report_stop(label, stop, summary, total=total, journal=journal, undo_hint=undo_hint)
            raise
    writer.close()
    if journal is not None:
        journal.finish(summary)
    report(label, summary, dry_run=dry_run, journal=journal, undo_hint=undo_hint)


class ResultWriter:
    """Results on stdout in the format asked for; ``-o ids`` prints the ids that changed (or would)."""

    def __init__(self, output: str | None) -> None:
        self.output = output
        self.rows = RowWriter(output, RESULT_COLUMNS) if output else None

    def write(self, result: ActionResult) -> None:
        if self.rows is None or (self.output == "ids" and result.outcome != "changed"):
            return
        self.rows.write(result_row(result, self.rows.fmt))

    def close(self) -> None:
        if self.rows is not None:
            self.rows.close()


def report(label: str, summary: ActionSummary, *, dry_run: bool, journal: JournalWriter | None,
           undo_hint: bool = True) -> None:
    """Failures with the server's reasons, then the counts, on stderr; exit 3 if anything failed."""
    _report_failures(summary, dry_run=dry_run, journal=journal)
    click.echo(summary_line(label, summary, dry_run=dry_run), err=True)
    _report_undo(summary, journal, undo_hint)
    if summary.failed and not dry_run:
        raise PartialFailureError(_failure_message(summary))


def report_stop(label: str, stop: BaseException, summary: ActionSummary, *, total: int,
                journal: JournalWriter | None, undo_hint: bool) -> None:
    """What a run stopped half way (Ctrl-C, a quota, lost credentials) did and did not do."""
    _report_failures(summary, dry_run=False, journal=journal)
    why = "Interrupted" if isinstance(stop, KeyboardInterrupt) else "Stopped"
    done = f"{summary.changed} changed, {summary.unchanged} unchanged, {summary.failed} failed"
    if summary.unknown:
        done += f", {summary.unknown} outcome unknown (about to be sent or sent, no answer yet; undo checks them)"
    click.echo(f"\n{why} after {summary.total} of {total} conversations ({label}): {done}; "
               f"{total - summary.total} not attempted.", err=True)
    _report_undo(summary, journal, undo_hint)
    if total > summary.total or summary.unknown:
        click.echo("Running the same command again completes the rest.", err=True)


def _report_failures(summary: ActionSummary, *, dry_run: bool, journal: JournalWriter | None) -> None:
    for failure in summary.failures[:MAX_FAILURES_SHOWN]:
        reason = terminal_safe(failure.reason or "")
        click.echo(f"  {'would fail' if dry_run else 'failed'} {failure.id}: {reason}", err=True)
    hidden = len(summary.failures) - MAX_FAILURES_SHOWN
    if hidden > 0:
        click.echo(f"  ... and {hidden} more (-o json lists every result{', so does the journal' if journal else ''})",
                   err=True)


def _report_undo(summary: ActionSummary, journal: JournalWriter | None, undo_hint: bool) -> None:
    """The journal's path, and how to undo, only when there is something undo can revert."""
    if journal is None or not (summary.changed or summary.unknown):
        return
    click.echo(f"Journal: {journal.path}", err=True)
    if undo_hint and journal.action not in IRREVERSIBLE_ACTIONS:
        click.echo(f"Undo with: inboxctl conv undo {journal.name}", err=True)
    elif undo_hint:
        click.echo(f"{journal.action.capitalize()} cannot be undone.", err=True)


def _failure_message(summary: ActionSummary) -> str:
    message = f"{summary.failed} of {summary.total} conversations failed"
    retryable = summary.retryable_failures
    if retryable == summary.failed:
        return message + "; running the same command again completes the rest"
    if retryable:
        return message + f"; running the same command again retries the {retryable} that may succeed then"
    return message + " for the reasons above; running the same command again will not change that"
