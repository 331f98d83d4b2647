"""Rules that go beyond the shape of a file: hours that make sense, routing that can route,
and what must be unique across all the files planned together."""

from __future__ import annotations

from typing import Any

from inboxctl.names import name_key
from inboxctl.definitions import formats
from inboxctl.definitions.model import ChannelDefinition, InboxDefinition, Problem
from inboxctl.definitions.spec import CHANNEL_KEY

FALLBACK_FIX = 'add fallback = "unassigned", or fallback = { users = ["someone@example.com"] }'


def effective(inbox: InboxDefinition, channel: ChannelDefinition, table: str) -> dict[str, Any]:
    """The inbox's table with the channel's overrides applied key by key."""
    return {**inbox.settings[table], **channel.settings.get(table, {})}


def check_inbox(inbox: InboxDefinition, *, broken: frozenset[str] = frozenset()) -> list[Problem]:
    """``broken``: what the file gives but was left out as invalid, tables ("routing") and channel types
    ("channels.email", "channels.?" for an unreadable type). A check that reads one of them is skipped, since
    it would report a mistake that is not there; every other check runs."""
    problems = _check_routing(inbox, inbox.settings["routing"], ("routing",))
    problems += _check_ticket_defaults(inbox, inbox.settings["ticket_defaults"], ("ticket_defaults",))
    seen: dict[str, ChannelDefinition] = {}
    for channel in inbox.channels:
        if channel.ident in seen:
            problems.append(inbox.problem(
                inbox.channel_path(channel, CHANNEL_KEY[channel.type]),
                f"{channel.label} is declared twice in this inbox",
                f"remove one of them (the first is channels[{seen[channel.ident].index}])"))
        seen[channel.ident] = channel
        problems += _check_channel(inbox, channel, broken=broken)
    return problems


def check_hours_order(document: dict[str, Any], problem: Any) -> list[Problem]:
    """Close after open, and no two ranges of one day overlapping, for every range whose days and
    times are readable, even in an otherwise broken [business_hours] table (a misspelt timezone,
    another range's bad day): these mistakes must not hide behind another one in the same table."""
    table = document.get("business_hours")
    hours = table.get("hours") if isinstance(table, dict) else None
    problems = []
    by_day: dict[str, list[tuple[str, str, int]]] = {}
    for index, entry in enumerate(hours if isinstance(hours, list) else []):
        times = _readable_times(entry)
        if times and times[1] <= times[0]:
            problems.append(problem(("business_hours", "hours", index, "close"),
                                    f"closes at {times[1]}, not after it opens at {times[0]}",
                                    "make close later than open; split a range that crosses midnight in two"))
        elif times:
            for day in _readable_days(entry):
                by_day.setdefault(day, []).append((*times, index))
    for day, ranges in by_day.items():
        ranges.sort()
        for (_, first_close, first), (second_open, _, second) in zip(ranges, ranges[1:], strict=False):
            if second_open < first_close:
                problems.append(problem(("business_hours", "hours", second),
                                        f"on {day}, this range overlaps hours[{first}] (open until {first_close})",
                                        "make the ranges of one day follow each other without overlapping"))
    return problems


def _readable_times(entry: Any) -> tuple[str, str] | None:
    try:
        return formats.normalise_time(entry["open"]), formats.normalise_time(entry["close"])
    except (formats.FormatError, KeyError, TypeError, AttributeError):
        return None


def _readable_days(entry: dict[str, Any]) -> list[str]:
    try:
        return formats.normalise_days(entry["days"])
    except (formats.FormatError, KeyError, TypeError, AttributeError):
        return []


def _check_routing(inbox: InboxDefinition, routing: dict[str, Any], path: tuple) -> list[Problem]:
    mode = routing.get("mode")
    if mode == "contact_owner" and routing.get("fallback") is None:
        return [inbox.problem(path + ("mode",), "contact-owner routing needs a fallback for visitors with no owner",
                              FALLBACK_FIX)]
    if mode == "users_and_teams" and not routing.get("users") and not routing.get("teams"):
        return [inbox.problem(path + ("mode",), "users_and_teams routing names no users and no teams",
                              'add users = ["..."] or teams = ["..."], or use mode = "unassigned"')]
    return []


def _check_ticket_defaults(inbox: InboxDefinition, defaults: dict[str, Any], path: tuple) -> list[Problem]:
    problems = []
    if defaults.get("stage") and not defaults.get("pipeline"):
        problems.append(inbox.problem(path + ("stage",), f"stage {defaults['stage']!r} needs its pipeline",
                                      'add pipeline = "..." here or in the inbox\'s [ticket_defaults]'))
    owner = defaults.get("owner", "conversation_owner")
    if owner != "conversation_owner" and "@" not in owner:
        problems.append(inbox.problem(path + ("owner",), f"{owner!r} is not a ticket owner",
                                      'write "conversation_owner" or a user\'s e-mail address'))
    return problems


def check_blocked_senders(document: dict[str, Any], problem: Any) -> list[Problem]:
    """Each blocked sender is an address or an @domain. Read in the file's order: the checked list is
    a sorted set, whose indexes would point at the wrong line."""
    filters = document.get("email_filters")
    senders = filters.get("blocked_senders") if isinstance(filters, dict) else None
    problems = []
    for index, sender in enumerate(senders if isinstance(senders, list) else []):
        if not isinstance(sender, str) or not sender.strip():
            continue  # the shape check reports it
        local, at, domain = sender.strip().partition("@")
        if not at or "." not in domain or " " in sender.strip():
            problems.append(problem(("email_filters", "blocked_senders", index),
                                    f"{sender!r} is neither an address nor an @domain",
                                    'write "spammer@example.net" or "@example.net"'))
    return problems


def _check_channel(inbox: InboxDefinition, channel: ChannelDefinition, *,
                   broken: frozenset[str] = frozenset()) -> list[Problem]:
    path = inbox.channel_path(channel)
    problems = []
    if "routing" in channel.settings and "routing" not in broken:
        problems += _check_routing(inbox, effective(inbox, channel, "routing"), path + ("routing",))
    if "ticket_defaults" in channel.settings and "ticket_defaults" not in broken:
        problems += _check_ticket_defaults(inbox, effective(inbox, channel, "ticket_defaults"),
                                           path + ("ticket_defaults",))
    if channel.type == "chat":
        problems += _check_chat(inbox, channel, path, broken=broken)
    return problems


def _check_chat(inbox: InboxDefinition, channel: ChannelDefinition, path: tuple, *,
                broken: frozenset[str]) -> list[Problem]:
    settings = channel.settings
    problems = []
    hours_unknown = "business_hours" in broken  # given, but invalid: not missing
    if not hours_unknown and settings["availability"] == "business_hours" and not inbox.settings.get("business_hours"):
        problems.append(inbox.problem(path + ("availability",), "availability by business hours needs business hours",
                                      "add a [business_hours] table to this inbox"))
    sender = (settings.get("transcripts") or {}).get("from")
    addresses = {c.key for c in inbox.channels if c.type == "email"}
    addresses_unknown = bool({"channels.email", "channels.?"} & broken)  # the sender may be an invalid channel's
    if not addresses_unknown and sender and sender not in addresses:
        problems.append(inbox.problem(path + ("transcripts", "from"),
                                      f"{sender} is not a team address connected to this inbox",
                                      "use one of: " + ", ".join(sorted(addresses)) if addresses
                                      else "connect that address as an email channel of this inbox"))
    heading = settings.get("heading") or {}
    if heading.get("mode") == "custom" and not heading.get("name"):
        problems.append(inbox.problem(path + ("heading", "mode"), "a custom heading needs a name",
                                      'add name = "..." to heading'))
    return problems


def check_across_files(inboxes: list[InboxDefinition]) -> list[Problem]:
    """Inbox names are unique; a channel (a team address, page, number...) is in one inbox only (F10, F12).

    ``inboxes`` may be read in part (an invalid file's valid channels; no name when [inbox] is invalid)."""
    problems = []
    names: dict[str, InboxDefinition] = {}
    channels: dict[str, tuple[InboxDefinition, ChannelDefinition]] = {}
    for inbox in inboxes:
        first = names.setdefault(name_key(inbox.name), inbox) if inbox.name else inbox
        if first is not inbox:
            problems.append(inbox.problem(("inbox", "name"), f"inbox {inbox.name!r} is defined twice",
                                          f"it is also defined in {first.locate(('inbox', 'name'))}; "
                                          "rename one, or merge the two files"))
        for channel in inbox.channels:
            owner, _ = channels.setdefault(channel.ident, (inbox, channel))
            if owner is not inbox:
                problems.append(inbox.problem(
                    inbox.channel_path(channel, CHANNEL_KEY[channel.type]),
                    f"{channel.label} is also connected to inbox {owner.name!r}",
                    "a channel can be connected to one inbox only: remove it from one of them"))
    return problems


def warn_about_timezone(inbox: InboxDefinition, document: dict[str, Any]) -> None:
    """A valid timezone that is probably not meant (EST, Etc/GMT+5, US/Eastern): a warning naming the zone to use."""
    table = document.get("business_hours")
    name = table.get("timezone") if isinstance(table, dict) else None
    if not isinstance(name, str):
        return
    from inboxctl.definitions import timezones  # only for business hours

    advice = timezones.timezone_advice(name) if timezones.is_known_timezone(name) else None
    if advice:
        inbox.warn(("business_hours", "timezone"), *advice)
