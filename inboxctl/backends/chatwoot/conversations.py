"""Conversations on Chatwoot: listing with server-side filters, one conversation, and actions.

* Listing: ``GET /conversations`` does status, assignee type (me, unassigned, assigned), inbox,
  the search of message text and sorting on the server (25 per page); everything else (a given
  assignee, contact, dates, blocked senders, subjects) is filtered here, lazily, page by page. A
  definition inbox with several Chatwoot inboxes is read as one stream per Chatwoot inbox, merged
  in order; a search adds one stream per e-mail inbox, for subjects.
* Status: Chatwoot's ``resolved`` is "closed"; ``open``, ``pending`` (a bot has it) and
  ``snoozed`` are "open". ``--status open`` lists Chatwoot's open conversations.
* Actions that change a state (assign, unassign, a team, close, reopen) go through
  ``POST /bulk_actions`` in batches (one conversation: its own endpoint, except to reopen).
  Chatwoot answers a bulk action at once, runs it later and says nothing when a conversation
  fails, so every write is **verified** by reading the conversations back. A request whose
  outcome is unknown (connection lost, 5xx) is sent again only for the conversations read back
  unchanged after waiting, so nothing is written twice; a request Chatwoot accepted is never sent
  again, and what it did not apply is reported failed. An assignee Chatwoot changes by itself on
  the way (auto-assignment on reopening, a new team) is in the result, with a reason saying so.
* Comments are written by the token's user; naming another author is refused, not ignored.
* There is no trash and no spam flag: those actions raise ``UnsupportedError`` and never delete
  in their place. ``delete`` is Chatwoot's permanent delete (administrators only).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from inboxctl.backends.base import SendingCallback
from inboxctl.backends.chatwoot.account import Account, Agent
from inboxctl.backends.chatwoot.api import ChatwootApi
from inboxctl.backends.chatwoot.mapping import kind_of
from inboxctl.conversations.model import (
    conversation_number,
    CHANNEL_TYPES, ActionRequest, ActionResult, Contact, Conversation, ConversationDetail, ConversationQuery,
    ConversationState, Message, expected_state)
from inboxctl.conversations.filters import CURRENT_USER_ENV
from inboxctl.definitions.formats import did_you_mean
from inboxctl.errors import AuthenticationError, BackendError, NotFoundError, RateLimitedError, UnsupportedError
from inboxctl.http import OutcomeUnknownError

STATE_ACTIONS = ("assign", "unassign", "assign-team", "unassign-team", "close", "reopen")
# Channel types inboxctl knows and Chatwoot has no inbox for at all (app/models/channel/), with what to do.
NO_SUCH_CHANNELS = {"form": "forms exist on the local backend and HubSpot; on Chatwoot, list the other views "
                            "(e-mail, chat, Messenger, WhatsApp, API inboxes)"}


def unsupported_action(action: str) -> UnsupportedError | None:
    """The error for an action Chatwoot does not have, saying what to do instead; None if it has it."""
    if action in ("trash", "restore"):
        return UnsupportedError(
            f"Chatwoot has no trash: conversations cannot be {'moved to trash' if action == 'trash' else 'restored'}",
            hint="to remove conversations for good use `inboxctl conv delete --permanent` (irreversible, "
                 "administrators only); to take them out of the working views, close them")
    if action in ("spam", "unspam"):
        return UnsupportedError("Chatwoot has no spam marking for conversations",
                                hint="to stop a sender, use `inboxctl conv block-sender` (Chatwoot blocks the contact)")
    return None


@dataclass(frozen=True)
class Settle:
    """Waiting for Chatwoot's background bulk jobs before reading back, and re-sending."""

    batch: int = 100          # conversations per bulk request
    first_wait: float = 0.5   # seconds before the first read-back of a bulk request
    factor: float = 2.0
    max_wait: float = 15.0    # seconds of reading back before concluding a conversation was not changed
    rounds: int = 3           # re-sends of what is verified unchanged after an unknown outcome
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class Place:
    inbox: str         # the definition inbox
    channel: str       # email | chat | whatsapp | messenger | api | ...
    channel_name: str  # the address, chat name, phone or page; the Chatwoot inbox's name otherwise


class ChatwootConversations:
    def __init__(self, api: ChatwootApi, account: Callable[[], Account], me: Callable[[], str | None],
                 settle: Settle) -> None:
        self.api = api
        self.account = account
        self.me = me
        self.settle = settle

    # -- listing ----------------------------------------------------------------------------------------
    def list_conversations(self, query: ConversationQuery) -> Iterator[Conversation]:
        """Check the query now (an unknown inbox fails before any output), then stream."""
        if query.trash == "only" or query.outgoing:
            return iter(())  # Chatwoot has no trash, and no "sent, not answered yet" state
        account = self.account()
        places = self._places(account)
        inbox_ids = self._inbox_ids(account, query, places)
        if inbox_ids is not None and not inbox_ids:
            return iter(())  # e.g. --view email on an account without e-mail inboxes: nothing to read
        streams = self._streams(query, inbox_ids, places)
        merged = _unique(heapq.merge(*streams, key=lambda raw: _number(raw.get("created_at")),
                                     reverse=query.sort == "newest")) if len(streams) > 1 else streams[0]
        found = (to_conversation(raw, places, account) for raw in _until_bound(merged, query))
        selected = (conversation for conversation in found if _matches(conversation, query))
        return itertools.islice(selected, query.limit) if query.limit is not None else selected

    def _streams(self, query: ConversationQuery, inbox_ids: set[int] | None,
                 places: dict[int, Place]) -> list[Iterator[dict[str, Any]]]:
        """One stream per Chatwoot inbox asked for (one for all without --inbox or --channel). Chatwoot's
        search matches message text only (ConversationFinder#filter_by_query), so a search also reads the
        e-mail inboxes in scope without it, for the subjects, which only e-mail conversations have."""
        params = self._params(query)
        scopes: list[int | None] = [None] if inbox_ids is None else [*sorted(inbox_ids)]
        streams = [self.api.conversations(_scoped(params, scope)) for scope in scopes]
        if query.search:
            unsearched = {key: value for key, value in params.items() if key != "q"}
            in_scope = places if inbox_ids is None else inbox_ids
            streams += [_subject_matches(self.api.conversations(_scoped(unsearched, inbox_id)), query.search)
                        for inbox_id in sorted(in_scope) if places[inbox_id].channel == "email"]
        return streams

    def _places(self, account: Account) -> dict[int, Place]:
        places = {}
        for group in account.groups():
            for inbox in group.inboxes:
                kind = kind_of(inbox)
                channel = kind if kind != "other" else _channel_type(inbox)
                key = account.channel_key(inbox)
                places[int(inbox["id"])] = Place(group.name, channel, key or str(inbox.get("name", "")))
        return places

    def _inbox_ids(self, account: Account, query: ConversationQuery, places: dict[int, Place]) -> set[int] | None:
        ids: set[int] | None = None
        if query.inbox is not None:
            ids = {i for i, place in places.items() if place.inbox.lower() == query.inbox.lower()}
            if not ids:
                raise NotFoundError(f"no inbox named {query.inbox!r} on Chatwoot",
                                    hint=_suggest(query.inbox, sorted({p.inbox for p in places.values()})))
        if query.channel is not None:
            wanted = query.channel.lower()
            by_channel = {i for i, place in places.items()
                          if place.channel == wanted or place.channel_name.lower() == wanted}
            if not by_channel and wanted in NO_SUCH_CHANNELS:
                raise UnsupportedError(f"Chatwoot has no {wanted} channels: no conversation there comes from "
                                       f"a {wanted}", hint=NO_SUCH_CHANNELS[wanted])
            if not by_channel and wanted not in CHANNEL_TYPES:
                raise NotFoundError(f"no channel type or channel named {query.channel!r} on Chatwoot",
                                    hint=_suggest(query.channel, sorted({p.channel_name for p in places.values()})))
            ids = by_channel if ids is None else ids & by_channel
        return ids

    def _params(self, query: ConversationQuery) -> dict[str, Any]:
        if query.status == "closed":
            status = "resolved"
        elif query.bot:
            status = "pending"
        else:
            status = "open" if query.status == "open" else "all"
        params: dict[str, Any] = {"status": status, "assignee_type": "all",
                                  "sort_by": "created_at_desc" if query.sort == "newest" else "created_at_asc"}
        if query.unassigned:
            params["assignee_type"] = "unassigned"
        elif query.assignee is not None:
            me = self.me()
            params["assignee_type"] = "me" if me and me.lower() == query.assignee.lower() else "assigned"
        if query.search:
            params["q"] = _literal(query.search)
        return params

    # -- one conversation ----------------------------------------------------------------------------------
    def get_conversation(self, conversation_id: str) -> ConversationDetail:
        number = _display_id(conversation_id)
        if number is None:
            raise NotFoundError(f"conversation {conversation_id}",
                                reason=f"{conversation_id!r} is not a conversation id")
        try:
            raw = self.api.conversation(number)
        except NotFoundError:
            raise NotFoundError(f"conversation {conversation_id}", reason="no such conversation on Chatwoot "
                                "(deleted conversations are gone for good)") from None
        account = self.account()
        conversation = to_conversation(raw, self._places(account), account)
        sender = (raw.get("meta") or {}).get("sender") or {}
        assignee = account.agent_by_email(conversation.assignee) if conversation.assignee else None
        return ConversationDetail(
            conversation=conversation,
            contact=Contact(email=conversation.contact, name=conversation.contact_name),
            assignee_name=assignee.name if assignee else ((raw.get("meta") or {}).get("assignee") or {}).get("name"),
            assignee_active=assignee.confirmed if assignee else True,
            messages=tuple(_message(m, sender) for m in self.api.messages(number) if _message_kind(m) is not None))

    # -- actions ---------------------------------------------------------------------------------------------
    def run_action(self, request: ActionRequest, ids: Iterable[str],
                   sending: SendingCallback | None = None) -> Iterator[ActionResult]:
        refusal = unsupported_action(request.action)
        if refusal is not None:
            raise refusal
        return self._run(request, ids, sending)

    def _run(self, request: ActionRequest, ids: Iterable[str],
             sending: SendingCallback | None) -> Iterator[ActionResult]:
        iterator = iter(ids)
        while chunk := list(itertools.islice(iterator, self.settle.batch)):
            yield from _Batch(self, request, chunk, sending).run()

    def read(self, numbers: Iterable[int]) -> dict[int, dict[str, Any]]:
        """Current state of these conversations, 25 per request (the filter endpoint's page)."""
        wanted = sorted(set(numbers))
        found: dict[int, dict[str, Any]] = {}
        for start in range(0, len(wanted), 25):
            chunk = wanted[start:start + 25]
            condition = {"attribute_key": "display_id", "filter_operator": "equal_to",
                         "values": [str(number) for number in chunk], "query_operator": None}
            for raw in self.api.filter_conversations([condition]):
                number = int(raw.get("id", 0))
                if number in chunk:
                    found[number] = raw
        return found


class _Batch:
    """One batch of one action: read, decide, write, verify, report in the order given."""

    def __init__(self, owner: ChatwootConversations, request: ActionRequest, ids: list[str],
                 sending: SendingCallback | None = None) -> None:
        self.owner, self.request, self.ids = owner, request, ids
        self.sending = sending
        self.account = owner.account()
        self.results: dict[str, ActionResult] = {}
        self.contacts_done: set[int] = set()  # one contact, many conversations: block it once

    def run(self) -> list[ActionResult]:
        numbers = {raw: _display_id(raw) for raw in self.ids}
        before = self.owner.read(n for n in numbers.values() if n is not None)
        todo: dict[int, tuple[str, dict[str, Any]]] = {}
        for raw_id, number in numbers.items():
            if number is None or number not in before:
                self._done(raw_id, "failed", reason="no such conversation on Chatwoot" if number is not None
                           else f"{raw_id!r} is not a conversation id")
                continue
            decided = self._decide(str(number), before[number])
            if decided is None:
                todo[number] = (str(number), before[number])
        if todo and not self.request.dry_run:
            self._write(todo)
        keys = [str(_display_id(raw) or raw) for raw in self.ids]
        return [self.results[key] for key in keys if key in self.results]

    def _done(self, conversation_id: str, outcome: str, *, reason: str | None = None,
              before: ConversationState | None = None, after: ConversationState | None = None) -> ActionResult:
        result = ActionResult(id=conversation_id, action=self.request.action, outcome=outcome,  # type: ignore[arg-type]
                              reason=reason, before=before, after=after, dry_run=self.request.dry_run)
        self.results[conversation_id] = result
        return result

    def _decide(self, conversation_id: str, raw: dict[str, Any]) -> ActionResult | None:
        """The result when no write is needed (refused, unchanged, dry run); None when one is."""
        before = state_of(raw, self.account)
        refusal = self._refusal()
        after = self._expected(before)
        if refusal is None and after == before and self.request.action not in ("comment", "delete"):
            # Before undo's precondition: what is already as asked has nothing to take from anyone.
            return self._done(conversation_id, "unchanged", before=before, after=after)
        refusal = refusal or self.request.unmet_precondition(before)
        if refusal:
            return self._done(conversation_id, "failed", reason=refusal, before=before)
        if self.request.dry_run:
            return self._done(conversation_id, "changed", before=before,
                              after=None if self.request.action == "delete" else after)
        return None

    def announce(self, conversation_id: str, before: ConversationState) -> None:
        """Tell the journal a write for this conversation is about to go out."""
        if self.sending is not None:
            self.sending(conversation_id, before)

    def _refusal(self) -> str | None:
        if self.request.action == "assign-team" and self.account.team_id(self.request.team or "") is None:
            return f"no team {self.request.team!r} on this Chatwoot account"
        if self.request.action == "assign":
            agent = self.account.agent_by_email(self.request.assignee or "")
            if agent is None:
                return f"no agent {self.request.assignee} on this Chatwoot account"
            if not agent.confirmed:
                return f"{agent.email} has not confirmed their Chatwoot account: conversations cannot be given to them"
        if self.request.action == "comment":
            return self._comment_refusal()
        return None

    def _comment_refusal(self) -> str | None:
        if not (self.request.text or "").strip():
            return "a comment needs text"
        # messages_controller#create writes as Current.user, the token's user: no other author can be named.
        me, author = self.owner.me(), (self.request.author or "").lower()
        if author and me and author != me:
            return (f"Chatwoot writes a comment as the user of the API token, {me}, not as {author} (--as or "
                    f"${CURRENT_USER_ENV}): pass --as {me}, or use {author}'s token")
        return None

    def _expected(self, before: ConversationState) -> ConversationState:
        """What the action leaves (``expected_state``), as Chatwoot spells it: e-mails and team names in
        lower case; a closed conversation is no longer a bot's (resolved is not pending)."""
        request = replace(self.request, assignee=_lowered(self.request.assignee), team=_lowered(self.request.team))
        if request.action == "close":
            before = before.with_changes(assigned_to_bot=False)
        after = expected_state(request, before)
        return after if after is not None else before

    # -- writing ---------------------------------------------------------------------------------------
    def _write(self, todo: dict[int, tuple[str, dict[str, Any]]]) -> None:
        if self.request.action in STATE_ACTIONS:
            _StateWrite(self, todo).run()
        else:
            for number, (conversation_id, raw) in todo.items():
                self._write_one(number, conversation_id, raw)

    def _write_one(self, number: int, conversation_id: str, raw: dict[str, Any]) -> None:
        before = state_of(raw, self.account)
        self.announce(conversation_id, before)
        try:
            after = self._call(number, raw, before)
        except OutcomeUnknownError as error:
            self._done(conversation_id, "failed", before=before, reason=(
                f"the outcome is unknown ({error.message}); check the conversation before trying again"))
            return
        except RateLimitedError:
            raise
        except AuthenticationError as error:
            if _bad_token(error):
                raise
            self._done(conversation_id, "failed", before=before, reason=_permission_reason(error, self.request.action))
            return
        except BackendError as error:
            self._done(conversation_id, "failed", before=before, reason=error.reason or error.message)
            return
        self._done(conversation_id, "changed", before=before, after=after)

    def _call(self, number: int, raw: dict[str, Any], before: ConversationState) -> ConversationState | None:
        api, action = self.owner.api, self.request.action
        if action == "comment":
            api.add_private_note(number, self.request.text or "")
            return before
        if action == "delete":
            # A retried DELETE may find it already gone: that is what was asked.
            with contextlib.suppress(NotFoundError):
                api.delete_conversation(number)
            return None
        blocked = action == "block-sender"
        contact_id = ((raw.get("meta") or {}).get("sender") or {}).get("id")
        if contact_id is None:
            raise BackendError("this conversation has no contact to block")
        if int(contact_id) not in self.contacts_done:
            api.set_contact_blocked(int(contact_id), blocked)
            self.contacts_done.add(int(contact_id))
        return before.with_changes(sender_blocked=blocked, filtered=blocked)


class _StateWrite:
    """assign / unassign / close / reopen on many conversations, verified by reading them back."""

    def __init__(self, batch: _Batch, todo: dict[int, tuple[str, dict[str, Any]]]) -> None:
        self.batch, self.todo = batch, todo
        self.owner, self.settle = batch.owner, batch.owner.settle
        self.fields = self._fields()
        # One conversation has its own endpoints, answered at once. Not to reopen: toggle_status to open
        # also makes an agent caller the assignee, whoever had it (conversations_controller.rb,
        # should_assign_conversation?); /bulk_actions (BulkActionsJob) changes the status only.
        self.own_endpoint = len(todo) == 1 and batch.request.action != "reopen"

    def _fields(self) -> dict[str, Any]:
        action = self.batch.request.action
        if action == "assign":
            agent: Agent | None = self.batch.account.agent_by_email(self.batch.request.assignee or "")
            return {"assignee_id": agent.id if agent else None}
        if action == "unassign":
            return {"assignee_id": None}
        if action in ("assign-team", "unassign-team"):
            return {"team_id": self.batch.account.team_id(self.batch.request.team or "") if action == "assign-team"
                    else None}
        return {"status": "resolved" if action == "close" else "open"}

    def run(self) -> None:
        pending = set(self.todo)
        reasons: dict[int, str] = {}
        for conversation_id, raw in self.todo.values():
            self.batch.announce(conversation_id, state_of(raw, self.batch.account))
        for _round in range(self.settle.rounds + 1):
            accepted, error = self._send(sorted(pending))
            if error is not None and not isinstance(error, OutcomeUnknownError):
                reasons.update({number: error.reason or error.message for number in pending})
                break
            applied, pending = self._verify(pending, immediate=self.own_endpoint)
            self._report(applied)
            if not pending:
                return
            if accepted:  # Chatwoot took the request and did not apply it: sending it again will not help
                reasons.update({number: "Chatwoot accepted the change but did not apply it (bulk actions fail "
                                        "silently, e.g. for conversations this token's user cannot see)"
                                for number in pending})
                break
        for number in sorted(pending):
            conversation_id, raw = self.todo[number]
            self.batch._done(conversation_id, "failed", before=state_of(raw, self.batch.account), reason=reasons.get(
                number, f"not applied after {self.settle.rounds + 1} attempts whose outcome was unknown"))

    def _send(self, numbers: list[int]) -> tuple[bool, BackendError | None]:
        api = self.owner.api
        try:
            if self.own_endpoint:
                self._send_one(numbers[0])
            else:
                api.bulk_update(numbers, self.fields)
        except OutcomeUnknownError as error:
            return False, error
        except RateLimitedError:
            raise  # every other batch would be refused too: stop; running it again completes the rest
        except AuthenticationError as error:
            if _bad_token(error):
                raise
            return False, BackendError(_permission_reason(error, self.batch.request.action))
        except BackendError as error:
            return False, error
        return True, None

    def _send_one(self, number: int) -> None:
        if "status" in self.fields:
            self.owner.api.toggle_status(number, self.fields["status"])
        elif "team_id" in self.fields:
            self.owner.api.assign_team(number, self.fields["team_id"])
        else:
            self.owner.api.assign(number, self.fields["assignee_id"])

    def _verify(self, numbers: set[int], *, immediate: bool) -> tuple[dict[int, dict[str, Any]], set[int]]:
        """Read back until every conversation shows the change or ``max_wait`` has passed."""
        remaining, applied = set(numbers), {}
        wait, waited = (0.0 if immediate else self.settle.first_wait), 0.0
        while True:
            if wait > 0:
                self.settle.sleep(wait)
                waited += wait
            for number, raw in self.owner.read(remaining).items():
                if self._shows_change(number, raw):
                    applied[number] = raw
                    remaining.discard(number)
            if not remaining or waited >= self.settle.max_wait:
                return applied, remaining
            wait = min(max(wait, self.settle.first_wait / 4) * self.settle.factor, self.settle.max_wait - waited)

    def _shows_change(self, number: int, raw: dict[str, Any]) -> bool:
        expected = self.batch._expected(state_of(self.todo[number][1], self.batch.account))
        actual = state_of(raw, self.batch.account)
        if "status" in self.fields:
            return actual.status == expected.status
        if "team_id" in self.fields:
            return actual.team == expected.team
        return actual.assignee == expected.assignee

    def _report(self, applied: dict[int, dict[str, Any]]) -> None:
        for number, raw in applied.items():
            conversation_id, before_raw = self.todo[number]
            before, after = state_of(before_raw, self.batch.account), state_of(raw, self.batch.account)
            self.batch._done(conversation_id, "changed", before=before, after=after,
                             reason=_assignee_side_effect(self.batch.request.action, before, after))


def _assignee_side_effect(action: str, before: ConversationState, after: ConversationState) -> str | None:
    """What Chatwoot did to the assignee besides what was asked, said rather than left to be found.

    Reopening lets an inbox with auto-assignment give a conversation with no assignee (or one who left
    the inbox) to an online member (app/models/concerns/auto_assignment_handler.rb), whatever the
    endpoint; a new team takes a conversation from an assignee outside the team, and may give it to an
    online member of the team (assignment_handler.rb, ensure_assignee_is_from_team).
    """
    if action not in ("reopen", "assign-team") or after.assignee == before.assignee:
        return None
    given = f"gave it to {after.assignee}" if after.assignee else "left it with nobody"
    if action == "reopen":
        return (f"Chatwoot's auto-assignment {given} on reopening (the inbox assigns reopened conversations to an "
                "online member); undo closes it again but does not give it back")
    taken = f"took it from {before.assignee}, who is not in team {after.team}, and " if before.assignee else ""
    return (f"Chatwoot {taken}{given} (a conversation's assignee is a member of its team); undo gives the team "
            "back, not the assignee")


# -- Chatwoot JSON -> model -------------------------------------------------------------------------------

def state_of(raw: dict[str, Any], account: Account) -> ConversationState:
    meta = raw.get("meta") or {}
    assignee = (meta.get("assignee") or {}).get("email")
    blocked = bool((meta.get("sender") or {}).get("blocked"))
    status = str(raw.get("status", "open"))
    team = (meta.get("team") or {}).get("name")
    return ConversationState(status="closed" if status == "resolved" else "open",
                             assignee=str(assignee).lower() if assignee else None,
                             assigned_to_bot=status == "pending" and not assignee,
                             filtered=blocked, sender_blocked=blocked, team=_lowered(team))


def to_conversation(raw: dict[str, Any], places: dict[int, Place], account: Account) -> Conversation:
    meta = raw.get("meta") or {}
    sender = meta.get("sender") or {}
    state = state_of(raw, account)
    inbox_id = int(raw.get("inbox_id") or 0)
    place = places.get(inbox_id, Place(f"inbox {inbox_id}", "other", ""))
    created = _iso(raw.get("created_at") or raw.get("timestamp"))
    return Conversation(
        id=str(raw.get("id")), inbox=place.inbox, channel=place.channel, channel_name=place.channel_name,
        subject=str((raw.get("additional_attributes") or {}).get("mail_subject") or ""),
        contact=str(sender.get("email") or "").lower(), contact_name=str(sender.get("name") or ""),
        assignee=state.assignee, assigned_to_bot=state.assigned_to_bot, status=state.status, outgoing=False,
        spam=False, filtered=state.filtered, has_ticket=False, created_at=created, team=state.team,
        updated_at=_iso(raw.get("last_activity_at") or raw.get("updated_at")) or created)


def _matches(conversation: Conversation, query: ConversationQuery) -> bool:
    if query.status is not None and conversation.status != query.status:
        return False  # also needed with q: Chatwoot ignores status when searching
    if query.assignee is not None and (conversation.assignee or "") != query.assignee.lower():
        return False
    if query.unassigned and (conversation.assignee is not None or conversation.assigned_to_bot):
        return False
    if query.bot is not None and conversation.assigned_to_bot != query.bot:
        return False
    if query.contact is not None and not _contact_matches(conversation, query.contact):
        return False
    if query.filtered == "hide" and conversation.filtered:
        return False
    if query.filtered == "only" and not conversation.filtered:
        return False
    since, until = query.bounds(datetime.now(timezone.utc))
    created = datetime.fromisoformat(conversation.created_at)
    return not ((since is not None and created < since) or (until is not None and created >= until))


def _scoped(params: dict[str, Any], inbox_id: int | None) -> dict[str, Any]:
    return params if inbox_id is None else {**params, "inbox_id": inbox_id}


def _literal(text: str) -> str:
    """``text`` for Chatwoot's ``q``, which goes into ``ILIKE '%q%'`` as given: its wildcards escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _subject_matches(stream: Iterable[dict[str, Any]], search: str) -> Iterator[dict[str, Any]]:
    wanted = search.casefold()
    return (raw for raw in stream
            if wanted in str((raw.get("additional_attributes") or {}).get("mail_subject") or "").casefold())


def _unique(merged: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Each conversation once: one found by its subject and its messages comes from two streams. The merge
    is ordered by creation time, so only the ids of the current second need remembering."""
    second: float | None = None
    seen: set[Any] = set()
    for raw in merged:
        created = _number(raw.get("created_at"))
        if created != second:
            second, seen = created, set()
        if raw.get("id") not in seen:
            seen.add(raw.get("id"))
            yield raw


def _until_bound(stream: Iterable[dict[str, Any]], query: ConversationQuery) -> Iterator[dict[str, Any]]:
    """Stop reading pages once the sorted stream has passed the date bound: no later page can match."""
    since, until = query.bounds(datetime.now(timezone.utc))
    for raw in stream:
        created = _number(raw.get("created_at"))
        if query.sort == "newest" and since is not None and created < since.timestamp():
            return
        if query.sort == "oldest" and until is not None and created >= until.timestamp():
            return
        yield raw


def _contact_matches(conversation: Conversation, wanted: str) -> bool:
    if "@" in wanted:
        return conversation.contact == wanted.strip().lower()
    return wanted.strip().lower() in conversation.contact_name.lower()


def _message_kind(message: dict[str, Any]) -> str | None:
    if message.get("private"):
        return "comment"
    kinds = {0: "incoming", 1: "outgoing", "incoming": "incoming", "outgoing": "outgoing"}
    return kinds.get(message.get("message_type"))


def _message(message: dict[str, Any], contact: dict[str, Any]) -> Message:
    kind = _message_kind(message) or "incoming"
    sender = message.get("sender") or (contact if kind == "incoming" else {})
    return Message(kind=kind, author=str(sender.get("email") or sender.get("name") or ""),  # type: ignore[arg-type]
                   body=str(message.get("content") or ""), created_at=_iso(message.get("created_at")))


def _channel_type(inbox: dict[str, Any]) -> str:
    kind = str(inbox.get("channel_type", "")).replace("Channel::", "").lower()
    return "calling" if kind == "voice" else kind  # Chatwoot's voice inboxes (Enterprise) hold calls


def _bad_token(error: AuthenticationError) -> bool:
    # Chatwoot answers 401 both for a bad token and for a missing permission; only the first ends the run.
    return "authorized to do this" not in (error.reason or "")


def _permission_reason(error: AuthenticationError, action: str) -> str:
    who = "administrators" if action == "delete" else "users with access to these conversations"
    return f"Chatwoot refused: {error.reason or 'not authorized'} (only {who} can {action} them)"


def _lowered(text: Any) -> str | None:
    """E-mails and team names as Chatwoot keeps them: team names are lower-cased on save."""
    return str(text).lower() if text else None


def _display_id(raw: str | int) -> int | None:
    return conversation_number(str(raw))


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _iso(value: Any) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), timezone.utc).isoformat(timespec="seconds")
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(timezone.utc).isoformat(
            timespec="seconds")
    except ValueError:
        return str(value)


def _suggest(wanted: str, names: list[str]) -> str:
    match = did_you_mean(wanted, names)
    return f"did you mean {match!r}?" if match else ("known: " + ", ".join(names) if names else "no inboxes yet")
