"""What the conversation commands ask a backend for, and what it answers.

These types are the contract between the CLI, the bulk runner and every backend:
``Backend.list_conversations(ConversationQuery)`` yields ``Conversation``;
``Backend.get_conversation(id)`` returns ``ConversationDetail``;
``Backend.run_action(ActionRequest, ids)`` yields one ``ActionResult`` per id, with the
conversation's state before and after, which is what the journal keeps and undo reads.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

Status = Literal["open", "closed"]
Sort = Literal["newest", "oldest"]
Scope = Literal["hide", "only", "include"]
# "unknown": the write was sent, and the run was interrupted before its answer came (undo looks at it).
Outcome = Literal["changed", "unchanged", "failed", "unknown"]

STATUSES: tuple[str, ...] = ("open", "closed")
CHANNEL_TYPES: tuple[str, ...] = ("email", "chat", "messenger", "form", "whatsapp", "calling")

# What the servers' conversation ids look like: ASCII digits, at most an int64 (HubSpot's thread ids).
# Anything else (other scripts' digits such as "٣", "²", 20-digit numbers) is a mistake, never an id.
_CONVERSATION_ID = re.compile(r"#?([0-9]{1,19})", re.ASCII)
MAX_CONVERSATION_ID = 2**63 - 1


def conversation_number(text: str) -> int | None:
    """``42`` or ``#42`` as the number 42; None for anything that is not a conversation id."""
    match = _CONVERSATION_ID.fullmatch(str(text).strip())
    if match is None or int(match.group(1)) > MAX_CONVERSATION_ID:
        return None
    return int(match.group(1))


# F55: the platform purges a conversation this long after it was moved to trash.
TRASH_RETENTION = timedelta(days=30)

# A relative bound ("7d") stays relative until the backend resolves it against its own clock, so a
# test that moves the server's clock forward moves "older than 30 days" with it.
DateBound = datetime | timedelta


# ---------------------------------------------------------------------------------------------
# Queries


@dataclass(frozen=True, kw_only=True)
class ConversationQuery:
    """Which conversations to list (F50 views are resolved into these filters, F51).

    Every field narrows the result; ``None`` means "any". Dates bound the conversation's
    creation time; ``until`` is exclusive.
    """

    inbox: str | None = None
    status: Status | None = None
    channel: str | None = None         # a channel type (email, chat, ...) or a channel's name/address
    assignee: str | None = None        # a user's e-mail
    unassigned: bool = False           # assigned to nobody: no user and no bot
    bot: bool | None = None            # True: with a bot and no user (the Bots view)
    contact: str | None = None         # an e-mail (exact) or part of a name
    since: DateBound | None = None
    until: DateBound | None = None
    search: str | None = None          # in the subject and the messages
    outgoing: bool | None = None       # started by an agent and not answered yet (the Sent view)
    trash: Scope = "hide"
    filtered: Scope = "hide"           # spam and conversations from blocked senders
    sort: Sort = "newest"
    limit: int | None = None

    def bounds(self, now: datetime) -> tuple[datetime | None, datetime | None]:
        """``since`` and ``until`` as absolute UTC datetimes, relative ones counted back from ``now``."""
        return _absolute(self.since, now), _absolute(self.until, now)

    def describe(self) -> str:
        """A short human summary of the filters, for confirmation prompts."""
        defaults = ConversationQuery()
        parts = [_describe_field(f.name, getattr(self, f.name)) for f in fields(self)
                 if f.name not in ("sort", "limit") and getattr(self, f.name) != getattr(defaults, f.name)]
        return ", ".join(parts) if parts else "all conversations"


def _absolute(bound: DateBound | None, now: datetime) -> datetime | None:
    if bound is None:
        return None
    if isinstance(bound, timedelta):
        return now - bound
    return bound if bound.tzinfo else bound.replace(tzinfo=timezone.utc)


def _describe_field(name: str, value: Any) -> str:
    if name in ("since", "until"):
        if isinstance(value, timedelta):
            age = _duration(value)
            return f"created in the last {age}" if name == "since" else f"older than {age}"
        return f"created {'since' if name == 'since' else 'before'} {value.isoformat(timespec='minutes')}"
    if isinstance(value, bool):
        return _FLAG_WORDS[name][0 if value else 1]
    if name in ("trash", "filtered"):
        return f"{value} {name}" if value != "only" else f"in {name}"
    return f"{name} {value}"


_FLAG_WORDS = {"unassigned": ("unassigned", "assigned"), "bot": ("with a bot", "not with a bot"),
               "outgoing": ("sent, not answered yet", "not sent-only")}


def _duration(value: timedelta) -> str:
    if value.seconds == 0:
        return f"{value.days}d"
    return f"{int(value.total_seconds() // 3600)}h" if value.total_seconds() % 3600 == 0 else str(value)


# ---------------------------------------------------------------------------------------------
# Conversations


@dataclass(frozen=True, kw_only=True, slots=True)
class Conversation:
    """One conversation as a listing shows it. Dates are ISO 8601 strings in UTC."""

    id: str
    inbox: str
    channel: str            # the channel type
    channel_name: str       # the address, chat name, page, form or phone it came through
    subject: str
    contact: str            # the contact's e-mail
    contact_name: str
    assignee: str | None    # a user's e-mail
    assigned_to_bot: bool
    status: Status
    outgoing: bool
    spam: bool
    filtered: bool
    has_ticket: bool
    created_at: str
    updated_at: str
    closed_at: str | None = None
    trashed_at: str | None = None
    team: str | None = None  # the team's name, on servers that assign conversations to teams

    @property
    def purge_at(self) -> str | None:
        """When the platform purges it from trash for good (F55)."""
        if self.trashed_at is None:
            return None
        purge = datetime.fromisoformat(self.trashed_at) + TRASH_RETENTION
        return purge.isoformat(timespec="seconds")

    def state(self) -> ConversationState:
        """The state a listing shows. It cannot tell a ticket's status or a blocked sender: those are
        left unknown (None / False), so only actions on other fields may trust it."""
        return ConversationState(status=self.status, assignee=self.assignee, assigned_to_bot=self.assigned_to_bot,
                                 spam=self.spam, filtered=self.filtered, trashed_at=self.trashed_at, team=self.team)

    def to_dict(self) -> dict[str, Any]:
        # Flat scalars only, so a plain copy will do: dataclasses.asdict deep-copies, and a listing of
        # 100,000 conversations spent most of its time there.
        data = {name: getattr(self, name) for name in _CONVERSATION_FIELDS}
        data["purge_at"] = self.purge_at
        return data


_CONVERSATION_FIELDS = tuple(f.name for f in fields(Conversation))


@dataclass(frozen=True, kw_only=True)
class Contact:
    email: str
    name: str
    owner: str | None = None  # the owning user's e-mail


@dataclass(frozen=True, kw_only=True)
class Ticket:
    id: str
    pipeline: str
    stage: str
    status: str
    priority: str | None = None


@dataclass(frozen=True, kw_only=True)
class Message:
    kind: Literal["incoming", "outgoing", "comment"]  # a comment is an internal note (F57)
    author: str
    body: str
    created_at: str


@dataclass(frozen=True, kw_only=True)
class ConversationDetail:
    """What ``conversations show`` needs: the conversation and everything around it."""

    conversation: Conversation
    contact: Contact
    assignee_name: str | None = None
    assignee_active: bool = True
    ticket: Ticket | None = None
    messages: tuple[Message, ...] = ()

    @property
    def comments(self) -> tuple[Message, ...]:
        return tuple(m for m in self.messages if m.kind == "comment")

    @property
    def thread(self) -> tuple[Message, ...]:
        return tuple(m for m in self.messages if m.kind != "comment")

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.conversation.to_dict(),
            "contact": asdict(self.contact),
            "assignee_name": self.assignee_name,
            "assignee_active": self.assignee_active,
            "ticket": asdict(self.ticket) if self.ticket else None,
            "messages": [asdict(m) for m in self.thread],
            "comments": [asdict(m) for m in self.comments],
        }


# ---------------------------------------------------------------------------------------------
# Actions

# Every action a backend may be asked for. "unspam" is the inverse of "spam", used by undo.
# Team actions have names of their own, so that a server without teams (HubSpot) refuses them by name.
ACTIONS: tuple[str, ...] = ("assign", "unassign", "assign-team", "unassign-team", "close", "reopen", "trash",
                            "restore", "delete", "spam", "unspam", "block-sender", "unblock-sender", "comment")
# Actions that lose something or hide conversations: they always ask first, even for explicit ids.
DESTRUCTIVE_ACTIONS: frozenset[str] = frozenset({"trash", "delete", "spam", "block-sender"})
# Actions undo cannot revert: a deleted conversation is gone, a comment cannot be removed.
IRREVERSIBLE_ACTIONS: frozenset[str] = frozenset({"delete", "comment"})


@dataclass(frozen=True, kw_only=True)
class ActionRequest:
    """One action, applied the same way to every conversation it is run on.

    ``precondition`` lists (state field, expected value) pairs: a backend leaves a
    conversation alone, and reports it failed, when its current state differs. Undo uses it
    so that giving back an assignment never overrides a reassignment made since.
    Frozen and hashable, so undo can group conversations by the request that reverts them.
    """

    action: str
    assignee: str | None = None          # assign: the user's e-mail
    team: str | None = None              # assign-team: the team's name
    with_ticket: bool = False            # close / reopen: the ticket too (F53)
    text: str | None = None              # comment
    author: str | None = None            # comment: the user's e-mail
    precondition: tuple[tuple[str, Any], ...] = ()
    dry_run: bool = False

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown action {self.action!r}")

    @property
    def destructive(self) -> bool:
        return self.action in DESTRUCTIVE_ACTIONS

    def unmet_precondition(self, state: ConversationState) -> str | None:
        """Why ``state`` fails the precondition (the reason a backend reports), or None if it holds.

        E-mails compare case-insensitively, like everywhere else.
        """
        for name, expected in self.precondition:
            actual = getattr(state, name)
            if _folded(actual) != _folded(expected):
                return f"changed since: {name} is now {_shown(actual)}, not {_shown(expected)}; left as is"
        return None

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k != "dry_run" and v not in (None, False, ())}
        if self.precondition:
            data["precondition"] = dict(self.precondition)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ActionRequest:
        values = dict(data)
        values["precondition"] = tuple(sorted((values.get("precondition") or {}).items()))
        return cls(**values)


@dataclass(frozen=True, kw_only=True, slots=True)
class ConversationState:
    """The part of a conversation that actions change, and undo restores."""

    status: Status
    assignee: str | None = None
    assigned_to_bot: bool = False
    spam: bool = False
    filtered: bool = False
    trashed_at: str | None = None
    ticket_status: str | None = None     # None: no ticket
    sender_blocked: bool = False
    team: str | None = None              # the team's name; None: no team (or a server without teams)

    def with_changes(self, **changes: Any) -> ConversationState:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _STATE_FIELDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ConversationState | None:
        return cls(**data) if data is not None else None


_STATE_FIELDS = tuple(f.name for f in fields(ConversationState))


def expected_state(request: ActionRequest, before: ConversationState, *, now: str = "") -> ConversationState | None:
    """The state ``request`` leaves a conversation in, from ``before``: what "unchanged" compares with.

    None after a permanent delete. Ticket statuses follow only with ``with_ticket``; ``now`` is the
    time a trash records.
    """
    ticket = request.with_ticket and before.ticket_status is not None
    match request.action:
        case "assign":
            return before.with_changes(assignee=request.assignee, assigned_to_bot=False)
        case "unassign":
            return before.with_changes(assignee=None, assigned_to_bot=False)
        case "assign-team" | "unassign-team":
            return before.with_changes(team=request.team if request.action == "assign-team" else None)
        case "close":
            return before.with_changes(status="closed", ticket_status="closed" if ticket else before.ticket_status)
        case "reopen":
            return before.with_changes(status="open", ticket_status="open" if ticket else before.ticket_status)
        case "trash":
            return before.with_changes(trashed_at=before.trashed_at or now)
        case "restore":
            return before.with_changes(trashed_at=None)
        case "spam" | "unspam":
            return before.with_changes(spam=request.action == "spam")
        case "block-sender" | "unblock-sender":
            blocked = request.action == "block-sender"
            return before.with_changes(sender_blocked=blocked, filtered=blocked)
        case "delete":
            return None
    return before  # comment: the state does not change, a note is added


def already_done(request: ActionRequest, before: ConversationState) -> bool:
    """True when ``before`` is already what ``request`` asks for, so there is nothing to write."""
    if request.action in ("comment", "delete"):
        return False
    after = expected_state(request, before, now=before.trashed_at or "")
    return after is not None and _same_state(after, before)


def _same_state(left: ConversationState, right: ConversationState) -> bool:
    return all(_folded(getattr(left, name)) == _folded(getattr(right, name)) for name in _STATE_FIELDS)


def _folded(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _shown(value: Any) -> str:
    return "nobody" if value is None else str(value)


@dataclass(frozen=True, kw_only=True, slots=True)
class ActionResult:
    """What happened to one conversation. ``reason`` is the server's own words for a failure."""

    id: str
    action: str
    outcome: Outcome
    reason: str | None = None
    before: ConversationState | None = None
    after: ConversationState | None = None  # None after a permanent delete
    dry_run: bool = False
    # A failure that running the same command again may fix (the server was down, the outcome is
    # unknown); False for refusals that a re-run meets again (not found, purged, in trash).
    retryable: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "action": self.action, "outcome": self.outcome, "reason": self.reason,
            "before": self.before.to_dict() if self.before else None,
            "after": self.after.to_dict() if self.after else None,
            **({"dry_run": True} if self.dry_run else {}),
            **({"retryable": True} if self.retryable else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ActionResult:
        return cls(id=str(data["id"]), action=data["action"], outcome=data["outcome"], reason=data.get("reason"),
                   before=ConversationState.from_dict(data.get("before")),
                   after=ConversationState.from_dict(data.get("after")), dry_run=bool(data.get("dry_run")),
                   retryable=bool(data.get("retryable")))


@dataclass
class ActionSummary:
    """Counts of outcomes over a bulk run."""

    changed: int = 0
    unchanged: int = 0
    failed: int = 0
    unknown: int = 0
    failures: list[ActionResult] = field(default_factory=list)

    def add(self, result: ActionResult) -> None:
        setattr(self, result.outcome, getattr(self, result.outcome) + 1)
        if result.outcome == "failed":
            self.failures.append(result)

    @property
    def total(self) -> int:
        return self.changed + self.unchanged + self.failed + self.unknown

    @property
    def retryable_failures(self) -> int:
        return sum(1 for failure in self.failures if failure.retryable)

    def to_dict(self) -> dict[str, int]:
        counts = {"changed": self.changed, "unchanged": self.unchanged, "failed": self.failed}
        return {**counts, "unknown": self.unknown} if self.unknown else counts
