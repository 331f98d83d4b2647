"""The one interface every server backend implements (local SQLite, Chatwoot, HubSpot).

A backend speaks in definition terms: inboxes, channels, users by e-mail, everything else
by display name. Ids stay inside the backend. The planner never sees a server id.
"""

from __future__ import annotations

import fnmatch
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inboxctl.conversations.model import (
        ActionRequest, ActionResult, Conversation, ConversationDetail, ConversationQuery, ConversationState)
    from inboxctl.definitions.model import InboxDefinition
    from inboxctl.errors import UnsupportedError
    from inboxctl.planner.plan import ResourceChange


# ---------------------------------------------------------------------------------------------
# What a server can manage


@dataclass(frozen=True)
class Capabilities:
    """Which settings a server can manage, as glob patterns over setting paths.

    Setting paths name what a definition asks for: ``inbox.members``, ``routing.mode``,
    ``business_hours``, ``email_filters.blocked_senders``, ``channel.chat.color``,
    ``channel.email.routing.mode``, ... (see ``InboxDefinition.explicit_settings``).
    """

    server: str
    settings: tuple[str, ...]
    channel_types: frozenset[str]
    conversation_actions: frozenset[str] = frozenset()
    manages_inboxes: bool = True

    def supports(self, setting_path: str) -> bool:
        return any(fnmatch.fnmatchcase(setting_path, pattern) for pattern in self.settings)


@dataclass(frozen=True)
class CapabilityProblem:
    inbox: str
    setting: str  # e.g. "channel.chat.color"
    reason: str
    path: tuple = ()  # where the setting stands in the definition file


# ---------------------------------------------------------------------------------------------
# The directory: what names in a definition resolve against


@dataclass(frozen=True)
class User:
    email: str
    name: str
    has_seat: bool = True  # F25: only users with a paid seat can be routing targets
    active: bool = True


@dataclass(frozen=True)
class Team:
    name: str
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pipeline:
    name: str
    stages: tuple[str, ...]


@dataclass(frozen=True)
class FacebookPage:
    name: str
    connected_to_other_account: bool = False  # F12: a page belongs to one account only


@dataclass(frozen=True)
class Directory:
    users: tuple[User, ...] = ()
    teams: tuple[Team, ...] = ()
    pipelines: tuple[Pipeline, ...] = ()
    forms: tuple[str, ...] = ()
    facebook_pages: tuple[FacebookPage, ...] = ()
    whatsapp_numbers: tuple[str, ...] = ()  # verified numbers, E.164
    tier: str = "enterprise"  # "free" | "starter" | "professional" | "enterprise"
    # Addresses that belong to a user personally (F10): they cannot be team addresses.
    personal_addresses: tuple[str, ...] = ()


SendingCallback = Callable[[str, "ConversationState | None"], None]


# ---------------------------------------------------------------------------------------------
# The live configuration


@dataclass
class LiveInbox:
    """An inbox as the server has it, in definition terms, plus what only the server knows."""

    definition: InboxDefinition
    managed: bool  # marked on the server as managed by inboxctl
    protect: bool = False


class Backend(ABC):
    """One server. Methods raise ``inboxctl.errors.BackendError`` subclasses with the server's reason."""

    name: str  # "local", "chatwoot", "hubspot"
    capabilities: Capabilities

    # -- identity ---------------------------------------------------------------------------
    @abstractmethod
    def whoami(self) -> str:
        """Check the credentials against the server and return who they belong to."""

    def server_identity(self) -> str:
        """Which server and account this is, stably, with no secret in it (journals record it, so that
        undo never changes conversations on another server that a profile was pointed at since)."""
        return f"{self.name}:{self.capabilities.server}"

    # -- configuration ---------------------------------------------------------------------
    @abstractmethod
    def directory(self) -> Directory: ...

    @abstractmethod
    def read_inboxes(self) -> list[LiveInbox]: ...

    @abstractmethod
    def apply_change(self, change: ResourceChange) -> None:
        """Make one planned change. Must be safe to re-run after a partial failure."""

    def consequences(self, change: ResourceChange) -> list[str]:
        """What else a planned change would do that its reviewer must see before applying it,
        such as conversations deleted together with an inbox. Read-only."""
        return []

    def unsupported_settings(self, inbox: InboxDefinition) -> list[CapabilityProblem]:
        """Settings of ``inbox`` this server cannot manage, checked before any write."""
        server = self.capabilities.server
        problems = [CapabilityProblem(inbox.name, setting, f"{server} cannot manage this setting", path)
                    for setting, path in inbox.explicit_settings() if not self.capabilities.supports(setting)]
        for channel in inbox.channels:
            if channel.type not in self.capabilities.channel_types:
                problems.append(CapabilityProblem(inbox.name, f"channel.{channel.type}",
                                                  f"{server} cannot connect {channel.type} channels",
                                                  inbox.channel_path(channel, "type")))
        return problems

    # -- conversations -----------------------------------------------------------------------
    def list_conversations(self, query: ConversationQuery) -> Iterator[Conversation]:
        raise NotImplementedError

    def get_conversation(self, conversation_id: str) -> ConversationDetail:
        raise NotImplementedError

    def run_action(self, request: ActionRequest, ids: Iterable[str], *,
                   known: Mapping[str, Conversation] | None = None,
                   sending: SendingCallback | None = None) -> Iterator[ActionResult]:
        """Apply one action to many conversations, yielding one result per id.

        ``known``: conversations as a listing showed them moments ago (bulk by filter). A backend
        that must otherwise read each conversation before writing it may trust these instead.

        ``sending(id, before)``: a backend whose writes can be cut off half way (HTTP) calls it
        just before the write for that conversation goes out, with the state it read; the
        journal records it, so that an interrupted run can name what may have changed.
        """
        raise NotImplementedError

    def cancel(self) -> None:  # noqa: B027 - an optional hook: backends without requests in flight
        """Send no new request from now on (called from another thread when the run is interrupted)."""

    def unsupported_action(self, action: str) -> UnsupportedError:
        """The error for an action this server does not have; a backend may say what to do instead."""
        from inboxctl.errors import UnsupportedError

        return UnsupportedError(f"{self.capabilities.server} cannot {action} conversations",
                                hint="see the README for what each server supports")

    # -- lifecycle -----------------------------------------------------------------------------
    def close(self) -> None:  # noqa: B027 - an optional hook: most backends hold nothing to release
        """Release connections and files."""
