"""From what a user typed (views, filters, dates, e-mails) to a ``ConversationQuery``.

A view (F50) is a preset of filters (F51). A filter given explicitly wins over the same
field of the view, so ``--view mine --status closed`` lists my closed conversations.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta, timezone
from typing import Any

from inboxctl.backends.base import User
from inboxctl.conversations.model import CHANNEL_TYPES, STATUSES, ConversationQuery, DateBound, Scope
from inboxctl.definitions.formats import did_you_mean
from inboxctl.errors import UsageError

DEFAULT_LIMIT = 50
# Who "mine" means on the local backend when neither --as nor INBOXCTL_USER says (documented in the README).
DEFAULT_LOCAL_USER = "alice@acme.example"
CURRENT_USER_ENV = "INBOXCTL_USER"

# The working views show open conversations that are not waiting on a first reply, as the web inbox does.
_WORKING = {"status": "open", "outgoing": False}
VIEWS: dict[str, dict[str, Any]] = {
    "unassigned": {**_WORKING, "unassigned": True},
    "mine": {**_WORKING, "assignee": "@me"},
    "open": dict(_WORKING),
    "closed": {"status": "closed"},
    "sent": {"outgoing": True},
    "spam": {"filtered": "only"},
    "trash": {"trash": "only", "filtered": "include"},
    "chat": {**_WORKING, "channel": "chat"},
    "bots": {**_WORKING, "bot": True},
    "email": {**_WORKING, "channel": "email"},
    "messenger": {**_WORKING, "channel": "messenger"},
    "forms": {**_WORKING, "channel": "form"},
}

_DURATION = re.compile(r"^\s*([0-9]+)\s*(m|min|h|d|w)\s*$", re.IGNORECASE | re.ASCII)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}
# Out-of-range dates and durations are usage errors, never an OverflowError in date arithmetic:
# a duration reaches back at most 100 years, a date lies in years 1900 to 9998 (UTC).
MAX_DURATION = timedelta(days=36_525)
EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9999, 1, 1, tzinfo=timezone.utc)
_DATE_RANGE = "between 1900-01-01 and 9998-12-31"
_UNIT_NAMES = {"min": "m"}


@dataclass(frozen=True, kw_only=True)
class FilterSpec:
    """The filter options exactly as typed; ``None`` or ``False`` means not given."""

    view: str | None = None
    inbox: str | None = None
    status: str | None = None
    channel: str | None = None
    assignee: str | None = None
    unassigned: bool = False
    include_deactivated: bool = False
    contact: str | None = None
    since: str | None = None
    until: str | None = None
    older_than: str | None = None
    search: str | None = None
    include_filtered: bool = False
    include_trash: bool = False

    def __post_init__(self) -> None:
        # An empty value (an unset $INBOX in a script) would otherwise be no filter at all, and a
        # bulk action by filter would widen to every conversation: a filter never means "everything".
        for name in self.field_names():
            value = getattr(self, name)
            if isinstance(value, str) and not value.strip():
                option = "--" + name.replace("_", "-")
                raise UsageError(f"{option} is empty; nothing was listed or changed",
                                 hint=f"give {option} a value, or leave the option out (is a shell variable unset?)")

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def is_empty(self) -> bool:
        return self == FilterSpec(include_deactivated=self.include_deactivated)


# ---------------------------------------------------------------------------------------------
# Dates


def parse_duration(text: str, *, option: str = "a duration") -> timedelta | None:
    """``30m``, ``12h``, ``7d``, ``2w`` as a timedelta; None if ``text`` is not a duration.

    A duration longer than ``MAX_DURATION`` (100 years) is a UsageError naming ``option``."""
    match = _DURATION.match(text)
    if not match:
        return None
    digits, unit = match.group(1).lstrip("0") or "0", match.group(2).lower()
    # Compared in whole units first: 99999999999d would overflow timedelta itself.
    longest = MAX_DURATION // timedelta(**{_UNITS[unit]: 1})
    if len(digits) > len(str(longest)) or int(digits) > longest:
        raise UsageError(f"{option} {_quoted(text)} is too long: a duration reaches back at most 100 years "
                         f"({longest}{_UNIT_NAMES.get(unit, unit)})",
                         hint="to include everything, leave the date bound out")
    return timedelta(**{_UNITS[unit]: int(digits)})


def parse_when(text: str, *, option: str, end_of_day: bool = False) -> DateBound:
    """A relative duration (``7d``: seven days ago), a date or an ISO date-time (UTC unless it says).

    A bare date as an upper bound means the end of that day, so ``--until 2024-05-01`` includes May 1st.
    """
    duration = parse_duration(text, option=option)
    if duration is not None:
        return duration
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        pass
    else:
        start = _in_range(datetime(day.year, day.month, day.day, tzinfo=timezone.utc), option, text)
        return start + timedelta(days=1) if end_of_day else start
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{option} {_quoted(text)} is neither a date nor a duration",
                         hint="use a date such as 2024-05-01, a date-time such as 2024-05-01T14:00, "
                              "or a duration such as 30m, 12h, 7d or 2w") from None
    return _in_range(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc), option, text)


def _in_range(moment: datetime, option: str, text: str) -> datetime:
    """``moment``, if every backend can compute with it (in UTC, and a day either side)."""
    try:
        utc = moment.astimezone(timezone.utc)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise UsageError(f"{option} {_quoted(text)} is out of range: give a date {_DATE_RANGE}",
                         hint="to include everything, leave the date bound out")
    return moment


def _quoted(text: str, limit: int = 40) -> str:
    """What the user typed, for a message: quoted, and cut short if it is long."""
    text = text.strip()
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _upper_bound(spec: FilterSpec) -> DateBound | None:
    if spec.until and spec.older_than:
        raise UsageError("--until and --older-than both set the upper date bound; give one of them")
    if spec.older_than:
        if parse_duration(spec.older_than, option="--older-than") is None:
            raise UsageError(f"--older-than {_quoted(spec.older_than)} is not a duration",
                             hint="use a duration such as 30d, 12h or 2w")
        return parse_when(spec.older_than, option="--older-than")
    return parse_when(spec.until, option="--until", end_of_day=True) if spec.until else None


# ---------------------------------------------------------------------------------------------
# Users


def resolve_user(email: str, users: Sequence[User], *, option: str, allow_deactivated: bool) -> User:
    """The user with this e-mail (case-insensitive), or a UsageError naming the closest match."""
    wanted = email.strip().casefold()
    for user in users:
        if user.email.casefold() == wanted:
            if not user.active and not allow_deactivated:
                raise UsageError(f"{option} {user.email}: this user is deactivated",
                                 hint=_deactivated_hint(option))
            return user
    candidates = [u.email for u in users if u.active or allow_deactivated]
    close = did_you_mean(wanted, candidates)
    hint = f"did you mean {close}?" if close else f"known users: {', '.join(sorted(candidates))}"
    raise UsageError(f"{option} {email}: no user with this e-mail", hint=hint)


def _deactivated_hint(option: str) -> str:
    if option == "--assignee":
        return "add --include-deactivated to see conversations assigned to deactivated or removed users"
    return "conversations can only be given to active users"


def current_user(explicit: str | None, *, backend_name: str, users: Sequence[User]) -> str:
    """Who "mine" and comment authors mean: --as, else $INBOXCTL_USER, else the local demo user."""
    email = explicit or os.environ.get(CURRENT_USER_ENV) or None
    option = "--as" if explicit else CURRENT_USER_ENV
    if email is None:
        if backend_name != "local":
            raise UsageError("inboxctl does not know who you are on this server",
                             hint=f"set {CURRENT_USER_ENV}=you@example.com or pass --as you@example.com")
        email = DEFAULT_LOCAL_USER
    return resolve_user(email, users, option=option, allow_deactivated=False).email


# ---------------------------------------------------------------------------------------------
# The query


def build_query(spec: FilterSpec, *, users: Sequence[User], me: str | None, sort: str = "newest",
                limit: int | None = None, scope: dict[str, Any] | None = None) -> ConversationQuery:
    """Turn typed filters into a query. ``scope`` is forced on top (restore only looks in trash)."""
    values: dict[str, Any] = dict(_view_preset(spec.view, me))
    values.update(_explicit_filters(spec, users))
    values.update(scope or {})
    return ConversationQuery(**values, sort=sort, limit=limit)  # type: ignore[arg-type]


def _view_preset(view: str | None, me: str | None) -> dict[str, Any]:
    if view is None:
        return {}
    if view not in VIEWS:
        raise UsageError(f"unknown view {view!r}", hint=f"views: {', '.join(VIEWS)}")
    preset = dict(VIEWS[view])
    if preset.get("assignee") == "@me":
        if me is None:
            raise UsageError("the 'mine' view needs to know who you are", hint="pass --as you@example.com")
        preset["assignee"] = me
    return preset


def _explicit_filters(spec: FilterSpec, users: Sequence[User]) -> dict[str, Any]:
    if spec.assignee and spec.unassigned:
        raise UsageError("--assignee and --unassigned contradict each other; give one of them")
    values: dict[str, Any] = {}
    if spec.inbox:
        values["inbox"] = spec.inbox.strip()
    if spec.status:
        values["status"] = _choice(spec.status, STATUSES, "--status")
    if spec.channel:
        values["channel"] = _channel(spec.channel)
    if spec.assignee:
        user = resolve_user(spec.assignee, users, option="--assignee", allow_deactivated=spec.include_deactivated)
        values.update(assignee=user.email, unassigned=False, bot=None)
    if spec.unassigned:
        values.update(unassigned=True, assignee=None, bot=None)
    if spec.contact:
        values["contact"] = spec.contact.strip()
    if spec.since:
        values["since"] = parse_when(spec.since, option="--since")
    upper = _upper_bound(spec)
    if upper is not None:
        values["until"] = upper
    if spec.search:
        values["search"] = spec.search
    values.update(_scopes(spec))
    return values


def _scopes(spec: FilterSpec) -> dict[str, Scope]:
    scopes: dict[str, Scope] = {}
    if spec.include_filtered:
        scopes["filtered"] = "include"
    if spec.include_trash:
        scopes["trash"] = "include"
    return scopes


def _choice(value: str, choices: tuple[str, ...], option: str) -> str:
    normalised = value.strip().lower()
    if normalised not in choices:
        raise UsageError(f"{option} {value!r} is not one of: {', '.join(choices)}")
    return normalised


def _channel(value: str) -> str:
    """A channel type, lower-cased (``forms`` as typed in the web app means ``form``), else a channel name."""
    lowered = value.strip().lower()
    if lowered == "forms":
        return "form"
    return lowered if lowered in CHANNEL_TYPES else value.strip()
