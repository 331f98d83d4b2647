"""Thin, typed calls to Chatwoot's Application API (v1). No mapping here: JSON in, JSON out.

Paths, bodies and answers follow the official OpenAPI spec and, where it is wrong or silent,
the behaviour read from Chatwoot's Rails code (inbox deletion, bulk actions, conversation
deletion and ``working_hours`` on inbox updates are not in the spec). Every listing is lazy.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from inboxctl.http import HttpClient, dig, iterate_pages
from inboxctl.http.shapes import (
    FLAG, LIST, SCALAR, TEXT, TIME, WEEKDAY, WHOLE, Shape, conforming, json_object, listed_under, object_list,
    object_with_id, objects_of, required)

# The counter in ``data.meta`` that matches each assignee_type, so paging stops on the last page.
_COUNT_OF = {"me": "mine_count", "assigned": "assigned_count", "unassigned": "unassigned_count", "all": "all_count"}

# The fields the mapping reads, with the types it relies on (a field may be absent or null unless required).
AGENT: Shape = {"id": required(WHOLE), "email": TEXT, "available_name": TEXT, "name": TEXT, "role": TEXT,
                "confirmed": FLAG}
TEAM: Shape = {"id": required(WHOLE), "name": required(TEXT)}
PROFILE: Shape = {"email": TEXT, "name": TEXT, "role": TEXT, "accounts": [{"id": required(WHOLE), "name": TEXT,
                                                                          "role": TEXT}]}
HOURS: Shape = {"day_of_week": required(WEEKDAY), "closed_all_day": FLAG, "open_all_day": FLAG, "open_hour": WHOLE,
                "open_minutes": WHOLE, "close_hour": WHOLE, "close_minutes": WHOLE}
INBOX: Shape = {
    "id": required(WHOLE), "name": TEXT, "channel_type": TEXT, "email": TEXT, "phone_number": TEXT, "provider": TEXT,
    "widget_color": TEXT, "reply_time": TEXT, "website_url": TEXT, "timezone": TEXT, "greeting_enabled": FLAG,
    "greeting_message": TEXT, "out_of_office_message": TEXT, "sender_name_type": TEXT, "business_name": TEXT,
    "enable_auto_assignment": FLAG, "working_hours_enabled": FLAG, "working_hours": [HOURS],
    "auto_assignment_config": {"max_assignment_limit": WHOLE}}
RULE: Shape = {"id": required(WHOLE), "name": TEXT, "description": TEXT, "event_name": TEXT, "active": FLAG,
               "conditions": LIST, "actions": [{"action_name": TEXT, "action_params": LIST}]}
PERSON: Shape = {"id": WHOLE, "email": TEXT, "name": TEXT}
CONVERSATION: Shape = {
    "id": required(WHOLE), "inbox_id": WHOLE, "status": TEXT, "created_at": TIME, "timestamp": TIME,
    "updated_at": TIME, "last_activity_at": TIME, "additional_attributes": {"mail_subject": TEXT},
    "meta": {"sender": {**PERSON, "blocked": FLAG}, "assignee": PERSON, "team": {"id": WHOLE, "name": TEXT}}}
MESSAGE: Shape = {"id": required(WHOLE), "message_type": SCALAR, "private": FLAG, "content": TEXT, "created_at": TIME,
                  "sender": PERSON}


class ChatwootApi:
    def __init__(self, client: HttpClient, account_id: int) -> None:
        self.client = client
        self.account_id = account_id

    def _path(self, rest: str) -> str:
        return f"/api/v1/accounts/{self.account_id}{rest}"

    # -- the shapes this module's callers rely on: an error naming the endpoint otherwise ----------------
    def _object(self, method: str, path: str, body: Any) -> dict[str, Any]:
        return json_object(body, server=self.client.server_name, endpoint=f"{method} {path}")

    def _shaped(self, method: str, path: str, body: Any, shape: Shape) -> dict[str, Any]:
        return conforming(self._object(method, path, body), shape, server=self.client.server_name,
                          endpoint=f"{method} {path}")

    def _created(self, path: str, body: Any, shape: Shape) -> dict[str, Any]:
        created = object_with_id(body, server=self.client.server_name, endpoint=f"POST {path}")
        return self._shaped("POST", path, created, shape)

    def _list(self, path: str, shape: Shape) -> list[dict[str, Any]]:
        return object_list(self.client.get(path), server=self.client.server_name, endpoint=f"GET {path}", ids=True,
                           shape=shape)

    def _payload(self, path: str, shape: Shape, *, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return listed_under(self.client.get(path, params=params), "payload", server=self.client.server_name,
                            endpoint=f"GET {path}", ids=True, shape=shape)

    def _written(self, method: str, path: str, body: Any) -> dict[str, Any]:
        """The answer to a write: an object, or nothing (some endpoints answer with an empty body)."""
        return {} if body is None else self._object(method, path, body)

    # -- identity -------------------------------------------------------------------------------
    def profile(self) -> dict[str, Any]:
        return self._shaped("GET", "/api/v1/profile", self.client.get("/api/v1/profile"), PROFILE)

    # -- directory ------------------------------------------------------------------------------
    def agents(self) -> list[dict[str, Any]]:
        return self._list(self._path("/agents"), AGENT)

    def teams(self) -> list[dict[str, Any]]:
        return self._list(self._path("/teams"), TEAM)

    def team_members(self, team_id: int) -> list[dict[str, Any]]:
        return self._list(self._path(f"/teams/{team_id}/team_members"), AGENT)

    # -- inboxes --------------------------------------------------------------------------------
    def inboxes(self) -> list[dict[str, Any]]:
        return self._payload(self._path("/inboxes"), INBOX)

    def create_inbox(self, body: Mapping[str, Any]) -> dict[str, Any]:
        path = self._path("/inboxes")
        return self._created(path, self.client.post(path, json=dict(body)), INBOX)

    def update_inbox(self, inbox_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
        # Setting fields to given values: sending it twice is sending it once.
        path = self._path(f"/inboxes/{inbox_id}")
        updated = self._written("PATCH", path, self.client.patch(path, json=dict(body), idempotent=True))
        return conforming(updated, INBOX, server=self.client.server_name, endpoint=f"PATCH {path}")

    def delete_inbox(self, inbox_id: int) -> None:
        self.client.delete(self._path(f"/inboxes/{inbox_id}"))

    def inbox_members(self, inbox_id: int) -> list[dict[str, Any]]:
        return self._payload(self._path(f"/inbox_members/{inbox_id}"), AGENT)

    def set_inbox_members(self, inbox_id: int, user_ids: Sequence[int]) -> None:
        """Replace the member list (Chatwoot refuses an empty list here: use remove_inbox_members)."""
        self.client.patch(self._path("/inbox_members"), json={"inbox_id": inbox_id, "user_ids": list(user_ids)},
                          idempotent=True)

    def remove_inbox_members(self, inbox_id: int, user_ids: Sequence[int]) -> None:
        self.client.delete(self._path("/inbox_members"), json={"inbox_id": inbox_id, "user_ids": list(user_ids)})

    # -- automation rules -------------------------------------------------------------------------
    def automation_rules(self) -> list[dict[str, Any]]:
        return self._payload(self._path("/automation_rules"), RULE)

    def create_rule(self, body: Mapping[str, Any]) -> dict[str, Any]:
        path = self._path("/automation_rules")
        created = self._object("POST", path, self.client.post(path, json=dict(body)))
        return self._created(path, created["payload"] if isinstance(created.get("payload"), dict) else created, RULE)

    def update_rule(self, rule_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
        path = self._path(f"/automation_rules/{rule_id}")
        updated = self._written("PATCH", path, self.client.patch(path, json=dict(body), idempotent=True))
        rule = updated["payload"] if isinstance(updated.get("payload"), dict) else updated
        return conforming(rule, RULE, server=self.client.server_name, endpoint=f"PATCH {path}")

    def delete_rule(self, rule_id: int) -> None:
        self.client.delete(self._path(f"/automation_rules/{rule_id}"))

    # -- conversations ----------------------------------------------------------------------------
    def conversations(self, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """``GET /conversations``, page by page (25 per page by default)."""
        counter = _COUNT_OF.get(str(params.get("assignee_type", "all")), "all_count")
        path = self._path("/conversations")
        pages = iterate_pages(self.client, path, params, items=dig("data", "payload"),
                              total=dig("data", "meta", counter))
        return objects_of(pages, server=self.client.server_name, endpoint=f"GET {path}", ids=True, shape=CONVERSATION)

    def conversation_count(self, params: Mapping[str, Any]) -> int:
        path = self._path("/conversations")
        body = self._object("GET", path, self.client.get(path, params=dict(params)))
        count = dig("data", "meta", "all_count")(body)
        if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
            return count
        return len(listed_under(body.get("data"), "payload", server=self.client.server_name, endpoint=f"GET {path}",
                                shape=CONVERSATION))

    def filter_conversations(self, conditions: Sequence[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
        """``POST /conversations/filter`` (a read: paged, retried like a GET)."""
        path = self._path("/conversations/filter")
        pages = iterate_pages(self.client, path, {}, method="POST",
                              json={"payload": [dict(condition) for condition in conditions]},
                              items=dig("payload"), total=dig("meta", "all_count"))
        return objects_of(pages, server=self.client.server_name, endpoint=f"POST {path}", ids=True,
                          shape=CONVERSATION)

    def conversation(self, display_id: int) -> dict[str, Any]:
        path = self._path(f"/conversations/{display_id}")
        return self._shaped("GET", path, self.client.get(path), CONVERSATION)

    def messages(self, display_id: int) -> list[dict[str, Any]]:
        """Every message, oldest first. Chatwoot answers the latest 20 and, with ``before=<id>``, the 20
        before that id (app/finders/message_finder.rb): page back until a page brings nothing older."""
        pages: list[list[dict[str, Any]]] = []
        before: int | None = None
        while True:
            params = {"before": before} if before is not None else {}
            listed = self._payload(self._path(f"/conversations/{display_id}/messages"), MESSAGE, params=params)
            # Only what is older than asked for: a server ignoring ``before`` would otherwise page forever.
            page = [m for m in listed if before is None or int(m["id"]) < before]
            if not page:
                break
            pages.append(page)
            before = min(int(m.get("id", 0)) for m in page)
        return [message for page in reversed(pages) for message in page]

    def toggle_status(self, display_id: int, status: str) -> dict[str, Any]:
        path = self._path(f"/conversations/{display_id}/toggle_status")
        return self._written("POST", path, self.client.post(path, json={"status": status}))

    def assign(self, display_id: int, assignee_id: int | None) -> dict[str, Any]:
        path = self._path(f"/conversations/{display_id}/assignments")
        return self._written("POST", path, self.client.post(path, json={"assignee_id": assignee_id}))

    def assign_team(self, display_id: int, team_id: int | None) -> dict[str, Any]:
        """A team, or none with ``None`` (assignments_controller.rb: ``team_id`` without ``assignee_id``)."""
        path = self._path(f"/conversations/{display_id}/assignments")
        return self._written("POST", path, self.client.post(path, json={"team_id": team_id}))

    def bulk_update(self, display_ids: Sequence[int], fields: Mapping[str, Any]) -> None:
        """``POST /bulk_actions``: Chatwoot answers at once and applies it later, silently."""
        self.client.post(self._path("/bulk_actions"),
                         json={"type": "Conversation", "ids": list(display_ids), "fields": dict(fields)})

    def delete_conversation(self, display_id: int) -> None:
        self.client.delete(self._path(f"/conversations/{display_id}"))

    def add_private_note(self, display_id: int, text: str) -> dict[str, Any]:
        path = self._path(f"/conversations/{display_id}/messages")
        return self._written("POST", path, self.client.post(
            path, json={"content": text, "message_type": "outgoing", "private": True}))

    def set_contact_blocked(self, contact_id: int, blocked: bool) -> dict[str, Any]:
        path = self._path(f"/contacts/{contact_id}")
        return self._written("PUT", path, self.client.put(path, json={"blocked": blocked}))
