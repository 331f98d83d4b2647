"""When to try a request again, and how long to wait first.

Retrying is only safe when repeating the request cannot do something twice. That is the case for
methods that are idempotent by definition, for any request the server refused before acting (a
429, or a connection that never opened), and for a POST/PATCH the caller marks idempotent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import requests

# RFC 9110 idempotent methods; POST and PATCH only when the caller says so.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
# 502/503/504 come from an overloaded server or a gateway in front of it; they usually pass.
RETRYABLE_SERVER_STATUSES = frozenset({502, 503, 504})
TOO_MANY_REQUESTS = 429


@dataclass(frozen=True)
class RateLimitDecision:
    """What to do about one 429 answer: wait and retry, or give up now.

    ``retry_after`` is the wait in seconds (``None``: the client's own backoff). When ``give_up`` is
    set, the client raises :class:`inboxctl.errors.RateLimitedError` with ``message`` and
    ``resets_at`` (when the quota comes back, in words or ISO 8601) without trying again.
    """

    retry_after: float | None = None
    give_up: bool = False
    message: str | None = None
    resets_at: str | None = None

    @classmethod
    def retry(cls, after: float | None = None) -> RateLimitDecision:
        return cls(retry_after=after)

    @classmethod
    def stop(cls, message: str, *, resets_at: str | None = None) -> RateLimitDecision:
        return cls(give_up=True, message=message, resets_at=resets_at)


# A backend's rule for its 429s. Returning None means "no opinion": the default rule applies.
RateLimitRule = Callable[[requests.Response], RateLimitDecision | None]


def is_safe_to_repeat(method: str, idempotent: bool | None) -> bool:
    """Whether sending ``method`` twice has the same effect as sending it once."""
    return idempotent if idempotent is not None else method.upper() in IDEMPOTENT_METHODS


def full_jitter_backoff(attempt: int, *, base: float, cap: float, random: Callable[[], float]) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based).

    "Full jitter" (a uniform draw between 0 and the exponential ceiling) spreads retries of many
    concurrent workers apart, so they do not hit a recovering server in lock step.
    """
    ceiling: float = min(cap, base * 2.0 ** (attempt - 1))
    return random() * ceiling


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or HTTP date); None if unusable.

    ``now`` is the current Unix time, used for the date form. A date in the past means "now".
    """
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        return _seconds_until_http_date(value, now)
    return max(0.0, seconds) if seconds == seconds else None  # NaN is not a delay


def _seconds_until_http_date(value: str, now: float) -> float | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP dates are always GMT
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - now)


def timestamp_in(seconds: float, *, now: float) -> str:
    """ISO 8601 UTC time ``seconds`` from ``now`` (Unix time), for ``RateLimitedError.resets_at``."""
    return datetime.fromtimestamp(now + seconds, timezone.utc).isoformat(timespec="seconds")


def hubspot_rate_limit_rule(response: requests.Response) -> RateLimitDecision | None:
    """HubSpot: a used-up DAILY quota cannot recover soon, so give up instead of retrying.

    The daily quota resets at midnight in the account's time zone, which the API does not tell us.
    The ten-secondly policy (and anything unrecognised) is left to the default rule: back off, retry.
    """
    if _hubspot_policy(response) != "DAILY" and response.headers.get("X-HubSpot-RateLimit-Daily-Remaining") != "0":
        return None
    daily_limit = response.headers.get("X-HubSpot-RateLimit-Daily")
    quota = f" ({daily_limit} requests per day)" if daily_limit else ""
    return RateLimitDecision.stop(
        f"HubSpot's daily API quota for this account is used up{quota}",
        resets_at="at midnight (account time zone)",
    )


def _hubspot_policy(response: requests.Response) -> str | None:
    try:
        body = json.loads(response.content or b"null")
    except (ValueError, RecursionError):
        return None
    policy = body.get("policyName") if isinstance(body, dict) else None
    return policy if isinstance(policy, str) else None
