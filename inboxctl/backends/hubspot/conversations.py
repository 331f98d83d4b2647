"""Conversations on HubSpot: threads listed with HubSpot's filters, one thread, and actions.

* **Listing.** HubSpot filters by inbox (``inboxId``), status (``threadStatus``) and trash
  (``archived=true``); a ``--since`` bound is sent as ``latestMessageTimestampAfter``, which bounds
  the last activity, never the creation, so it only narrows what is read and the creation date is
  still checked here. Everything else is filtered here, page by page: assignee, channel (type or
  channel name/address), contact, the upper date bound, spam, "sent" and the text search. A thread
  carries only ids: inboxes, channels, channel accounts and owners are read once per run; the
  contacts of a page are read in one CRM batch and unknown agents in one actors batch, so a page
  of 100 threads costs at most three requests. ``--search`` reads each remaining thread's
  messages (HubSpot has no text filter): one request per candidate, so narrow it first.
* **Order.** HubSpot lists threads by id, oldest first, and has no descending order (except by
  contact). ``--sort oldest`` streams; newest first reads every matching page before the first
  row, keeping only ``--limit`` rows in memory (or, with no limit, spooling rows to a temporary
  file), so memory stays constant either way.
* **Views.** unassigned, mine, open, closed, chat, email, messenger, forms and trash map onto the
  filters above; spam uses the thread's read-only ``spam`` flag; sent means a thread with outgoing
  and no incoming message. No field says that a bot has a thread: the bots view is an error.
* **Actions**, one call per thread (HubSpot has no batch update): assign (``PUT .../assignee``),
  unassign (``DELETE .../assignee``), close and reopen (``PATCH`` status), trash (``DELETE``),
  restore (``PATCH ?archived=true {"archived": false}``), comment (``POST .../messages``). The
  state before comes from the listing the ids came from (``known``), else from one ``GET`` (trash
  included). A thread already as asked is "unchanged" with no write. A thread in trash is only
  restored: HubSpot refuses status changes while archived. Permanent delete, spam and blocking a
  sender do not exist in HubSpot's API: refused before any request.
* **Nothing written twice.** A write whose answer is lost (connection reset, 502/503/504) may or may
  not have been applied, so it is not repeated blindly: the thread is read back, and the write is
  sent again only if the thread does not show it. A comment cannot be read back that way (the same
  text may already be there): it is reported failed, "outcome unknown".
"""

from __future__ import annotations

import heapq
import itertools
import json
import re
import tempfile
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timezone
from typing import Any, TypeVar

from inboxctl.backends.base import SendingCallback
from inboxctl.backends.hubspot import configuration
from inboxctl.backends.hubspot.api import PAGE_SIZE, HubSpotApi
from inboxctl.conversations.filters import CURRENT_USER_ENV
from inboxctl.conversations.model import (
    CHANNEL_TYPES,
    ActionRequest,
    ActionResult,
    Contact,
    Conversation,
    ConversationDetail,
    ConversationQuery,
    ConversationState,
    Message,
    already_done,
    conversation_number,
    expected_state,
)
from inboxctl.definitions.formats import did_you_mean
from inboxctl.errors import AuthenticationError, BackendError, NotFoundError, RateLimitedError, UnsupportedError
from inboxctl.http import OutcomeUnknownError

T = TypeVar("T")

TRASH_HINT = "trash them instead (`inboxctl conv trash`): HubSpot deletes threads in trash for good after 30 days"
NO_SUCH_THREAD = ("no such conversation on HubSpot (threads in trash are deleted for good 30 days after they "
                  "were trashed)")
IN_TRASH = "in trash: restore it first"
# How many times a write whose answer was lost is sent again (each time only after reading the thread back).
WRITE_ROUNDS = 5
_HTML_TAG = re.compile(r"<[^>]+>")


def unsupported_action(action: str) -> UnsupportedError | None:
    """The error for an action HubSpot's API does not have, saying what to do instead; None if it has it."""
    if action == "delete":
        return UnsupportedError("HubSpot's API cannot delete conversations permanently", hint=TRASH_HINT)
    if action in ("spam", "unspam"):
        return UnsupportedError(
            "HubSpot's API cannot mark conversations as spam or take them out of spam (its spam flag is read only)",
            hint=f"use HubSpot's inbox for spam, or {TRASH_HINT}")
    if action in ("assign-team", "unassign-team"):
        return UnsupportedError("HubSpot's API has no team on a conversation: threads cannot be given to a team",
                                hint="give them to a user (`inboxctl conv assign --to EMAIL`); HubSpot routes to "
                                     "teams by its inbox settings")
    if action in ("block-sender", "unblock-sender"):
        return UnsupportedError("HubSpot's API cannot block or unblock senders",
                                hint=f"block senders in HubSpot's inbox settings; to remove their conversations, "
                                     f"{TRASH_HINT}")
    return None


# ---------------------------------------------------------------------------------------------
# What a thread's ids mean: read once per run


@dataclass(frozen=True)
class ChannelAccount:
    inbox_id: str
    channel: str  # email, chat, messenger, form, whatsapp, calling (else HubSpot's own channel name)
    name: str     # the address, phone number, chat name, page or form conversations come through


@dataclass(frozen=True)
class Owner:
    user_id: str
    email: str
    name: str
    active: bool


def channel_type(channel_name: str) -> str:
    """email, chat, messenger, form, whatsapp or calling from HubSpot's channel name; a custom
    channel keeps its own name."""
    return configuration.channel_type(channel_name) or channel_name.lower() or "other"


class Catalog:
    """Inboxes, channels, channel accounts and owners, each read once (on first use) and kept for the run.

    Thread-safe: bulk actions run in several worker threads that share one backend.
    """

    def __init__(self, api: HubSpotApi) -> None:
        self.api = api
        self._lock = threading.RLock()  # re-entrant: channel accounts need the channels
        self._loaded: dict[str, Any] = {}

    def _once(self, name: str, load: Callable[[], T]) -> T:
        with self._lock:
            if name not in self._loaded:
                self._loaded[name] = load()
            return self._loaded[name]  # type: ignore[no-any-return]

    @property
    def inboxes(self) -> dict[str, str]:
        return self._once("inboxes", lambda: {str(i.get("id")): str(i.get("name") or "") for i in self.api.inboxes()})

    @property
    def channels(self) -> dict[str, str]:
        """Channel id to channel type."""
        return self._once("channels", lambda: {str(c.get("id")): channel_type(str(c.get("name") or ""))
                                               for c in self.api.channels()})

    @property
    def channel_accounts(self) -> dict[str, ChannelAccount]:
        return self._once("channel_accounts", self._read_channel_accounts)

    @property
    def owners(self) -> dict[str, Owner]:
        """By user id (what ``A-<userId>`` names), deactivated users included."""
        return self._once("owners", self._read_owners)

    def owner_by_email(self, email: str) -> Owner | None:
        wanted = email.strip().casefold()
        return next((owner for owner in self.owners.values() if owner.email.casefold() == wanted), None)

    def inbox_name(self, inbox_id: Any) -> str:
        return self.inboxes.get(str(inbox_id), f"inbox {inbox_id}")

    def inbox_id(self, name: str) -> str:
        for inbox_id, inbox_name in self.inboxes.items():
            if inbox_name.casefold() == name.strip().casefold():
                return inbox_id
        raise NotFoundError(f"no inbox named {name!r} on HubSpot", hint=_suggest(name, sorted(self.inboxes.values())))

    def _read_channel_accounts(self) -> dict[str, ChannelAccount]:
        channels = self.channels
        return {str(a.get("id")): ChannelAccount(str(a.get("inboxId")), channels.get(str(a.get("channelId")), "other"),
                                                 _channel_account_name(a))
                for a in self.api.channel_accounts()}

    def _read_owners(self) -> dict[str, Owner]:
        owners: dict[str, Owner] = {}
        for archived in (True, False):  # active owners last, so they win over an archived twin
            for raw in self.api.owners(archived=archived):
                owner = _owner(raw, active=not archived)
                if owner is not None:
                    owners[owner.user_id] = owner
        return owners


def _channel_account_name(account: Mapping[str, Any]) -> str:
    identifier = account.get("deliveryIdentifier") or {}
    if identifier.get("type") in ("HS_EMAIL_ADDRESS", "HS_PHONE_NUMBER") and identifier.get("value"):
        return str(identifier["value"])
    return str(account.get("name") or identifier.get("value") or "")


def _owner(raw: Mapping[str, Any], *, active: bool) -> Owner | None:
    user_id = raw.get("userId") or raw.get("userIdIncludingInactive")
    if user_id in (None, "") or raw.get("type", "PERSON") != "PERSON":
        return None
    name = " ".join(part for part in (raw.get("firstName"), raw.get("lastName")) if part)
    return Owner(str(user_id), str(raw.get("email") or "").lower(), name, active and not raw.get("archived"))


# ---------------------------------------------------------------------------------------------
# Names of one page: contacts and agents the catalog does not know


@dataclass(frozen=True)
class Person:
    email: str
    name: str


@dataclass(frozen=True)
class PageNames:
    contacts: Mapping[str, Person] = field(default_factory=dict)  # by contact id
    actors: Mapping[str, Person] = field(default_factory=dict)    # by actor id ("A-12", "V-7", ...)


NO_NAMES = PageNames()


def read_names(api: HubSpotApi, catalog: Catalog, threads: Iterable[Mapping[str, Any]],
               actor_ids: Iterable[str] = ()) -> PageNames:
    """The contacts of ``threads`` and the agents the owners list lacks: one batch request each, at most."""
    threads = list(threads)
    contact_ids = {str(t["associatedContactId"]) for t in threads if t.get("associatedContactId")}
    wanted = {str(t["assignedTo"]) for t in threads if t.get("assignedTo")} | set(actor_ids)
    unknown = {actor for actor in wanted if _known_agent(actor, catalog) is None}
    contacts = {str(c.get("id")): _contact_person(c) for c in api.contacts(contact_ids)}
    actors = {str(a.get("id")): Person(str(a.get("email") or "").lower(), str(a.get("name") or ""))
              for a in api.actors(unknown)}
    return PageNames(contacts=contacts, actors=actors)


def _known_agent(actor_id: str, catalog: Catalog) -> Owner | None:
    return catalog.owners.get(actor_id[2:]) if actor_id.startswith("A-") else None


def _contact_person(raw: Mapping[str, Any]) -> Person:
    properties = raw.get("properties") or {}
    name = " ".join(part for part in (properties.get("firstname"), properties.get("lastname")) if part)
    return Person(str(properties.get("email") or "").lower(), name)


# ---------------------------------------------------------------------------------------------
# HubSpot JSON -> model


def state_of(thread: Mapping[str, Any], catalog: Catalog, names: PageNames = NO_NAMES) -> ConversationState:
    spam = bool(thread.get("spam"))
    return ConversationState(status="closed" if str(thread.get("status")).upper() == "CLOSED" else "open",
                             assignee=_assignee(thread.get("assignedTo"), catalog, names),
                             assigned_to_bot=str(thread.get("assignedTo") or "").startswith("B-"),
                             spam=spam, filtered=spam, trashed_at=_trashed_at(thread))


def _assignee(actor_id: Any, catalog: Catalog, names: PageNames) -> str | None:
    if not actor_id or not str(actor_id).startswith("A-"):
        return None
    owner = _known_agent(str(actor_id), catalog)
    person = names.actors.get(str(actor_id))
    # An agent nobody can name stays its actor id, so that it never passes for "unassigned".
    return owner.email if owner else (person.email if person and person.email else str(actor_id))


def _trashed_at(thread: Mapping[str, Any]) -> str | None:
    if not thread.get("archived"):
        return None
    archived_at = _iso(thread.get("archivedAt"))
    if archived_at:
        return archived_at
    # HubSpot does not say when a thread was archived: the latest moment known about it is a lower
    # bound, so the purge date shown from it is the earliest HubSpot may delete the thread.
    moments = (_iso(thread.get(key)) for key in ("latestMessageTimestamp", "closedAt", "createdAt"))
    return max((moment for moment in moments if moment), default=_now())


def to_conversation(thread: Mapping[str, Any], catalog: Catalog, names: PageNames = NO_NAMES) -> Conversation:
    state = state_of(thread, catalog, names)
    account = catalog.channel_accounts.get(str(thread.get("originalChannelAccountId")))
    contact = names.contacts.get(str(thread.get("associatedContactId") or ""), Person("", ""))
    created = _iso(thread.get("createdAt"))
    return Conversation(
        id=str(thread.get("id")), inbox=catalog.inbox_name(thread.get("inboxId")),
        channel=catalog.channels.get(str(thread.get("originalChannelId")), account.channel if account else "other"),
        channel_name=account.name if account else "", subject="", contact=contact.email, contact_name=contact.name,
        assignee=state.assignee, assigned_to_bot=state.assigned_to_bot, status=state.status,
        outgoing=is_outgoing(thread), spam=state.spam, filtered=state.filtered,
        has_ticket=bool((thread.get("threadAssociations") or {}).get("associatedTicketId")),
        created_at=created, updated_at=_iso(thread.get("latestMessageTimestamp")) or created,
        closed_at=_iso(thread.get("closedAt")) or None, trashed_at=state.trashed_at)


def is_outgoing(thread: Mapping[str, Any]) -> bool:
    """Sent by the team and not answered yet: messages went out and none came in."""
    return bool(thread.get("latestMessageSentTimestamp")) and not thread.get("latestMessageReceivedTimestamp")


def thread_number(conversation: Conversation) -> int:
    return int(conversation.id)


# ---------------------------------------------------------------------------------------------
# Which threads a query wants


@dataclass(frozen=True)
class ThreadFilter:
    """A query as checks on raw threads (ids only), decided before any name is read."""

    status: str | None
    assignee_actor: str | None        # "A-<userId>"
    unassigned: bool
    channels: frozenset[str] | None          # channel ids (a channel type was asked for)
    channel_accounts: frozenset[str] | None  # channel account ids (a channel's name or address)
    since: datetime | None
    until: datetime | None
    filtered: str
    outgoing: bool | None

    def matches(self, thread: Mapping[str, Any]) -> bool:
        assigned = thread.get("assignedTo") or None
        checks = (
            self.status is None or str(thread.get("status")).upper() == self.status,
            self.assignee_actor is None or assigned == self.assignee_actor,
            not self.unassigned or assigned is None,
            self.outgoing is None or is_outgoing(thread) == self.outgoing,
            self.channels is None or str(thread.get("originalChannelId")) in self.channels,
            self.channel_accounts is None or str(thread.get("originalChannelAccountId")) in self.channel_accounts,
            _in_scope(bool(thread.get("spam")), self.filtered),
            self._created_within(thread.get("createdAt")),
        )
        return all(checks)

    def _created_within(self, created_at: Any) -> bool:
        created = _datetime(created_at)
        if created is None:
            return self.since is None and self.until is None
        too_old = self.since is not None and created < self.since
        return not too_old and (self.until is None or created < self.until)


def _in_scope(flag: bool, scope: str) -> bool:
    return {"hide": not flag, "only": flag}.get(scope, True)


# ---------------------------------------------------------------------------------------------
# The conversations of one HubSpot account


class HubSpotConversations:
    def __init__(self, api: HubSpotApi, catalog: Catalog) -> None:
        self.api = api
        self.catalog = catalog

    # -- listing ------------------------------------------------------------------------------------
    def list_conversations(self, query: ConversationQuery) -> Iterator[Conversation]:
        """Check the query now (an unknown inbox fails before any output), then stream."""
        if query.bot:
            raise UnsupportedError("the 'bots' view cannot be listed on HubSpot: no field of a HubSpot thread says "
                                   "that a bot is handling it", hint="use --unassigned to see threads no user has")
        params = self._params(query)
        checks = self._filter(query)
        streams = [params] if query.trash == "hide" else [{**params, "archived": "true"}]
        if query.trash == "include":
            streams.insert(0, params)
        return self._ordered(self._scan(streams, checks, query), query)

    def _ordered(self, found: Iterator[Conversation], query: ConversationQuery) -> Iterator[Conversation]:
        if query.sort == "newest":
            found = newest_first(found, query.limit)
        yield from itertools.islice(found, query.limit) if query.limit is not None else found

    def _params(self, query: ConversationQuery) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if query.inbox is not None:
            params["inboxId"] = self.catalog.inbox_id(query.inbox)
        if query.status is not None:
            params["threadStatus"] = query.status.upper()
        since, _ = query.bounds(datetime.now(timezone.utc))
        if since is not None:
            # A thread created after `since` was last active after it too: a safe narrowing.
            params["latestMessageTimestampAfter"] = since.astimezone(timezone.utc).isoformat(
                timespec="milliseconds").replace("+00:00", "Z")
        return params

    def _filter(self, query: ConversationQuery) -> ThreadFilter:
        since, until = query.bounds(datetime.now(timezone.utc))
        channels, accounts = self._channel(query.channel)
        return ThreadFilter(status=query.status.upper() if query.status else None,
                            assignee_actor=self._assignee_actor(query.assignee), unassigned=query.unassigned,
                            channels=channels, channel_accounts=accounts, since=since, until=until,
                            filtered=query.filtered, outgoing=query.outgoing)

    def _assignee_actor(self, email: str | None) -> str | None:
        if email is None:
            return None
        owner = self.catalog.owner_by_email(email)
        if owner is None:
            raise NotFoundError(f"no HubSpot user {email}",
                                hint=_suggest(email, sorted(o.email for o in self.catalog.owners.values())))
        return f"A-{owner.user_id}"

    def _channel(self, wanted: str | None) -> tuple[str | None, frozenset[str] | None]:
        """A channel type as channel ids, or a channel's name or address as channel account ids."""
        if wanted is None:
            return None, None
        if wanted.lower() in CHANNEL_TYPES:
            return frozenset(i for i, kind in self.catalog.channels.items() if kind == wanted.lower()), None
        accounts = self.catalog.channel_accounts
        named = frozenset(i for i, a in accounts.items() if a.name.casefold() == wanted.casefold())
        if not named:
            raise NotFoundError(f"no channel type or channel named {wanted!r} on HubSpot",
                                hint=_suggest(wanted, [*CHANNEL_TYPES, *sorted({a.name for a in accounts.values()})]))
        return None, named

    def _scan(self, streams: list[dict[str, Any]], checks: ThreadFilter,
              query: ConversationQuery) -> Iterator[Conversation]:
        """Matching conversations in id order, names read once per page of survivors."""
        threads = heapq.merge(*(_flat(self.api.thread_pages(params)) for params in streams),
                              key=lambda t: int(t.get("id") or 0))
        for page in _chunks(threads, PAGE_SIZE):
            kept = [thread for thread in page if checks.matches(thread)]
            if not kept:
                continue
            names = read_names(self.api, self.catalog, kept)
            for thread in kept:
                conversation = to_conversation(thread, self.catalog, names)
                if _contact_matches(conversation, query.contact) and self._mentions(thread, query.search):
                    yield conversation

    def _mentions(self, thread: Mapping[str, Any], text: str | None) -> bool:
        if not text:
            return True
        wanted = text.casefold()
        pages = self.api.message_pages(int(thread["id"]), archived=bool(thread.get("archived")))
        return any(wanted in _searchable(message) for message in _flat(pages))

    # -- one conversation ---------------------------------------------------------------------------
    def get_conversation(self, conversation_id: str) -> ConversationDetail:
        number = conversation_number(conversation_id)
        if number is None:
            raise NotFoundError(f"conversation {conversation_id}",
                                reason=f"{conversation_id!r} is not a conversation id")
        thread = self.read_thread(number)
        if thread is None:
            raise NotFoundError(f"conversation {conversation_id}", reason=NO_SUCH_THREAD)
        conversation = to_conversation(thread, self.catalog, read_names(self.api, self.catalog, [thread]))
        messages = list(self._messages(number, archived=bool(thread.get("archived"))))
        owner = _known_agent(str(thread.get("assignedTo") or ""), self.catalog)
        subject = next((subject for subject, _ in messages if subject), "")  # threads have none: e-mails do
        return ConversationDetail(
            conversation=replace(conversation, subject=subject),
            contact=Contact(email=conversation.contact, name=conversation.contact_name),
            assignee_name=owner.name if owner else None, assignee_active=owner.active if owner else True,
            messages=tuple(message for _, message in messages))

    def read_thread(self, number: int, *, trash_first: bool = False) -> dict[str, Any] | None:
        """The thread, looking in trash too (``trash_first``: there first); None if HubSpot has neither."""
        for archived in ((True, False) if trash_first else (False, True)):
            try:
                return self.api.thread(number, archived=archived)
            except NotFoundError:
                continue
        return None

    def _messages(self, number: int, *, archived: bool) -> Iterator[tuple[str, Message]]:
        """Messages and comments with their subjects, oldest first, authors named with one actors batch
        per page."""
        for page in self.api.message_pages(number, archived=archived):
            shown = [m for m in page if _message_kind(m) is not None]
            nameless = (_author_id(m) for m in shown if _author_id(m) and not _sender_address(m))
            authors = read_names(self.api, self.catalog, (), nameless)
            for raw in shown:
                yield str(raw.get("subject") or ""), self._message(raw, authors)

    def _message(self, raw: Mapping[str, Any], authors: PageNames) -> Message:
        return Message(kind=_message_kind(raw) or "incoming", author=self._author(raw, authors),  # type: ignore[arg-type]
                       body=_text(raw), created_at=_iso(raw.get("createdAt")))

    def _author(self, raw: Mapping[str, Any], authors: PageNames) -> str:
        actor_id = _author_id(raw) or ""
        owner = _known_agent(actor_id, self.catalog)
        person = authors.actors.get(actor_id)
        sender = (raw.get("senders") or [{}])[0] or {}
        candidates = (owner.email if owner else None, _sender_address(raw), person.email if person else None,
                      person.name if person else None, sender.get("name"), actor_id)
        return str(next((c for c in candidates if c), ""))

    # -- actions ------------------------------------------------------------------------------------
    def run_action(self, request: ActionRequest, ids: Iterable[str], *, known: Mapping[str, Conversation] | None = None,
                   sending: SendingCallback | None = None) -> Iterator[ActionResult]:
        refusal = unsupported_action(request.action)
        if refusal is not None:
            raise refusal
        return _each(_Action(self, request, known or {}, sending), ids)


def _each(action: _Action, ids: Iterable[str]) -> Iterator[ActionResult]:
    for conversation_id in ids:
        try:
            yield action.run(str(conversation_id))
        except _RunStops as stop:
            yield stop.result  # this thread was not changed: say so, rather than leave it "unknown"
            raise stop.error from None


class _RunStops(Exception):
    """HubSpot refused a write for the whole run (quota, credentials): the thread's result, then the error."""

    def __init__(self, result: ActionResult, error: BackendError) -> None:
        super().__init__(error.message)
        self.result, self.error = result, error


class _Refused(Exception):
    """A write HubSpot refused before acting on it, for a reason that stops the run."""

    def __init__(self, error: BackendError) -> None:
        super().__init__(error.message)
        self.error = error


class _Action:
    """One action on threads, one at a time: read (or trust ``known``), decide, write, report."""

    def __init__(self, owner: HubSpotConversations, request: ActionRequest, known: Mapping[str, Conversation],
                 sending: SendingCallback | None) -> None:
        self.owner, self.request, self.known, self.sending = owner, request, known, sending
        self.api, self.catalog = owner.api, owner.catalog

    def run(self, raw_id: str) -> ActionResult:
        number = conversation_number(raw_id)
        if number is None:
            return self._result(raw_id, "failed", reason=f"{raw_id!r} is not a conversation id")
        conversation_id = str(number)
        before = self._before(conversation_id, number)
        if before is None:
            return self._result(conversation_id, "failed", reason=NO_SUCH_THREAD)
        refusal = self._refusal(before)
        after = self._expected(before)
        if refusal is None and already_done(self._target(), before):
            # Before undo's precondition: what is already as asked has nothing to take from anyone.
            return self._result(conversation_id, "unchanged", before=before, after=before)
        refusal = refusal or self.request.unmet_precondition(before)
        if refusal is not None:
            return self._result(conversation_id, "failed", reason=refusal, before=before)
        if self.request.dry_run:
            return self._result(conversation_id, "changed", before=before, after=after)
        return self._write(conversation_id, number, before, after)

    def _before(self, conversation_id: str, number: int) -> ConversationState | None:
        listed = self.known.get(conversation_id)
        if listed is not None:
            return listed.state()
        thread = self.owner.read_thread(number, trash_first=self.request.action == "restore")
        if thread is None:
            return None
        names = read_names(self.api, self.catalog, [thread]) if _unknown_agent(thread, self.catalog) else NO_NAMES
        return state_of(thread, self.catalog, names)

    def _refusal(self, before: ConversationState) -> str | None:
        action = self.request.action
        if before.trashed_at is not None and action not in ("restore", "trash"):
            return IN_TRASH
        if action == "assign":
            target = self.catalog.owner_by_email(self.request.assignee or "")
            if target is None:
                return f"no HubSpot user {self.request.assignee}"
            if not target.active:
                return f"{target.email} is deactivated: conversations can only be given to active users"
        if action == "comment":
            return self._comment_refusal()
        return None

    def _comment_refusal(self) -> str | None:
        if not (self.request.text or "").strip():
            return "a comment needs text"
        if self.request.author:
            # The API has no author field: every comment is the token's app's, and naming anyone is a lie.
            return (f"HubSpot writes a comment as the app whose token this is, not as {self.request.author} (--as or "
                    f"${CURRENT_USER_ENV}): leave both out to comment as the app")
        return None

    def _expected(self, before: ConversationState) -> ConversationState:
        return expected_state(self._target(), before, now=_now()) or before

    def _target(self) -> ActionRequest:
        """The request with the assignee's e-mail as HubSpot spells it."""
        if self.request.action != "assign":
            return self.request
        target = self.catalog.owner_by_email(self.request.assignee or "")
        return replace(self.request, assignee=target.email if target else self.request.assignee)

    def _write(self, conversation_id: str, number: int, before: ConversationState,
               after: ConversationState) -> ActionResult:
        if self.sending is not None:
            self.sending(conversation_id, before)
        try:
            applied, unknown = self._write_once_and_for_all(number)
        except _Refused as refused:
            # Every other thread would be refused the same way: stop; running it again completes the rest.
            raise _RunStops(self._result(conversation_id, "failed", before=before, retryable=True,
                                         reason=f"not changed: {refused.error.message}"), refused.error) from None
        except NotFoundError:
            return self._result(conversation_id, "failed", before=before, reason=NO_SUCH_THREAD)
        except BackendError as error:
            return self._result(conversation_id, "failed", before=before, reason=error.reason or error.message,
                                retryable=error.status is None or error.status >= 500)
        if not applied:
            return self._result(conversation_id, "failed", before=before, retryable=self.request.action != "comment",
                                reason=f"outcome unknown ({unknown}); check the conversation before trying again")
        return self._result(conversation_id, "changed", before=before, after=after)

    def _write_once_and_for_all(self, number: int) -> tuple[bool, str | None]:
        """Send the write; after an answer that was lost, send it again only if the thread does not show it.

        Returns whether it is applied, and if that is unknown, why.
        """
        for _ in range(WRITE_ROUNDS):
            try:
                self._call(number)
                return True, None
            except OutcomeUnknownError as error:
                unknown = error.message
            except (AuthenticationError, RateLimitedError) as error:
                # Refused before acting; and any earlier attempt was read back unapplied: not changed.
                raise _Refused(error) from None
            if self.request.action == "comment":
                return False, unknown  # the same text may be there already: no read-back can tell
            shown = self._shows_the_change(number)
            if shown is None:
                return False, unknown  # it cannot be read back now: still unknown
            if shown:
                return True, None
        return False, unknown

    def _shows_the_change(self, number: int) -> bool | None:
        """Whether the thread, read back, shows the change; None if it cannot be read now."""
        try:
            thread = self.owner.read_thread(number, trash_first=self.request.action == "trash")
        except (AuthenticationError, RateLimitedError):
            raise  # the outcome stays unknown: the journal says so
        except BackendError:
            return None
        return thread is not None and already_done(self._target(), state_of(thread, self.catalog))

    def _call(self, number: int) -> None:
        action, api = self.request.action, self.api
        if action == "assign":
            target = self.catalog.owner_by_email(self.request.assignee or "")
            api.assign(number, target.user_id if target else "")
        elif action == "unassign":
            api.unassign(number)
        elif action in ("close", "reopen"):
            api.set_status(number, "CLOSED" if action == "close" else "OPEN")
        elif action == "trash":
            api.archive(number)
        elif action == "restore":
            api.restore(number)
        elif action == "comment":
            api.add_comment(number, self.request.text or "")
        else:  # refused before any request by unsupported_action
            raise UnsupportedError(f"HubSpot cannot {action} conversations")

    def _result(self, conversation_id: str, outcome: str, *, reason: str | None = None,
                before: ConversationState | None = None, after: ConversationState | None = None,
                retryable: bool = False) -> ActionResult:
        return ActionResult(id=conversation_id, action=self.request.action, outcome=outcome,  # type: ignore[arg-type]
                            reason=reason, before=before, after=after, dry_run=self.request.dry_run,
                            retryable=retryable)


def _unknown_agent(thread: Mapping[str, Any], catalog: Catalog) -> bool:
    assigned = str(thread.get("assignedTo") or "")
    return assigned.startswith("A-") and _known_agent(assigned, catalog) is None


# ---------------------------------------------------------------------------------------------
# Newest first, in constant memory


_CONVERSATION_FIELDS = tuple(f.name for f in fields(Conversation))


def newest_first(conversations: Iterator[Conversation], limit: int | None) -> Iterator[Conversation]:
    """``conversations`` (in id order, oldest first) newest first: HubSpot cannot list that way itself.

    With a limit only that many are kept (a heap); without one they are spooled to a temporary file
    and read back from the end, so memory holds one offset per conversation, not the conversation.
    """
    if limit is not None:
        return iter(heapq.nlargest(limit, conversations, key=thread_number))
    return _reversed_through_a_file(conversations)


def _reversed_through_a_file(conversations: Iterator[Conversation]) -> Iterator[Conversation]:
    with tempfile.TemporaryFile() as spool:
        offsets = array("q")
        for conversation in conversations:
            offsets.append(spool.tell())
            spool.write(json.dumps([getattr(conversation, name) for name in _CONVERSATION_FIELDS]).encode() + b"\n")
        for offset in reversed(offsets):
            spool.seek(offset)
            yield Conversation(**dict(zip(_CONVERSATION_FIELDS, json.loads(spool.readline()), strict=True)))


# ---------------------------------------------------------------------------------------------
# Helpers


def _flat(pages: Iterable[list[T]]) -> Iterator[T]:
    for page in pages:
        yield from page


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _contact_matches(conversation: Conversation, wanted: str | None) -> bool:
    if wanted is None:
        return True
    if "@" in wanted:
        return conversation.contact == wanted.strip().lower()
    return wanted.strip().casefold() in conversation.contact_name.casefold()


def _message_kind(message: Mapping[str, Any]) -> str | None:
    kind = str(message.get("type") or "")
    if kind == "COMMENT":
        return "comment"
    if kind in ("MESSAGE", "WELCOME_MESSAGE"):
        return "incoming" if str(message.get("direction")).upper() == "INCOMING" else "outgoing"
    return None  # status changes, assignments...: events, not messages


def _sender_address(message: Mapping[str, Any]) -> str | None:
    """The sender's e-mail address (or phone number), when the message carries it."""
    sender = (message.get("senders") or [{}])[0] or {}
    identifier = sender.get("deliveryIdentifier") or {}
    if identifier.get("type") in ("HS_EMAIL_ADDRESS", "HS_PHONE_NUMBER") and identifier.get("value"):
        return str(identifier["value"]).lower()
    return None


def _author_id(message: Mapping[str, Any]) -> str | None:
    sender = (message.get("senders") or [{}])[0] or {}
    actor = sender.get("actorId") or message.get("createdBy")
    return str(actor) if actor else None


def _text(message: Mapping[str, Any]) -> str:
    text = message.get("text")
    if text:
        return str(text)
    return " ".join(_HTML_TAG.sub(" ", str(message.get("richText") or "")).split())


def _searchable(message: Mapping[str, Any]) -> str:
    return f"{message.get('subject') or ''}\n{_text(message)}".casefold()


def _datetime(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _iso(value: Any) -> str:
    moment = _datetime(value)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds") if moment else ""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _suggest(wanted: str, names: list[str]) -> str:
    match = did_you_mean(wanted, names)
    return f"did you mean {match!r}?" if match else ("known: " + ", ".join(names) if names else "there are none")
