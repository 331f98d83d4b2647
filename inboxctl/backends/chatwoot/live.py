"""The live configuration: Chatwoot inboxes read back as definition inboxes.

Chatwoot holds the *effective* routing and defaults of each of its inboxes. A definition says
them in two layers, the inbox's table and each channel's overrides; the marker remembers the
inbox layer and which keys each channel overrides, so that the two layers read back exactly as
they were written, and anything changed in Chatwoot's own screens shows up as a difference.
"""

from __future__ import annotations

from typing import Any

from inboxctl.backends.base import LiveInbox
from inboxctl.backends.chatwoot.account import Account, Group
from inboxctl.backends.chatwoot.mapping import DEFINITION_KINDS, InboxState, View, kind_of, live_state, read_state
from inboxctl.backends.chatwoot.ownership import Marker, digest
from inboxctl.definitions.model import ChannelDefinition, InboxDefinition
from inboxctl.definitions.spec import CHANNEL_KEY, DOCUMENT
from inboxctl.definitions.validate import defaults_of

LAYERED = ("routing", "ticket_defaults")


def state_of(account: Account, inbox: dict[str, Any]) -> InboxState:
    inbox_id = int(inbox["id"])
    return live_state(inbox, account.member_emails(inbox_id), account.rule_of(inbox_id), account.channel_key(inbox))


def is_channel(inbox: dict[str, Any]) -> bool:
    return kind_of(inbox) in DEFINITION_KINDS


def ident(kind: str, key: str | None) -> str:
    return f"{kind}:{(key or '').lower()}"


def read_inboxes(account: Account) -> list[LiveInbox]:
    return [read_group(account, group) for group in account.groups()]


def read_group(account: Account, group: Group) -> LiveInbox:
    marker = group.marker
    views = [(inbox, read_state(state_of(account, inbox))) for inbox in group.inboxes]
    channels = [(inbox, view) for inbox, view in views if is_channel(inbox)]
    holders = [view for inbox, view in views if not is_channel(inbox)]
    base = channels[0][1] if channels else (holders[0] if holders else None)
    routing = _layer(marker, "routing", base, bool(channels))
    ticket = _layer(marker, "ticket_defaults", base, bool(channels))
    chatwoot_members = choose([sorted(view.members) for _, view in views], marker, "members")
    members, teams = split_members(account, frozenset(chatwoot_members or []), marker)
    settings: dict[str, Any] = {
        "members": members, "teams": teams, "protect": bool(marker and marker.protect),
        "business_hours": choose([view.business_hours for _, view in views], marker, "business_hours"),
        "email_filters": defaults_of(DOCUMENT["email_filters"]), "routing": routing, "ticket_defaults": ticket,
    }
    definitions = [_channel(inbox, view, settings, marker) for inbox, view in channels]
    definition = InboxDefinition(name=group.name, settings=settings, channels=definitions)
    return LiveInbox(definition=definition, managed=marker is not None, protect=bool(marker and marker.protect))


def _layer(marker: Marker | None, table: str, base: View | None, has_channels: bool) -> dict[str, Any]:
    remembered = getattr(marker, table) if marker else None
    if base is None:
        return dict(remembered) if remembered else defaults_of(DOCUMENT[table])
    own = base.routing if table == "routing" else base.ticket_defaults
    # A channel-less inbox shows its holder's settings: they are the live truth. With channels,
    # the inbox layer exists only in the definition, so the marker is its record.
    return dict(remembered) if (has_channels and remembered) else dict(own)


def _channel(inbox: dict[str, Any], view: View, settings: dict[str, Any], marker: Marker | None) -> ChannelDefinition:
    kind = kind_of(inbox)
    channel_settings = dict(view.channel)
    keys = (marker.overrides.get(ident(kind, _key(kind, view)), {}) if marker else {})
    for table, effective_value in (("routing", view.routing), ("ticket_defaults", view.ticket_defaults)):
        override = overrides(effective_value, settings[table], keys.get(table, []))
        if override:
            channel_settings[table] = override
    return ChannelDefinition(type=kind, settings=channel_settings)


def _key(kind: str, view: View) -> str:
    return str(view.channel.get(CHANNEL_KEY[kind], ""))


def overrides(effective_value: dict[str, Any], inbox_layer: dict[str, Any], remembered: list[str]) -> dict[str, Any]:
    """The channel keys that, put over the inbox's table, give the effective value."""
    return {key: value for key, value in effective_value.items()
            if key in remembered or inbox_layer.get(key) != value}


def choose(values: list[Any], marker: Marker | None, setting: str) -> Any:
    """One value for a setting every Chatwoot inbox of a definition inbox holds. If they disagree,
    the one changed since inboxctl wrote them wins, so that the plan puts it right."""
    if not values:
        return None
    if all(value == values[0] for value in values):
        return values[0]
    written = marker.applied.get(setting) if marker else None
    return next((value for value in values if digest(value) != written), values[0])


def split_members(account: Account, chatwoot_members: frozenset[str],
                  marker: Marker | None) -> tuple[list[str], list[str]]:
    """(members, teams) of a definition inbox from Chatwoot's member list.

    A team "works the inbox" when all its members are inbox members and the marker says the
    definition named it; its members are then not listed one by one, unless the definition did.
    """
    if marker is None:
        return sorted(chatwoot_members), []
    teams = sorted(name for name in (account.teams.get(account.team_id(team) or -1) for team in marker.teams)
                   if name is not None and account.team_emails(name) <= chatwoot_members)
    through_teams = frozenset().union(*(account.team_emails(team) for team in teams)) - set(marker.members)
    return sorted(chatwoot_members - through_teams), teams


def chatwoot_members_for(account: Account, settings: dict[str, Any]) -> frozenset[str]:
    """Who must be a member of each Chatwoot inbox: the members, and the members of the teams."""
    members = {email.lower() for email in settings.get("members", [])}
    for team in settings.get("teams", []):
        members |= account.team_emails(team)
    return frozenset(members)
