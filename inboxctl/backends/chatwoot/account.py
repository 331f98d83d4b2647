"""One read of a Chatwoot account: agents, teams, inboxes, inboxctl's rules, and lookups by name.

Reads are cached for one command (the backend drops the cache after each write). Inbox and team
members cost one request per inbox or team, so they are fetched only when first needed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from inboxctl.backends.chatwoot.api import ChatwootApi
from inboxctl.backends.chatwoot.mapping import Rule, key_of, kind_of, parse_name
from inboxctl.backends.chatwoot.ownership import MARKER, ROUTING, Marker, action_ids, parse_rule
from inboxctl.errors import AuthenticationError


@dataclass(frozen=True)
class Agent:
    id: int
    email: str  # lower case
    name: str
    role: str  # agent | administrator
    confirmed: bool = True


@dataclass
class Group:
    """The Chatwoot inboxes that make up one definition inbox."""

    name: str
    inboxes: list[dict[str, Any]] = field(default_factory=list)  # by id
    marker: Marker | None = None

    @property
    def ids(self) -> list[int]:
        return [int(inbox["id"]) for inbox in self.inboxes]


class Account:
    def __init__(self, api: ChatwootApi) -> None:
        self.api = api
        self.agents = {agent.id: agent for agent in map(_agent, api.agents())}
        self.teams: dict[int, str] = {int(team["id"]): str(team["name"]) for team in api.teams()}
        self.inboxes = sorted(api.inboxes(), key=lambda inbox: int(inbox["id"]))
        self.rules_error: AuthenticationError | None = None
        self.rules = sorted(self._automation_rules(), key=lambda rule: int(rule.get("id", 0)))
        self.markers: dict[str, Marker] = {}
        self.marker_of_inbox: dict[int, Marker] = {}
        self.duplicate_markers: list[int] = []
        self.routing_rules: dict[int, list[dict[str, Any]]] = {}
        self._read_rules()
        self._members: dict[int, frozenset[int]] = {}
        self._team_members: dict[int, frozenset[int]] = {}
        self._lock = threading.Lock()

    def _automation_rules(self) -> list[dict[str, Any]]:
        try:
            return self.api.automation_rules()
        except AuthenticationError as error:
            if "authorized to do this" not in (error.reason or ""):
                raise
            # inboxctl's marks are automation rules, which only administrators may read. Conversations
            # do not need them (inboxes are then grouped by name); inbox definitions do.
            self.rules_error = AuthenticationError(
                "managing inbox definitions on Chatwoot needs an administrator's API token", reason=error.reason,
                status=error.status, hint="use the access token of an administrator of this account "
                                          "(Chatwoot: Profile settings > Access token)")
            return []

    def require_rules(self) -> None:
        if self.rules_error is not None:
            raise self.rules_error

    def _read_rules(self) -> None:
        for rule in self.rules:
            parsed = parse_rule(rule)
            if parsed is None:
                continue
            kind, value = parsed
            if kind == MARKER:
                if value.inbox.lower() in self.markers:
                    self.duplicate_markers.append(int(rule["id"]))
                else:
                    self.markers[value.inbox.lower()] = value
                    self.marker_of_inbox.update({inbox_id: value for inbox_id in value.inbox_ids})
            elif kind == ROUTING:
                self.routing_rules.setdefault(value, []).append(rule)

    # -- lookups ------------------------------------------------------------------------------------
    def agent_by_email(self, email: str) -> Agent | None:
        wanted = email.strip().lower()
        return next((agent for agent in self.agents.values() if agent.email == wanted), None)

    def team_id(self, name: str) -> int | None:
        wanted = name.strip().lower()
        return next((team_id for team_id, team in self.teams.items() if team.lower() == wanted), None)

    def inbox(self, inbox_id: int) -> dict[str, Any] | None:
        return next((inbox for inbox in self.inboxes if int(inbox["id"]) == inbox_id), None)

    def channel_key(self, inbox: dict[str, Any]) -> str | None:
        """The channel's key: the e-mail address or number, or for chats and pages the name inboxctl
        recorded for this inbox (else the part of its name after " · ")."""
        marker = self.marker_of_inbox.get(int(inbox["id"]))
        recorded = marker.keys.get(str(inbox["id"])) if marker else None
        return recorded if recorded and kind_of(inbox) in ("chat", "messenger") else key_of(inbox)

    def members(self, inbox_id: int) -> frozenset[int]:
        with self._lock:
            if inbox_id not in self._members:
                self._members[inbox_id] = frozenset(int(user["id"]) for user in self.api.inbox_members(inbox_id))
            return self._members[inbox_id]

    def member_emails(self, inbox_id: int) -> frozenset[str]:
        return frozenset(self.agents[i].email for i in self.members(inbox_id) if i in self.agents)

    def team_member_ids(self, team_id: int) -> frozenset[int]:
        with self._lock:
            if team_id not in self._team_members:
                self._team_members[team_id] = frozenset(int(user["id"]) for user in self.api.team_members(team_id))
            return self._team_members[team_id]

    def team_emails(self, name: str) -> frozenset[str]:
        team_id = self.team_id(name)
        if team_id is None:
            return frozenset()
        return frozenset(self.agents[i].email for i in self.team_member_ids(team_id) if i in self.agents)

    def rule_of(self, inbox_id: int) -> Rule:
        """What inboxctl's routing rule for this inbox does, in names."""
        rules = self.routing_rules.get(inbox_id)
        if not rules:
            return Rule()
        team_id, agent_id, priority = action_ids(rules[0].get("actions") or [])
        agent = self.agents.get(agent_id) if agent_id is not None else None
        return Rule(team=self.teams.get(team_id) if team_id is not None else None,
                    agent=agent.email if agent else None, priority=priority)

    # -- definition inboxes -------------------------------------------------------------------------
    def groups(self) -> list[Group]:
        """Chatwoot inboxes grouped by definition inbox: the marker's ids first (they survive a
        rename in Chatwoot), then the name before " · "."""
        present = {int(inbox["id"]) for inbox in self.inboxes}
        claimed: dict[int, str] = {}
        for marker in self.markers.values():
            for inbox_id in marker.inbox_ids:
                if inbox_id in present:
                    claimed.setdefault(inbox_id, marker.inbox)
        groups: dict[str, Group] = {}
        for inbox in self.inboxes:
            name = claimed.get(int(inbox["id"])) or parse_name(str(inbox.get("name", "")))[0]
            groups.setdefault(name.lower(), Group(name=name)).inboxes.append(inbox)
        for key, group in groups.items():
            group.marker = self.markers.get(key)
            if group.marker is not None:
                group.name = group.marker.inbox
        return sorted(groups.values(), key=lambda group: group.name.lower())

    def group(self, name: str) -> Group | None:
        return next((group for group in self.groups() if group.name.lower() == name.lower()), None)


def _agent(data: dict[str, Any]) -> Agent:
    return Agent(id=int(data["id"]), email=str(data.get("email", "")).strip().lower(),
                 name=str(data.get("available_name") or data.get("name") or ""),
                 role=str(data.get("role", "agent")), confirmed=bool(data.get("confirmed", True)))
