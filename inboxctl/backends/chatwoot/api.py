"""Thin, typed calls to Chatwoot's Application API (v1). No mapping here: JSON in, JSON out.

Paths, bodies and answers follow the official OpenAPI spec and, where it is wrong or silent,
the behaviour read from Chatwoot's Rails code (inbox deletion, bulk actions, conversation
deletion and ``working_hours`` on inbox updates are not in the spec). Every listing is lazy.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from inboxctl.http import HttpClient, dig, iterate_pages

# The counter in ``data.meta`` that matches each assignee_type, so paging stops on the last page.
_COUNT_OF = {"me": "mine_count", "assigned": "assigned_count", "unassigned": "unassigned_count", "all": "all_count"}


class ChatwootApi:
    def __init__(self, client: HttpClient, account_id: int) -> None:
        self.client = client
        self.account_id = account_id

    def _path(self, rest: str) -> str:
        return f"/api/v1/accounts/{self.account_id}{rest}"

    # -- identity -------------------------------------------------------------------------------
    def profile(self) -> dict[str, Any]:
        return self.client.get("/api/v1/profile") or {}

    # -- directory ------------------------------------------------------------------------------
    def agents(self) -> list[dict[str, Any]]:
        return self.client.get(self._path("/agents")) or []

    def teams(self) -> list[dict[str, Any]]:
        return self.client.get(self._path("/teams")) or []

    def team_members(self, team_id: int) -> list[dict[str, Any]]:
        return self.client.get(self._path(f"/teams/{team_id}/team_members")) or []

    # -- inboxes --------------------------------------------------------------------------------
    def inboxes(self) -> list[dict[str, Any]]:
        return (self.client.get(self._path("/inboxes")) or {}).get("payload", [])

    def create_inbox(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.client.post(self._path("/inboxes"), json=dict(body)) or {}

    def update_inbox(self, inbox_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
        # Setting fields to given values: sending it twice is sending it once.
        return self.client.patch(self._path(f"/inboxes/{inbox_id}"), json=dict(body), idempotent=True) or {}

    def delete_inbox(self, inbox_id: int) -> None:
        self.client.delete(self._path(f"/inboxes/{inbox_id}"))

    def inbox_members(self, inbox_id: int) -> list[dict[str, Any]]:
        return (self.client.get(self._path(f"/inbox_members/{inbox_id}")) or {}).get("payload", [])

    def set_inbox_members(self, inbox_id: int, user_ids: Sequence[int]) -> None:
        """Replace the member list (Chatwoot refuses an empty list here: use remove_inbox_members)."""
        self.client.patch(self._path("/inbox_members"), json={"inbox_id": inbox_id, "user_ids": list(user_ids)},
                          idempotent=True)

    def remove_inbox_members(self, inbox_id: int, user_ids: Sequence[int]) -> None:
        self.client.delete(self._path("/inbox_members"), json={"inbox_id": inbox_id, "user_ids": list(user_ids)})

    # -- automation rules -------------------------------------------------------------------------
    def automation_rules(self) -> list[dict[str, Any]]:
        return (self.client.get(self._path("/automation_rules")) or {}).get("payload", [])

    def create_rule(self, body: Mapping[str, Any]) -> dict[str, Any]:
        created = self.client.post(self._path("/automation_rules"), json=dict(body)) or {}
        return created.get("payload", created) if isinstance(created.get("payload"), dict) else created

    def update_rule(self, rule_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
        updated = self.client.patch(self._path(f"/automation_rules/{rule_id}"), json=dict(body), idempotent=True) or {}
        return updated.get("payload", updated) if isinstance(updated.get("payload"), dict) else updated

    def delete_rule(self, rule_id: int) -> None:
        self.client.delete(self._path(f"/automation_rules/{rule_id}"))

    # -- conversations ----------------------------------------------------------------------------
    def conversations(self, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """``GET /conversations``, page by page (25 per page by default)."""
        counter = _COUNT_OF.get(str(params.get("assignee_type", "all")), "all_count")
        return iterate_pages(self.client, self._path("/conversations"), params,
                             items=dig("data", "payload"), total=dig("data", "meta", counter))

    def conversation_count(self, params: Mapping[str, Any]) -> int:
        body = self.client.get(self._path("/conversations"), params=dict(params)) or {}
        count = dig("data", "meta", "all_count")(body)
        return int(count) if isinstance(count, int) else len(dig("data", "payload")(body) or [])

    def filter_conversations(self, conditions: Sequence[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
        """``POST /conversations/filter`` (a read: paged, retried like a GET)."""
        return iterate_pages(self.client, self._path("/conversations/filter"), {}, method="POST",
                             json={"payload": [dict(condition) for condition in conditions]},
                             items=dig("payload"), total=dig("meta", "all_count"))

    def conversation(self, display_id: int) -> dict[str, Any]:
        return self.client.get(self._path(f"/conversations/{display_id}")) or {}

    def messages(self, display_id: int) -> list[dict[str, Any]]:
        """Every message, oldest first. Chatwoot answers the latest 20 and, with ``before=<id>``, the 20
        before that id (app/finders/message_finder.rb): page back until a page brings nothing older."""
        pages: list[list[dict[str, Any]]] = []
        before: int | None = None
        while True:
            params = {"before": before} if before is not None else {}
            body = self.client.get(self._path(f"/conversations/{display_id}/messages"), params=params) or {}
            # Only what is older than asked for: a server ignoring ``before`` would otherwise page forever.
            page = [m for m in body.get("payload") or [] if before is None or int(m.get("id", 0)) < before]
            if not page:
                break
            pages.append(page)
            before = min(int(m.get("id", 0)) for m in page)
        return [message for page in reversed(pages) for message in page]

    def toggle_status(self, display_id: int, status: str) -> dict[str, Any]:
        return self.client.post(self._path(f"/conversations/{display_id}/toggle_status"), json={"status": status}) or {}

    def assign(self, display_id: int, assignee_id: int | None) -> dict[str, Any]:
        return self.client.post(self._path(f"/conversations/{display_id}/assignments"),
                                json={"assignee_id": assignee_id}) or {}

    def assign_team(self, display_id: int, team_id: int | None) -> dict[str, Any]:
        """A team, or none with ``None`` (assignments_controller.rb: ``team_id`` without ``assignee_id``)."""
        return self.client.post(self._path(f"/conversations/{display_id}/assignments"),
                                json={"team_id": team_id}) or {}

    def bulk_update(self, display_ids: Sequence[int], fields: Mapping[str, Any]) -> None:
        """``POST /bulk_actions``: Chatwoot answers at once and applies it later, silently."""
        self.client.post(self._path("/bulk_actions"),
                         json={"type": "Conversation", "ids": list(display_ids), "fields": dict(fields)})

    def delete_conversation(self, display_id: int) -> None:
        self.client.delete(self._path(f"/conversations/{display_id}"))

    def add_private_note(self, display_id: int, text: str) -> dict[str, Any]:
        return self.client.post(self._path(f"/conversations/{display_id}/messages"),
                                json={"content": text, "message_type": "outgoing", "private": True}) or {}

    def set_contact_blocked(self, contact_id: int, blocked: bool) -> dict[str, Any]:
        return self.client.put(self._path(f"/contacts/{contact_id}"), json={"blocked": blocked}) or {}
