"""What a HubSpot account lets inboxctl do.

HubSpot's public API can read inboxes and their connected channels but cannot write any inbox
setting (``manages_inboxes=False``, no settings); the configuration half refines ``settings`` and
``channel_types`` to what it can read and check. On conversations it can assign, unassign, close,
reopen, trash, restore and comment, one thread per call; it has no permanent delete, no spam
marking and no sender blocking (see ``conversations.unsupported_action``).
"""

from __future__ import annotations

from inboxctl.backends.base import Capabilities
from inboxctl.backends.hubspot.configuration import CHANNEL_TYPES, CHECKABLE_SETTINGS

SERVER_NAME = "HubSpot"

HUBSPOT_CAPABILITIES = Capabilities(
    server=SERVER_NAME,
    settings=CHECKABLE_SETTINGS,  # what it can read and check: each inbox and its channels' identities
    channel_types=CHANNEL_TYPES,
    conversation_actions=frozenset({"assign", "unassign", "close", "reopen", "trash", "restore", "comment"}),
    manages_inboxes=False,
)
