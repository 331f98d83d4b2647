"""Thin, typed calls to HubSpot's public API (date-versioned ``2026-09`` paths). JSON in, JSON out.

Paths, parameters and bodies follow ``shared/api/hubspot.md`` (rewritten from HubSpot's official
spec files): integer ids in paths, string ids in bodies, ``{results, paging.next.after}`` listings.
Every listing is lazy. A 403 becomes an :class:`AuthenticationError` naming the scope the call
needs, because the only fix is a token with that scope: every other call of the run would fail
the same way.

Writes are never repeated blindly (``idempotent=False``, even for PUT and DELETE): an answer lost
after HubSpot applied the write would make a blind retry write the thread twice. The client still
retries what HubSpot refused before acting (429, 423, 477, a connection that never opened); for
the rest it raises :class:`inboxctl.http.OutcomeUnknownError` and the caller reads the thread back
before sending anything again.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from inboxctl.errors import AuthenticationError, BackendError
from inboxctl.http import HttpClient, iterate_cursor
from inboxctl.http.shapes import (
    FLAG, ID, SCALAR, TEXT, TIME, Shape, conforming, json_object, listed_under, object_with_id, required)

CONVERSATIONS = "/conversations/conversations/2026-09"
OWNERS = "/crm/owners/2026-09"
CONTACTS = "/crm/objects/2026-09/contacts"
ACCOUNT = "/account-info/2026-09/details"

READ_SCOPE = "conversations.read"
WRITE_SCOPE = "conversations.write"
OWNERS_SCOPE = "crm.objects.owners.read"
CONTACTS_SCOPE = "crm.objects.contacts.read"

# Threads carry ``threadAssociations.associatedTicketId`` only when asked for.
WITH_TICKET = {"association": "TICKET"}
PAGE_SIZE = 100  # HubSpot's largest page for threads, messages, inboxes, channels and owners
CONTACT_PROPERTIES = ("email", "firstname", "lastname")
_SCOPE_NAME = re.compile(r"\b[a-z]+(?:[._-][a-z]+)+\b")

# The fields the backend reads, with the types it relies on (a field may be absent or null unless required).
ACCOUNT_DETAILS: Shape = {"portalId": SCALAR, "accountType": TEXT, "timeZone": TEXT}
NAMED: Shape = {"id": required(ID), "name": TEXT}  # inboxes and channels
IDENTIFIER: Shape = {"type": TEXT, "value": SCALAR}
CHANNEL_ACCOUNT: Shape = {"id": required(ID), "inboxId": SCALAR, "channelId": SCALAR, "name": TEXT,
                          "deliveryIdentifier": IDENTIFIER}
OWNER: Shape = {"id": SCALAR, "userId": SCALAR, "userIdIncludingInactive": SCALAR, "type": TEXT, "email": TEXT,
                "firstName": TEXT, "lastName": TEXT, "archived": FLAG}
THREAD: Shape = {
    "id": required(ID), "status": TEXT, "assignedTo": TEXT, "associatedContactId": SCALAR, "inboxId": SCALAR,
    "originalChannelId": SCALAR, "originalChannelAccountId": SCALAR, "spam": FLAG, "archived": FLAG,
    "createdAt": TIME, "closedAt": TIME, "archivedAt": TIME, "latestMessageTimestamp": TIME,
    "latestMessageSentTimestamp": TIME, "latestMessageReceivedTimestamp": TIME,
    "threadAssociations": {"associatedTicketId": SCALAR}}
MESSAGE: Shape = {"type": TEXT, "direction": TEXT, "text": TEXT, "richText": TEXT, "subject": TEXT, "createdAt": TIME,
                  "createdBy": TEXT, "senders": [{"actorId": TEXT, "name": TEXT, "deliveryIdentifier": IDENTIFIER}]}
ACTOR: Shape = {"id": TEXT, "email": TEXT, "name": TEXT}
CONTACT: Shape = {"id": SCALAR, "properties": {"email": TEXT, "firstname": TEXT, "lastname": TEXT}}


class HubSpotApi:
    def __init__(self, client: HttpClient) -> None:
        self.client = client

    # -- the account ----------------------------------------------------------------------------
    def account_details(self) -> dict[str, Any]:
        """``{portalId, accountType, timeZone, ...}``: any valid token may read it."""
        with needs_scope(None):
            body = self._object("GET", ACCOUNT, self.client.get(ACCOUNT))
        return conforming(body, ACCOUNT_DETAILS, server=self.client.server_name, endpoint=f"GET {ACCOUNT}")

    # -- lists read once per run ----------------------------------------------------------------------
    def inboxes(self) -> Iterator[dict[str, Any]]:
        return self._listing(f"{CONVERSATIONS}/inboxes", READ_SCOPE, NAMED)

    def channels(self) -> Iterator[dict[str, Any]]:
        return self._listing(f"{CONVERSATIONS}/channels", READ_SCOPE, NAMED)

    def channel_accounts(self) -> Iterator[dict[str, Any]]:
        return self._listing(f"{CONVERSATIONS}/channel-accounts", READ_SCOPE, CHANNEL_ACCOUNT)

    def owners(self, *, archived: bool = False) -> Iterator[dict[str, Any]]:
        """Owners (users); ``archived=True`` lists the deactivated ones instead."""
        return self._listing(OWNERS, OWNERS_SCOPE, OWNER, {"archived": "true"} if archived else {})

    def first_inbox_page(self) -> dict[str, Any]:
        """One small read that needs ``conversations.read``: proves the token can see the inbox."""
        path = f"{CONVERSATIONS}/inboxes"
        with needs_scope(READ_SCOPE):
            return self._object("GET", path, self.client.get(path, params={"limit": 1}))

    # -- threads --------------------------------------------------------------------------------------
    def thread_pages(self, params: Mapping[str, Any]) -> Iterator[list[dict[str, Any]]]:
        """``GET C/threads``, one list per page, so that names can be resolved a page at a time."""
        return self._pages(f"{CONVERSATIONS}/threads", READ_SCOPE, {**WITH_TICKET, **params}, THREAD)

    def thread(self, thread_id: int, *, archived: bool = False) -> dict[str, Any]:
        params = {**WITH_TICKET, **({"archived": "true"} if archived else {})}
        path = f"{CONVERSATIONS}/threads/{thread_id}"
        with needs_scope(READ_SCOPE):
            body = self.client.get(path, params=params)
        thread = object_with_id(body, server=self.client.server_name, endpoint=f"GET {path}")
        return conforming(thread, THREAD, server=self.client.server_name, endpoint=f"GET {path}")

    def message_pages(self, thread_id: int, *, archived: bool = False) -> Iterator[list[dict[str, Any]]]:
        """Every message of a thread, oldest first, one list per page."""
        params = {"sort": "createdAt", **({"archived": "true"} if archived else {})}
        return self._pages(f"{CONVERSATIONS}/threads/{thread_id}/messages", READ_SCOPE, params, MESSAGE)

    # -- names in batches -----------------------------------------------------------------------------
    def actors(self, actor_ids: Iterable[str]) -> list[dict[str, Any]]:
        """``POST C/actors/batch/read``: a read (200 or 207), so it is retried like a GET."""
        inputs = sorted(set(actor_ids))
        if not inputs:
            return []
        path = f"{CONVERSATIONS}/actors/batch/read"
        with needs_scope(READ_SCOPE):
            body = self.client.post(path, json={"inputs": inputs}, idempotent=True)
        return self._results("POST", path, body, ACTOR)

    def contacts(self, contact_ids: Iterable[str]) -> list[dict[str, Any]]:
        """CRM batch read of contacts: ``{id, properties: {email, firstname, lastname}}`` each."""
        inputs = sorted(set(contact_ids))
        if not inputs:
            return []
        path = f"{CONTACTS}/batch/read"
        with needs_scope(CONTACTS_SCOPE):
            body = self.client.post(path, idempotent=True, json={
                "inputs": [{"id": contact_id} for contact_id in inputs], "properties": list(CONTACT_PROPERTIES)})
        return self._results("POST", path, body, CONTACT)

    # -- writes, one thread per call (HubSpot has no batch update) ------------------------------------
    def set_status(self, thread_id: int, status: str) -> None:
        self._write("PATCH", f"/threads/{thread_id}", json={"status": status})

    def assign(self, thread_id: int, user_id: str) -> None:
        self._write("PUT", f"/threads/{thread_id}/assignee", json={"actorId": f"A-{user_id}"})

    def unassign(self, thread_id: int) -> None:
        self._write("DELETE", f"/threads/{thread_id}/assignee")

    def archive(self, thread_id: int) -> None:
        """Move to trash; HubSpot deletes it for good 30 days later."""
        self._write("DELETE", f"/threads/{thread_id}")

    def restore(self, thread_id: int) -> None:
        self._write("PATCH", f"/threads/{thread_id}", params={"archived": "true"}, json={"archived": False})

    def add_comment(self, thread_id: int, text: str) -> None:
        """An internal note; its author is the token's app (the API has no author field)."""
        self._write("POST", f"/threads/{thread_id}/messages", json={"type": "COMMENT", "text": text, "attachments": []})

    def _write(self, method: str, path: str, **options: Any) -> None:
        with needs_scope(WRITE_SCOPE):
            self.client.request_json(method, f"{CONVERSATIONS}{path}", idempotent=False, **options)

    # -- the shapes this module's callers rely on: an error naming the endpoint otherwise ----------------
    def _object(self, method: str, path: str, body: Any) -> dict[str, Any]:
        return json_object(body, server=self.client.server_name, endpoint=f"{method} {path}")

    def _results(self, method: str, path: str, body: Any, shape: Shape) -> list[dict[str, Any]]:
        """``results``: a list of objects; absent means none (HubSpot leaves empty lists out)."""
        return listed_under(body, "results", server=self.client.server_name, endpoint=f"{method} {path}",
                            required=False, shape=shape)

    # -- paging ---------------------------------------------------------------------------------------
    def _listing(self, path: str, scope: str, shape: Shape,
                 params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        for page in self._pages(path, scope, params or {}, shape):
            yield from page

    def _pages(self, path: str, scope: str, params: Mapping[str, Any], shape: Shape) -> Iterator[list[dict[str, Any]]]:
        # iterate_cursor yields items; an extractor wrapping each page in a list makes it yield pages.
        pages = iterate_cursor(self.client, path, {"limit": PAGE_SIZE, **params},
                               items=lambda body: [self._results("GET", path, body, shape)])
        with needs_scope(scope):
            yield from pages


@contextlib.contextmanager
def needs_scope(scope: str | None) -> Iterator[None]:
    """Turn HubSpot's 403 (MISSING_SCOPES) into an error that names the scope to add."""
    try:
        yield
    except BackendError as error:
        if error.status != 403 or isinstance(error, AuthenticationError):
            raise
        missing = _scopes_named(error.reason) or scope
        what = f"the token lacks the scope {missing}" if missing else "the token is not allowed to do this"
        raise AuthenticationError(f"HubSpot refused: {what}", reason=error.reason, status=403, hint=(
            f"add {missing} to the scopes of the app whose token this is (HubSpot: Settings > Integrations), "
            "then use its new token" if missing else "check the scopes of the app whose token this is")) from None


def _scopes_named(reason: str | None) -> str | None:
    """Scope names in HubSpot's words ("requiredGranularScopes=[conversations.write]"), if any."""
    found = [name for name in _SCOPE_NAME.findall(reason or "")
             if name.split(".")[0] in ("conversations", "crm", "tickets", "settings", "oauth")]
    return ", ".join(dict.fromkeys(found)) or None
