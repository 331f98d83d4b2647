"""The one HTTP client every HTTP backend (Chatwoot, HubSpot) uses.

Everything about talking to a server over HTTP lives here, so backends only say *what* to call:

* one ``requests.Session`` per client, ``User-Agent: inboxctl/<version>``, a (connect, read) timeout
  on every call, redirects never followed (they could carry the token elsewhere);
* every attempt bounded as a whole (``deadline``, 45 s: a watchdog cuts the connection of an answer
  that trickles in), all attempts of a request together too (``retry_budget``, 60 s, waits included),
  and the answer streamed and refused past ``max_body_bytes`` (16 MiB) (:mod:`inboxctl.http.transport`);
* answers checked for the shape a backend relies on, with an error naming the endpoint
  (:mod:`inboxctl.http.shapes`: ``listed_under(body, "payload", shape=INBOX, ...)``);
* retries with exponential backoff and full jitter on 429, 502, 503, 504 and connection failures,
  but only when repeating is safe: GET/HEAD/PUT/DELETE/OPTIONS, or a POST/PATCH marked
  ``idempotent=True``; a 429 and a connection that never opened are always safe. A POST that timed
  out, lost its connection or got a 502/503/504 raises :class:`OutcomeUnknownError` instead;
* ``Retry-After`` honoured (seconds or HTTP date); a wait longer than ``max_retry_wait`` gives up at
  once with the time to come back, rather than looking like a hang;
* a thread-safe token bucket (``rate`` requests per second; None = unlimited) shared by every
  ``--concurrency`` worker, or a :class:`ServerPacedBucket` whose rate follows the limit the server
  announces in its headers (HubSpot's ``X-HubSpot-RateLimit-*``): the client shows it every answer;
* per server, statuses that refuse a request before acting (``refused_statuses``: HubSpot's 423 and
  477, retried for any method after their least wait) and more gateway failures to retry when safe
  (``server_failure_statuses``: HubSpot's 521-524 besides 502/503/504);
* a pluggable 429 rule, ``classify_rate_limit(response) -> RateLimitDecision | None``: retry after N
  seconds, or give up with :class:`inboxctl.errors.RateLimitedError` (``resets_at``).
  :func:`hubspot_rate_limit_rule` never retries HubSpot's DAILY quota;
* server errors as typed errors carrying the server's words: 401 AuthenticationError, 404
  NotFoundError, 429 RateLimitedError, anything else BackendError (``status`` and ``reason`` set);
* ``logging.getLogger("inboxctl.http")`` at DEBUG: method, URL, status, time, with credentials
  masked (also in urllib3's own request log); credentials never appear in messages or reprs;
* a token is never sent over plain http, except to this machine (localhost, 127.0.0.0/8, ::1);
* ``sleep``, ``monotonic``, ``wallclock`` and ``random`` are injectable, so tests never sleep.

Usage::

    client = HttpClient("https://chat.example.com", auth_headers={"api_access_token": token},
                        rate=20.0, timeout=(5, 30), max_attempts=5, server_name="Chatwoot")
    client.get("/api/v1/accounts/1/inboxes")                # decoded JSON, None for an empty body
    client.post(path, json={...})                           # not retried unless idempotent=True
    client.patch(path, json={...}, idempotent=True)         # e.g. "replace the member list"
    client.put(path, json=...); client.delete(path)
    client.request("GET", path, params=...)                 # the requests.Response itself
    client.stats                                            # HttpStats snapshot: requests, retries...

    for conversation in iterate_pages(client, f"/api/v1/accounts/{a}/conversations", {"status": "open"},
                                      items=dig("data", "payload"), total=dig("data", "meta", "all_count")):
        ...
    for thread in iterate_cursor(client, "/conversations/v3/conversations/threads", {"limit": 100}):
        ...

The core never imports click and never prints: it returns values and raises typed errors.
"""

from __future__ import annotations

from inboxctl.http.client import USER_AGENT, HttpClient, HttpStats, Timeout, is_loopback
from inboxctl.errors import RequestCancelled
from inboxctl.http.failures import OutcomeUnknownError, reason_from_body, reason_from_response
from inboxctl.http.pagination import dig, iterate_cursor, iterate_pages
from inboxctl.http.ratelimit import AnnouncedLimit, ServerPacedBucket, TokenBucket, announced_limit
from inboxctl.http.redaction import Redactor, is_sensitive, redact_pairs
from inboxctl.http.retry import (
    RateLimitDecision,
    RateLimitRule,
    full_jitter_backoff,
    hubspot_rate_limit_rule,
    parse_retry_after,
)

__all__ = [
    "USER_AGENT",
    "AnnouncedLimit",
    "HttpClient",
    "HttpStats",
    "OutcomeUnknownError",
    "RateLimitDecision",
    "RateLimitRule",
    "RequestCancelled",
    "ServerPacedBucket",
    "Redactor",
    "Timeout",
    "TokenBucket",
    "announced_limit",
    "dig",
    "full_jitter_backoff",
    "hubspot_rate_limit_rule",
    "is_loopback",
    "is_sensitive",
    "iterate_cursor",
    "iterate_pages",
    "parse_retry_after",
    "reason_from_body",
    "reason_from_response",
    "redact_pairs",
]
