"""``ChatwootBackend``: the Backend interface on one Chatwoot account."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from inboxctl.backends.base import (
    Backend,
    CapabilityProblem,
    Directory,
    FacebookPage,
    LiveInbox,
    SendingCallback,
    Team,
    User,
)
from inboxctl.backends.chatwoot import live
from inboxctl.backends.chatwoot.account import Account
from inboxctl.backends.chatwoot.api import ChatwootApi
from inboxctl.backends.chatwoot.capabilities import CHATWOOT_CAPABILITIES, CheckContext, check_inbox
from inboxctl.backends.chatwoot.configure import Writer, whatsapp_credentials, whatsapp_numbers_with_credentials
from inboxctl.backends.chatwoot.conversations import ChatwootConversations, Settle, unsupported_action
from inboxctl.backends.chatwoot.mapping import Rule, kind_of, live_state
from inboxctl.errors import AuthenticationError, UnsupportedError, UsageError
from inboxctl.http import HttpClient
from inboxctl.planner.plan import DELETE

if TYPE_CHECKING:
    from inboxctl.conversations.model import (
        ActionRequest, ActionResult, Conversation, ConversationDetail, ConversationQuery)
    from inboxctl.definitions.model import InboxDefinition
    from inboxctl.planner.plan import ResourceChange

# Requests per second. rack-attack's default is 3000 a minute per IP, and Chatwoot's .env.example
# suggests 300 a minute: 4 a second stays under both. --rate or the profile's rate changes it.
DEFAULT_RATE = 4.0


class ChatwootBackend(Backend):
    name = "chatwoot"

    def __init__(self, url: str | None, account_id: str | int | None, token: str, rate: float | None = None, *,
                 client_options: Mapping[str, Any] | None = None, settle: Settle | None = None) -> None:
        """``rate``: requests per second (None: ``DEFAULT_RATE``). ``client_options`` go to the HTTP client
        (tests shorten its backoff); ``settle`` says how bulk actions are waited for and verified."""
        if not url:
            raise UsageError("a Chatwoot profile needs the server's URL",
                             hint="inboxctl profile add NAME --backend chatwoot --url https://chat.example.com "
                                  "--account-id 1")
        self.account_id = _account_id(account_id)
        self.url = url.rstrip("/")
        self.capabilities = replace(CHATWOOT_CAPABILITIES, server=f"Chatwoot at {self.url} (account {self.account_id})")
        options = {"timeout": (5.0, 30.0), "max_attempts": 5, **(client_options or {})}
        self.client = HttpClient(url, auth_headers={"api_access_token": token}, server_name="Chatwoot",
                                 rate=rate if rate is not None else DEFAULT_RATE, **options)
        self.api = ChatwootApi(self.client, self.account_id)
        self._account: Account | None = None
        self._lock = threading.Lock()
        self._me: str | None = None
        self.conversations = ChatwootConversations(self.api, self.account, self._my_email, settle or Settle())

    # -- identity ---------------------------------------------------------------------------------------
    def whoami(self) -> str:
        profile = self.api.profile()
        accounts = {int(a.get("id", 0)): a for a in profile.get("accounts") or [] if isinstance(a, dict)}
        if accounts and self.account_id not in accounts:
            raise AuthenticationError(
                f"the token belongs to {profile.get('email')}, who has no access to account {self.account_id}",
                hint="check the profile's account id: " + ", ".join(
                    f"{number} ({a.get('name')})" for number, a in sorted(accounts.items())))
        self._me = str(profile.get("email") or "").lower() or None
        role = accounts.get(self.account_id, {}).get("role") or profile.get("role") or "user"
        return f"{profile.get('name')} <{profile.get('email')}>, {role} of account {self.account_id} on {self.url}"

    def server_identity(self) -> str:
        return f"chatwoot:{self.url}/accounts/{self.account_id}"

    def _my_email(self) -> str | None:
        if self._me is None:
            self._me = str(self.api.profile().get("email") or "").lower() or None
        return self._me

    # -- configuration ------------------------------------------------------------------------------------
    def account(self) -> Account:
        """The account as last read; read again after every write."""
        with self._lock:
            if self._account is None:
                self._account = Account(self.api)
            return self._account

    def directory(self) -> Directory:
        account = self.account()
        agents = sorted(account.agents.values(), key=lambda agent: agent.email)
        users = tuple(User(agent.email, agent.name, has_seat=True, active=agent.confirmed) for agent in agents)
        teams = tuple(Team(name, tuple(sorted(account.team_emails(name)))) for name in sorted(account.teams.values()))
        pages = tuple(FacebookPage(account.channel_key(inbox) or "") for inbox in account.inboxes
                      if kind_of(inbox) == "messenger")
        numbers = {account.channel_key(inbox) for inbox in account.inboxes if kind_of(inbox) == "whatsapp"}
        numbers |= set(whatsapp_numbers_with_credentials())
        return Directory(users=users, teams=teams, facebook_pages=pages,
                         whatsapp_numbers=tuple(sorted(n for n in numbers if n)),
                         tier="enterprise",  # Chatwoot has no tiers gating channels
                         personal_addresses=tuple(user.email for user in users))

    def read_inboxes(self) -> list[LiveInbox]:
        account = self.account()
        account.require_rules()
        return live.read_inboxes(account)

    def unsupported_settings(self, inbox: InboxDefinition) -> list[CapabilityProblem]:
        return check_inbox(inbox, self._check_context())

    def _check_context(self) -> CheckContext:
        account = self.account()
        account.require_rules()
        existing = {live.ident(kind_of(i), account.channel_key(i)): live_state(i, frozenset(), Rule())
                    for i in account.inboxes if live.is_channel(i)}
        admins = frozenset(agent.email for agent in account.agents.values() if agent.role == "administrator")
        return CheckContext(server=self.capabilities.server, team_emails=account.team_emails, administrators=admins,
                            existing=existing,
                            can_create_whatsapp=lambda phone: whatsapp_credentials(phone) is not None)

    def apply_change(self, change: ResourceChange) -> None:
        try:
            account = self.account()
            account.require_rules()
            Writer(self.api, account).apply(change)
        finally:
            self._forget()

    def consequences(self, change: ResourceChange) -> list[str]:
        account = self.account()
        group = account.group(change.inbox) if change.action == DELETE else None
        if group is None:
            return []
        warnings = []
        for inbox in Writer(self.api, account).doomed_inboxes(group, change):
            count = self.api.conversation_count({"inbox_id": inbox["id"], "status": "all"})
            if count:
                warnings.append(f"Chatwoot deletes inbox {inbox.get('name')!r} with its {count} "
                                f"conversation{'s' if count != 1 else ''}")
        return warnings

    def _forget(self) -> None:
        with self._lock:
            self._account = None

    # -- conversations ----------------------------------------------------------------------------------------
    def list_conversations(self, query: ConversationQuery) -> Iterator[Conversation]:
        return self.conversations.list_conversations(query)

    def get_conversation(self, conversation_id: str) -> ConversationDetail:
        return self.conversations.get_conversation(conversation_id)

    def run_action(self, request: ActionRequest, ids: Iterable[str], *,
                   known: Mapping[str, Conversation] | None = None,
                   sending: SendingCallback | None = None) -> Iterator[ActionResult]:
        # Chatwoot reads 25 conversations per request before writing: the listing's states are not needed.
        return self.conversations.run_action(request, ids, sending)

    def cancel(self) -> None:
        self.client.cancel()

    def unsupported_action(self, action: str) -> UnsupportedError:
        return unsupported_action(action) or super().unsupported_action(action)

    def close(self) -> None:
        self.client.close()


def _account_id(value: str | int | None) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        raise UsageError(f"a Chatwoot account id is a positive number, not {value!r}",
                         hint="it is the number after /app/accounts/ in Chatwoot's address bar")
    return number
