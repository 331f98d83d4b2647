"""How conversations, results and summaries look: rows for every output format, and the text of ``show``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from inboxctl.cli.output import Column, cell_text
from inboxctl.cli.safe_text import terminal_safe, terminal_safe_lines
from inboxctl.conversations.model import (
    ActionResult,
    ActionSummary,
    Conversation,
    ConversationDetail,
    ConversationState,
)

CONVERSATION_COLUMNS = [
    Column("id", "ID"), Column("inbox", "INBOX"), Column("channel", "CHANNEL"), Column("status", "STATUS"),
    Column("assignee", "ASSIGNEE", 26), Column("contact", "CONTACT", 30), Column("subject", "SUBJECT", 36),
    Column("created", "CREATED"), Column("flags", "FLAGS"),
]
RESULT_COLUMNS = [
    Column("id", "ID"), Column("action", "ACTION"), Column("outcome", "OUTCOME"),
    Column("change", "CHANGE", 60), Column("reason", "REASON", 80),
]
JOURNAL_COLUMNS = [
    Column("name", "JOURNAL"), Column("action", "ACTION"), Column("started_at", "STARTED"),
    Column("changed", "CHANGED"), Column("unchanged", "UNCHANGED"), Column("failed", "FAILED"),
    Column("undone", "UNDONE"), Column("targets", "TARGETS", 50),
]
_DRY_OUTCOMES = {"changed": "would change", "unchanged": "unchanged", "failed": "would fail"}


# ---------------------------------------------------------------------------------------------
# Conversations


def conversation_row(conversation: Conversation, fmt: str) -> dict[str, Any]:
    """The full record for json/jsonl/csv/ids; a short one for the table and tab-separated lines."""
    if fmt != "table":
        return conversation.to_dict()
    return {
        "id": conversation.id, "inbox": conversation.inbox, "channel": conversation.channel,
        "status": conversation.status, "assignee": assignee_label(conversation.assignee, conversation.assigned_to_bot),
        "contact": conversation.contact, "subject": conversation.subject,
        "created": short_time(conversation.created_at), "flags": ",".join(flags(conversation)),
    }


def conversation_rows(conversations: Iterable[Conversation], fmt: str) -> Iterator[dict[str, Any]]:
    """``conversation_row`` of each, as they come. The full records go without a Python call of
    ours per row: a listing of 100,000 conversations feels each one."""
    if fmt != "table":
        return map(Conversation.to_dict, conversations)
    return (conversation_row(conversation, fmt) for conversation in conversations)


def assignee_label(assignee: str | None, bot: bool) -> str | None:
    return assignee or ("bot" if bot else None)


def flags(conversation: Conversation) -> list[str]:
    marks = [name for name, on in (("trash", conversation.trashed_at), ("spam", conversation.spam),
                                   ("filtered", conversation.filtered), ("sent", conversation.outgoing),
                                   ("ticket", conversation.has_ticket)) if on]
    return marks


def short_time(iso: str | None) -> str | None:
    return iso[:16].replace("T", " ") if iso else None


def sample_table(conversations: Sequence[Conversation]) -> str:
    from tabulate import tabulate  # only when a sample is shown: importing it takes a while

    rows = [conversation_row(c, "table") for c in conversations]
    columns = CONVERSATION_COLUMNS[:-1]
    return tabulate([[cell_text(row.get(c.key), c.max_width) for c in columns] for row in rows],
                    headers=[c.header for c in columns], tablefmt="plain", disable_numparse=True)


# ---------------------------------------------------------------------------------------------
# Results


def result_row(result: ActionResult, fmt: str) -> dict[str, Any]:
    if fmt != "table":
        return result.to_dict()
    outcome = _DRY_OUTCOMES[result.outcome] if result.dry_run else result.outcome
    change = describe_change(result.before, result.after, result.action) if result.outcome == "changed" else None
    return {"id": result.id, "action": result.action, "outcome": outcome, "change": change, "reason": result.reason}


def describe_change(before: ConversationState | None, after: ConversationState | None, action: str) -> str:
    if after is None:
        return "deleted for good"
    if action == "comment":
        return "comment added"
    if before is None:
        return ""
    parts = []
    for name, label in (("status", "status"), ("ticket_status", "ticket"), ("spam", "spam"),
                        ("filtered", "filtered"), ("sender_blocked", "sender blocked"), ("team", "team")):
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            parts.append(f"{label} {_value(old)} → {_value(new)}")
    old_owner = assignee_label(before.assignee, before.assigned_to_bot)
    new_owner = assignee_label(after.assignee, after.assigned_to_bot)
    if old_owner != new_owner:
        parts.append(f"assignee {old_owner or 'nobody'} → {new_owner or 'nobody'}")
    if before.trashed_at != after.trashed_at:
        parts.append("moved to trash" if after.trashed_at else "restored from trash")
    return "; ".join(parts)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "none" if value is None else str(value)


def summary_line(label: str, summary: ActionSummary, *, dry_run: bool) -> str:
    if dry_run:
        return (f"Dry run of {label}: {summary.changed} would change, {summary.unchanged} unchanged, "
                f"{summary.failed} would fail. Nothing was changed.")
    return f"{label}: {summary.changed} changed, {summary.unchanged} unchanged, {summary.failed} failed."


# ---------------------------------------------------------------------------------------------
# show


def show_text(detail: ConversationDetail) -> str:
    """Everything but the message bodies on one line each; no control character from outside (see ``safe_text``)."""
    c = detail.conversation
    lines = [terminal_safe(f"Conversation {c.id}: {c.subject}"), ""]
    lines += _fields([
        ("Status", c.status + (f" (closed {short_time(c.closed_at)})" if c.closed_at else "")),
        ("Inbox", c.inbox),
        ("Channel", f"{c.channel}: {c.channel_name}"),
        ("Contact", f"{detail.contact.name} <{detail.contact.email}>"
                    + (f", owner {detail.contact.owner}" if detail.contact.owner else "")),
        ("Assignee", _assignee_text(detail)),
        ("Created", short_time(c.created_at)),
        ("Updated", short_time(c.updated_at)),
        ("Ticket", _ticket_text(detail)),
        ("Flags", ", ".join(flags(c)) or None),
        ("Trash", f"since {short_time(c.trashed_at)}; purged on {short_time(c.purge_at)} unless restored"
         if c.trashed_at else None),
    ])
    lines += ["", f"Messages ({len(detail.thread)}):"] + _messages(detail.thread)
    lines += ["", f"Comments ({len(detail.comments)}):"] + (_messages(detail.comments) or ["  none"])
    return "\n".join(lines)


def _fields(pairs: list[tuple[str, str | None]]) -> list[str]:
    return [f"  {name + ':':<10} {terminal_safe(value)}" for name, value in pairs if value]


def _assignee_text(detail: ConversationDetail) -> str:
    c = detail.conversation
    if c.assignee:
        name = f"{detail.assignee_name} <{c.assignee}>" if detail.assignee_name else c.assignee
        return name + ("" if detail.assignee_active else " (deactivated)")
    return "a bot" if c.assigned_to_bot else "nobody"


def _ticket_text(detail: ConversationDetail) -> str:
    ticket = detail.ticket
    if ticket is None:
        return "none"
    priority = f", priority {ticket.priority}" if ticket.priority else ""
    return f"#{ticket.id} {ticket.pipeline} / {ticket.stage} ({ticket.status}{priority})"


def _messages(messages: Sequence[Any]) -> list[str]:
    lines = []
    for message in messages:
        lines.append(terminal_safe(f"  [{short_time(message.created_at)}] {message.author} ({message.kind})"))
        lines += [f"    {line}" for line in terminal_safe_lines(message.body).splitlines() or [""]]
    return lines
