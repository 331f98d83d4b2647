"""What Chatwoot can hold, and the plan errors for what it cannot, before anything is written.

Three layers of checks, each naming the setting and saying why:

1. settings Chatwoot has no place for at all (``Capabilities.settings`` lists the ones it has);
   a setting Chatwoot cannot change is still accepted when the file states what Chatwoot always
   does anyway (``FIXED``: ``show_branding = true``, an empty ``email_filters``...);
2. value rules: names Chatwoot accepts, channels it cannot create through its API, hours;
3. a round trip through :mod:`~inboxctl.backends.chatwoot.mapping`: what would be written is
   read back, and any value that would not come back as written is an error (so ``apply`` then
   ``plan`` is always empty).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from inboxctl.backends.base import Capabilities, CapabilityProblem
from inboxctl.backends.chatwoot.mapping import (
    DEFINITION_KINDS, SEPARATOR, InboxState, View, chatwoot_name, effective, read_state, target_state, valid_name)
from inboxctl.definitions.model import ChannelDefinition, InboxDefinition

SUPPORTED_SETTINGS: tuple[str, ...] = (
    "inbox", "inbox.members", "inbox.teams",
    "routing", "routing.mode", "routing.users", "routing.teams", "routing.only_available", "routing.max_assignments",
    "ticket_defaults", "ticket_defaults.priority",
    "business_hours", "business_hours.timezone", "business_hours.hours",
    "channel.*.routing", "channel.*.routing.mode", "channel.*.routing.users", "channel.*.routing.teams",
    "channel.*.routing.only_available", "channel.*.routing.max_assignments",
    "channel.*.ticket_defaults", "channel.*.ticket_defaults.priority",
    "channel.email.address", "channel.email.provider", "channel.email.sender_name", "channel.email.company_name",
    "channel.chat.name", "channel.chat.color", "channel.chat.website_url", "channel.chat.welcome_message",
    "channel.chat.availability", "channel.chat.typical_response_time", "channel.chat.when_away",
    "channel.chat.when_away.action", "channel.chat.when_away.message",
    "channel.whatsapp.phone", "channel.messenger.page", "channel.messenger.greeting",
)

CONVERSATION_ACTIONS = frozenset({"assign", "unassign", "assign-team", "unassign-team", "close", "reopen", "delete",
                                  "block-sender", "unblock-sender", "comment"})

CHATWOOT_CAPABILITIES = Capabilities(
    server="Chatwoot", settings=SUPPORTED_SETTINGS, channel_types=frozenset(DEFINITION_KINDS),
    conversation_actions=CONVERSATION_ACTIONS)

# Settings Chatwoot cannot change, with the value it always behaves as: stating that value is fine.
FIXED: dict[str, Any] = {
    "email_filters": {"filter_role_based": False, "blocked_senders": []},
    "email_filters.filter_role_based": False, "email_filters.blocked_senders": [],
    "routing.reassign_when_away": False, "channel.*.routing.reassign_when_away": False,
    "ticket_defaults.enabled": False, "ticket_defaults.owner": "conversation_owner",
    "channel.*.ticket_defaults.enabled": False, "channel.*.ticket_defaults.owner": "conversation_owner",
    "channel.email.signature_format": "text", "channel.email.log_forwarded_on_original_sender": False,
    "channel.chat.position": "bottom-right", "channel.chat.open_welcome_as_prompt": False,
    "channel.chat.outside_hours": "show_away_message", "channel.chat.show_branding": True,
}

REASONS: dict[str, str] = {
    "email_filters": "Chatwoot's API has no e-mail filters (role-based or blocked senders)",
    "fallback": "a fallback belongs to contact-owner routing, which Chatwoot does not have",
    "reassign_when_away": "Chatwoot does not reassign conversations when an agent goes away",
    "enabled": "Chatwoot has no tickets: each conversation is its own ticket, and only its priority can be "
               "set by default (ticket_defaults.priority)",
    "pipeline": "Chatwoot has no ticket pipelines or stages",
    "stage": "Chatwoot has no ticket pipelines or stages",
    "owner": "Chatwoot has no ticket owner besides the conversation's assignee (use routing)",
    "position": "Chatwoot sets the widget's position in the website's embed script "
                "(window.chatwootSettings.position), not on the server",
    "open_welcome_as_prompt": "Chatwoot's widget has no prompt mode for its greeting",
    "heading": "Chatwoot's widget shows the inbox's agents by itself; it has no heading setting",
    "outside_hours": "outside business hours Chatwoot's widget shows the out-of-office message "
                     "(when_away.message); it cannot show the response time or hide the widget instead",
    "transcripts": "Chatwoot has no automatic chat transcripts per inbox",
    "show_branding": "Chatwoot's branding is an installation-wide setting, not an inbox's",
    "signature": "Chatwoot signatures belong to each agent's profile, not to an inbox",
    "signature_format": "Chatwoot signatures belong to each agent's profile, not to an inbox",
    "log_forwarded_on_original_sender": "Chatwoot has no option to log forwarded e-mail on the original sender",
    "instant_reply": "Chatwoot has no Messenger instant reply besides the greeting",
    "gdpr": "Chatwoot has no Messenger consent (GDPR) settings",
    "typical_response_time": "Chatwoot's widget always shows a reply time: choose \"a_few_minutes\", "
                             "\"a_few_hours\" or \"a_day\"",
    "website_url": "Chatwoot needs the address of the website the widget runs on: add website_url = \"https://...\"",
}


@dataclass
class CheckContext:
    """What the checks need to know about the account (all lookups by name)."""

    server: str
    team_emails: Callable[[str], frozenset[str]]
    administrators: frozenset[str] = frozenset()
    existing: dict[str, InboxState] = field(default_factory=dict)  # channel ident -> live state
    can_create_whatsapp: Callable[[str], bool] = lambda phone: False


class _Problems:
    def __init__(self, inbox: InboxDefinition) -> None:
        self.inbox = inbox
        self.found: dict[tuple[str, tuple], CapabilityProblem] = {}

    def add(self, setting: str, path: tuple, reason: str) -> None:
        if any(setting.startswith(f"{known}.") for known, _ in self.found):
            return  # "channel.chat.heading" already says it all for "channel.chat.heading.mode"
        self.found.setdefault((setting, path), CapabilityProblem(self.inbox.name, setting, reason, path))

    def has(self, setting: str) -> bool:
        return any(key[0] == setting for key in self.found)


def check_inbox(inbox: InboxDefinition, context: CheckContext) -> list[CapabilityProblem]:
    problems = _Problems(inbox)
    _check_names(inbox, problems)
    _check_settings(inbox, context, problems)
    _check_hours(inbox, problems)
    channels = [channel for channel in inbox.channels if channel.type in DEFINITION_KINDS]
    for channel in channels:
        _check_channel(inbox, channel, context, problems)
    if not channels:  # the API inbox holding a channel-less definition routes with the inbox's table
        _check_agent_is_member(inbox, None, inbox.settings["routing"], context, problems)
    _check_round_trips(inbox, context, problems)
    return list(problems.found.values())


# -- 1. settings Chatwoot has no place for ------------------------------------------------------

def _check_settings(inbox: InboxDefinition, context: CheckContext, problems: _Problems) -> None:
    for channel in inbox.channels:
        if channel.type not in DEFINITION_KINDS:
            problems.add(f"channel.{channel.type}", inbox.channel_path(channel, "type"),
                         f"Chatwoot has no {channel.type} inboxes: remove this channel or use another server")
    for setting, path in inbox.explicit_settings():
        if CHATWOOT_CAPABILITIES.supports(setting):
            continue
        fixed = _fixed_value(setting)
        if fixed is not _MISSING and _value_at(inbox, path) == fixed:
            continue
        problems.add(setting, path, _reason_for(setting) or f"{context.server} cannot manage this setting")


_MISSING = object()


def _reason_for(setting: str) -> str | None:
    """The most specific reason: "channel.chat.heading.mode" is about the heading."""
    parts = setting.split(".")
    parts = parts[2:] if parts[0] == "channel" else parts
    return next((REASONS[part] for part in parts if part in REASONS), None)


def _fixed_value(setting: str) -> Any:
    for pattern, value in FIXED.items():
        if fnmatch.fnmatchcase(setting, pattern):
            return value
    return _MISSING


def _value_at(inbox: InboxDefinition, path: tuple) -> Any:
    if path and path[0] == "channels":
        channel = next((c for c in inbox.channels if c.index == path[1]), None)
        value: Any = channel.settings if channel else {}
        rest = path[2:]
    else:
        value, rest = inbox.settings, path
    for part in rest:
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


# -- 2. value rules ----------------------------------------------------------------------------------

def _check_names(inbox: InboxDefinition, problems: _Problems) -> None:
    if SEPARATOR.strip() in inbox.name:
        problems.add("inbox.name", ("inbox", "name"),
                     f"inboxctl names Chatwoot inboxes \"<inbox>{SEPARATOR}<channel>\", so an inbox name cannot "
                     f"contain \"{SEPARATOR.strip()}\"")
    elif not valid_name(inbox.name):
        problems.add("inbox.name", ("inbox", "name"), _NAME_RULE)
    for channel in inbox.channels:
        if channel.type == "chat" and not valid_name(chatwoot_name(inbox.name, "chat", channel.key)):
            problems.add("channel.chat.name", inbox.channel_path(channel, "name"), _NAME_RULE)


_NAME_RULE = ("Chatwoot refuses e-mail, API and website inbox names that contain / \\ < > or @, or that do "
              "not start and end with a letter or digit")


def _check_hours(inbox: InboxDefinition, problems: _Problems) -> None:
    hours = (inbox.settings.get("business_hours") or {}).get("hours", [])
    seen: dict[str, int] = {}
    for index, entry in enumerate(hours):
        for day in entry["days"]:
            if day in seen:
                problems.add("business_hours.hours", ("business_hours", "hours", index),
                             f"Chatwoot keeps one opening range per day, and {day} has two (with hours[{seen[day]}]): "
                             "merge them into one range")
            seen.setdefault(day, index)
        if entry["close"] == "24:00":
            problems.add("business_hours.hours", ("business_hours", "hours", index, "close"),
                         "Chatwoot's day ends at 23:59: write close = \"23:59\"")


def _check_channel(inbox: InboxDefinition, channel: ChannelDefinition, context: CheckContext,
                   problems: _Problems) -> None:
    existing = context.existing.get(channel.ident)
    settings = channel.settings
    if channel.type == "messenger" and existing is None:
        problems.add("channel.messenger", inbox.channel_path(channel, "page"),
                     "Chatwoot connects Facebook pages through its own sign-in only (Settings > Inboxes > Add inbox "
                     f"> Messenger): connect {channel.key!r} there, then plan again; inboxctl then manages its "
                     "settings")
    if channel.type == "whatsapp" and existing is None and not context.can_create_whatsapp(channel.key):
        digits = channel.key.lstrip("+")
        problems.add("channel.whatsapp", inbox.channel_path(channel, "phone"),
                     "Chatwoot creates a WhatsApp inbox only with the number's WhatsApp Cloud API credentials: set "
                     f"INBOXCTL_WHATSAPP_{digits}='{{\"api_key\": ..., \"phone_number_id\": ..., "
                     "\"business_account_id\": ...}' for apply, or connect the number in Chatwoot first")
    if channel.type == "email":
        _check_email_provider(inbox, channel, existing, problems)
    if channel.type == "chat":
        _check_chat(inbox, channel, problems)
    _check_agent_is_member(inbox, channel, effective(inbox.settings, settings, "routing"), context, problems)


def _check_email_provider(inbox: InboxDefinition, channel: ChannelDefinition, existing: InboxState | None,
                          problems: _Problems) -> None:
    provider = channel.settings.get("provider", "forwarding")
    path = inbox.channel_path(channel, "provider")
    if existing is None and provider != "forwarding":
        problems.add("channel.email.provider", path,
                     f"Chatwoot connects {'Gmail' if provider == 'gmail' else 'Microsoft 365'} mailboxes through its "
                     f"own sign-in only (Settings > Inboxes > Add inbox > Email): connect {channel.key} there, then "
                     "plan again; inboxctl then manages its settings")
    elif existing is not None:
        live = read_state(existing).channel.get("provider")
        if live != provider:
            problems.add("channel.email.provider", path,
                         f"{channel.key} is connected to Chatwoot as {live}; Chatwoot cannot switch a mailbox to "
                         f"{provider} through its API (reconnect it in Chatwoot, or write provider = \"{live}\")")


def _check_chat(inbox: InboxDefinition, channel: ChannelDefinition, problems: _Problems) -> None:
    settings = channel.settings
    if not settings.get("website_url"):
        problems.add("channel.chat.website_url", inbox.channel_path(channel, "website_url"), REASONS["website_url"])
    availability = settings.get("availability")
    path = inbox.channel_path(channel, "availability")
    if availability == "always":
        problems.add("channel.chat.availability", path,
                     "Chatwoot's widget follows the agents' status or the inbox's business hours; it has no 24/7 mode")
    elif availability == "team_status" and inbox.settings.get("business_hours"):
        problems.add("channel.chat.availability", path,
                     "when an inbox has business hours, Chatwoot's widget follows them: write availability = "
                     "\"business_hours\" (or remove [business_hours])")
    when_away = settings.get("when_away") or {}
    if when_away.get("action") == "hide_widget":
        problems.add("channel.chat.when_away.action", inbox.channel_path(channel, "when_away", "action"),
                     "Chatwoot cannot hide the widget when everybody is away; it shows when_away.message")
    elif when_away and not when_away.get("message"):
        problems.add("channel.chat.when_away.message", inbox.channel_path(channel, "when_away"),
                     "Chatwoot shows an out-of-office message when away: add message = \"...\"")


def _check_agent_is_member(inbox: InboxDefinition, channel: ChannelDefinition | None, routing: dict[str, Any],
                           context: CheckContext, problems: _Problems) -> None:
    if routing.get("mode") != "users_and_teams" or len(routing.get("users") or []) != 1:
        return
    members = _chatwoot_members(inbox, context)
    agent = str(routing["users"][0]).lower()
    if agent not in members and agent not in context.administrators:
        overridden = channel is not None and "users" in (channel.settings.get("routing") or {})
        path = inbox.channel_path(channel, "routing", "users") if overridden and channel else ("routing", "users")
        problems.add(_setting(channel, "routing", "users", inbox), path,
                     f"Chatwoot only assigns conversations to members of the inbox (or administrators): add {agent} "
                     "to the inbox's members")


# -- 3. the round trip ---------------------------------------------------------------------------------

def _check_round_trips(inbox: InboxDefinition, context: CheckContext, problems: _Problems) -> None:
    members = _chatwoot_members(inbox, context)
    channels = [c for c in inbox.channels if c.type in DEFINITION_KINDS]
    targets: list[tuple[ChannelDefinition | None, str]] = [(c, c.type) for c in channels] or [(None, "api")]
    for channel, kind in targets:
        view = read_state(target_state(inbox.settings, kind, channel.settings if channel else None, members,
                                       key=channel.key if channel else None))
        _compare_layer(inbox, channel, "routing", view, members, problems)
        _compare_layer(inbox, channel, "ticket_defaults", view, members, problems)
        if channel is not None:
            _compare_channel(inbox, channel, view, problems)
        if view.business_hours != inbox.settings.get("business_hours") and not problems.has("business_hours.hours"):
            problems.add("business_hours.hours", ("business_hours", "hours"),
                         "Chatwoot would not keep these business hours as written")


def _compare_layer(inbox: InboxDefinition, channel: ChannelDefinition | None, table: str, view: View,
                   members: frozenset[str], problems: _Problems) -> None:
    wanted = _folded(effective(inbox.settings, channel.settings if channel else None, table))
    back = view.routing if table == "routing" else view.ticket_defaults
    for key in sorted(wanted.keys() | back.keys()):
        if wanted.get(key) == back.get(key):
            continue
        overridden = channel is not None and key in (channel.settings.get(table) or {})
        path = inbox.channel_path(channel, table, key) if overridden and channel else (table, key)
        setting = _setting(channel if overridden else None, table, key, inbox)
        problems.add(setting, path, _layer_reason(table, key, wanted, members))


def _folded(table: dict[str, Any]) -> dict[str, Any]:
    """Teams as Chatwoot spells them (lower case) and users case-folded, for comparing."""
    folded = dict(table)
    for key in ("users", "teams"):
        if key in folded:
            folded[key] = sorted(str(item).lower() for item in folded[key])
    return folded


def _layer_reason(table: str, key: str, wanted: dict[str, Any], members: frozenset[str]) -> str:
    if key in ("fallback", "reassign_when_away") or (table == "ticket_defaults" and key in REASONS):
        return REASONS[key]
    if table != "routing":
        return "Chatwoot would not keep this value"
    mode = wanted.get("mode")
    if mode == "contact_owner":
        return ("Chatwoot has no contact owners to route to: use mode = \"users_and_teams\" (a team, one agent, or "
                "exactly the inbox's members for a round robin) or \"unassigned\"")
    if mode != "users_and_teams":
        return f"{key} has no effect without routing in Chatwoot (mode = \"{mode}\"): remove it"
    if key in ("users", "teams", "mode"):
        return ("a Chatwoot automation rule gives a new conversation to one team and/or one agent: route to one team "
                "(Chatwoot's round robin then picks an online member), one agent, or list exactly the inbox's "
                f"members ({', '.join(sorted(members)) or 'none'}) for a round robin among them")
    if key == "only_available":
        return ("Chatwoot's round robin only picks agents who are online; only_available = false is possible only "
                "with a rule naming a team or an agent")
    if key == "max_assignments":
        return "Chatwoot limits assignments only when it assigns automatically (only_available = true)"
    return "Chatwoot would not keep this value"


def _compare_channel(inbox: InboxDefinition, channel: ChannelDefinition, view: View, problems: _Problems) -> None:
    wanted = {key: value for key, value in channel.settings.items() if key not in ("routing", "ticket_defaults")}
    for key in sorted(wanted.keys() | view.channel.keys()):
        if wanted.get(key) != view.channel.get(key):
            problems.add(f"channel.{channel.type}.{key}", inbox.channel_path(channel, key),
                         REASONS.get(key, "Chatwoot would not keep this value as written"))


def _setting(channel: ChannelDefinition | None, table: str, key: str, inbox: InboxDefinition) -> str:
    return f"channel.{channel.type}.{table}.{key}" if channel else f"{table}.{key}"


def _chatwoot_members(inbox: InboxDefinition, context: CheckContext) -> frozenset[str]:
    members = {email.lower() for email in inbox.settings.get("members", [])}
    for team in inbox.settings.get("teams", []):
        members |= context.team_emails(team)
    return frozenset(members)
