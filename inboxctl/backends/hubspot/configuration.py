"""Inbox definitions on HubSpot: read and verified, never written.

HubSpot's public API reads inboxes, channels and the channel accounts connected to each inbox, and
the names definitions use (owners and users, teams, ticket pipelines); it writes no inbox setting at
all (``shared/api/hubspot.md``, "Not in any public HubSpot API"). So this module:

- reads the directory the planner resolves names against (``read_directory``);
- reads each inbox with its connected channels, in definition terms (``read_live_inboxes``);
- names every setting of a definition that HubSpot can neither read nor check
  (``unsupported_settings``): the planner lists them per inbox, as notes;
- refuses every write (``apply_change``): with ``Capabilities.manages_inboxes=False`` the planner
  never asks for one, and this says so plainly should anything else try.
"""

from __future__ import annotations

from typing import Any

from inboxctl.backends.base import CapabilityProblem, Directory, LiveInbox, Pipeline, Team, User
from inboxctl.backends.hubspot.api import needs_scope
from inboxctl.definitions.formats import FormatError, normalise_email, normalise_phone
from inboxctl.definitions.model import ChannelDefinition, InboxDefinition
from inboxctl.definitions.spec import CHANNEL_KEY, DEFAULTED_TABLES, DOCUMENT
from inboxctl.definitions.validate import defaults_of
from inboxctl.errors import UnsupportedError
from inboxctl.http import HttpClient, iterate_cursor
from inboxctl.planner.plan import ResourceChange
from inboxctl.planner.verify import by_hand

CONVERSATIONS = "/conversations/conversations/2026-09"
INBOXES = f"{CONVERSATIONS}/inboxes"
CHANNELS = f"{CONVERSATIONS}/channels"
CHANNEL_ACCOUNTS = f"{CONVERSATIONS}/channel-accounts"
OWNERS = "/crm/owners/2026-09"
USERS = "/settings/users/2026-03"
TEAMS = "/settings/users/2026-03/teams"
TICKET_PIPELINES = "/crm/pipelines/2026-09/tickets"
PAGE_SIZE = 100
READ_SCOPE, OWNERS_SCOPE, PIPELINES_SCOPE = "conversations.read", "crm.objects.owners.read", "tickets"
USERS_SCOPE, TEAMS_SCOPE = "settings.users.read", "settings.users.teams.read"

# What HubSpot can read and check of a definition: that the inbox exists (its [inbox] table, whose
# name is its identity) and each channel's identity, through the inbox's channel accounts.
CHECKABLE_SETTINGS: tuple[str, ...] = ("inbox", *(f"channel.{kind}.{key}" for kind, key in CHANNEL_KEY.items()))
CHANNEL_TYPES = frozenset(CHANNEL_KEY)
UNMANAGED_REASON = "manage in HubSpot's settings (its API can neither read nor write them)"

# HubSpot names its channels (``C/channels``) rather than typing them: "EMAIL", "LIVE_CHAT",
# "FB_MESSENGER", "FORMS", "WHATSAPP", "CALLING", or "Email", "Chat"... Matched by word, in this
# order, so that "Facebook Messenger" is not taken for a chat. Custom channels match none.
CHANNEL_WORDS: tuple[tuple[str, str], ...] = (
    ("whatsapp", "whatsapp"), ("messenger", "messenger"), ("facebook", "messenger"), ("email", "email"),
    ("e-mail", "email"), ("form", "form"), ("call", "calling"), ("chat", "chat"))

EMAIL_ADDRESS, PHONE_NUMBER = "HS_EMAIL_ADDRESS", "HS_PHONE_NUMBER"


# -- what HubSpot cannot manage -------------------------------------------------------------------

def is_checkable(setting: str) -> bool:
    return setting in CHECKABLE_SETTINGS


def unsupported_settings(inbox: InboxDefinition) -> list[CapabilityProblem]:
    """Every setting ``inbox`` gives that HubSpot's API can neither read nor check."""
    return [CapabilityProblem(inbox.name, setting, UNMANAGED_REASON, path)
            for setting, path in inbox.explicit_settings() if not is_checkable(setting)]


def apply_change(client: HttpClient, change: ResourceChange) -> None:
    """HubSpot's API cannot write inbox configuration: nothing is sent."""
    raise UnsupportedError(f"HubSpot's API cannot {by_hand(change)}",
                           hint="make this change in HubSpot's settings; inboxctl only verifies HubSpot inboxes")


# -- the directory ----------------------------------------------------------------------------------

def read_directory(client: HttpClient) -> Directory:
    """Users (owners and users), teams and ticket pipelines, by the names definitions use."""
    users = _listing(client, USERS, USERS_SCOPE)
    owners = _listing(client, OWNERS, OWNERS_SCOPE) + _listing(client, OWNERS, OWNERS_SCOPE, archived="true")
    people = directory_users(users, owners)
    ids = user_emails(users, owners)
    teams = tuple(sorted((team_of(raw, ids) for raw in _results(client, TEAMS, TEAMS_SCOPE)),
                         key=lambda team: team.name))
    pipelines = tuple(pipeline_of(raw) for raw in _results(client, TICKET_PIPELINES, PIPELINES_SCOPE)
                      if not raw.get("archived"))
    # Forms, Facebook pages and WhatsApp numbers are not listed: HubSpot's channel accounts say
    # whether a channel is connected, which is all a plan on HubSpot checks (see resolve_names).
    return Directory(users=people, teams=teams, pipelines=pipelines,
                     personal_addresses=tuple(user.email for user in people))


def directory_users(users: list[dict[str, Any]], owners: list[dict[str, Any]]) -> tuple[User, ...]:
    """One user per e-mail address, from the users list and the owners (active and archived).

    Deactivated: every owner record of the address is archived or has lost its ``userId`` (HubSpot
    keeps a deactivated user's id in ``userIdIncludingInactive``). Paid seats (F25): known when the
    account lists ``seatNames`` (a beta field, left out for a user without a seat); if no user has
    it, seats are unknown, and unknown fails no plan.
    """
    names: dict[str, str] = {}
    seats_known = any("seatNames" in user for user in users)
    seats: dict[str, bool] = {}
    for user in users:
        email = _email(user)
        if email:
            names[email] = _full_name(user) or email
            if seats_known:
                seats[email] = bool(user.get("seatNames"))
    active_owner: dict[str, bool] = {}
    for owner in owners:
        email = _email(owner)
        if email and owner.get("type", "PERSON") == "PERSON":
            names.setdefault(email, _full_name(owner) or email)
            is_active = not owner.get("archived") and bool(owner.get("userId"))
            active_owner[email] = active_owner.get(email, False) or is_active
    return tuple(User(email, names[email], has_seat=seats.get(email, True), active=active_owner.get(email, True))
                 for email in sorted(names))


def user_emails(users: list[dict[str, Any]], owners: list[dict[str, Any]]) -> dict[str, str]:
    """User id (as a string: ids in bodies are strings) -> e-mail, for team members."""
    emails = {str(user["id"]): email for user in users if (email := _email(user)) and user.get("id") is not None}
    for owner in owners:
        email = _email(owner)
        for key in ("userId", "userIdIncludingInactive"):
            if email and owner.get(key) is not None:
                emails.setdefault(str(owner[key]), email)
    return emails


def team_of(raw: dict[str, Any], emails: dict[str, str]) -> Team:
    members = [*(raw.get("userIds") or []), *(raw.get("secondaryUserIds") or [])]
    return Team(str(raw.get("name") or ""),
                tuple(sorted({emails[str(user_id)] for user_id in members if str(user_id) in emails})))


def pipeline_of(raw: dict[str, Any]) -> Pipeline:
    stages = sorted((stage for stage in raw.get("stages") or [] if not stage.get("archived")),
                    key=lambda stage: stage.get("displayOrder", 0))
    return Pipeline(str(raw.get("label") or ""), tuple(str(stage.get("label") or "") for stage in stages))


# -- the live configuration -------------------------------------------------------------------------

def read_live_inboxes(client: HttpClient) -> list[LiveInbox]:
    """Every HubSpot inbox (help desks included) with the channels connected to it."""
    kinds = {str(channel.get("id")): channel_type(str(channel.get("name") or ""))
             for channel in _listing(client, CHANNELS, READ_SCOPE)}
    channels: dict[str, list[ChannelDefinition]] = {}
    for account in _listing(client, CHANNEL_ACCOUNTS, READ_SCOPE):
        channel = channel_of(account, kinds.get(str(account.get("channelId"))))
        if channel is not None and not account.get("archived"):
            channels.setdefault(str(account.get("inboxId")), []).append(channel)
    return [live_inbox(str(inbox.get("name") or ""), channels.get(str(inbox.get("id")), []))
            for inbox in _listing(client, INBOXES, READ_SCOPE) if not inbox.get("archived")]


def live_inbox(name: str, channels: list[ChannelDefinition]) -> LiveInbox:
    """An inbox in definition terms. HubSpot's API cannot read its settings (members, routing, hours...):
    defaults stand in for them, which the planner never compares on HubSpot and export never writes."""
    settings: dict[str, Any] = {"members": [], "teams": [], "protect": False, "business_hours": None}
    settings |= {table: defaults_of(DOCUMENT[table]) for table in DEFAULTED_TABLES}
    unique = list({channel.ident: channel for channel in channels}.values())
    return LiveInbox(InboxDefinition(name=name, settings=settings, channels=unique), managed=False)


def channel_type(name: str) -> str | None:
    """A definition channel type from HubSpot's channel name, or None (a custom channel)."""
    words = name.lower().replace("_", " ")
    return next((kind for word, kind in CHANNEL_WORDS if word in words), None)


def channel_of(account: dict[str, Any], kind: str | None) -> ChannelDefinition | None:
    """A channel account as a definition channel: its type and its identity, nothing else (HubSpot's
    API shows no other setting of it). None when it cannot be told apart as definitions do."""
    if kind is None:
        return None
    key = channel_key(kind, account)
    return None if key is None else ChannelDefinition(type=kind, settings={CHANNEL_KEY[kind]: key})


def channel_key(kind: str, account: dict[str, Any]) -> str | None:
    """E-mail address, phone number (E.164), or name: normalised as the loader normalises definitions."""
    identifier = account.get("deliveryIdentifier") or {}
    name = str(account.get("name") or "").strip()
    try:
        if kind == "email":
            return normalise_email(_identifier(identifier, EMAIL_ADDRESS) or name)
        if kind in ("whatsapp", "calling"):
            return normalise_phone(_identifier(identifier, PHONE_NUMBER) or name)
    except FormatError:
        return None  # no address or number to match a definition's channel by
    return name or None


def _identifier(identifier: dict[str, Any], wanted: str) -> str | None:
    return str(identifier.get("value")) if identifier.get("type") == wanted and identifier.get("value") else None


# -- reading -----------------------------------------------------------------------------------------

def _listing(client: HttpClient, path: str, scope: str, **params: str) -> list[dict[str, Any]]:
    """Every page of a cursor-paged list; a missing scope is an error that names it."""
    with needs_scope(scope):
        items = list(iterate_cursor(client, path, {"limit": PAGE_SIZE, **params}))
    return [item for item in items if isinstance(item, dict)]


def _results(client: HttpClient, path: str, scope: str) -> list[dict[str, Any]]:
    """A list HubSpot answers in one piece (teams, pipelines): ``{"results": [...]}``, no paging."""
    with needs_scope(scope):
        body = client.get(path)
    results = body.get("results") if isinstance(body, dict) else None
    return [item for item in results or [] if isinstance(item, dict)]


def _email(record: dict[str, Any]) -> str:
    return str(record.get("email") or "").strip().lower()


def _full_name(record: dict[str, Any]) -> str:
    return " ".join(str(record.get(key) or "").strip() for key in ("firstName", "lastName")).strip()
