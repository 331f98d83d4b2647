"""inboxctl's marks on a Chatwoot account: the ownership marker and the routing rules.

Both are automation rules, because an automation rule is the one object in Chatwoot's API with
free text (its description) that every administrator can see and inboxctl can read back. Rule
names are not unique, so a rule is inboxctl's only if its description carries ``inboxctl:v1:``
followed by a JSON record; the ``[inboxctl]`` name prefix is for people.

* the **marker** (one per managed definition inbox, inactive so it never runs) records which
  Chatwoot inboxes belong to the definition inbox, ``protect``, the teams, the inbox-level
  routing and ticket defaults and which keys each channel overrides (Chatwoot only knows the
  effective result per inbox), and the API inbox inboxctl created to hold a channel-less inbox;
* a **routing rule** (one per Chatwoot inbox that needs one, active, event
  ``conversation_created``, condition ``inbox_id``) assigns a team and/or an agent and sets the
  priority of new conversations.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from inboxctl.backends.chatwoot.mapping import Rule

TAG = "inboxctl:v1:"
NAME_PREFIX = "[inboxctl] "
MARKER, ROUTING = "marker", "routing"
# The marker never runs (active: false); should someone switch it on, its one action changes nothing.
_MARKER_ACTION = {"action_name": "remove_label", "action_params": ["inboxctl-marker"]}


@dataclass
class Marker:
    inbox: str
    inbox_ids: list[int] = field(default_factory=list)
    protect: bool = False
    members: list[str] = field(default_factory=list)  # the definition's own members (teams' members are added)
    teams: list[str] = field(default_factory=list)
    routing: dict[str, Any] | None = None
    ticket_defaults: dict[str, Any] | None = None
    overrides: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # channel ident -> table -> keys
    holder_id: int | None = None
    # Chat and Messenger inboxes are known by name: their keys by Chatwoot inbox id survive a rename there.
    keys: dict[str, str] = field(default_factory=dict)
    applied: dict[str, str] = field(default_factory=dict)  # setting -> digest of what inboxctl last wrote
    rule_id: int | None = None  # the marker rule itself (not stored in the record)

    def record(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("rule_id")
        return {"kind": MARKER, **data}

    @classmethod
    def from_record(cls, data: dict[str, Any], rule_id: int | None) -> Marker:
        known = {key: data[key] for key in cls.__dataclass_fields__ if key in data and key != "rule_id"}
        marker = cls(**known)
        marker.inbox_ids = [int(i) for i in marker.inbox_ids]
        marker.rule_id = rule_id
        return marker


def digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:12]


# -- rule bodies --------------------------------------------------------------------------------------

def marker_body(marker: Marker) -> dict[str, Any]:
    return {
        "name": f"{NAME_PREFIX}{marker.inbox} (ownership marker)",
        "description": "Marks the Chatwoot inboxes that inboxctl manages for this inbox definition. Do not edit "
                       "or delete: inboxctl reads it back. " + TAG + json.dumps(marker.record(), sort_keys=True),
        "event_name": "conversation_created",
        "active": False,
        "conditions": [_inbox_condition(marker.inbox_ids)],
        "actions": [_MARKER_ACTION],
    }


def routing_body(inbox_id: int, inbox_name: str, actions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": f"{NAME_PREFIX}{inbox_name} (routing)",
        "description": "Routing and defaults of new conversations in this inbox, written by inboxctl from its "
                       "definition: edit the definition instead. " + TAG
                       + json.dumps({"kind": ROUTING, "inbox_id": inbox_id}, sort_keys=True),
        "event_name": "conversation_created",
        "active": True,
        "conditions": [_inbox_condition([inbox_id])],
        "actions": actions,
    }


def _inbox_condition(inbox_ids: list[int]) -> dict[str, Any]:
    return {"attribute_key": "inbox_id", "filter_operator": "equal_to", "values": list(inbox_ids),
            "query_operator": None}


def rule_actions(rule: Rule, team_id: int | None, agent_id: int | None) -> list[dict[str, Any]]:
    actions = []
    if team_id is not None:
        actions.append({"action_name": "assign_team", "action_params": [team_id]})
    if agent_id is not None:
        actions.append({"action_name": "assign_agent", "action_params": [agent_id]})
    if rule.priority:
        actions.append({"action_name": "change_priority", "action_params": [rule.priority]})
    return actions


def action_ids(actions: list[dict[str, Any]]) -> tuple[int | None, int | None, str | None]:
    """(team id, agent id, priority) from a rule's actions."""
    team = agent = priority = None
    for action in actions or []:
        params = action.get("action_params") or [None]
        if action.get("action_name") == "assign_team":
            team = _int(params[0])
        elif action.get("action_name") == "assign_agent":
            agent = _int(params[0])
        elif action.get("action_name") == "change_priority" and params[0] not in (None, "nil"):
            priority = str(params[0])
    return team, agent, priority


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# -- reading rules back ------------------------------------------------------------------------------

def parse_rule(rule: dict[str, Any]) -> tuple[str, Any] | None:
    """``("marker", Marker)``, ``("routing", inbox_id)``, or None for a rule that is not inboxctl's."""
    description = rule.get("description") or ""
    at = description.find(TAG)
    if at < 0:
        return None
    try:
        record = json.loads(description[at + len(TAG):])
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    if record.get("kind") == MARKER and isinstance(record.get("inbox"), str):
        try:
            return MARKER, Marker.from_record(record, rule.get("id"))
        except (TypeError, ValueError):
            return None
    if record.get("kind") == ROUTING and _int(record.get("inbox_id")) is not None:
        return ROUTING, _int(record["inbox_id"])
    return None
