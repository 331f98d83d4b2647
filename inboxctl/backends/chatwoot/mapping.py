"""Definition ⇄ Chatwoot inbox, in names only (e-mails, team names: no ids), with no I/O.

``target_state`` says what one Chatwoot inbox must hold for a definition; ``read_state`` says what
a Chatwoot inbox's state means in definition terms. The capability check runs one after the other
(write, then read back) on the definitions, so a setting that would not survive the trip is a
plan error before anything is written, and ``apply`` then ``plan`` is always empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from inboxctl.definitions.formats import DAYS, FormatError, canonical_hours, normalise_phone

SEPARATOR = " · "  # "Support · Website chat": definition inbox, then the channel
DEFINITION_KINDS = ("email", "chat", "whatsapp", "messenger")
KIND_OF_CHANNEL_TYPE = {
    "Channel::Email": "email", "Channel::WebWidget": "chat", "Channel::Whatsapp": "whatsapp",
    "Channel::FacebookPage": "messenger", "Channel::Api": "api",
}
CREATE_TYPE = {"email": "email", "chat": "web_widget", "whatsapp": "whatsapp", "api": "api"}

REPLY_TIME = {"a_few_minutes": "in_a_few_minutes", "a_few_hours": "in_a_few_hours", "a_day": "in_a_day"}
_RESPONSE_TIME = {value: key for key, value in REPLY_TIME.items()}
SENDER_NAME = {"agent_and_company": "friendly", "company": "professional"}
PROVIDER_OF = {"google": "gmail", "microsoft": "office365"}  # anything else: IMAP/SMTP or forwarding
DEFAULT_WIDGET_REPLY_TIME = "in_a_few_minutes"

# app/models/inbox.rb, for e-mail, API and website inboxes: %r{^^\b[^/\\<>@]*\b$}. Word characters
# at both ends (ASCII, to be safe with Ruby's \b) and none of / \ < > @ anywhere.
_VALID_NAME = re.compile(r"^[A-Za-z0-9_](?:[^/\\<>@\n]*[A-Za-z0-9_])?$")
_FORBIDDEN = re.compile(r"[/\\<>@\n]")
_SUNDAY_FIRST = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # Chatwoot's day_of_week 0..6

ROUTING_BASE: dict[str, Any] = {"mode": "unassigned", "users": [], "teams": [], "only_available": True,
                                "reassign_when_away": False}
TICKET_BASE: dict[str, Any] = {"enabled": False, "owner": "conversation_owner"}


# -- names ---------------------------------------------------------------------------------------

def parse_name(name: str) -> tuple[str, str | None]:
    """``"Support · Website chat"`` -> ``("Support", "Website chat")``; a plain name has no label."""
    head, separator, tail = name.partition(SEPARATOR)
    return (head.strip(), tail.strip()) if separator and head.strip() and tail.strip() else (name.strip(), None)


def channel_label(kind: str, key: str) -> str:
    if kind == "email":  # "@" is refused in inbox names
        return _FORBIDDEN.sub("-", key.replace("@", " at "))
    return key


def chatwoot_name(inbox: str, kind: str, key: str | None) -> str:
    if kind == "api" or key is None:
        return inbox
    return f"{inbox}{SEPARATOR}{channel_label(kind, key)}"


def valid_name(name: str) -> bool:
    return bool(_VALID_NAME.match(name))


# -- what one Chatwoot inbox holds, in names ------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    """The actions of inboxctl's routing rule for one Chatwoot inbox."""

    team: str | None = None   # team name (lower case, as Chatwoot keeps it)
    agent: str | None = None  # e-mail
    priority: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.team or self.agent or self.priority)


@dataclass
class InboxState:
    kind: str                 # email | chat | whatsapp | messenger | api | other
    key: str | None           # the channel's key in definition terms; None for api/other
    fields: dict[str, Any]    # top-level inbox attributes inboxctl manages
    channel: dict[str, Any]   # channel attributes (sent nested under "channel")
    members: frozenset[str]   # e-mails
    rule: Rule = field(default_factory=Rule)


@dataclass
class View:
    """A Chatwoot inbox in definition terms."""

    routing: dict[str, Any]
    ticket_defaults: dict[str, Any]
    channel: dict[str, Any]  # channel settings without routing/ticket_defaults
    business_hours: dict[str, Any] | None
    members: frozenset[str]


def effective(inbox_settings: dict[str, Any], channel_settings: dict[str, Any] | None, table: str) -> dict[str, Any]:
    return {**inbox_settings[table], **((channel_settings or {}).get(table) or {})}


# -- writing: definition -> state -------------------------------------------------------------------

def target_state(inbox_settings: dict[str, Any], kind: str, channel_settings: dict[str, Any] | None,
                 members: frozenset[str], key: str | None = None) -> InboxState:
    """What the Chatwoot inbox of one channel (or the holder: kind "api") must hold."""
    routing = effective(inbox_settings, channel_settings, "routing")
    ticket = effective(inbox_settings, channel_settings, "ticket_defaults")
    team, agent, auto = assignment(routing, members)
    fields: dict[str, Any] = {
        "enable_auto_assignment": auto,
        "auto_assignment_config": {"max_assignment_limit": routing.get("max_assignments") if auto else None},
        **hours_fields(inbox_settings.get("business_hours")),
    }
    channel: dict[str, Any] = {}
    settings = channel_settings or {}
    if kind == "chat":
        fields.update(greeting_fields(settings.get("welcome_message")))
        fields["out_of_office_message"] = (settings.get("when_away") or {}).get("message")
        channel = {"widget_color": settings.get("color"),
                   "reply_time": REPLY_TIME.get(settings.get("typical_response_time", "")),
                   "website_url": settings.get("website_url")}
    elif kind == "email":
        fields.update(sender_name_type=SENDER_NAME.get(settings.get("sender_name", ""), "friendly"),
                      business_name=settings.get("company_name"))
        channel = {"provider": {"gmail": "google", "office365": "microsoft"}.get(settings.get("provider", ""))}
    elif kind == "messenger":
        fields.update(greeting_fields(settings.get("greeting")))
    return InboxState(kind=kind, key=key, fields=fields, channel=channel, members=members,
                      rule=Rule(team=team, agent=agent, priority=ticket.get("priority")))


def assignment(routing: dict[str, Any], members: frozenset[str]) -> tuple[str | None, str | None, bool]:
    """(team, agent, auto-assignment) for a routing table.

    Chatwoot's auto-assignment is a round robin among the inbox's members who are online, and an
    automation rule can give a new conversation to one team and one agent. So "users_and_teams"
    naming exactly the inbox's members is the round robin; a team or an agent is a rule.
    """
    if routing.get("mode") != "users_and_teams":
        return None, None, False
    users, teams = list(routing.get("users") or []), list(routing.get("teams") or [])
    if users and not teams and set(users) == set(members):
        return None, None, True
    team, agent = (teams[0].lower() if teams else None), (users[0] if users else None)
    return team, agent, bool(routing.get("only_available", True))


def greeting_fields(text: str | None) -> dict[str, Any]:
    return {"greeting_enabled": True, "greeting_message": text} if text else {"greeting_enabled": False}


def hours_fields(business_hours: dict[str, Any] | None) -> dict[str, Any]:
    if not business_hours:
        return {"working_hours_enabled": False}
    return {"working_hours_enabled": True, "timezone": business_hours.get("timezone", "UTC"),
            "working_hours": hours_to_rows(business_hours.get("hours", []))}


def hours_to_rows(hours: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Seven rows, day_of_week 0 = Sunday, one range per day (the first one given for that day)."""
    ranges: dict[str, tuple[str, str]] = {}
    for entry in hours:
        for day in entry["days"]:
            ranges.setdefault(day, (entry["open"], entry["close"]))
    return [_row(index, ranges.get(day)) for index, day in enumerate(_SUNDAY_FIRST)]


def _row(day_of_week: int, hours: tuple[str, str] | None) -> dict[str, Any]:
    if hours is None:
        return {"day_of_week": day_of_week, "closed_all_day": True, "open_all_day": False,
                "open_hour": None, "open_minutes": None, "close_hour": None, "close_minutes": None}
    (open_hour, open_minutes), (close_hour, close_minutes) = _hm(hours[0]), _hm(hours[1])
    if (close_hour, close_minutes) == (24, 0):  # Chatwoot's day ends at 23:59
        close_hour, close_minutes = 23, 59
    return {"day_of_week": day_of_week, "closed_all_day": False, "open_all_day": False, "open_hour": open_hour,
            "open_minutes": open_minutes, "close_hour": close_hour, "close_minutes": close_minutes}


def _hm(text: str) -> tuple[int, int]:
    hour, minutes = text.split(":")
    return int(hour), int(minutes)


def normalise_rows(rows: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Chatwoot's rows in the form ``hours_to_rows`` writes: open_all_day as 00:00-23:59, missing days closed."""
    by_day = {int(row.get("day_of_week", -1)): row for row in rows or []}
    normalised = []
    for index in range(7):
        row = by_day.get(index)
        if row is None or row.get("closed_all_day"):
            normalised.append(_row(index, None))
        elif row.get("open_all_day"):
            normalised.append(_row(index, ("00:00", "23:59")))
        else:
            normalised.append(_row(index, (_time(row.get("open_hour"), row.get("open_minutes")),
                                           _time(row.get("close_hour"), row.get("close_minutes")))))
    return normalised


def _time(hour: Any, minutes: Any) -> str:
    return f"{int(hour or 0):02d}:{int(minutes or 0):02d}"


def rows_to_hours(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    entries = [{"days": [_SUNDAY_FIRST[row["day_of_week"]]],
                "open": _time(row["open_hour"], row["open_minutes"]),
                "close": _time(row["close_hour"], row["close_minutes"])}
               for row in normalise_rows(rows) if not row["closed_all_day"]]
    return canonical_hours(entries)


# -- reading: state -> definition terms -------------------------------------------------------------

def read_state(state: InboxState) -> View:
    ticket = {**TICKET_BASE, **({"priority": state.rule.priority} if state.rule.priority else {})}
    return View(routing=read_routing(state), ticket_defaults=ticket, channel=read_channel(state),
                business_hours=read_hours(state.fields), members=state.members)


def read_routing(state: InboxState) -> dict[str, Any]:
    fields, rule = state.fields, state.rule
    auto = bool(fields.get("enable_auto_assignment"))
    if rule.team or rule.agent:
        routing = {**ROUTING_BASE, "mode": "users_and_teams", "users": [rule.agent] if rule.agent else [],
                   "teams": [rule.team] if rule.team else [], "only_available": auto}
    elif auto and state.members:
        routing = {**ROUTING_BASE, "mode": "users_and_teams", "users": sorted(state.members)}
    else:
        return dict(ROUTING_BASE)
    limit = (fields.get("auto_assignment_config") or {}).get("max_assignment_limit")
    if auto and isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
        routing["max_assignments"] = limit
    return routing


def read_hours(fields: dict[str, Any]) -> dict[str, Any] | None:
    if not fields.get("working_hours_enabled"):
        return None
    return {"timezone": fields.get("timezone") or "UTC", "hours": rows_to_hours(fields.get("working_hours") or [])}


def read_channel(state: InboxState) -> dict[str, Any]:
    fields, channel, key = state.fields, state.channel, state.key
    if state.kind == "email":
        settings: dict[str, Any] = {
            "address": key, "provider": PROVIDER_OF.get(channel.get("provider") or "", "forwarding"),
            "sender_name": "company" if fields.get("sender_name_type") == "professional" else "agent_and_company",
            "signature_format": "text", "log_forwarded_on_original_sender": False}
        if fields.get("business_name"):
            settings["company_name"] = fields["business_name"]
        return settings
    if state.kind == "chat":
        return _read_chat(fields, channel, key)
    if state.kind == "whatsapp":
        return {"phone": key}
    if state.kind == "messenger":
        settings = {"page": key}
        if fields.get("greeting_enabled") and fields.get("greeting_message"):
            settings["greeting"] = fields["greeting_message"]
        return settings
    return {}


def _read_chat(fields: dict[str, Any], channel: dict[str, Any], key: str | None) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "name": key, "color": (channel.get("widget_color") or "#1F93FF").upper(), "position": "bottom-right",
        "open_welcome_as_prompt": False,
        "availability": "business_hours" if fields.get("working_hours_enabled") else "team_status",
        "typical_response_time": _RESPONSE_TIME.get(channel.get("reply_time") or DEFAULT_WIDGET_REPLY_TIME,
                                                    "a_few_minutes"),
        "outside_hours": "show_away_message", "show_branding": True}
    if channel.get("website_url"):
        settings["website_url"] = channel["website_url"]
    if fields.get("greeting_enabled") and fields.get("greeting_message"):
        settings["welcome_message"] = fields["greeting_message"]
    if fields.get("out_of_office_message"):
        settings["when_away"] = {"action": "show_message", "message": fields["out_of_office_message"]}
    return settings


# -- Chatwoot JSON -> state ---------------------------------------------------------------------------

def kind_of(inbox: dict[str, Any]) -> str:
    return KIND_OF_CHANNEL_TYPE.get(str(inbox.get("channel_type")), "other")


def key_of(inbox: dict[str, Any]) -> str | None:
    kind = kind_of(inbox)
    if kind == "email":
        return str(inbox.get("email") or "").strip().lower() or None
    if kind == "whatsapp":
        raw = str(inbox.get("phone_number") or "")
        try:
            return normalise_phone(raw)
        except FormatError:
            return raw or None
    if kind in ("chat", "messenger"):
        _, label = parse_name(str(inbox.get("name", "")))
        return label or str(inbox.get("name", "")).strip()
    return None


def live_state(inbox: dict[str, Any], members: frozenset[str], rule: Rule, key: str | None = None) -> InboxState:
    config = inbox.get("auto_assignment_config") or {}
    fields = {
        "enable_auto_assignment": bool(inbox.get("enable_auto_assignment", True)),
        "auto_assignment_config": {"max_assignment_limit": config.get("max_assignment_limit") or None},
        "working_hours_enabled": bool(inbox.get("working_hours_enabled")),
        "timezone": inbox.get("timezone") or "UTC",
        "working_hours": normalise_rows(inbox.get("working_hours")),
        "greeting_enabled": bool(inbox.get("greeting_enabled")),
        "greeting_message": inbox.get("greeting_message") or None,
        "out_of_office_message": inbox.get("out_of_office_message") or None,
        "sender_name_type": inbox.get("sender_name_type") or "friendly",
        "business_name": inbox.get("business_name") or None,
    }
    color = inbox.get("widget_color")
    channel = {"widget_color": color.upper() if isinstance(color, str) else color,
               "reply_time": inbox.get("reply_time"), "website_url": inbox.get("website_url") or None,
               "provider": inbox.get("provider") or None}
    return InboxState(kind=kind_of(inbox), key=key or key_of(inbox), fields=fields, channel=channel,
                      members=members, rule=rule)


# -- state -> requests ---------------------------------------------------------------------------------

# Channel attributes that identify the channel or need a sign-in flow: set at creation, never patched.
_CREATE_ONLY = frozenset({"provider"})


def update_body(target: InboxState, live: InboxState) -> dict[str, Any]:
    """The PATCH body that turns ``live`` into ``target``: only what differs."""
    body = {key: value for key, value in target.fields.items() if live.fields.get(key) != value}
    if "greeting_message" in body and body["greeting_message"] is None:
        body.pop("greeting_message")  # greeting off: the old text may stay, it is not shown
    # A setting taken out (out_of_office_message, business_name) is cleared with "": the official spec types
    # them as strings, not null, and Chatwoot reads a blank one as unset, like live_state does.
    body = {key: "" if value is None else value for key, value in body.items()}
    if "auto_assignment_config" in body and target.fields["auto_assignment_config"]["max_assignment_limit"] is None \
            and not live.fields.get("auto_assignment_config", {}).get("max_assignment_limit"):
        body.pop("auto_assignment_config")
    channel = {key: value for key, value in target.channel.items()
               if key not in _CREATE_ONLY and value is not None and live.channel.get(key) != value}
    if channel:
        body["channel"] = channel
    return body


def create_body(name: str, target: InboxState, channel_extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The POST body for a new inbox: name and channel; the other settings follow as an update."""
    channel: dict[str, Any] = {"type": CREATE_TYPE[target.kind]}
    if target.kind == "email":
        channel["email"] = target.key
    elif target.kind == "whatsapp":
        channel["phone_number"] = target.key
    elif target.kind == "chat":
        channel.update({key: value for key, value in target.channel.items() if value is not None})
    channel.update(channel_extra or {})
    body: dict[str, Any] = {"name": name, "channel": channel}
    for key in ("greeting_enabled", "greeting_message", "enable_auto_assignment", "sender_name_type", "business_name"):
        if target.fields.get(key) is not None:
            body[key] = target.fields[key]
    return body


def day_name(day_of_week: int) -> str:
    return _SUNDAY_FIRST[day_of_week]


__all__ = ["DAYS", "DEFINITION_KINDS", "InboxState", "Rule", "View"]
