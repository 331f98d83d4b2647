"""Writing one planned change to Chatwoot. Every step reads what is there first and writes only
what differs, so running a change again after a partial failure completes it without doubling it.

Order inside a change: the Chatwoot inboxes (settings, members, routing rule) first, the
ownership marker last, so an interrupted change is still visible as a difference next time.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, field
from typing import Any

from inboxctl.backends.chatwoot.account import Account, Group
from inboxctl.backends.chatwoot.api import ChatwootApi
from inboxctl.backends.chatwoot.live import chatwoot_members_for, ident, is_channel, read_group, state_of
from inboxctl.backends.chatwoot.mapping import (
    InboxState, chatwoot_name, create_body, kind_of, target_state, update_body)
from inboxctl.backends.chatwoot.ownership import (
    MARKER, Marker, digest, marker_body, parse_rule, routing_body, rule_actions)
from inboxctl.errors import BackendError, NotFoundError
from inboxctl.planner.plan import CREATE, DELETE, INBOX, ResourceChange

WHATSAPP_ENV = "INBOXCTL_WHATSAPP_{digits}"


def whatsapp_credentials(phone: str) -> dict[str, str] | None:
    """The WhatsApp Cloud API credentials for a number, from the environment (never from files or plans)."""
    raw = os.environ.get(WHATSAPP_ENV.format(digits=phone.lstrip("+")))
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    needed = ("api_key", "phone_number_id", "business_account_id")
    if not isinstance(data, dict) or not all(data.get(key) for key in needed):
        return None
    return {key: str(data[key]) for key in needed}


def whatsapp_numbers_with_credentials() -> list[str]:
    """Numbers whose credentials the environment holds: they can be created, so they are "verified"."""
    prefix = WHATSAPP_ENV.format(digits="")
    return sorted(f"+{name[len(prefix):]}" for name in os.environ
                  if name.startswith(prefix) and name[len(prefix):].isdigit()
                  and whatsapp_credentials(name[len(prefix):]) is not None)


@dataclass
class Writer:
    api: ChatwootApi
    account: Account
    _created: dict[int, dict[str, Any]] = field(default_factory=dict)  # inboxes made by this change

    def apply(self, change: ResourceChange) -> None:
        if change.kind == INBOX:
            self.delete_inbox(change) if change.action == DELETE else self.write_inbox(change)
        else:
            self.delete_channel(change) if change.action == DELETE else self.write_channel(change)

    # -- inboxes ------------------------------------------------------------------------------------
    def write_inbox(self, change: ResourceChange) -> None:
        desired = change.desired or {}
        group = self.account.group(change.inbox)
        live_channels: dict[str, dict[str, Any]] = {}
        if group is not None:
            live_channels = {c.ident: c.settings for c in read_group(self.account, group).definition.channels}
        else:
            if change.action != CREATE:
                raise NotFoundError(f"inbox {change.inbox!r} does not exist on Chatwoot")
            group = Group(name=change.inbox, inboxes=[], marker=self.account.markers.get(change.inbox.lower()))
        marker = copy.deepcopy(group.marker) or Marker(inbox=change.inbox)  # the cached one is what was read
        if not group.inboxes:
            # A definition inbox needs one Chatwoot inbox to hold its members and settings.
            holder = self.create_inbox(change.inbox, "api", None, desired)
            group.inboxes.append(holder)
            marker.holder_id = int(holder["id"])
        members = chatwoot_members_for(self.account, desired)
        for inbox in group.inboxes:
            kind = kind_of(inbox)
            channel = live_channels.get(self.ident_of(inbox)) if is_channel(inbox) else None
            self.sync(inbox, target_state(desired, kind, channel, members, key=self.account.channel_key(inbox)))
        self.save_marker(_inbox_record(marker, group, desired, live_channels, members))

    def delete_inbox(self, change: ResourceChange) -> None:
        group = self.account.group(change.inbox)
        if group is None:
            return  # already gone: a re-run after a partial failure
        marker = _managed(group, change, what=f"delete inbox {change.inbox!r}")
        if marker.protect:
            raise BackendError(f"cannot delete inbox {change.inbox!r}", reason="it is protected (protect = true)")
        for inbox in group.inboxes:
            self.remove_inbox(int(inbox["id"]))
        for rule_id in [marker.rule_id, *self._duplicate_markers(change.inbox)]:
            if rule_id is not None:
                self.api.delete_rule(rule_id)

    # -- channels -------------------------------------------------------------------------------------
    def write_channel(self, change: ResourceChange) -> None:
        group = self.account.group(change.inbox)
        if group is None:
            raise NotFoundError(f"inbox {change.inbox!r} does not exist on Chatwoot")
        live = read_group(self.account, group).definition
        kind, settings = change.channel_type or "", change.desired or {}
        key = _channel_key(kind, change.channel_key or "")
        members = chatwoot_members_for(self.account, live.settings)
        target = target_state(live.settings, kind, settings, members, key=key)
        inboxes = [inbox for inbox in group.inboxes if self.ident_of(inbox) == ident(kind, key)]
        if not inboxes:
            if change.action != CREATE:
                raise NotFoundError(f"{kind} channel {key!r} of inbox {change.inbox!r} does not exist on Chatwoot")
            inboxes = [self.create_inbox(change.inbox, kind, key, live.settings, target)]
            group.inboxes.append(inboxes[0])
        for inbox in inboxes:
            self.sync(inbox, target)
        marker = copy.deepcopy(group.marker) or _inbox_record(
            Marker(inbox=group.name), group, live.settings, {c.ident: c.settings for c in live.channels}, members)
        marker.inbox_ids = sorted({*marker.inbox_ids, *(int(i["id"]) for i in group.inboxes)})
        marker.overrides[ident(kind, key)] = {table: sorted(settings.get(table) or {})
                                              for table in ("routing", "ticket_defaults") if settings.get(table)}
        if change.action == CREATE:
            self.retire_holder(marker, group)
        self.save_marker(marker)

    def delete_channel(self, change: ResourceChange) -> None:
        group = self.account.group(change.inbox)
        if group is None:
            return
        marker = _managed(group, change, what=f"delete the {change.channel_type} channel {change.channel_key!r}")
        doomed = self.doomed_inboxes(group, change)
        if len(doomed) == len(group.inboxes):
            # The last Chatwoot inbox of the definition inbox: keep its members and settings somewhere.
            live = read_group(self.account, group).definition
            holder = self.create_inbox(change.inbox, "api", None, live.settings)
            members = chatwoot_members_for(self.account, live.settings)
            self.sync(holder, target_state(live.settings, "api", None, members))
            marker.holder_id = int(holder["id"])
            marker.inbox_ids.append(int(holder["id"]))
        for inbox in doomed:
            self.remove_inbox(int(inbox["id"]))
            marker.inbox_ids = [i for i in marker.inbox_ids if i != int(inbox["id"])]
        marker.overrides.pop(_channel_ident(change), None)
        self.save_marker(marker)

    def doomed_inboxes(self, group: Group, change: ResourceChange) -> list[dict[str, Any]]:
        """The Chatwoot inboxes a delete change removes (Chatwoot deletes their conversations with them)."""
        if change.kind == INBOX:
            return list(group.inboxes)
        wanted = _channel_ident(change)
        return [inbox for inbox in group.inboxes if is_channel(inbox) and self.ident_of(inbox) == wanted]

    def ident_of(self, inbox: dict[str, Any]) -> str:
        return ident(kind_of(inbox), self.account.channel_key(inbox))

    # -- one Chatwoot inbox -----------------------------------------------------------------------------
    def create_inbox(self, inbox_name: str, kind: str, key: str | None, settings: dict[str, Any],
                     target: InboxState | None = None) -> dict[str, Any]:
        target = target or target_state(settings, kind, None, frozenset())
        extra = None
        if kind == "whatsapp":
            credentials = whatsapp_credentials(key or "")
            if credentials is None:
                raise BackendError(f"cannot create the WhatsApp inbox for {key}",
                                   reason=f"{WHATSAPP_ENV.format(digits=(key or '').lstrip('+'))} is not set")
            extra = {"provider": "whatsapp_cloud", "provider_config": credentials}
        elif kind not in ("email", "chat", "api"):
            raise BackendError(f"cannot create a {kind} inbox through Chatwoot's API",
                               hint="connect it in Chatwoot first; inboxctl then manages its settings")
        created = self.api.create_inbox(create_body(chatwoot_name(inbox_name, kind, key), target, extra))
        if "id" not in created:
            raise BackendError(f"Chatwoot did not say which inbox it created for {inbox_name!r}")
        self._created[int(created["id"])] = created
        return created

    def sync(self, inbox: dict[str, Any], target: InboxState) -> None:
        """Make one Chatwoot inbox hold ``target``: settings, then members, then the routing rule."""
        inbox_id = int(inbox["id"])
        live = state_of(self.account, inbox)
        body = update_body(target, live)
        if body:
            updated = self.api.update_inbox(inbox_id, body)
            _check_limit_kept(target, updated)
        self.sync_members(inbox_id, target.members, live.members)
        self.sync_rule(inbox_id, str(inbox.get("name", "")), target, live)

    def sync_members(self, inbox_id: int, wanted: frozenset[str], current: frozenset[str]) -> None:
        if wanted == current:
            return
        if not wanted:  # Chatwoot refuses an empty list on PATCH ("param is missing")
            self.api.remove_inbox_members(inbox_id, sorted(self.account.members(inbox_id)))
            return
        ids = []
        for email in sorted(wanted):
            agent = self.account.agent_by_email(email)
            if agent is None:
                raise NotFoundError(f"user {email} is not an agent of this Chatwoot account")
            ids.append(agent.id)
        self.api.set_inbox_members(inbox_id, ids)

    def sync_rule(self, inbox_id: int, inbox_name: str, target: InboxState, live: InboxState) -> None:
        rules = self.account.routing_rules.get(inbox_id, [])
        if target.rule.empty:
            for rule in rules:
                self.api.delete_rule(int(rule["id"]))
            return
        team_id = self.account.team_id(target.rule.team) if target.rule.team else None
        agent = self.account.agent_by_email(target.rule.agent) if target.rule.agent else None
        if (target.rule.team and team_id is None) or (target.rule.agent and agent is None):
            raise NotFoundError(f"routing target {target.rule.team or target.rule.agent!r} does not exist on Chatwoot")
        body = routing_body(inbox_id, inbox_name, rule_actions(target.rule, team_id, agent.id if agent else None))
        if not rules:
            self.api.create_rule(body)
            return
        if live.rule != target.rule or not rules[0].get("active", True):
            self.api.update_rule(int(rules[0]["id"]), body)
        for duplicate in rules[1:]:  # e.g. a create whose answer was lost, then sent again
            self.api.delete_rule(int(duplicate["id"]))

    def remove_inbox(self, inbox_id: int) -> None:
        for rule in self.account.routing_rules.get(inbox_id, []):
            self.api.delete_rule(int(rule["id"]))
        self.api.delete_inbox(inbox_id)

    def retire_holder(self, marker: Marker, group: Group) -> None:
        """Once a real channel exists, the API inbox inboxctl created as a placeholder goes, if still empty."""
        holder = marker.holder_id
        channels = [inbox for inbox in group.inboxes if is_channel(inbox)]
        if holder is None or not channels or holder not in {int(i["id"]) for i in group.inboxes}:
            return
        if self.api.conversation_count({"inbox_id": holder, "status": "all", "assignee_type": "all"}) == 0:
            self.remove_inbox(holder)
            marker.inbox_ids = [i for i in marker.inbox_ids if i != holder]
            group.inboxes = [i for i in group.inboxes if int(i["id"]) != holder]
        marker.holder_id = None  # a holder with conversations stays, as an ordinary API inbox

    # -- the marker ------------------------------------------------------------------------------------
    def save_marker(self, marker: Marker) -> None:
        named = [self.account.inbox(i) or self._created.get(i) for i in marker.inbox_ids]
        marker.keys = {str(inbox["id"]): key for inbox in named if inbox and kind_of(inbox) in ("chat", "messenger")
                       and (key := self.account.channel_key(inbox))}
        current = self.account.markers.get(marker.inbox.lower())
        if current is not None and marker.rule_id is None:
            marker.rule_id = current.rule_id
        if current is not None and current.record() == marker.record():
            return
        if marker.rule_id is None:
            marker.rule_id = self.api.create_rule(marker_body(marker)).get("id")
        else:
            self.api.update_rule(marker.rule_id, marker_body(marker))
        for rule_id in self._duplicate_markers(marker.inbox):
            self.api.delete_rule(rule_id)

    def _duplicate_markers(self, inbox_name: str) -> list[int]:
        found = []
        for rule in self.account.rules:
            parsed = parse_rule(rule)
            if parsed and parsed[0] == MARKER and parsed[1].inbox.lower() == inbox_name.lower() \
                    and int(rule["id"]) in self.account.duplicate_markers:
                found.append(int(rule["id"]))
        return found


def _channel_key(kind: str, key: str) -> str:
    return key.lower() if kind == "email" else key


def _channel_ident(change: ResourceChange) -> str:
    return ident(change.channel_type or "", _channel_key(change.channel_type or "", change.channel_key or ""))


def _managed(group: Group, change: ResourceChange, *, what: str) -> Marker:
    if group.marker is None:
        raise BackendError(f"cannot {what}", reason=f"inbox {change.inbox!r} is not managed by inboxctl",
                           hint="Chatwoot deletes an inbox together with its conversations, so inboxctl only deletes "
                                "what it manages: delete it in Chatwoot, or apply once with the channel still defined")
    return copy.deepcopy(group.marker)


def _inbox_record(marker: Marker, group: Group, desired: dict[str, Any], live_channels: dict[str, dict[str, Any]],
                  members: frozenset[str]) -> Marker:
    marker.inbox_ids = sorted(group.ids)
    marker.protect = bool(desired.get("protect"))
    marker.members = sorted(desired.get("members", []))
    marker.teams = sorted(desired.get("teams", []))
    marker.routing, marker.ticket_defaults = desired.get("routing"), desired.get("ticket_defaults")
    marker.overrides = {ident_: {table: sorted(settings.get(table) or {}) for table in ("routing", "ticket_defaults")
                                 if settings.get(table)}
                        for ident_, settings in live_channels.items()}
    marker.applied = {"members": digest(sorted(members)), "business_hours": digest(desired.get("business_hours"))}
    return marker


def _check_limit_kept(target: InboxState, updated: dict[str, Any]) -> None:
    wanted = target.fields.get("auto_assignment_config", {}).get("max_assignment_limit")
    kept = (updated.get("auto_assignment_config") or {}).get("max_assignment_limit") if updated else wanted
    if wanted and kept != wanted:
        raise BackendError("Chatwoot did not keep the assignment limit (routing.max_assignments)",
                           hint="assignment limits are a Chatwoot Enterprise feature; remove max_assignments "
                                "on other editions")
