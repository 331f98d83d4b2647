"""Desired vs live: the pure heart of ``plan``. No I/O here, so it is tested directly."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from inboxctl.names import name_key
from inboxctl.backends.base import LiveInbox
from inboxctl.definitions.model import ChannelDefinition, InboxDefinition
from inboxctl.planner.plan import CHANNEL, CREATE, DELETE, INBOX, UPDATE, FieldChange, ResourceChange


def flatten(settings: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"routing": {"mode": "x"}} -> {"routing.mode": "x"}; lists and scalars are leaves."""
    flat: dict[str, Any] = {}
    for key, value in settings.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def diff_settings(before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    old, new = flatten(before), flatten(after)
    return [FieldChange(path, old.get(path), new.get(path))
            for path in sorted(old.keys() | new.keys()) if comparable(old.get(path)) != comparable(new.get(path))]


def comparable(value: Any) -> Any:
    """Lists of names (members, teams, users, blocked senders) are sets: a server may list them in any order."""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return sorted(set(value))
    return value


def inbox_settings(inbox: InboxDefinition) -> dict[str, Any]:
    return dict(inbox.settings)


def channel_change(action: str, inbox: str, channel: ChannelDefinition, fields: list[FieldChange],
                   desired: dict[str, Any] | None) -> ResourceChange:
    return ResourceChange(action=action, kind=CHANNEL, inbox=inbox, channel_type=channel.type,
                          channel_key=channel.key, fields=fields, desired=desired)


PlannedInbox = tuple[ResourceChange | None, list[ResourceChange], list[ResourceChange]]


def plan_inbox(desired: InboxDefinition, live: LiveInbox | None, *, adopt: bool = True) -> PlannedInbox:
    """The inbox-level change (or None), its channel creates/updates, and its channel deletes.

    ``adopt=False``: a server without ownership markers (HubSpot) has nothing to adopt, so an
    inbox whose settings match is left alone even when its channels differ."""
    if live is None:
        wanted = inbox_settings(desired)
        creation = ResourceChange(CREATE, INBOX, desired.name, fields=diff_settings({}, wanted), desired=wanted)
        channels = [channel_change(CREATE, desired.name, c, diff_settings({}, c.settings), c.settings)
                    for c in desired.channels]
        return creation, channels, []
    updates, deletes = _plan_channels(desired, live)
    channels_change = adopt and bool(updates or deletes)
    return _plan_inbox_update(desired, live, channels_change=channels_change), updates, deletes


def _plan_inbox_update(desired: InboxDefinition, live: LiveInbox, *, channels_change: bool) -> ResourceChange | None:
    wanted = inbox_settings(desired)
    fields = diff_settings(inbox_settings(live.definition), wanted)
    # An unmanaged inbox is adopted (marked managed) only by an apply that changes it, its settings or
    # its channels: one that already matches its definition needs no write, so export-then-plan stays empty.
    if not fields and (live.managed or not channels_change):
        return None
    return ResourceChange(UPDATE, INBOX, desired.name, fields=fields, desired=wanted, adopt=not live.managed)


def _plan_channels(desired: InboxDefinition, live: LiveInbox) -> tuple[list[ResourceChange], list[ResourceChange]]:
    live_channels = {channel.ident: channel for channel in live.definition.channels}
    updates = []
    for channel in desired.channels:
        current = live_channels.pop(channel.ident, None)
        if current is None:
            updates.append(channel_change(CREATE, desired.name, channel, diff_settings({}, channel.settings),
                                          channel.settings))
        elif changed := diff_settings(current.settings, channel.settings):
            updates.append(channel_change(UPDATE, desired.name, channel, changed, channel.settings))
    deletes = [channel_change(DELETE, desired.name, channel, diff_settings(channel.settings, {}), None)
               for channel in live_channels.values()]
    return updates, deletes


def plan_changes(desired: list[InboxDefinition], live: list[LiveInbox], *,
                 prune: bool = False, adopt: bool = True) -> tuple[list[ResourceChange], list[str]]:
    """Every change, in dependency order, and notes about what was left alone."""
    live_by_name = {name_key(inbox.definition.name): inbox for inbox in live}
    inbox_changes, channel_updates, channel_deletes = [], [], []
    for inbox in desired:
        inbox_change, updates, deletes = plan_inbox(inbox, live_by_name.pop(name_key(inbox.name), None), adopt=adopt)
        inbox_changes += [inbox_change] if inbox_change else []
        channel_updates += updates
        channel_deletes += deletes
    inbox_deletes, notes = _plan_leftovers(list(live_by_name.values()), prune=prune)
    # Channel deletes first: they free team addresses and pages for the inboxes they move to (F10, F12).
    return channel_deletes + inbox_changes + channel_updates + inbox_deletes, notes


def _plan_leftovers(leftovers: list[LiveInbox], *, prune: bool) -> tuple[list[ResourceChange], list[str]]:
    managed = [inbox for inbox in leftovers if inbox.managed]
    deletes, notes = [], []
    for inbox in managed:
        name = inbox.definition.name
        if not prune:
            notes.append(f"inbox {name!r} is managed by inboxctl but has no definition: --prune would delete it")
        elif inbox.protect:
            notes.append(f"inbox {name!r} has no definition but is protected (protect = true): kept")
        else:
            deletes.append(ResourceChange(DELETE, INBOX, name,
                                          fields=diff_settings(inbox_settings(inbox.definition), {})))
    return deletes, notes


def fingerprint(live: list[LiveInbox]) -> str:
    """A digest of the live configuration: a saved plan is refused if it no longer matches."""
    state = sorted(
        ([inbox.definition.name, inbox.managed, inbox.protect, inbox.definition.settings,
          sorted([c.type, c.key, c.settings] for c in inbox.definition.channels)] for inbox in live),
        key=lambda entry: str(entry[0]).lower())
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()[:16]
