"""Planning against a server whose API can read inbox configuration but not write it (HubSpot).

Such a server exposes only part of a definition: that each inbox exists and which channels are
connected to it. The plan compares exactly that part. Every other setting a definition gives is
named once per inbox as something to manage in the server's own settings: not a difference (the
plan cannot know that it differs), not an error (nothing will be written), and never pretended
to match. Pure functions, like ``diff``: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from inboxctl.backends.base import CapabilityProblem, LiveInbox
from inboxctl.definitions.model import ChannelDefinition, InboxDefinition
from inboxctl.definitions.spec import CHANNEL_KEY
from inboxctl.planner.diff import flatten, plan_changes
from inboxctl.planner.plan import CREATE, DELETE, INBOX, ResourceChange, UnmanagedSettings

Supports = Callable[[str], bool]  # Capabilities.supports: can the server read and check this setting?

# Inbox-level settings that live in the file's [inbox] table: their setting paths say so.
INBOX_TABLE_KEYS = ("members", "teams", "protect")


def plan_verification(desired: list[InboxDefinition], live: list[LiveInbox],
                      supports: Supports) -> tuple[list[ResourceChange], list[str]]:
    """The differences in what the server exposes: missing inboxes, missing and extra channels."""
    wanted = [exposed_definition(inbox, supports) for inbox in desired]
    found = [LiveInbox(exposed_definition(inbox.definition, supports), managed=inbox.managed, protect=inbox.protect)
             for inbox in live]
    # No adoption: such a server keeps no ownership marker, and nothing would be written to set one.
    return plan_changes(wanted, found, adopt=False)


def exposed_definition(inbox: InboxDefinition, supports: Supports) -> InboxDefinition:
    """``inbox`` reduced to the settings the server can read and check, and its channels' identities."""
    settings = {path: value for path, value in flatten(inbox.settings).items()
                if _supported(setting_name(path), supports)}
    channels = [_exposed_channel(channel, supports) for channel in inbox.channels]
    return InboxDefinition(name=inbox.name, settings=unflatten(settings), channels=channels, source=inbox.source,
                           positions=inbox.positions, explicit=inbox.explicit)


def _exposed_channel(channel: ChannelDefinition, supports: Supports) -> ChannelDefinition:
    key = CHANNEL_KEY[channel.type]
    # The key is kept whatever the server says: it is how the plan tells one channel from another.
    settings = {path: value for path, value in flatten(channel.settings).items()
                if path == key or _supported(f"channel.{channel.type}.{path}", supports)}
    return ChannelDefinition(type=channel.type, settings=unflatten(settings), explicit=channel.explicit,
                             index=channel.index)


def setting_name(path: str) -> str:
    """The setting path of an inbox-level settings key: "members" -> "inbox.members", "routing.mode" as is."""
    return f"inbox.{path}" if path.split(".")[0] in INBOX_TABLE_KEYS else path


def _supported(name: str, supports: Supports) -> bool:
    """Setting paths name keys two levels into a table at most ("routing.fallback",
    "channel.chat.heading.mode"), while a flattened value can go deeper ("routing.fallback.teams")."""
    parts = name.split(".")
    named_depth = 4 if parts[0] == "channel" else 2
    return supports(name) or supports(".".join(parts[:named_depth]))


def unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    """{"routing.mode": "x"} -> {"routing": {"mode": "x"}}: the inverse of ``diff.flatten``."""
    nested: dict[str, Any] = {}
    for path, value in flat.items():
        *tables, key = path.split(".")
        table = nested
        for name in tables:
            table = table.setdefault(name, {})
        table[key] = value
    return nested


# -- what the plan names instead of comparing ---------------------------------------------------

def unmanaged_settings(inbox: InboxDefinition, problems: Iterable[CapabilityProblem]) -> list[UnmanagedSettings]:
    """A backend's capability problems for one inbox, as notes: each setting once, grouped by reason."""
    by_reason: dict[str, dict[str, None]] = {}
    for problem in problems:
        by_reason.setdefault(problem.reason, {})[problem.setting] = None
    return [UnmanagedSettings(inbox.name, leaves(list(settings)), reason) for reason, settings in by_reason.items()]


def leaves(settings: list[str]) -> list[str]:
    """Each setting once, and a table only when none of its keys is named: "routing.mode" says more than
    "routing". Order kept (the file's)."""
    return [setting for setting in dict.fromkeys(settings)
            if not any(other.startswith(f"{setting}.") for other in settings)]


def by_hand(change: ResourceChange) -> str:
    """What a person does in the server's own settings to make ``change``."""
    inbox = f'inbox "{change.inbox}"'
    if change.kind == INBOX:
        verb = {CREATE: "create", DELETE: "delete"}.get(change.action, "change")
        return f"{verb} {inbox}"
    channel = f'{change.channel_type} "{change.channel_key}"'
    if change.action == CREATE:
        return f"connect {channel} to {inbox}"
    if change.action == DELETE:
        return f"disconnect {channel} from {inbox}"
    fields = ", ".join(f"{field.path} {field.before!r} → {field.after!r}" for field in change.fields)
    return f"change {channel} of {inbox}: {fields}"


# -- export: what the server exposes, laid over what a file already says ----------------------------

Overlay = Callable[[InboxDefinition, InboxDefinition], InboxDefinition]


def exposed_overlay(supports: Supports) -> Overlay:
    """For ``export`` over existing files: keep what the server cannot read, take the rest from it."""
    return lambda written, live: overlay_exposed(written, live, supports)


def overlay_exposed(written: InboxDefinition, live: InboxDefinition, supports: Supports) -> InboxDefinition:
    """``written`` (a file's definition) with what the server exposes taken from ``live``: its channels
    (connected ones kept with the file's settings, others dropped, new ones added) and any setting the
    server can read. Everything else stays as the file says: the server cannot tell it otherwise, and
    exporting must not wipe settings that someone manages in the server's own settings."""
    exposed = flatten(exposed_definition(live, supports).settings)
    settings = unflatten({**flatten(written.settings), **exposed})
    on_file = {channel.ident: channel for channel in written.channels}
    channels = [_overlay_channel(on_file.get(channel.ident), channel, supports) for channel in live.channels]
    order = {channel.ident: index for index, channel in enumerate(written.channels)}
    channels.sort(key=lambda channel: order.get(channel.ident, len(order)))
    return InboxDefinition(name=live.name, settings=settings, channels=channels, source=written.source,
                           positions=written.positions, explicit=written.explicit)


def _overlay_channel(written: ChannelDefinition | None, live: ChannelDefinition,
                     supports: Supports) -> ChannelDefinition:
    if written is None:
        return live
    exposed = flatten(_exposed_channel(live, supports).settings)
    return ChannelDefinition(type=written.type, settings=unflatten({**flatten(written.settings), **exposed}),
                             explicit=written.explicit, index=written.index)
