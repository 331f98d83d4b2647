"""A fake Chatwoot (Application API v1) on 127.0.0.1: real HTTP, real sockets, in a thread.

It behaves like the notes in ../shared/specs/chatwoot/chatwoot-admin-api-notes.yaml say the real
server does, where that matters to a client:

* ``api_access_token`` header auth; a bad token is 401 ``{error: "Invalid Access Token"}``, and a
  permission failure is 401 too (``You are not authorized to do this action``), not 403;
* 25 conversations per page and ``meta.all_count``; ``status`` ignored when ``q`` is given, and ``q``
  matched against message text only (``ConversationFinder#filter_by_query``); messages 20 at a time,
  older ones with ``before`` (``MessageFinder``); notes written as the token's user;
* the assignee changes Chatwoot makes by itself: ``toggle_status`` to open makes a calling agent the
  assignee, reopening auto-assigns in inboxes that auto-assign (to agents in ``online``), and a new team
  drops an assignee outside it (``AssignmentHandler``);
* team names lower-cased on save; inbox names checked like ``app/models/inbox.rb``; seven
  ``working_hours`` rows per inbox (0 = Sunday); ``PATCH /inbox_members`` replaces the set and
  refuses an empty list; automation rules unwrapped on create, ``{payload}`` elsewhere;
* ``POST /bulk_actions`` answers 200 at once and applies the change ``bulk_delay`` seconds later,
  silently skipping what the caller may not see; ``DELETE /conversations/{id}`` is async too;
* rack-attack's 429: plain text, no ``Retry-After``.

``off_spec`` lists inbox fields sent with a type the official OpenAPI spec does not allow (the Rails
code accepts them, so they are recorded, not refused).

Faults are injected on a seeded random draw, so a run is reproducible: a fraction of requests is
answered 429 or 503, or its connection is reset (for writes, either before or after the write was
applied: the client cannot tell). ``writes`` counts the writes applied to each conversation.

It imports nothing from inboxctl, so the benchmark can use it too.
"""

from __future__ import annotations

import json
import re
import threading
import time
import zoneinfo
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fakes.fake_http import Faults as BaseFaults
from fakes.fake_http import FakeServer, HttpError, JsonHandler

ACCOUNT_ID = 1
ADMIN_TOKEN = "cw-admin-token-0f3a9d"
AGENT_TOKEN = "cw-agent-token-7c21be"
PAGE_SIZE = 25
NAME_FORMAT = re.compile(r"^\b[^/\\<>@]*\b$", re.MULTILINE)  # app/models/inbox.rb
CHECKED_NAME_TYPES = ("Channel::Email", "Channel::Api", "Channel::WebWidget")
CHANNEL_TYPES = {"web_widget": "Channel::WebWidget", "api": "Channel::Api", "email": "Channel::Email",
                 "whatsapp": "Channel::Whatsapp", "sms": "Channel::Sms", "line": "Channel::Line",
                 "telegram": "Channel::Telegram"}
TOP_LEVEL_FIELDS = ("name", "greeting_enabled", "greeting_message", "enable_email_collect", "csat_survey_enabled",
                    "enable_auto_assignment", "working_hours_enabled", "out_of_office_message", "timezone",
                    "allow_messages_after_resolved", "lock_to_single_conversation", "portal_id", "sender_name_type",
                    "business_name")
CHANNEL_FIELDS = {
    "Channel::WebWidget": ("website_url", "widget_color", "welcome_title", "welcome_tagline", "reply_time",
                           "pre_chat_form_enabled", "continuity_via_email", "hmac_mandatory", "allowed_domains"),
    "Channel::Api": ("webhook_url", "hmac_mandatory"),
    "Channel::Email": ("email", "imap_enabled", "smtp_enabled", "provider"),
    "Channel::Whatsapp": ("phone_number", "provider", "provider_config"),
}
# The string fields of inbox_create_payload / inbox_update_payload and their channel payloads in the official
# spec (swagger/tag_groups/application_swagger.json): a string, never null.
SPEC_STRINGS = {"name", "greeting_message", "out_of_office_message", "timezone", "sender_name_type", "business_name"}
SPEC_CHANNEL_STRINGS = {"website_url", "welcome_title", "welcome_tagline", "widget_color", "reply_time",
                        "allowed_domains", "webhook_url", "email", "provider", "phone_number"}
CONDITION_KEYS = {"content", "email", "country_code", "status", "message_type", "browser_language", "assignee_id",
                  "team_id", "referer", "city", "company_name", "inbox_id", "mail_subject", "phone_number", "priority",
                  "conversation_language", "labels", "private_note"}
ACTION_NAMES = {"assign_agent", "assign_team", "remove_assigned_agent", "remove_assigned_team", "add_label",
                "remove_label", "change_status", "resolve_conversation", "open_conversation", "pending_conversation",
                "snooze_conversation", "change_priority", "mute_conversation", "send_message", "add_private_note",
                "send_email_to_team", "send_email_transcript", "send_webhook_event", "send_attachment"}
FAULT_KINDS = ("429", "503", "reset")


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    fault: str | None


class Faults(BaseFaults):
    """Faults in Chatwoot's kinds (see ``fake_http.Faults``)."""

    kinds: tuple[str, ...] = FAULT_KINDS


class FakeChatwoot(FakeServer):
    def __init__(self, *, faults: Faults | None = None, bulk_delay: float = 0.01, enterprise: bool = True,
                 seed_workspace: bool = True) -> None:
        self.faults = faults or Faults()
        self.bulk_delay = bulk_delay
        self.enterprise = enterprise
        self.lock = threading.RLock()
        self.requests: list[Recorded] = []
        self.writes: Counter = Counter()  # display_id -> writes applied to it
        self.next_ids: Counter = Counter()
        self.users: dict[int, dict[str, Any]] = {}
        self.tokens: dict[str, int] = {}
        self.teams: dict[int, dict[str, Any]] = {}
        self.team_members: dict[int, set[int]] = {}
        self.inboxes: dict[int, dict[str, Any]] = {}
        self.inbox_members: dict[int, set[int]] = {}
        self.rules: dict[int, dict[str, Any]] = {}
        self.contacts: dict[int, dict[str, Any]] = {}
        self.conversations: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, list[dict[str, Any]]] = {}
        # Agents with Chatwoot open in a browser (OnlineStatusTracker's presence): only they are picked by
        # auto-assignment. Nobody by default, as in a run of a command-line tool.
        self.online: set[int] = set()
        # Values the Rails code accepts but the official OpenAPI spec does not (e.g. null for a string):
        # a stricter proxy or a later version may refuse them, so the tests check that there are none.
        self.off_spec: list[str] = []
        self._timers: list[threading.Timer] = []
        self._clock = 1_750_000_000
        if seed_workspace:
            self.seed_workspace()
        self._serve(_Handler)

    # -- lifecycle ----------------------------------------------------------------------------------
    def stop(self) -> None:
        for timer in list(self._timers):
            timer.cancel()
        super().stop()

    def settle(self, timeout: float = 5.0) -> None:
        """Wait until every background job (bulk actions, deletions) has run."""
        deadline = time.monotonic() + timeout
        while any(timer.is_alive() for timer in self._timers) and time.monotonic() < deadline:
            time.sleep(0.005)

    # -- seeding --------------------------------------------------------------------------------------
    def _id(self, kind: str) -> int:
        self.next_ids[kind] += 1
        return self.next_ids[kind]

    def _now(self) -> int:
        self._clock += 1
        return self._clock

    def add_user(self, name: str, email: str, *, role: str = "agent", confirmed: bool = True,
                 token: str | None = None) -> int:
        user_id = self._id("user")
        self.users[user_id] = {"id": user_id, "name": name, "email": email, "role": role, "confirmed": confirmed,
                               "availability_status": "online"}
        if token:
            self.tokens[token] = user_id
        return user_id

    def add_team(self, name: str, members: list[int]) -> int:
        team_id = self._id("team")
        self.teams[team_id] = {"id": team_id, "name": name.lower(), "description": "", "allow_auto_assign": True}
        self.team_members[team_id] = set(members)
        return team_id

    def add_inbox(self, name: str, channel_type: str, *, members: tuple[int, ...] = (), **attributes: Any) -> int:
        inbox = self._new_inbox(name, channel_type)
        inbox.update(attributes)
        self.inboxes[inbox["id"]] = inbox
        self.inbox_members[inbox["id"]] = set(members)
        return int(inbox["id"])

    def seed_workspace(self) -> None:
        """The demo workspace of the local backend, as a Chatwoot account (teams lower-cased)."""
        ids = {}
        for name, role, confirmed, token in (("alice", "administrator", True, ADMIN_TOKEN),
                                              ("bob", "agent", True, AGENT_TOKEN), ("carol", "agent", True, None),
                                              ("dave", "agent", True, None), ("grace", "agent", True, None),
                                              ("erin", "agent", True, None), ("heidi", "agent", True, None),
                                              ("frank", "agent", False, None)):
            ids[name] = self.add_user(name.capitalize(), f"{name}@acme.example", role=role, confirmed=confirmed,
                                      token=token)
        self.add_team("Tier 1", [ids["alice"], ids["bob"]])
        self.add_team("Tier 2", [ids["carol"], ids["dave"]])
        self.add_team("Sales EMEA", [ids["grace"], ids["dave"]])
        self.add_team("Billing", [])
        # Made by hand in Chatwoot, not managed by inboxctl: a Facebook page connected through
        # Chatwoot's own sign-in (named to join the Support definition), and a help-centre widget.
        self.add_inbox("Support · Acme Corp", "Channel::FacebookPage", members=(ids["alice"], ids["bob"]),
                       page_id="104729375931204")
        self.add_inbox("Help Center", "Channel::WebWidget", members=(ids["alice"],),
                       website_url="https://help.acme.example", widget_color="#1f93ff")

    def seed_conversations(self, count: int, *, inbox_id: int | None = None, status: str = "open",
                           assignee_id: int | None = None) -> list[int]:
        with self.lock:
            if inbox_id is None:
                inbox_id = self.add_inbox("Bulk", "Channel::Api", members=tuple(self.users)[:2])
            created = []
            for index in range(count):
                contact_id = self._contact(f"Visitor {index % 50}", f"visitor{index % 50}@example.net")
                display_id = self._id("conversation")
                at = self._now()
                self.conversations[display_id] = {
                    "id": display_id, "inbox_id": inbox_id, "status": status, "assignee_id": assignee_id,
                    "team_id": None, "contact_id": contact_id, "priority": None, "labels": [], "created_at": at,
                    "last_activity_at": at, "additional_attributes": {"mail_subject": f"Question {display_id}"}}
                self.messages[display_id] = [{"id": self._id("message"), "content": f"Hello, question {display_id}",
                                              "message_type": 0, "private": False, "created_at": at,
                                              "sender": {"type": "contact", "id": contact_id}}]
                created.append(display_id)
            return created

    def add_messages(self, display_id: int, count: int, *, message_type: int = 0, private: bool = False) -> list[int]:
        """``count`` more messages in a conversation (0 incoming, 1 outgoing, 2 activity), one second apart."""
        with self.lock:
            conversation = self.conversations[display_id]
            added = []
            for _ in range(count):
                message_id = self._id("message")
                contact = self.contacts[conversation["contact_id"]]
                sender = ({"type": "contact", "id": contact["id"], "name": contact["name"], "email": contact["email"]}
                          if message_type == 0 else {"type": "user", **self.agent_json(self.users[1])})
                self.messages.setdefault(display_id, []).append(
                    {"id": message_id, "content": f"Message {message_id}", "message_type": message_type,
                     "private": private, "created_at": self._now(), "sender": sender})
                added.append(message_id)
            return added

    def _contact(self, name: str, email: str) -> int:
        for contact in self.contacts.values():
            if contact["email"] == email:
                return int(contact["id"])
        contact_id = self._id("contact")
        self.contacts[contact_id] = {"id": contact_id, "name": name, "email": email, "phone_number": None,
                                     "blocked": False, "identifier": None, "additional_attributes": {},
                                     "custom_attributes": {}, "thumbnail": ""}
        return contact_id

    # -- requests ------------------------------------------------------------------------------------------
    def requests_to(self, method: str, pattern: str) -> list[Recorded]:
        regex = re.compile(pattern)
        return [r for r in self.requests if r.method == method and regex.search(r.path)]

    def handle(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: Any) -> tuple[int, Any]:
        user = self._authenticate(headers)
        route = _ROUTES.match(method, path)
        if route is None:
            raise HttpError(404, {"error": "Resource could not be found"})
        handler, params = route
        account = params.pop("account", None)
        if account is not None and int(account) != ACCOUNT_ID:
            raise HttpError(401, {"error": "You are not authorized to access this account"})
        with self.lock:
            return handler(self, user, query, body if body is not None else {}, **params)

    def _authenticate(self, headers: dict[str, str]) -> dict[str, Any]:
        token = {k.lower(): v for k, v in headers.items()}.get("api_access_token")
        if token not in self.tokens:
            raise HttpError(401, {"error": "Invalid Access Token"})
        return self.users[self.tokens[token]]

    # -- shapes ---------------------------------------------------------------------------------------------
    def agent_json(self, user: dict[str, Any]) -> dict[str, Any]:
        return {"id": user["id"], "account_id": ACCOUNT_ID, "availability_status": user["availability_status"],
                "auto_offline": True, "confirmed": user["confirmed"], "email": user["email"],
                "available_name": user["name"], "name": user["name"], "role": user["role"], "thumbnail": "",
                "custom_role_id": None}

    def inbox_json(self, inbox: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
        data = {key: value for key, value in inbox.items() if not key.startswith("_")}
        if inbox["channel_type"] == "Channel::Whatsapp" and user["role"] != "administrator":
            data.pop("provider_config", None)
        return data

    def conversation_json(self, conversation: dict[str, Any]) -> dict[str, Any]:
        assignee = self.users.get(conversation["assignee_id"]) if conversation["assignee_id"] else None
        contact = self.contacts[conversation["contact_id"]]
        team = self.teams.get(conversation["team_id"]) if conversation["team_id"] else None
        inbox = self.inboxes.get(conversation["inbox_id"], {})
        last = (self.messages.get(conversation["id"]) or [None])[-1]
        return {
            "id": conversation["id"], "account_id": ACCOUNT_ID, "uuid": f"uuid-{conversation['id']}",
            "inbox_id": conversation["inbox_id"], "status": conversation["status"],
            "priority": conversation["priority"], "labels": list(conversation["labels"]), "muted": False,
            "snoozed_until": None, "can_reply": True, "unread_count": 0,
            "created_at": conversation["created_at"], "timestamp": conversation["last_activity_at"],
            "updated_at": float(conversation["last_activity_at"]), "last_activity_at": conversation["last_activity_at"],
            "first_reply_created_at": None, "waiting_since": conversation["created_at"],
            "agent_last_seen_at": 0, "contact_last_seen_at": 0, "assignee_last_seen_at": 0,
            "additional_attributes": conversation["additional_attributes"], "custom_attributes": {},
            "last_non_activity_message": last, "messages": [last] if last else [],
            # conversations/partials/_conversation.json.jbuilder: no "assignee" or "team" key when there is none.
            "meta": {"sender": {**contact, "availability_status": "offline"},
                     **({"assignee": self.agent_json(assignee)} if assignee else {}),
                     **({"team": {**team, "account_id": ACCOUNT_ID}} if team else {}),
                     "channel": inbox.get("channel_type"), "hmac_verified": False},
        }

    def visible(self, user: dict[str, Any], conversation: dict[str, Any]) -> bool:
        return user["role"] == "administrator" or user["id"] in self.inbox_members.get(conversation["inbox_id"], set())

    def _new_inbox(self, name: str, channel_type: str) -> dict[str, Any]:
        inbox_id = self._id("inbox")
        inbox: dict[str, Any] = {
            "id": inbox_id, "avatar_url": "", "channel_id": inbox_id, "name": name, "channel_type": channel_type,
            "greeting_enabled": False, "greeting_message": None, "working_hours_enabled": False,
            "enable_email_collect": True, "csat_survey_enabled": False, "csat_config": {},
            "enable_auto_assignment": True, "auto_assignment_config": {}, "out_of_office_message": None,
            "working_hours": _default_hours(), "timezone": "UTC", "callback_webhook_url": None,
            "allow_messages_after_resolved": True, "lock_to_single_conversation": False,
            "sender_name_type": "friendly", "business_name": None}
        if channel_type == "Channel::WebWidget":
            inbox.update(website_url=None, widget_color="#1f93ff", website_token=f"tok{inbox_id}", welcome_title=None,
                         welcome_tagline=None, web_widget_script="<script>...</script>", reply_time="in_a_few_minutes",
                         hmac_mandatory=False, selected_feature_flags=["attachments", "emoji_picker"])
        elif channel_type == "Channel::Email":
            inbox.update(email=None, imap_enabled=False, smtp_enabled=False, provider=None)
        elif channel_type == "Channel::Whatsapp":
            inbox.update(phone_number=None, provider="whatsapp_cloud", provider_config={})
        elif channel_type == "Channel::Api":
            inbox.update(webhook_url=None, inbox_identifier=f"api{inbox_id}", hmac_mandatory=False)
        return inbox


def _default_hours() -> list[dict[str, Any]]:
    """Chatwoot's rows for a new inbox: Monday to Friday 09:00-17:00, the weekend closed."""
    return [{"day_of_week": day, "closed_all_day": day in (0, 6), "open_all_day": False, "open_hour": 9,
             "open_minutes": 0, "close_hour": 17, "close_minutes": 0} for day in range(7)]


# ---------------------------------------------------------------------------------------------------
# Routes


class _Router:
    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Any]] = []

    def add(self, method: str, pattern: str) -> Any:
        regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")

        def register(function: Any) -> Any:
            self.routes.append((method, regex, function))
            return function

        return register

    def match(self, method: str, path: str) -> tuple[Any, dict[str, str]] | None:
        for route_method, regex, function in self.routes:
            found = regex.match(path)
            if found and route_method == method:
                return function, dict(found.groupdict())
        return None


_ROUTES = _Router()
A = "/api/v1/accounts/{account}"


def _admin(user: dict[str, Any]) -> None:
    if user["role"] != "administrator":
        raise HttpError(401, {"error": "You are not authorized to do this action"})


def _find(table: dict[int, Any], key: str) -> Any:
    try:
        return table[int(key)]
    except (KeyError, ValueError):
        raise HttpError(404, {"error": "Resource could not be found"}) from None


def _invalid(message: str, *attributes: str) -> HttpError:
    return HttpError(422, {"message": message, "attributes": list(attributes)})


@_ROUTES.add("GET", "/api/v1/profile")
def _profile(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any) -> tuple[int, Any]:
    return 200, {**fake.agent_json(user), "access_token": "***", "accounts": [
        {"id": ACCOUNT_ID, "name": "Acme", "status": "active", "role": user["role"], "availability": "online"}]}


@_ROUTES.add("GET", A + "/agents")
def _agents(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any) -> tuple[int, Any]:
    return 200, [fake.agent_json(u) for u in fake.users.values()]


@_ROUTES.add("GET", A + "/teams")
def _teams(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any) -> tuple[int, Any]:
    return 200, [{**team, "account_id": ACCOUNT_ID, "is_member": user["id"] in fake.team_members[team["id"]]}
                 for team in fake.teams.values()]


@_ROUTES.add("GET", A + "/teams/{team}/team_members")
def _team_members(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any, team: str) -> tuple[int, Any]:
    _find(fake.teams, team)
    return 200, [fake.agent_json(fake.users[i]) for i in sorted(fake.team_members[int(team)])]


# -- inboxes -----------------------------------------------------------------------------------------

@_ROUTES.add("GET", A + "/inboxes")
def _inboxes(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any) -> tuple[int, Any]:
    visible = [inbox for inbox in fake.inboxes.values()
               if user["role"] == "administrator" or user["id"] in fake.inbox_members[inbox["id"]]]
    return 200, {"payload": [fake.inbox_json(inbox, user) for inbox in visible]}


@_ROUTES.add("GET", A + "/inboxes/{inbox}")
def _inbox(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any, inbox: str) -> tuple[int, Any]:
    return 200, fake.inbox_json(_find(fake.inboxes, inbox), user)


@_ROUTES.add("POST", A + "/inboxes")
def _create_inbox(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any) -> tuple[int, Any]:
    _admin(user)
    _check_spec(fake, "POST /inboxes", body)
    channel = dict(body.get("channel") or {})
    channel_type = CHANNEL_TYPES.get(str(channel.pop("type", "")))
    if channel_type is None:
        raise HttpError(422, {"error": "Invalid channel type"})
    inbox = fake._new_inbox(str(body.get("name") or ""), channel_type)
    _check_channel(fake, channel_type, channel)
    for key, value in channel.items():
        if key in CHANNEL_FIELDS.get(channel_type, ()):
            inbox[key] = value
    _update_top_level(inbox, body, fake)
    _check_inbox(inbox)
    fake.inboxes[inbox["id"]] = inbox
    fake.inbox_members[inbox["id"]] = set()
    return 200, fake.inbox_json(inbox, user)


def _check_spec(fake: FakeChatwoot, where: str, body: dict[str, Any]) -> None:
    """Record (never refuse: the Rails code accepts them) values of a type the official spec does not allow."""
    channel = body.get("channel") or {}
    for key, value in [*((k, body[k]) for k in SPEC_STRINGS if k in body),
                       *((f"channel.{k}", channel[k]) for k in SPEC_CHANNEL_STRINGS if k in channel)]:
        if not isinstance(value, str):
            fake.off_spec.append(f"{where}: {key} = {json.dumps(value)} (the spec says string)")


def _check_channel(fake: FakeChatwoot, channel_type: str, channel: dict[str, Any]) -> None:
    if channel_type == "Channel::WebWidget" and not channel.get("website_url"):
        raise _invalid("Website url can't be blank", "website_url")
    if channel_type == "Channel::Email":
        email = str(channel.get("email") or "").lower()
        if not email:
            raise _invalid("Email can't be blank", "email")
        if any(str(i.get("email") or "").lower() == email for i in fake.inboxes.values()):
            raise _invalid("Email has already been taken", "email")
    if channel_type == "Channel::Whatsapp":
        config = channel.get("provider_config") or {}
        if not channel.get("phone_number") or not all(config.get(k) for k in ("api_key", "phone_number_id",
                                                                              "business_account_id")):
            raise _invalid("Provider config is invalid", "provider_config")


def _check_inbox(inbox: dict[str, Any]) -> None:
    if not inbox["name"]:
        raise _invalid("Name can't be blank", "name")
    if inbox["channel_type"] in CHECKED_NAME_TYPES and not NAME_FORMAT.search(inbox["name"]):
        raise _invalid("Name should not have special characters like /, \\, @, <, > and should start and end "
                       "with a letter or number", "name")
    if inbox["timezone"] not in zoneinfo.available_timezones() | {"UTC"}:
        raise _invalid("Timezone is not included in the list", "timezone")


def _update_top_level(inbox: dict[str, Any], body: dict[str, Any], fake: FakeChatwoot) -> None:
    for key in TOP_LEVEL_FIELDS:
        if key in body:
            inbox[key] = body[key]
    if "auto_assignment_config" in body and fake.enterprise:
        limit = (body["auto_assignment_config"] or {}).get("max_assignment_limit")
        if limit not in (None, "") and (not isinstance(limit, int) or limit <= 0):
            raise _invalid("Max assignment limit must be greater than 0", "auto_assignment_config")
        inbox["auto_assignment_config"] = {"max_assignment_limit": limit} if limit not in (None, "") else {}


@_ROUTES.add("PATCH", A + "/inboxes/{inbox}")
def _update_inbox(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any, inbox: str) -> tuple[int, Any]:
    _admin(user)
    _check_spec(fake, f"PATCH /inboxes/{inbox}", body)
    record = dict(_find(fake.inboxes, inbox))
    _update_top_level(record, body, fake)
    for key, value in (body.get("channel") or {}).items():
        if key in CHANNEL_FIELDS.get(record["channel_type"], ()) and key != "type":
            record[key] = value
    if "working_hours" in body:
        record["working_hours"] = _merge_hours(record["working_hours"], body["working_hours"])
    _check_inbox(record)
    fake.inboxes[int(inbox)] = record
    return 200, fake.inbox_json(record, user)


def _merge_hours(rows: list[dict[str, Any]], updates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_day = {row["day_of_week"]: dict(row) for row in rows}
    for update in updates:
        row = by_day[int(update["day_of_week"])]
        row.update({key: update[key] for key in row if key in update})
        if row["open_all_day"] and row["closed_all_day"]:
            raise _invalid("open_all_day and closed_all_day cannot be true at the same time", "working_hours")
        if row["open_all_day"]:
            row.update(open_hour=0, open_minutes=0, close_hour=23, close_minutes=59)
        if not row["closed_all_day"] and (row["close_hour"], row["close_minutes"]) <= (row["open_hour"],
                                                                                      row["open_minutes"]):
            raise _invalid("Closing time should be after opening time", "working_hours")
    return [by_day[day] for day in range(7)]


@_ROUTES.add("DELETE", A + "/inboxes/{inbox}")
def _delete_inbox(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any, inbox: str) -> tuple[int, Any]:
    _admin(user)
    _find(fake.inboxes, inbox)
    fake.inboxes.pop(int(inbox))
    fake.inbox_members.pop(int(inbox), None)
    for number in [n for n, c in fake.conversations.items() if c["inbox_id"] == int(inbox)]:
        fake.conversations.pop(number)
    return 200, {"message": "Your inbox deletion request will be processed in some time."}


@_ROUTES.add("GET", A + "/inbox_members/{inbox}")
def _members(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any, inbox: str) -> tuple[int, Any]:
    _find(fake.inboxes, inbox)
    return 200, {"payload": [fake.agent_json(fake.users[i]) for i in sorted(fake.inbox_members[int(inbox)])]}


def _member_ids(fake: FakeChatwoot, body: dict[str, Any]) -> tuple[int, list[int]]:
    ids = body.get("user_ids")
    if not ids:
        raise HttpError(422, {"error": "param is missing or the value is empty: user_ids"})
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise HttpError(422, {"error": "user_ids must be integers"})
    inbox = _find(fake.inboxes, str(body.get("inbox_id")))
    return int(inbox["id"]), [i for i in ids if i in fake.users]


@_ROUTES.add("PATCH", A + "/inbox_members")
def _set_members(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any) -> tuple[int, Any]:
    _admin(user)
    inbox_id, ids = _member_ids(fake, body)
    fake.inbox_members[inbox_id] = set(ids)
    return 200, {"payload": [fake.agent_json(fake.users[i]) for i in sorted(ids)]}


@_ROUTES.add("POST", A + "/inbox_members")
def _add_members(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any) -> tuple[int, Any]:
    _admin(user)
    inbox_id, ids = _member_ids(fake, body)
    fake.inbox_members[inbox_id] |= set(ids)
    return 200, {"payload": [fake.agent_json(fake.users[i]) for i in sorted(fake.inbox_members[inbox_id])]}


@_ROUTES.add("DELETE", A + "/inbox_members")
def _remove_members(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any) -> tuple[int, Any]:
    _admin(user)
    inbox_id, ids = _member_ids(fake, body)
    fake.inbox_members[inbox_id] -= set(ids)
    return 200, None


# -- automation rules ------------------------------------------------------------------------------------

@_ROUTES.add("GET", A + "/automation_rules")
def _rules(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any) -> tuple[int, Any]:
    _admin(user)
    return 200, {"payload": list(fake.rules.values())}


def _checked_rule(body: dict[str, Any], rule: dict[str, Any]) -> dict[str, Any]:
    for key in ("name", "description", "event_name", "active", "conditions", "actions"):
        if key in body:
            rule[key] = body[key]
    if not rule.get("name") or not rule.get("event_name"):
        raise _invalid("Name can't be blank", "name")
    conditions = rule.get("conditions") or []
    for index, condition in enumerate(conditions):
        if condition.get("attribute_key") not in CONDITION_KEYS:
            raise _invalid(f"Automation conditions {condition.get('attribute_key')} not supported.", "conditions")
        if index < len(conditions) - 1 and condition.get("query_operator") not in ("AND", "OR", "and", "or"):
            raise _invalid("Query operator must be present", "conditions")
    for action in rule.get("actions") or []:
        if action.get("action_name") not in ACTION_NAMES:
            raise _invalid(f"Automation actions {action.get('action_name')} not supported.", "actions")
    return rule


@_ROUTES.add("POST", A + "/automation_rules")
def _create_rule(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any) -> tuple[int, Any]:
    _admin(user)
    rule_id = fake._id("rule")
    rule = _checked_rule(body, {"id": rule_id, "account_id": ACCOUNT_ID, "active": True, "description": None,
                                "created_on": fake._now(), "files": []})
    fake.rules[rule_id] = rule
    return 200, rule  # create answers the rule itself, unwrapped


@_ROUTES.add("GET", A + "/automation_rules/{rule}")
def _rule(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any, rule: str) -> tuple[int, Any]:
    _admin(user)
    return 200, {"payload": _find(fake.rules, rule)}


@_ROUTES.add("PATCH", A + "/automation_rules/{rule}")
def _update_rule(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any, rule: str) -> tuple[int, Any]:
    _admin(user)
    updated = _checked_rule(body, dict(_find(fake.rules, rule)))
    fake.rules[int(rule)] = updated
    return 200, {"payload": updated}


@_ROUTES.add("DELETE", A + "/automation_rules/{rule}")
def _delete_rule(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any, rule: str) -> tuple[int, Any]:
    _admin(user)
    _find(fake.rules, rule)
    fake.rules.pop(int(rule))
    return 200, None


# -- conversations --------------------------------------------------------------------------------------

def _counts(fake: FakeChatwoot, user: dict[str, Any], found: list[dict[str, Any]]) -> dict[str, int]:
    return {"mine_count": sum(1 for c in found if c["assignee_id"] == user["id"]),
            "assigned_count": sum(1 for c in found if c["assignee_id"]),
            "unassigned_count": sum(1 for c in found if not c["assignee_id"]), "all_count": len(found)}


def _page(query: dict[str, list[str]], items: list[Any]) -> list[Any]:
    page = int((query.get("page") or ["1"])[0])
    return items[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]


@_ROUTES.add("GET", A + "/conversations")
def _conversations(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any) -> tuple[int, Any]:
    one = {key: values[0] for key, values in query.items()}
    found = [c for c in fake.conversations.values() if fake.visible(user, c)]
    if "q" in one:  # status is ignored when searching
        found = [c for c in found if _searched(fake.messages.get(c["id"], []), one["q"])]
    elif one.get("status", "open") != "all":
        found = [c for c in found if c["status"] == one.get("status", "open")]
    for key in ("inbox_id", "team_id"):
        if key in one:
            found = [c for c in found if str(c[key]) == one[key]]
    if "labels[]" in query:
        found = [c for c in found if set(c["labels"]) & set(query["labels[]"])]
    counts = _counts(fake, user, found)
    kind = one.get("assignee_type", "all")
    if kind == "me":
        found = [c for c in found if c["assignee_id"] == user["id"]]
    elif kind == "unassigned":
        found = [c for c in found if not c["assignee_id"]]
    elif kind == "assigned":
        found = [c for c in found if c["assignee_id"]]
    order = one.get("sort_by", "last_activity_at_desc")
    found.sort(key=lambda c: (c["created_at"] if order.startswith("created_at") else c["last_activity_at"], c["id"]),
               reverse=order.endswith("desc"))
    return 200, {"data": {"meta": counts, "payload": [fake.conversation_json(c) for c in _page(query, found)]}}


def _searched(messages: list[dict[str, Any]], q: str) -> bool:
    """ConversationFinder#filter_by_query: ``messages.content ILIKE '%q%'`` on incoming and outgoing messages
    (private notes are outgoing too; activity messages are not), never the subject or the contact. ``q``
    goes into the pattern as given: ``%`` and ``_`` are wildcards there, ``\\`` escapes them."""
    pattern = re.compile(_ilike_regex(f"%{q}%"), re.IGNORECASE | re.DOTALL)
    return any(m["message_type"] in (0, 1) and pattern.fullmatch(str(m["content"] or "")) for m in messages)


def _ilike_regex(pattern: str) -> str:
    parts, escaped = [], False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            parts.append({"%": ".*", "_": "."}.get(char, re.escape(char)))
    return "".join(parts)


@_ROUTES.add("POST", A + "/conversations/filter")
def _filter(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any) -> tuple[int, Any]:
    found = [c for c in fake.conversations.values() if fake.visible(user, c)]
    for condition in body.get("payload") or []:
        key, operator = condition.get("attribute_key"), condition.get("filter_operator")
        if key not in ("display_id", "status", "inbox_id", "assignee_id", "team_id", "priority"):
            raise HttpError(422, {"error": f"Invalid attribute key - {key}"})
        if operator not in ("equal_to", "not_equal_to"):
            raise HttpError(422, {"error": f"Invalid operator - {operator}"})
        values = {str(v) for v in condition.get("values") or []}
        column = "id" if key == "display_id" else key
        found = [c for c in found if (str(c[column]) in values) == (operator == "equal_to")]
    found.sort(key=lambda c: c["last_activity_at"], reverse=True)
    counts = _counts(fake, user, found)
    counts.pop("assigned_count")
    return 200, {"meta": counts, "payload": [fake.conversation_json(c) for c in _page(query, found)]}


def _conversation_of(fake: FakeChatwoot, user: dict[str, Any], key: str) -> dict[str, Any]:
    conversation = _find(fake.conversations, key)
    if not fake.visible(user, conversation):
        raise HttpError(401, {"error": "You are not authorized to do this action"})
    return conversation


@_ROUTES.add("GET", A + "/conversations/{number}")
def _conversation(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any, number: str) -> tuple[int, Any]:
    return 200, fake.conversation_json(_conversation_of(fake, user, number))


@_ROUTES.add("POST", A + "/conversations/{number}/toggle_status")
def _toggle(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any, number: str) -> tuple[int, Any]:
    conversation = _conversation_of(fake, user, number)
    status = body.get("status") or ("resolved" if conversation["status"] == "open" else "open")
    if status not in ("open", "resolved", "pending", "snoozed"):
        raise HttpError(422, {"error": f"'{status}' is not a valid status"})
    _write(fake, conversation, status=status)
    if status == "open" and user["role"] == "agent":
        # conversations_controller.rb: should_assign_conversation? then assign_conversation, whoever had it
        # (a second save of the same request: ``writes`` counts the request once).
        conversation["assignee_id"] = user["id"]
    return 200, {"meta": {}, "payload": {"success": True, "conversation_id": conversation["id"],
                                         "current_status": status, "snoozed_until": None}}


@_ROUTES.add("POST", A + "/conversations/{number}/assignments")
def _assign(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any, number: str) -> tuple[int, Any]:
    conversation = _conversation_of(fake, user, number)
    if "assignee_id" in body:
        assignee = fake.users.get(body["assignee_id"]) if body["assignee_id"] is not None else None
        _write(fake, conversation, assignee_id=assignee["id"] if assignee else None)
        return 200, fake.agent_json(assignee) if assignee else None
    if "team_id" not in body:
        return 200, None
    team = fake.teams.get(body["team_id"])  # an unknown id takes the team away, like find_by
    _write(fake, conversation, team_id=team["id"] if team else None)
    return 200, team


def _write(fake: FakeChatwoot, conversation: dict[str, Any], **changes: Any) -> None:
    """One save of a conversation, with the model's callbacks that change its assignee."""
    reopened = changes.get("status") == "open" and conversation["status"] != "open"
    team_changed = "team_id" in changes and changes["team_id"] != conversation["team_id"]
    conversation.update(changes)
    if team_changed:
        _keep_assignee_in_team(fake, conversation)
    conversation["last_activity_at"] = fake._now()
    fake.writes[conversation["id"]] += 1
    if reopened:
        _auto_assign(fake, conversation)


def _keep_assignee_in_team(fake: FakeChatwoot, conversation: dict[str, Any]) -> None:
    """app/models/concerns/assignment_handler.rb, ensure_assignee_is_from_team (before_save, on a team
    change): an assignee who is not a member of the new team is taken off; with none, an online member of
    the team (and of the inbox) is picked if the team allows auto-assignment."""
    team = fake.teams.get(conversation["team_id"])
    if team is None:
        return
    members = fake.team_members.get(team["id"], set())
    if conversation["assignee_id"] not in members:
        conversation["assignee_id"] = None
        if team.get("allow_auto_assign"):
            conversation["assignee_id"] = _online_pick(fake, conversation, members)


def _auto_assign(fake: FakeChatwoot, conversation: dict[str, Any]) -> None:
    """app/models/concerns/auto_assignment_handler.rb (after_save, whatever the endpoint): a conversation
    that becomes open with no assignee, or one who is not a member of its inbox, goes to an online member
    of the inbox (of its team, if it has one and the team allows auto-assignment)."""
    inbox = fake.inboxes.get(conversation["inbox_id"]) or {}
    if not inbox.get("enable_auto_assignment") or conversation["assignee_id"] in fake.inbox_members.get(
            conversation["inbox_id"], set()):
        return
    team = fake.teams.get(conversation["team_id"])
    allowed = None if team is None else (fake.team_members.get(team["id"], set())
                                         if team.get("allow_auto_assign") else set())
    picked = _online_pick(fake, conversation, allowed)
    if picked is not None:
        conversation["assignee_id"] = picked


def _online_pick(fake: FakeChatwoot, conversation: dict[str, Any], allowed: set[int] | None) -> int | None:
    """AutoAssignment::AgentAssignmentService: an online member of the inbox (within ``allowed``) below the
    inbox's limit, the least busy; here the lowest id among those, where Chatwoot picks at random or the one
    assigned least recently."""
    inbox = fake.inboxes.get(conversation["inbox_id"]) or {}
    members = fake.inbox_members.get(conversation["inbox_id"], set()) & fake.online
    members = members if allowed is None else members & allowed
    limit = (inbox.get("auto_assignment_config") or {}).get("max_assignment_limit")
    busy = Counter(c["assignee_id"] for c in fake.conversations.values() if c["status"] == "open")
    candidates = sorted((busy[i], i) for i in members if not limit or busy[i] < limit)
    return candidates[0][1] if candidates else None


@_ROUTES.add("POST", A + "/bulk_actions")
def _bulk(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any) -> tuple[int, Any]:
    if body.get("type") != "Conversation":
        raise HttpError(422, {"error": "Invalid type"})
    ids = [int(i) for i in body.get("ids") or []]
    fields = {k: v for k, v in (body.get("fields") or {}).items() if k in ("status", "assignee_id", "team_id")}

    def job() -> None:
        with fake.lock:
            for number in ids:
                conversation = fake.conversations.get(number)
                # Like Chatwoot's BulkActionsJob: what the user cannot see, or fails, is skipped silently.
                if conversation is not None and fake.visible(user, conversation) and not conversation.get("_locked"):
                    _write(fake, conversation, **fields)

    _later(fake, job)
    return 200, None


def _later(fake: FakeChatwoot, job: Any) -> None:
    timer = threading.Timer(fake.bulk_delay, job)
    timer.daemon = True
    fake._timers = [t for t in fake._timers if t.is_alive()] + [timer]
    timer.start()


@_ROUTES.add("DELETE", A + "/conversations/{number}")
def _delete_conversation(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any,
                         number: str) -> tuple[int, Any]:
    _admin(user)
    conversation = _conversation_of(fake, user, number)
    fake.writes[conversation["id"]] += 1
    _later(fake, lambda: fake.conversations.pop(conversation["id"], None))
    return 200, None


@_ROUTES.add("GET", A + "/conversations/{number}/messages")
def _messages(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any, number: str) -> tuple[int, Any]:
    conversation = _conversation_of(fake, user, number)
    one = {key: values[0] for key, values in query.items()}
    return 200, {"meta": {"contact": fake.contacts[conversation["contact_id"]]},
                 "payload": _message_page(fake.messages.get(conversation["id"], []), one)}


def _message_page(messages: list[dict[str, Any]], one: dict[str, str]) -> list[dict[str, Any]]:
    """app/finders/message_finder.rb: the latest 20, oldest first; ``before=<id>`` the 20 before that
    id; ``after=<id>`` up to 100 after it; both: up to 1000 from ``after`` (inclusive) to ``before``."""
    ordered = sorted(messages, key=lambda m: (m["created_at"], m["id"]))
    after, before = int(one.get("after") or 0), int(one.get("before") or 0)
    if after and before:
        return [m for m in ordered if after <= m["id"] < before][:1000]
    if before:
        return [m for m in ordered if m["id"] < before][-20:]
    if after:
        return [m for m in ordered if m["id"] > after][:100]
    return ordered[-20:]


@_ROUTES.add("POST", A + "/conversations/{number}/messages")
def _note(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any, number: str) -> tuple[int, Any]:
    conversation = _conversation_of(fake, user, number)
    if not body.get("content"):
        raise HttpError(422, {"error": "content is missing"})
    message = {"id": fake._id("message"), "content": body["content"],
               "message_type": 1 if body.get("message_type", "outgoing") == "outgoing" else 0,
               "private": bool(body.get("private")), "created_at": fake._now(),
               "sender": {"type": "user", "id": user["id"], "name": user["name"], "email": user["email"]}}
    fake.messages.setdefault(conversation["id"], []).append(message)
    fake.writes[conversation["id"]] += 1
    return 200, message


@_ROUTES.add("PUT", A + "/contacts/{contact}")
def _update_contact(fake: FakeChatwoot, user: dict[str, Any], query: Any, body: Any, contact: str) -> tuple[int, Any]:
    record = _find(fake.contacts, contact)
    for key in ("name", "email", "blocked", "phone_number"):
        if key in body:
            record[key] = body[key]
    return 200, {"payload": record}


# ---------------------------------------------------------------------------------------------------
# HTTP


class _Handler(JsonHandler):
    def _handle(self) -> None:
        fake: FakeChatwoot = self.server.fake  # type: ignore[attr-defined]
        raw = self.read_body()
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        body = json.loads(raw) if raw else None
        fault, after = fake.faults.draw(self.command)
        with fake.lock:
            fake.requests.append(Recorded(self.command, parts.path, query, body, fault))
        if fault == "429":
            return self.send(429, "Retry later\n")  # rack-attack: plain text, no Retry-After
        if fault == "503":
            return self.send(503, "<html><head><title>503 Service Unavailable</title></head></html>",
                             content_type="text/html")
        if fault == "reset" and not after:
            return self.reset()
        try:
            status, answer = fake.handle(self.command, parts.path, query, dict(self.headers.items()), body)
        except HttpError as error:
            status, answer = error.status, error.body
        if fault == "reset":  # applied, then the answer is lost
            return self.reset()
        self.send(status, answer)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle
