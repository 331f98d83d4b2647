"""A fake HubSpot conversations API (date-versioned ``2026-09`` paths) on 127.0.0.1: real HTTP, real
sockets, in a thread.

It follows ``/work/shared/api/hubspot.md`` and HubSpot's spec files, where that matters to a client:

* bearer tokens carry scopes: an unknown token is 401 ``INVALID_AUTHENTICATION``, a missing scope is
  403 ``MISSING_SCOPES`` with ``errors[0].context.requiredGranularScopes``;
* path ids are integers (400 otherwise), ids in bodies and answers are strings; timestamps are ISO 8601
  with milliseconds and ``Z``; lists page with ``after`` cursors and ``paging`` is absent on the last page;
* threads in trash are invisible unless asked for with ``archived=true``; a status cannot change while a
  thread is archived; the PATCH body schema is open, so unknown keys pass and do nothing;
* per-app rolling rate limit (``rate_max`` per ``rate_interval_ms``) and an account-wide daily quota, with
  HubSpot's ``X-HubSpot-RateLimit-*`` headers and 429 bodies (``TEN_SECONDLY_ROLLING`` / ``DAILY``).

Faults are injected on a seeded random draw, so a run is reproducible: a share of requests is answered
429, 502, 503 or 423, or its connection is reset (for writes, either before or after the write was
applied: the client cannot tell). ``writes`` counts the writes applied to each thread.

It imports nothing from inboxctl, so the benchmark can use it too.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import json
import random
import re
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from fakes.fake_http import Faults as BaseFaults
from fakes.fake_http import FakeServer, HttpError, JsonHandler

C = "/conversations/conversations/2026-09"
OWNERS_PATH = "/crm/owners/2026-09"
USERS_PATH = "/settings/users/2026-03"
PIPELINES_PATH = "/crm/pipelines/2026-09/tickets"
ACCOUNT_PATH = "/account-info/2026-09/details"
CONTACTS_BATCH_PATHS = ("/crm/objects/2026-09/{object_type}/batch/read",
                        "/crm/objects/2026-03/{object_type}/batch/read")

ALL_SCOPES = ("conversations.read", "conversations.write", "crm.objects.owners.read", "settings.users.read",
              "settings.users.teams.read", "tickets", "crm.objects.contacts.read")
TOKEN = "pat-eu1-7f3c9a10-fake-all-scopes"
READ_ONLY_TOKEN = "pat-eu1-2b81d4e6-fake-read-only"
APP_ID = 4150921  # the private app behind TOKEN: the I- actor that authors comments
PORTAL_ID = 24681357

# HubSpot's generic channel ids (developers.hubspot.com conversations guide: 1000 chat, 1001 Messenger,
# 1002 email; 1003 forms, 1007 WhatsApp, 1008 calling as clients in the wild map them).
CHANNELS = {1000: "Chat", 1001: "Facebook Messenger", 1002: "Email", 1003: "Forms", 1007: "WhatsApp",
            1008: "Calling"}
EMAIL_CHANNEL, CHAT_CHANNEL = 1002, 1000
DEFAULT_LIMIT = 20
MAX_LIMIT = 500  # "The maximum limit is 500" (threads); the same cap is used for every list
DIRECTORY_LIMIT = 100  # owners and users page 100 by default
CONTACTS_BATCH_MAX = 100
FAULT_KINDS = ("429", "502", "503", "423", "reset")
SPAN_MS = 120 * 86_400_000  # seeded threads were created over the last 120 days

# email, first name, last name, has a paid seat, active: the local backend's demo workspace
USERS = [
    ("alice@acme.example", "Alice", "Martin", True, True),
    ("bob@acme.example", "Bob", "Durand", True, True),
    ("carol@acme.example", "Carol", "Lefevre", True, True),
    ("dave@acme.example", "Dave", "Moreau", True, True),
    ("grace@acme.example", "Grace", "Lambert", True, True),
    ("erin@acme.example", "Erin", "Petit", False, True),
    ("heidi@acme.example", "Heidi", "Bernard", False, True),
    ("frank@acme.example", "Frank", "Roux", True, False),  # deactivated: an archived owner, not a user
]
# team: (primary members, secondary members); a user has one primary team at most
TEAMS = {
    "Tier 1": (["alice", "bob"], []),
    "Tier 2": (["carol", "dave"], []),
    "Sales EMEA": (["grace"], ["dave"]),
    "Billing": ([], ["bob", "grace"]),
}
PIPELINES = {  # HubSpot's default ticket pipeline is id "0" with stages "1".."4"
    "Support Pipeline": ("0", [("1", "New", "OPEN"), ("2", "Waiting on contact", "OPEN"),
                               ("3", "Waiting on us", "OPEN"), ("4", "Closed", "CLOSED")]),
    "Billing Pipeline": ("71540233", [("150842711", "New", "OPEN"), ("150842712", "In progress", "OPEN"),
                                      ("150842713", "Resolved", "CLOSED")]),
}
# inbox: [(channel id, channel account name, e-mail address or None)]
INBOXES = {
    "Support": [(EMAIL_CHANNEL, "support@acme.example", "support@acme.example"), (CHAT_CHANNEL, "Website chat", None)],
    "Sales": [(EMAIL_CHANNEL, "sales@acme.example", "sales@acme.example")],
}
ACCOUNT_WEIGHTS = [36, 20, 15]  # Support e-mail, Support chat, Sales e-mail (as the local seed weighs them)
FIRST_NAMES = ["Jane", "Paul", "Amina", "Lucas", "Chloe", "Hugo", "Ines", "Noah", "Lea", "Omar", "Sofia", "Tom"]
LAST_NAMES = ["Doe", "Smith", "Garcia", "Nguyen", "Muller", "Rossi", "Dubois", "Silva", "Jensen", "Okafor"]
SUBJECTS = ["Cannot log in", "Refund for my order", "Invoice is wrong", "App crashes on start", "Pricing question",
            "Password reset link expired", "Shipping delay", "Request a demo", "Charged twice"]
REPLIES = ["Thanks, we are looking into it.", "Could you send a screenshot?", "This is fixed now."]
COMMENTS = ["Customer is VIP, handle with care.", "Waiting on engineering.", "Duplicate of an older thread."]
VISITORS = 60


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    fault: str | None
    status: int | None  # None when the connection was reset before an answer


@dataclass(frozen=True)
class Caller:
    token: str
    scopes: frozenset[str]
    app_id: int


class Faults(BaseFaults):
    """Faults in HubSpot's kinds (see ``fake_http.Faults``)."""

    kinds: tuple[str, ...] = FAULT_KINDS


# ---------------------------------------------------------------------------------------------------
# Errors and small parsers


def _error(status: int, message: str, category: str, **extra: Any) -> HttpError:
    return HttpError(status, {"status": "error", "message": message, "correlationId": str(uuid.uuid4()),
                              "category": category, **extra})


def _invalid(message: str, **extra: Any) -> HttpError:
    return _error(400, message, "VALIDATION_ERROR", **extra)


def _not_found(message: str) -> HttpError:
    return _error(404, message, "OBJECT_NOT_FOUND")


def _missing_fields(*names: str) -> HttpError:
    return _invalid(f"Invalid input JSON on line 1, column 1: Some required fields were not set: [{', '.join(names)}]")


def _missing_scope(scope: str) -> HttpError:
    """The body HubSpot answers when the token lacks a scope (community-reported shape)."""
    return _error(403, "This app hasn't been granted all required scopes to make this call. Read more about "
                       "required scopes here: https://developers.hubspot.com/scopes.", "MISSING_SCOPES",
                  errors=[{"message": "One or more of the following scopes are required.",
                           "context": {"requiredGranularScopes": [scope]}}],
                  links={"scopes": "https://developers.hubspot.com/scopes"})


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def _parse_iso(value: str, name: str) -> int:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(f"Unable to parse {name}: '{value}' is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp() * 1000)


def _path_int(value: str, name: str) -> int:
    """Path ids are typed integers in the spec: anything else fails parameter binding with a 400."""
    try:
        return int(value)
    except ValueError:
        raise _invalid(f"Unable to convert parameter {name} with value '{value}' to a number") from None


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _ints(query: dict[str, list[str]], name: str) -> list[int]:
    """A repeatable integer parameter (``explode: true``); comma-separated values are accepted too."""
    values = [part for value in query.get(name, []) for part in value.split(",") if part]
    return [_path_int(value, name) for value in values]


def _flag(query: dict[str, list[str]], name: str) -> bool:
    value = (_one(query, name) or "false").lower()
    if value not in ("true", "false"):
        raise _invalid(f"Unable to convert query parameter {name} with value '{value}' to a boolean")
    return value == "true"


def _limit(query: dict[str, list[str]], default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> int:
    raw = _one(query, "limit")
    if raw is None:
        return default
    limit = _path_int(raw, "limit")
    if not 1 <= limit <= maximum:
        raise _invalid(f"limit must be between 1 and {maximum}", context={"limit": [raw]})
    return limit


def _encode_cursor(*key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def _decode_cursor(query: dict[str, list[str]], sort: str) -> list[Any] | None:
    """The ``after`` cursor names its sort, so a cursor cannot be replayed under another sort."""
    raw = _one(query, "after")
    if raw is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, TypeError):
        raise _invalid(f"Invalid paging cursor: {raw}") from None
    if not isinstance(key, list) or not key or key[0] != sort:
        raise _invalid(f"Invalid paging cursor: {raw}")
    return key[1:]


# ---------------------------------------------------------------------------------------------------
# The fake


class FakeHubSpot(FakeServer):
    def __init__(self, *, faults: Faults | None = None, rate_max: int | None = None, rate_interval_ms: int = 10_000,
                 daily_limit: int = 625_000, account_type: str = "PROFESSIONAL", time_zone: str = "Europe/Paris",
                 threads: int = 300, seed: int = 0, latency: float = 0.0) -> None:
        self.faults = faults or Faults()
        self.account_type = account_type
        self.time_zone = time_zone
        # 190 / 10 s for Professional and Enterprise, 100 for Free and Starter (hubspot.md, Limits).
        self.rate_max = rate_max if rate_max is not None else (
            190 if account_type in ("PROFESSIONAL", "ENTERPRISE") else 100)
        self.rate_interval_ms = rate_interval_ms
        self.daily_limit = daily_limit
        self.daily_remaining = daily_limit  # settable at run time, to exhaust the quota mid-run
        self.latency = latency
        self.lock = threading.RLock()
        self.requests: list[Recorded] = []
        self.writes: Counter = Counter()  # thread id (int) -> state-changing writes applied to it
        self.throttled: Counter = Counter()  # policy name -> 429s answered
        self.tokens: dict[str, Caller] = {}
        self._windows: dict[str, deque[float]] = {}  # token -> admission times in the rolling window
        self._rng = random.Random(seed)
        self._clock_ms = int(time.time() * 1000)
        self._next_id: Counter = Counter()
        self._init_tables()
        self.add_token(TOKEN, ALL_SCOPES, app_id=APP_ID)
        self.add_token(READ_ONLY_TOKEN, [s for s in ALL_SCOPES if s != "conversations.write"], app_id=APP_ID + 1)
        self._seed_directory()
        self._seed_inboxes()
        self._seed_visitors()
        self._seed_threads(threads)
        self._serve(_Handler)

    def _init_tables(self) -> None:
        self.users: dict[int, dict[str, Any]] = {}  # user id -> user (frank included, inactive)
        self.owners: dict[int, dict[str, Any]] = {}
        self.teams: dict[int, dict[str, Any]] = {}
        self.inboxes: dict[int, dict[str, Any]] = {}
        self.channel_accounts: dict[int, dict[str, Any]] = {}
        self.contacts: dict[int, dict[str, Any]] = {}
        self.threads: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, list[dict[str, Any]]] = {}
        self._thread_ids: list[int] = []  # ascending: ids grow with creation, so appends keep it sorted

    # -- accessors for tests --------------------------------------------------------------------------
    def add_token(self, token: str, scopes: Any, *, app_id: int | None = None) -> None:
        with self.lock:
            self.tokens[token] = Caller(token, frozenset(scopes), app_id or APP_ID + 1 + len(self.tokens))

    def thread(self, thread_id: int) -> dict[str, Any]:
        with self.lock:
            return self.thread_json(self.threads[int(thread_id)], tickets=True)

    def inbox_id(self, name: str) -> int:
        for inbox_id, inbox in self.inboxes.items():
            if inbox["name"] == name:
                return inbox_id
        raise KeyError(f"no inbox named {name!r}")

    def owner_user_id(self, email: str) -> int:
        """The user id an owner's ``A-<userId>`` actor names (deactivated users included)."""
        for user_id, user in self.users.items():
            if user["email"] == email.lower():
                return user_id
        raise KeyError(f"no user {email!r}")

    def requests_to(self, method: str, pattern: str) -> list[Recorded]:
        regex = re.compile(pattern)
        return [r for r in self.requests if r.method == method and regex.search(r.path)]

    # -- ids and clock ----------------------------------------------------------------------------------
    def _id(self, kind: str, start: int) -> int:
        self._next_id[kind] += 1
        return start + self._next_id[kind]

    def _now(self) -> int:
        """Wall-clock milliseconds, strictly increasing, so ids and timestamps grow together."""
        self._clock_ms = max(int(time.time() * 1000), self._clock_ms + 1)
        return self._clock_ms

    # -- seeding ------------------------------------------------------------------------------------------
    def _seed_directory(self) -> None:
        created = self._clock_ms - 400 * 86_400_000
        for email, first, last, seat, active in USERS:
            user_id = self._id("user", 81_000_000)
            self.users[user_id] = {"id": user_id, "email": email, "firstName": first, "lastName": last,
                                   "seat": seat, "active": active, "superAdmin": email.startswith("alice@")}
            owner_id = self._id("owner", 512_000_000)
            self.owners[owner_id] = {"id": owner_id, "userId": user_id, "created": created}
        by_name = {user["email"].split("@")[0]: uid for uid, user in self.users.items()}
        for name, (primary, secondary) in TEAMS.items():
            team_id = self._id("team", 4_310_000)
            self.teams[team_id] = {"id": team_id, "name": name, "primary": [by_name[n] for n in primary],
                                   "secondary": [by_name[n] for n in secondary]}

    def _seed_inboxes(self) -> None:
        created = self._clock_ms - 380 * 86_400_000
        for name, accounts in INBOXES.items():
            inbox_id = self._id("inbox", 147_959_600)
            self.inboxes[inbox_id] = {"id": inbox_id, "name": name, "type": "INBOX", "archived": False,
                                      "created": created, "updated": created}
            for channel_id, account_name, address in accounts:
                account_id = self._id("account", 80_850_200)
                self.channel_accounts[account_id] = {
                    "id": account_id, "channelId": channel_id, "inboxId": inbox_id, "name": account_name,
                    "active": True, "authorized": True, "archived": False, "created": created, "address": address}

    def _seed_visitors(self) -> None:
        for index in range(VISITORS):
            first, last = self._rng.choice(FIRST_NAMES), self._rng.choice(LAST_NAMES)
            self._add_contact(first, last, f"{first.lower()}.{last.lower()}{index + 1}@example.com")

    def _add_contact(self, first: str, last: str, email: str) -> int:
        contact_id = self._id("contact", 3_401_000)
        created = self._clock_ms - 200 * 86_400_000
        self.contacts[contact_id] = {"id": contact_id, "email": email, "firstname": first, "lastname": last,
                                     "created": created}
        return contact_id

    def _seed_threads(self, count: int) -> None:
        """The demo mix: both inboxes, open and closed, some assigned (a few to frank), a few in trash."""
        rng, now = self._rng, self._clock_ms
        accounts = list(self.channel_accounts.values())
        assignable = [uid for uid, user in self.users.items() if user["active"]]
        frank = next(uid for uid, user in self.users.items() if not user["active"])
        for created in sorted(now - rng.randrange(SPAN_MS) for _ in range(count)):
            account = rng.choices(accounts, weights=ACCOUNT_WEIGHTS)[0]
            age = (now - created) / SPAN_MS
            roll = rng.random()
            assignee = None if roll < 0.3 else (frank if roll < 0.36 and age > 0.4 else rng.choice(assignable))
            thread = self._new_thread(account, rng.choice(list(self.contacts)), created,
                                      "CLOSED" if rng.random() < 0.2 + 0.6 * age else "OPEN", assignee)
            thread["spam"] = account["channelId"] == EMAIL_CHANNEL and rng.random() < 0.02
            thread["archived"] = rng.random() < 0.04
            thread["ticket"] = str(rng.randrange(10**9, 10**10)) if rng.random() < 0.2 else None
            self._seed_replies(thread, rng, now)

    def _seed_replies(self, thread: dict[str, Any], rng: random.Random, now: int) -> None:
        at = thread["created"]
        for _ in range(rng.randint(0, 2)):  # 1 to 3 messages in all
            at = min(now - 1, at + rng.randrange(60_000, 30 * 3_600_000))
            if rng.random() < 0.7:
                agent = thread["assignee"] or next(iter(self.users))
                self._message(thread, "OUTGOING", f"A-{agent}", rng.choice(REPLIES), at)
            else:
                self._comment(thread, f"A-{next(iter(self.users))}", rng.choice(COMMENTS), at, "HUBSPOT")
        if thread["status"] == "CLOSED":
            thread["closed"] = min(now, at + rng.randrange(60_000, 72 * 3_600_000))

    def add_threads(self, count: int, *, inbox: str = "Support", status: str = "OPEN",
                    assigned_to: str | int | None = None) -> list[int]:
        """Add ``count`` threads, each with one incoming message (50,000 take well under 2 s)."""
        with self.lock:
            inbox_id = self.inbox_id(inbox)
            account = min((a for a in self.channel_accounts.values() if a["inboxId"] == inbox_id),
                          key=lambda a: a["channelId"] != EMAIL_CHANNEL)
            assignee = self.owner_user_id(assigned_to) if isinstance(assigned_to, str) else assigned_to
            contacts = list(self.contacts)
            start = self._now()
            created = [self._new_thread(account, contacts[i % len(contacts)], start + i, status, assignee)["id"]
                       for i in range(count)]
            self._clock_ms = start + count
            return created

    def _new_thread(self, account: dict[str, Any], contact_id: int, created: int, status: str,
                    assignee: int | None) -> dict[str, Any]:
        thread_id = self._id("thread", 7_100_000_000)
        thread = {"id": thread_id, "inbox": account["inboxId"], "status": status, "archived": False,
                  "spam": False, "created": created, "closed": created if status == "CLOSED" else None,
                  "assignee": assignee, "contact": contact_id, "channel": account["channelId"],
                  "account": account["id"], "latest": None, "sent": None, "received": None, "ticket": None}
        self.threads[thread_id] = thread
        self._thread_ids.append(thread_id)
        self.messages[thread_id] = []
        self._message(thread, "INCOMING", f"V-{contact_id}", f"Hello, {SUBJECTS[thread_id % len(SUBJECTS)]}",
                      created)
        return thread

    # -- messages -------------------------------------------------------------------------------------------
    def _append(self, thread: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
        message["seq"] = self._id("message", 0)
        message["id"] = hashlib.md5(str(message["seq"]).encode()).hexdigest()  # 32 hex digits, like HubSpot's
        message["thread"] = thread["id"]
        self.messages[thread["id"]].append(message)
        return message

    def _message(self, thread: dict[str, Any], direction: str, sender: str, text: str, at: int) -> dict[str, Any]:
        """A MESSAGE: moves the thread's latest-message timestamps (comments and system events do not)."""
        thread["latest"] = at
        thread["received" if direction == "INCOMING" else "sent"] = at
        client = "SYSTEM" if direction == "INCOMING" else "HUBSPOT"
        return self._append(thread, {"type": "MESSAGE", "at": at, "sender": sender, "text": text,
                                     "direction": direction, "client": client})

    def _comment(self, thread: dict[str, Any], sender: str, text: str, at: int, client: str,
                 rich: str | None = None, attachments: list[Any] | None = None) -> dict[str, Any]:
        return self._append(thread, {"type": "COMMENT", "at": at, "sender": sender, "text": text,
                                     "richText": rich, "attachments": attachments or [], "client": client})

    def _event(self, thread: dict[str, Any], kind: str, caller: Caller, **extra: Any) -> None:
        """THREAD_STATUS_CHANGE / ASSIGNMENT entries, as HubSpot adds them to the message history."""
        self._append(thread, {"type": kind, "at": self._now(), "sender": f"I-{caller.app_id}",
                              "client": "INTEGRATION", "app": caller.app_id, **extra})

    # -- requests ----------------------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: Any) -> tuple[int, Any, dict[str, str]]:
        caller = self._authenticate(headers)
        with self.lock:
            policy = self._admit(caller.token)
            rate = self.rate_headers(caller.token)
            if policy is not None:
                self.throttled[policy] += 1
                return 429, _rate_limit_body(policy), rate
            try:
                status, answer = self._dispatch(caller, method, path, query, body)
            except HttpError as error:
                status, answer = error.status, error.body
            return status, answer, rate

    def _authenticate(self, headers: dict[str, str]) -> Caller:
        value = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        scheme, _, token = value.partition(" ")
        caller = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if caller is None:
            raise _error(401, "Authentication credentials not found. This API supports OAuth 2.0 authentication and "
                              "you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                         "INVALID_AUTHENTICATION")
        return caller

    def _admit(self, token: str) -> str | None:
        """Count the request against the daily quota and the app's rolling window, or name the policy hit."""
        if self.daily_remaining <= 0:
            return "DAILY"
        window = self._window(token)
        if len(window) >= self.rate_max:
            return "TEN_SECONDLY_ROLLING"
        window.append(time.monotonic())
        self.daily_remaining -= 1
        return None

    def _window(self, token: str) -> deque[float]:
        window = self._windows.setdefault(token, deque())
        horizon = time.monotonic() - self.rate_interval_ms / 1000
        while window and window[0] <= horizon:
            window.popleft()
        return window

    def rate_headers(self, token: str | None = None) -> dict[str, str]:
        with self.lock:
            used = len(self._window(token)) if token else self.rate_max
            return {"X-HubSpot-RateLimit-Max": str(self.rate_max),
                    "X-HubSpot-RateLimit-Remaining": str(max(0, self.rate_max - used)),
                    "X-HubSpot-RateLimit-Interval-Milliseconds": str(self.rate_interval_ms),
                    "X-HubSpot-RateLimit-Daily": str(self.daily_limit),
                    "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, self.daily_remaining))}

    def _dispatch(self, caller: Caller, method: str, path: str, query: dict[str, list[str]],
                  body: Any) -> tuple[int, Any]:
        handler, params, scope = _ROUTES.match(method, path)
        if scope and scope not in caller.scopes:
            raise _missing_scope(scope)
        if body is _BAD_JSON:
            raise _invalid("Invalid input JSON: the request body could not be parsed")
        return handler(self, caller, query, body, **params)

    def next_page(self, path: str, query: dict[str, list[str]], after: str) -> dict[str, Any]:
        following = {**query, "after": [after]}
        return {"next": {"after": after, "link": f"{self.url}{path}?{urlencode(following, doseq=True)}"}}

    def fault_answer(self, kind: str) -> tuple[int, Any, dict[str, str]]:
        """An injected failure, answered before the request reaches the application."""
        if kind == "429":
            with self.lock:
                self.throttled["TEN_SECONDLY_ROLLING"] += 1
            return 429, _rate_limit_body("TEN_SECONDLY_ROLLING"), {**self.rate_headers(),
                                                                   "X-HubSpot-RateLimit-Remaining": "0"}
        if kind == "423":
            return 423, _error(423, "The resource is locked by another request; retry after at least 2 seconds.",
                               "LOCKED").body, {}
        title = {"502": "502 Bad Gateway", "503": "503 Service Temporarily Unavailable"}[kind]
        return int(kind), f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>", {}

    # -- shapes ---------------------------------------------------------------------------------------------
    def thread_json(self, thread: dict[str, Any], *, tickets: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(thread["id"]), "createdAt": _iso(thread["created"]), "status": thread["status"],
            "originalChannelId": str(thread["channel"]), "originalChannelAccountId": str(thread["account"]),
            "spam": thread["spam"], "inboxId": str(thread["inbox"]),
            "associatedContactId": str(thread["contact"]), "archived": thread["archived"]}
        if thread["status"] == "CLOSED" and thread["closed"] is not None:
            data["closedAt"] = _iso(thread["closed"])  # "Only set if the thread is closed"
        for key, name in (("latest", "latestMessageTimestamp"), ("sent", "latestMessageSentTimestamp"),
                          ("received", "latestMessageReceivedTimestamp")):
            if thread[key] is not None:
                data[name] = _iso(thread[key])
        if thread["assignee"] is not None:
            data["assignedTo"] = f"A-{thread['assignee']}"
        if tickets and thread["ticket"]:  # only with association=TICKET, and only when there is one
            data["threadAssociations"] = {"associatedTicketId": thread["ticket"]}
        return data

    def message_json(self, message: dict[str, Any]) -> dict[str, Any]:
        client: dict[str, Any] = {"clientType": message["client"]}
        if message["client"] == "INTEGRATION":
            client["integrationAppId"] = message.get("app", APP_ID)
        data: dict[str, Any] = {
            "id": message["id"], "conversationsThreadId": str(message["thread"]), "createdAt": _iso(message["at"]),
            "updatedAt": _iso(message["at"]), "createdBy": message["sender"], "client": client,
            "senders": [{"actorId": message["sender"]}], "recipients": [], "archived": False,
            "type": message["type"]}
        if message["type"] == "MESSAGE":
            self._conversation_message(data, message)
        elif message["type"] == "COMMENT":
            data.update(text=message["text"], richText=message["richText"] or f"<p>{message['text']}</p>",
                        attachments=message["attachments"])
        else:
            data.update({k: message[k] for k in ("newStatus", "assignedTo", "assignedFrom") if message.get(k)})
        return data

    def _conversation_message(self, data: dict[str, Any], message: dict[str, Any]) -> None:
        thread = self.threads[message["thread"]]
        account = self.channel_accounts[thread["account"]]
        contact = self.contacts[thread["contact"]]
        visitor = {"actorId": f"V-{contact['id']}", "name": f"{contact['firstname']} {contact['lastname']}",
                   "deliveryIdentifier": _visitor_identifier(account, contact)}
        if message["direction"] == "INCOMING":
            # The visitor writes to the inbox: an e-mail names the team address (no actor), a chat nobody.
            inbox = [{"name": account["name"], "deliveryIdentifier": {"type": "HS_EMAIL_ADDRESS",
                                                                      "value": account["address"]}}]
            senders, recipients = [visitor], inbox if account["address"] else []
        else:
            agent: dict[str, Any] = {"actorId": message["sender"], "name": self._actor_name(message["sender"])}
            if account["address"]:
                agent["deliveryIdentifier"] = {"type": "HS_EMAIL_ADDRESS", "value": account["address"]}
            senders, recipients = [agent], [visitor]
        if account["address"]:
            senders = [{**one, "senderField": "FROM"} for one in senders]
            recipients = [{**one, "recipientField": "TO"} for one in recipients]
        incoming = message["direction"] == "INCOMING"
        data.update(senders=senders, recipients=recipients, text=message["text"],
                    richText=f"<div>{message['text']}</div>", attachments=[], truncationStatus="NOT_TRUNCATED",
                    status={"statusType": "RECEIVED" if incoming else "SENT"}, direction=message["direction"],
                    channelId=str(account["channelId"]), channelAccountId=str(account["id"]))
        if account["channelId"] == EMAIL_CHANNEL:
            data["subject"] = SUBJECTS[thread["id"] % len(SUBJECTS)]

    def _actor_name(self, actor_id: str) -> str:
        user = self.users.get(int(actor_id[2:])) if actor_id.startswith("A-") else None
        return f"{user['firstName']} {user['lastName']}" if user else ""

    def actor_json(self, actor_id: str) -> dict[str, Any] | None:
        kind, _, rest = actor_id.partition("-")
        if kind == "A" and rest.isdigit() and int(rest) in self.users:
            user = self.users[int(rest)]  # deactivated agents still resolve: old threads name them
            return {"type": "AGENT", "id": actor_id, "name": f"{user['firstName']} {user['lastName']}",
                    "email": user["email"], "avatar": ""}
        if kind == "V" and rest.isdigit() and int(rest) in self.contacts:
            contact = self.contacts[int(rest)]
            return {"type": "VISITOR", "id": actor_id, "name": f"{contact['firstname']} {contact['lastname']}",
                    "email": contact["email"]}
        if kind == "I" and rest.isdigit() and any(c.app_id == int(rest) for c in self.tokens.values()):
            return {"type": "INTEGRATOR", "id": actor_id, "name": "Private app", "avatar": ""}
        if actor_id == "S-hubspot":
            return {"type": "SYSTEM", "id": actor_id}
        if kind == "E" and "@" in rest:
            return {"type": "EMAIL", "id": actor_id, "email": rest}
        return None

    def inbox_json(self, inbox: dict[str, Any]) -> dict[str, Any]:
        return {"id": str(inbox["id"]), "name": inbox["name"], "type": inbox["type"], "archived": inbox["archived"],
                "createdAt": _iso(inbox["created"]), "updatedAt": _iso(inbox["updated"])}

    def channel_account_json(self, account: dict[str, Any]) -> dict[str, Any]:
        data = {"id": str(account["id"]), "channelId": str(account["channelId"]), "inboxId": str(account["inboxId"]),
                "name": account["name"], "active": account["active"], "authorized": account["authorized"],
                "archived": account["archived"], "createdAt": _iso(account["created"])}
        if account["address"]:
            data["deliveryIdentifier"] = {"type": "HS_EMAIL_ADDRESS", "value": account["address"]}
        return data

    def owner_json(self, owner: dict[str, Any]) -> dict[str, Any]:
        user = self.users[owner["userId"]]
        teams = [{"id": str(team["id"]), "name": team["name"], "primary": user["id"] in team["primary"]}
                 for team in self.teams.values() if user["id"] in team["primary"] + team["secondary"]]
        return {"id": str(owner["id"]), "email": user["email"], "type": "PERSON", "firstName": user["firstName"],
                "lastName": user["lastName"], "userId": user["id"] if user["active"] else None,
                "userIdIncludingInactive": user["id"], "createdAt": _iso(owner["created"]),
                "updatedAt": _iso(owner["created"]), "archived": not user["active"], "teams": teams}

    def user_json(self, user: dict[str, Any]) -> dict[str, Any]:
        primary = next((t["id"] for t in self.teams.values() if user["id"] in t["primary"]), None)
        data: dict[str, Any] = {
            "id": str(user["id"]), "email": user["email"], "firstName": user["firstName"],
            "lastName": user["lastName"], "roleIds": [], "superAdmin": user["superAdmin"],
            "secondaryTeamIds": [str(t["id"]) for t in self.teams.values() if user["id"] in t["secondary"]]}
        if primary is not None:
            data["primaryTeamId"] = str(primary)
        if user["seat"]:
            data["seatNames"] = ["Service Seat"]
        return data

    def contact_json(self, contact: dict[str, Any], properties: list[str]) -> dict[str, Any]:
        created = _iso(contact["created"])
        known = {"email": contact["email"], "firstname": contact["firstname"], "lastname": contact["lastname"],
                 "createdate": created, "lastmodifieddate": created, "hs_object_id": str(contact["id"])}
        # HubSpot always returns createdate, hs_object_id and lastmodifieddate; unknown names come back null.
        wanted = ["createdate", "hs_object_id", "lastmodifieddate", *properties]
        return {"id": str(contact["id"]), "properties": {name: known.get(name) for name in wanted},
                "createdAt": created, "updatedAt": created, "archived": False}


def _visitor_identifier(account: dict[str, Any], contact: dict[str, Any]) -> dict[str, str]:
    if account["address"]:
        return {"type": "HS_EMAIL_ADDRESS", "value": contact["email"]}
    return {"type": "CHANNEL_SPECIFIC_OPAQUE_ID", "value": uuid.uuid5(uuid.NAMESPACE_OID, contact["email"]).hex}


def _rate_limit_body(policy: str) -> dict[str, Any]:
    name = "ten_secondly_rolling" if policy == "TEN_SECONDLY_ROLLING" else "daily"
    return {"status": "error", "message": f"You have reached your {name} limit.", "errorType": "RATE_LIMIT",
            "correlationId": str(uuid.uuid4()), "policyName": policy}


# ---------------------------------------------------------------------------------------------------
# Routes


class _Router:
    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], str | None, Callable[..., tuple[int, Any]]]] = []

    def add(self, method: str, pattern: str, scope: str | None) -> Callable[[Any], Any]:
        regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")

        def register(function: Any) -> Any:
            self.routes.append((method, regex, scope, function))
            return function

        return register

    def match(self, method: str, path: str) -> tuple[Callable[..., tuple[int, Any]], dict[str, str], str | None]:
        known_path = False
        for route_method, regex, scope, function in self.routes:
            found = regex.match(path)
            if found and route_method == method:
                return function, {k: unquote(v) for k, v in found.groupdict().items()}, scope
            known_path = known_path or bool(found)
        if known_path:
            raise _error(405, f"Method {method} is not allowed on {path}", "VALIDATION_ERROR")
        raise _not_found(f"No route for {method} {path}")


_ROUTES = _Router()
_BAD_JSON = object()
READ, WRITE = "conversations.read", "conversations.write"


def _listing(fake: FakeHubSpot, path: str, query: dict[str, list[str]], items: list[dict[str, Any]],
             render: Callable[[dict[str, Any]], Any], *, total: bool, limit: int | None = None) -> dict[str, Any]:
    """Id-ordered paging for the small directory lists (inboxes, channels, accounts, owners, users)."""
    limit = limit if limit is not None else _limit(query)
    after = _decode_cursor(query, "id")
    ordered = sorted(items, key=lambda item: item["id"])
    if after:
        ordered = [item for item in ordered if item["id"] > int(after[0])]
    answer: dict[str, Any] = {"results": [render(item) for item in ordered[:limit]]}
    if total:
        answer["total"] = len(items)
    if len(ordered) > limit:
        answer["paging"] = fake.next_page(path, query, _encode_cursor("id", ordered[limit - 1]["id"]))
    return answer


# -- inboxes, channels, channel accounts -----------------------------------------------------------------

@_ROUTES.add("GET", C + "/inboxes", READ)
def _inboxes(fake: FakeHubSpot, caller: Caller, query: Any, body: Any) -> tuple[int, Any]:
    archived = _flag(query, "archived")
    found = [i for i in fake.inboxes.values() if i["archived"] == archived]
    return 200, _listing(fake, C + "/inboxes", query, found, fake.inbox_json, total=True)


@_ROUTES.add("GET", C + "/inboxes/{inbox}", READ)
def _inbox(fake: FakeHubSpot, caller: Caller, query: Any, body: Any, inbox: str) -> tuple[int, Any]:
    found = fake.inboxes.get(_path_int(inbox, "inboxId"))
    if found is None or found["archived"] != _flag(query, "archived"):
        raise _not_found(f"Inbox {inbox} not found")
    return 200, fake.inbox_json(found)


def _channel_json(item: dict[str, Any]) -> dict[str, str]:
    return {"id": str(item["id"]), "name": item["name"]}


@_ROUTES.add("GET", C + "/channels", READ)
def _channels(fake: FakeHubSpot, caller: Caller, query: Any, body: Any) -> tuple[int, Any]:
    items = [{"id": i, "name": name} for i, name in CHANNELS.items()]
    return 200, _listing(fake, C + "/channels", query, items, _channel_json, total=True)


@_ROUTES.add("GET", C + "/channels/{channel}", READ)
def _channel(fake: FakeHubSpot, caller: Caller, query: Any, body: Any, channel: str) -> tuple[int, Any]:
    channel_id = _path_int(channel, "channelId")
    if channel_id not in CHANNELS:
        raise _not_found(f"Channel {channel} not found")
    return 200, _channel_json({"id": channel_id, "name": CHANNELS[channel_id]})


@_ROUTES.add("GET", C + "/channel-accounts", READ)
def _channel_accounts(fake: FakeHubSpot, caller: Caller, query: Any, body: Any) -> tuple[int, Any]:
    channels, inboxes, archived = set(_ints(query, "channelId")), set(_ints(query, "inboxId")), _flag(query, "archived")
    found = [a for a in fake.channel_accounts.values() if a["archived"] == archived
             and (not channels or a["channelId"] in channels) and (not inboxes or a["inboxId"] in inboxes)]
    return 200, _listing(fake, C + "/channel-accounts", query, found, fake.channel_account_json, total=True)


@_ROUTES.add("GET", C + "/channel-accounts/{account}", READ)
def _channel_account(fake: FakeHubSpot, caller: Caller, query: Any, body: Any, account: str) -> tuple[int, Any]:
    found = fake.channel_accounts.get(_path_int(account, "channelAccountId"))
    if found is None or found["archived"] != _flag(query, "archived"):
        raise _not_found(f"Channel account {account} not found")
    return 200, fake.channel_account_json(found)


# -- threads: listing ------------------------------------------------------------------------------------

@dataclass
class _ThreadQuery:
    inboxes: set[int]
    contact: int | None
    status: str | None
    ticket: int | None
    tickets: bool
    archived: bool
    after_ms: int | None
    sort: str
    limit: int

    def keeps(self, thread: dict[str, Any]) -> bool:
        return (thread["archived"] == self.archived
                and (not self.inboxes or thread["inbox"] in self.inboxes)
                and (self.contact is None or thread["contact"] == self.contact)
                and (self.status is None or thread["status"] == self.status)
                and (self.ticket is None or thread["ticket"] == str(self.ticket))
                and (self.after_ms is None or (thread["latest"] or thread["created"]) >= self.after_ms))


def _thread_query(query: dict[str, list[str]]) -> _ThreadQuery:
    """Validate the list parameters the way HubSpot does (hubspot.md, Conversations inbox and threads)."""
    contact = _one(query, "associatedContactId")
    status = _one(query, "threadStatus")
    inboxes = set(_ints(query, "inboxId"))
    if contact is not None and inboxes:
        raise _invalid("inboxId cannot be used together with associatedContactId")
    if status is not None and status not in ("OPEN", "CLOSED"):
        raise _invalid(f"threadStatus must be OPEN or CLOSED, not '{status}'")
    if contact is not None and status is None:
        raise _invalid("threadStatus is required when filtering by associatedContactId")
    for association in query.get("association", []):
        if association != "TICKET":
            raise _invalid(f"Unknown association '{association}': valid values are [TICKET]")
    after = _one(query, "latestMessageTimestampAfter")
    ticket = _one(query, "associatedTicketId")
    return _ThreadQuery(inboxes, _path_int(contact, "associatedContactId") if contact else None, status,
                        _path_int(ticket, "associatedTicketId") if ticket else None, "association" in query,
                        _flag(query, "archived"), _parse_iso(after, "latestMessageTimestampAfter") if after else None,
                        _thread_sort(query, contact is not None, after is not None), _limit(query))


def _thread_sort(query: dict[str, list[str]], by_contact: bool, has_after: bool) -> str:
    sort = _one(query, "sort") or "id"
    if sort.lstrip("-") not in ("id", "latestMessageTimestamp"):
        raise _invalid(f"Invalid sort '{sort}': valid values are id and latestMessageTimestamp")
    if sort.startswith("-") and not by_contact:
        raise _invalid("Descending sort is only supported together with associatedContactId")
    if sort.lstrip("-") == "latestMessageTimestamp" and not has_after:
        raise _invalid("latestMessageTimestampAfter is required when sorting by latestMessageTimestamp")
    return sort


def _threads_by_id(fake: FakeHubSpot, spec: _ThreadQuery, after: list[Any] | None) -> list[dict[str, Any]]:
    """Ascending id order straight off the sorted id list: cheap even with 50,000 threads."""
    ids = fake._thread_ids
    found: list[dict[str, Any]] = []
    for thread_id in ids[bisect.bisect_right(ids, int(after[0])) if after else 0:]:
        thread = fake.threads[thread_id]
        if spec.keeps(thread):
            found.append(thread)
            if len(found) > spec.limit:
                break
    return found


def _thread_key(spec: _ThreadQuery, thread: dict[str, Any]) -> list[int]:
    if spec.sort.lstrip("-") == "id":
        return [thread["id"]]
    return [thread["latest"] or thread["created"], thread["id"]]


def _threads_sorted(fake: FakeHubSpot, spec: _ThreadQuery, after: list[Any] | None) -> list[dict[str, Any]]:
    descending = spec.sort.startswith("-")
    found = sorted((t for t in fake.threads.values() if spec.keeps(t)), key=lambda t: _thread_key(spec, t),
                   reverse=descending)
    if after:
        found = [t for t in found if (_thread_key(spec, t) < after if descending else _thread_key(spec, t) > after)]
    return found[:spec.limit + 1]


@_ROUTES.add("GET", C + "/threads", READ)
def _threads(fake: FakeHubSpot, caller: Caller, query: Any, body: Any) -> tuple[int, Any]:
    spec = _thread_query(query)
    after = _decode_cursor(query, spec.sort)
    found = (_threads_by_id if spec.sort == "id" else _threads_sorted)(fake, spec, after)
    properties = _properties(query)
    answer: dict[str, Any] = {"results": [_project(fake.thread_json(t, tickets=spec.tickets), properties)
                                          for t in found[:spec.limit]]}
    if len(found) > spec.limit:  # no "total" on threads
        last = _thread_key(spec, found[spec.limit - 1])
        answer["paging"] = fake.next_page(C + "/threads", query, _encode_cursor(spec.sort, *last))
    return 200, answer


def _properties(query: dict[str, list[str]]) -> list[str]:
    return [name for value in query.get("property", []) for name in value.split(",") if name]


def _project(data: dict[str, Any], properties: list[str]) -> dict[str, Any]:
    """``property=spam,inboxId`` narrows the answer to those fields (the id always comes back)."""
    if not properties:
        return data
    return {key: value for key, value in data.items() if key == "id" or key in properties}


# -- threads: one thread -----------------------------------------------------------------------------------

def _visible(fake: FakeHubSpot, key: str, archived: bool = False) -> dict[str, Any]:
    """A thread in trash only answers when asked for with archived=true, and vice versa."""
    thread = fake.threads.get(_path_int(key, "threadId"))
    if thread is None or thread["archived"] != archived:
        raise _not_found(f"Thread {key} not found")
    return thread


@_ROUTES.add("GET", C + "/threads/{thread}", READ)
def _thread(fake: FakeHubSpot, caller: Caller, query: Any, body: Any, thread: str) -> tuple[int, Any]:
    found = _visible(fake, thread, _flag(query, "archived"))
    return 200, _project(fake.thread_json(found, tickets="association" in query), _properties(query))


@_ROUTES.add("PATCH", C + "/threads/{thread}", WRITE)
def _update_thread(fake: FakeHubSpot, caller: Caller, query: Any, body: Any, thread: str) -> tuple[int, Any]:
    found = _visible(fake, thread, _flag(query, "archived"))
    if not isinstance(body, dict):
        raise _invalid("A request body is required: {\"status\": \"OPEN\" or \"CLOSED\"} and/or {\"archived\": false}")
    if "status" in body and body["status"] not in ("OPEN", "CLOSED"):
        raise _invalid(f"status must be OPEN or CLOSED, not {json.dumps(body['status'])}")
    if "archived" in body and body["archived"] is not False:
        raise _invalid("archived can only be set to false (restore); DELETE the thread to archive it")
    if "status" in body and found["archived"]:
        raise _invalid(f"Cannot change the status of thread {thread}: it is archived. Restore it first.",
                       subCategory="ConversationsApiError.THREAD_ARCHIVED")
    if "archived" in body:
        found["archived"] = False
    if "status" in body:
        _set_status(fake, caller, found, body["status"])
    if "archived" in body or "status" in body:  # unknown keys alone pass and change nothing
        fake.writes[found["id"]] += 1
    return 200, fake.thread_json(found)


def _set_status(fake: FakeHubSpot, caller: Caller, thread: dict[str, Any], status: str) -> None:
    if thread["status"] == status:
        return
    thread["status"] = status
    thread["closed"] = fake._now() if status == "CLOSED" else None
    fake._event(thread, "THREAD_STATUS_CHANGE", caller, newStatus=status)


@_ROUTES.add("DELETE", C + "/threads/{thread}", WRITE)
def _delete_thread(fake: FakeHubSpot, caller: Caller, query: Any, body: Any, thread: str) -> tuple[int, Any]:
    found = _visible(fake, thread)
    found["archived"] = True  # to trash; HubSpot deletes it for good 30 days later
    fake.writes[found["id"]] += 1
    return 204, None


@_ROUTES.add("PUT", C + "/threads/{thread}/assignee", WRITE)
def _assign(fake: FakeHubSpot, caller: Caller, query: Any, body: Any, thread: str) -> tuple[int, Any]:
    found = _visible(fake, thread)
    actor = body.get("actorId") if isinstance(body, dict) else None
    if not isinstance(actor, str):
        raise _missing_fields("actorId")
    kind, _, rest = actor.partition("-")
    user = fake.users.get(int(rest)) if kind == "A" and rest.isdigit() else None
    if user is None or not user["active"]:
        raise _invalid(f"Invalid actorId '{actor}': it must name an active user of the account (A-<userId>)",
                       subCategory="ConversationsApiError.INVALID_ASSIGNEE")
    _set_assignee(fake, caller, found, user["id"])
    return 200, fake.thread_json(found)


@_ROUTES.add("DELETE", C + "/threads/{thread}/assignee", WRITE)
def _unassign(fake: FakeHubSpot, caller: Caller, query: Any, body: Any, thread: str) -> tuple[int, Any]:
    _set_assignee(fake, caller, _visible(fake, thread), None)
    return 204, None


def _set_assignee(fake: FakeHubSpot, caller: Caller, thread: dict[str, Any], user_id: int | None) -> None:
    previous = thread["assignee"]
    thread["assignee"] = user_id
    fake.writes[thread["id"]] += 1  # a no-op (same assignee) still counts: the client should not send it
    if previous != user_id:
        fake._event(thread, "ASSIGNMENT", caller, assignedTo=f"A-{user_id}" if user_id else None,
                    assignedFrom=f"A-{previous}" if previous else None)


# -- messages -----------------------------------------------------------------------------------------------

@_ROUTES.add("GET", C + "/threads/{thread}/messages", READ)
def _messages(fake: FakeHubSpot, caller: Caller, query: Any, body: Any, thread: str) -> tuple[int, Any]:
    found = _visible(fake, thread, _flag(query, "archived"))
    sort = _one(query, "sort") or "-createdAt"  # newest first unless sort=createdAt
    if sort not in ("createdAt", "-createdAt"):
        raise _invalid(f"Invalid sort '{sort}': valid values are createdAt and -createdAt")
    limit, after = _limit(query), _decode_cursor(query, sort)
    descending = sort.startswith("-")
    ordered = sorted(fake.messages[found["id"]], key=lambda m: (m["at"], m["seq"]), reverse=descending)
    if after:
        ordered = [m for m in ordered if ([m["at"], m["seq"]] < after if descending else [m["at"], m["seq"]] > after)]
    answer: dict[str, Any] = {"results": [fake.message_json(m) for m in ordered[:limit]]}
    if len(ordered) > limit:
        last = ordered[limit - 1]
        answer["paging"] = fake.next_page(C + f"/threads/{thread}/messages", query,
                                          _encode_cursor(sort, last["at"], last["seq"]))
    return 200, answer


@_ROUTES.add("GET", C + "/threads/{thread}/messages/{message}", READ)
def _one_message(fake: FakeHubSpot, caller: Caller, query: Any, body: Any, thread: str,
                 message: str) -> tuple[int, Any]:
    found = next((m for m in fake.messages[_visible(fake, thread)["id"]] if m["id"] == message), None)
    if found is None:
        raise _not_found(f"Message {message} not found")
    return 200, fake.message_json(found)


@_ROUTES.add("POST", C + "/threads/{thread}/messages", WRITE)
def _post_message(fake: FakeHubSpot, caller: Caller, query: Any, body: Any, thread: str) -> tuple[int, Any]:
    found = _visible(fake, thread)
    if not isinstance(body, dict) or body.get("type") not in ("COMMENT", "MESSAGE"):
        raise _invalid("type must be COMMENT or MESSAGE")
    required = ["attachments", "text"] if body["type"] == "COMMENT" else [
        "attachments", "channelAccountId", "channelId", "recipients", "senderActorId", "text"]
    missing = [name for name in required if name not in body]
    if missing:
        raise _missing_fields(*missing)
    if not isinstance(body["text"], str) or not isinstance(body["attachments"], list):
        raise _invalid("text must be a string and attachments a list")
    if body["type"] == "COMMENT":  # no author field: the token's app is the author
        created = fake._comment(found, f"I-{caller.app_id}", body["text"], fake._now(), "INTEGRATION",
                                body.get("richText"), body["attachments"])
        created["app"] = caller.app_id
    else:
        created = _outgoing(fake, found, body)
    fake.writes[found["id"]] += 1
    return 201, fake.message_json(created)


def _outgoing(fake: FakeHubSpot, thread: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """A MESSAGE sent as an agent: nothing leaves the fake, but the thread history records it."""
    sender = str(body["senderActorId"])
    user = fake.users.get(int(sender[2:])) if sender.startswith("A-") and sender[2:].isdigit() else None
    if user is None or not user["active"]:
        raise _invalid(f"senderActorId '{sender}' must be the agent actor of an active user")
    if str(body["channelAccountId"]) != str(thread["account"]) or str(body["channelId"]) != str(thread["channel"]):
        raise _invalid("channelId and channelAccountId must be those of the thread's channel account")
    return fake._message(thread, "OUTGOING", sender, body["text"], fake._now())


# -- actors and contacts ---------------------------------------------------------------------------------------

@_ROUTES.add("GET", C + "/actors/{actor}", READ)
def _actor(fake: FakeHubSpot, caller: Caller, query: Any, body: Any, actor: str) -> tuple[int, Any]:
    found = fake.actor_json(actor)
    if found is None:
        raise _not_found(f"Actor {actor} not found")
    return 200, found


def _batch(results: list[Any], missing: list[str], message: str, started: str) -> tuple[int, Any]:
    """A batch read answers 200, or 207 with an OBJECT_NOT_FOUND error naming the ids it could not read."""
    answer: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started,
                              "completedAt": _iso(int(time.time() * 1000))}
    if not missing:
        return 200, answer
    answer.update(numErrors=1, errors=[{"status": "error", "category": "OBJECT_NOT_FOUND", "message": message,
                                        "context": {"ids": missing}}])
    return 207, answer


@_ROUTES.add("POST", C + "/actors/batch/read", READ)
def _actors(fake: FakeHubSpot, caller: Caller, query: Any, body: Any) -> tuple[int, Any]:
    started = _iso(int(time.time() * 1000))
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
        raise _missing_fields("inputs")
    found = {actor: fake.actor_json(actor) for actor in dict.fromkeys(inputs)}
    missing = [actor for actor, data in found.items() if data is None]
    return _batch([data for data in found.values() if data], missing,
                  "Could not find some actors, they may not exist. Check that the actor ids are valid.", started)


def _contacts_batch(fake: FakeHubSpot, caller: Caller, query: Any, body: Any, object_type: str) -> tuple[int, Any]:
    if object_type not in ("contacts", "0-1"):
        raise _not_found(f"Unknown object type {object_type}")
    started = _iso(int(time.time() * 1000))
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or not all(isinstance(i, dict) and "id" in i for i in inputs):
        raise _missing_fields("inputs")
    if len(inputs) > CONTACTS_BATCH_MAX:
        raise _invalid(f"Batch input limit exceeded: at most {CONTACTS_BATCH_MAX} inputs are allowed")
    properties = [str(p) for p in body.get("properties") or []]
    by_email = body.get("idProperty") == "email"
    index = {c["email"]: c for c in fake.contacts.values()} if by_email else {
        str(c["id"]): c for c in fake.contacts.values()}
    wanted = list(dict.fromkeys(str(i["id"]) for i in inputs))
    return _batch([fake.contact_json(index[key], properties) for key in wanted if key in index],
                  [key for key in wanted if key not in index],
                  "Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.",
                  started)


for _path in CONTACTS_BATCH_PATHS:
    _ROUTES.add("POST", _path, "crm.objects.contacts.read")(_contacts_batch)


# -- directory, pipelines, account ---------------------------------------------------------------------------

@_ROUTES.add("GET", OWNERS_PATH, "crm.objects.owners.read")
def _owners(fake: FakeHubSpot, caller: Caller, query: Any, body: Any) -> tuple[int, Any]:
    archived, email = _flag(query, "archived"), (_one(query, "email") or "").lower()
    found = [o for o in fake.owners.values() if (not fake.users[o["userId"]]["active"]) == archived
             and (not email or fake.users[o["userId"]]["email"] == email)]
    limit = _limit(query, DIRECTORY_LIMIT)
    return 200, _listing(fake, OWNERS_PATH, query, found, fake.owner_json, total=False, limit=limit)


@_ROUTES.add("GET", USERS_PATH + "/teams", "settings.users.teams.read")
def _teams(fake: FakeHubSpot, caller: Caller, query: Any, body: Any) -> tuple[int, Any]:
    return 200, {"results": [{"id": str(t["id"]), "name": t["name"], "userIds": [str(u) for u in t["primary"]],
                              "secondaryUserIds": [str(u) for u in t["secondary"]]} for t in fake.teams.values()]}


@_ROUTES.add("GET", USERS_PATH, "settings.users.read")
def _users(fake: FakeHubSpot, caller: Caller, query: Any, body: Any) -> tuple[int, Any]:
    active = [u for u in fake.users.values() if u["active"]]  # a deactivated user is no longer a user
    limit = _limit(query, DIRECTORY_LIMIT)
    return 200, _listing(fake, USERS_PATH, query, active, fake.user_json, total=False, limit=limit)


@_ROUTES.add("GET", USERS_PATH + "/{user}", "settings.users.read")
def _user(fake: FakeHubSpot, caller: Caller, query: Any, body: Any, user: str) -> tuple[int, Any]:
    found = fake.users.get(_path_int(user, "userId"))
    if found is None or not found["active"]:
        raise _not_found(f"User {user} not found")
    return 200, fake.user_json(found)


@_ROUTES.add("GET", PIPELINES_PATH, "tickets")
def _pipelines(fake: FakeHubSpot, caller: Caller, query: Any, body: Any) -> tuple[int, Any]:
    created = _iso(fake._clock_ms - 400 * 86_400_000)
    common = {"createdAt": created, "updatedAt": created, "archived": False}
    return 200, {"results": [
        {"id": pipeline_id, "label": label, "displayOrder": order, **common,
         "stages": [{"id": stage_id, "label": stage, "displayOrder": position,
                     "metadata": {"ticketState": state}, **common}
                    for position, (stage_id, stage, state) in enumerate(stages)]}
        for order, (label, (pipeline_id, stages)) in enumerate(PIPELINES.items())]}


@_ROUTES.add("GET", ACCOUNT_PATH, None)
def _account(fake: FakeHubSpot, caller: Caller, query: Any, body: Any) -> tuple[int, Any]:
    return 200, {"portalId": PORTAL_ID, "accountType": fake.account_type, "timeZone": fake.time_zone,
                 "companyCurrency": "EUR", "uiDomain": "app-eu1.hubspot.com", "dataHostingLocation": "eu1"}


# ---------------------------------------------------------------------------------------------------
# HTTP


class _Handler(JsonHandler):
    def _handle(self) -> None:
        fake: FakeHubSpot = self.server.fake  # type: ignore[attr-defined]
        raw = self.read_body()
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        body = _parse_body(raw)
        fault, after = fake.faults.draw(self.command)
        if fake.latency:
            time.sleep(fake.latency)
        status: int | None = None  # None: the connection is reset instead of answered
        answer: Any = None
        headers: dict[str, str] = {}
        if fault and fault != "reset":
            status, answer, headers = fake.fault_answer(fault)
        elif fault is None or after:  # a reset "after" lands once the write was applied
            status, answer, headers = self._apply(fake, parts.path, query, body)
            if fault == "reset":
                status = None
        with fake.lock:  # recorded before the answer leaves, so a client never sees it missing
            fake.requests.append(Recorded(self.command, parts.path, query, None if body is _BAD_JSON else body,
                                          fault, status))
        if status is None:
            self.reset()
        else:
            self.send(status, answer, headers=headers, content_type="text/html; charset=utf-8",
                      json_type="application/json;charset=utf-8")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def _apply(self, fake: FakeHubSpot, path: str, query: dict[str, list[str]],
               body: Any) -> tuple[int, Any, dict[str, str]]:
        try:
            return fake.handle(self.command, path, query, dict(self.headers.items()), body)
        except HttpError as error:  # 401: no app to count the request against, so no rate headers
            return error.status, error.body, {}



def _parse_body(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return _BAD_JSON
