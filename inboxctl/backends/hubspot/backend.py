"""``HubSpotBackend``: the Backend interface on one HubSpot account.

Conversations are :mod:`inboxctl.backends.hubspot.conversations`; inbox definitions (verify and
export only: HubSpot's API cannot write inbox settings) are
:mod:`inboxctl.backends.hubspot.configuration`, imported when first needed.

Pacing: HubSpot announces its limit on every answer (``X-HubSpot-RateLimit-Max`` requests per
``-Interval-Milliseconds``: 190 per 10 s on Professional and Enterprise, 100 on Free and Starter),
and the client follows it (:class:`inboxctl.http.ServerPacedBucket`), so no rate needs configuring;
``--rate`` or the profile's ``rate`` only lowers it. The daily quota is never retried: the run
stops with exit 6 and the time it resets, midnight in the account's time zone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests

from inboxctl.backends.base import Backend, CapabilityProblem, Directory, LiveInbox, SendingCallback
from inboxctl.backends.hubspot.api import HubSpotApi
from inboxctl.backends.hubspot.capabilities import HUBSPOT_CAPABILITIES
from inboxctl.backends.hubspot.conversations import Catalog, HubSpotConversations, unsupported_action
from inboxctl.errors import AuthenticationError, BackendError, RateLimitedError, UnsupportedError
from inboxctl.http import HttpClient, RateLimitDecision, ServerPacedBucket, hubspot_rate_limit_rule

if TYPE_CHECKING:
    from inboxctl.conversations.model import (
        ActionRequest, ActionResult, Conversation, ConversationDetail, ConversationQuery)
    from inboxctl.definitions.model import InboxDefinition
    from inboxctl.planner.plan import ResourceChange

DEFAULT_URL = "https://api.hubapi.com"
# HTTP client settings; tests shorten the waits through ``client_options``.
CLIENT_OPTIONS: dict[str, Any] = {
    "timeout": (5.0, 30.0), "max_attempts": 5,
    # Refusals HubSpot sends before acting, so any request may be sent again: 423 Locked asks for
    # at least 2 s, 477 (migration in progress) for its Retry-After.
    "refused_statuses": {423: 2.0, 477: 0.0},
    # Gateway failures, Cloudflare's 521-524 besides the usual ones: retried when safe to repeat.
    "server_failure_statuses": frozenset({502, 503, 504, 521, 522, 523, 524}),
}


class HubSpotBackend(Backend):
    name = "hubspot"

    def __init__(self, url: str | None, token: str, rate: float | None = None, *,
                 client_options: Mapping[str, Any] | None = None) -> None:
        """``rate``: at most this many requests per second (None: HubSpot's announced limit).
        ``client_options`` go to the HTTP client (tests shorten its waits, inject a clock)."""
        self.url = (url or DEFAULT_URL).rstrip("/")
        self.capabilities = HUBSPOT_CAPABILITIES
        options = {**CLIENT_OPTIONS, **(client_options or {})}
        self.limiter = ServerPacedBucket(ceiling=rate, monotonic=options.get("monotonic", time.monotonic),
                                         sleep=options.get("sleep", time.sleep))
        self.client = HttpClient(self.url, auth_headers={"Authorization": f"Bearer {token}"}, server_name="HubSpot",
                                 rate=self.limiter, classify_rate_limit=self._rate_limit_rule, **options)
        self.api = HubSpotApi(self.client)
        self.catalog = Catalog(self.api)
        self.conversations = HubSpotConversations(self.api, self.catalog)
        self._account: dict[str, Any] | None = None
        self._account_lock = threading.Lock()

    # -- identity ------------------------------------------------------------------------------------
    def whoami(self) -> str:
        """The account the token belongs to; also proves it may read the conversations inbox."""
        details = self._account_details()
        self.api.first_inbox_page()
        kind = str(details.get("accountType") or "unknown type").replace("_", " ").lower()
        return (f"HubSpot account {details.get('portalId')} ({kind}, time zone "
                f"{details.get('timeZone') or 'unknown'})")

    def server_identity(self) -> str:
        """The API's address and the account's portal id: a profile pointed at another account since
        a run must not let undo change that account's threads."""
        self._learn_account()
        portal = (self._account or {}).get("portalId")
        return f"hubspot:{self.url}" + (f"/portal/{portal}" if portal else "")

    def _account_details(self) -> dict[str, Any]:
        with self._account_lock:
            if self._account is None:
                self._account = self.api.account_details()
            return self._account

    def _learn_account(self) -> None:
        """Read the account (portal id, time zone) before the first conversation call: a used-up
        daily quota refuses every request, account-info included, and it resets at midnight there."""
        try:
            self._account_details()
        except (RateLimitedError, AuthenticationError):
            raise
        except BackendError:
            pass  # without it, the reset time is said in words

    def _rate_limit_rule(self, response: requests.Response) -> RateLimitDecision | None:
        decision = hubspot_rate_limit_rule(response)
        if decision is None or not decision.give_up:
            return decision
        zone = (self._account or {}).get("timeZone")
        return replace(decision, resets_at=daily_reset(str(zone), datetime.now(timezone.utc)) if zone
                       else decision.resets_at)

    # -- configuration (verify and export: HubSpot's API writes no inbox setting) ---------------------
    def directory(self) -> Directory:
        from inboxctl.backends.hubspot import configuration

        return configuration.read_directory(self.client)

    def read_inboxes(self) -> list[LiveInbox]:
        from inboxctl.backends.hubspot import configuration

        return configuration.read_live_inboxes(self.client)

    def apply_change(self, change: ResourceChange) -> None:
        from inboxctl.backends.hubspot import configuration

        configuration.apply_change(self.client, change)

    def consequences(self, change: ResourceChange) -> list[str]:
        return []  # nothing on HubSpot is deleted along with an inbox: inboxctl never deletes one there

    def unsupported_settings(self, inbox: InboxDefinition) -> list[CapabilityProblem]:
        from inboxctl.backends.hubspot import configuration

        return configuration.unsupported_settings(inbox)

    # -- conversations -------------------------------------------------------------------------------
    def list_conversations(self, query: ConversationQuery) -> Iterator[Conversation]:
        self._learn_account()
        return self.conversations.list_conversations(query)

    def get_conversation(self, conversation_id: str) -> ConversationDetail:
        self._learn_account()
        return self.conversations.get_conversation(conversation_id)

    def run_action(self, request: ActionRequest, ids: Iterable[str], *,
                   known: Mapping[str, Conversation] | None = None,
                   sending: SendingCallback | None = None) -> Iterator[ActionResult]:
        results = self.conversations.run_action(request, ids, known=known, sending=sending)  # refuses first
        self._learn_account()
        return results

    def unsupported_action(self, action: str) -> UnsupportedError:
        return unsupported_action(action) or super().unsupported_action(action)

    def cancel(self) -> None:
        self.client.cancel()

    def close(self) -> None:
        self.client.close()


def daily_reset(time_zone: str, now: datetime) -> str:
    """When HubSpot's daily quota comes back: the next midnight in the account's time zone."""
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return f"at midnight in the account's time zone ({time_zone})"
    tomorrow = (now.astimezone(zone) + timedelta(days=1)).date()
    midnight = datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=zone)
    return f"at midnight {time_zone} time ({midnight.isoformat(timespec='minutes')})"
