"""Client-side rate limiters: stay below the server's limit instead of bouncing off it.

* :class:`TokenBucket`: a fixed rate (``--rate``, a profile's ``rate``, a backend's default).
* :class:`ServerPacedBucket`: a rate that follows the limit the server announces in its response
  headers (HubSpot: ``X-HubSpot-RateLimit-Max`` requests per ``-Interval-Milliseconds``), so each
  account runs at its own plan's limit without configuration. See that class for the arithmetic.

The HTTP client calls ``acquire()`` before every attempt and ``observe(status, headers)`` after
every answer; one limiter is shared by all ``--concurrency`` workers of a client.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from inboxctl.errors import UsageError


class TokenBucket:
    """Token bucket allowing ``rate`` requests per second on average, ``burst`` at once.

    Thread-safe, because bulk actions share one client across ``--concurrency`` workers. Each
    caller *reserves* its slot under the lock (the token count may go negative) and sleeps outside
    it, so waiting workers neither spin nor block one another, and they leave in arrival order.
    """

    def __init__(self, rate: float, *, burst: float = 1.0,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if not rate > 0:
            raise UsageError(f"the request rate must be a positive number of requests per second, not {rate!r}")
        if not burst >= 1:
            raise UsageError(f"the burst size must be at least 1, not {burst!r}")
        self.rate = float(rate)
        self.burst = float(burst)
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.burst
        self._updated = monotonic()

    def acquire(self) -> float:
        """Wait until one request may go out; return how many seconds that took."""
        wait = self._reserve()
        if wait > 0:
            self._sleep(wait)
        return wait

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Learn from one answer of the server. A fixed-rate bucket has nothing to learn."""

    def _reserve(self) -> float:
        with self._lock:
            self._refill()
            self._tokens -= 1.0
            return -self._tokens / self.rate if self._tokens < 0 else 0.0

    def _refill(self) -> None:
        """Credit the tokens earned since the last update at the current rate (call under the lock)."""
        now = self._monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def _set_rate(self, rate: float) -> None:
        """Change the rate from now on; time already earned keeps the old rate (call under the lock)."""
        self._refill()
        self.rate = rate

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rate={self.rate:g}/s, burst={self.burst:g})"


# ---------------------------------------------------------------------------------------------
# Pacing from the server's own headers


@dataclass(frozen=True)
class RateLimitHeaders:
    """Which response headers announce the limit (HubSpot's names by default)."""

    max: str = "X-HubSpot-RateLimit-Max"
    interval_ms: str = "X-HubSpot-RateLimit-Interval-Milliseconds"
    remaining: str = "X-HubSpot-RateLimit-Remaining"


HUBSPOT_RATE_LIMIT_HEADERS = RateLimitHeaders()


@dataclass(frozen=True)
class AnnouncedLimit:
    """``max`` requests per ``interval`` seconds, ``remaining`` of them left in the current window."""

    max: int
    interval: float
    remaining: int | None = None

    @property
    def rate(self) -> float:
        return self.max / self.interval


def announced_limit(headers: Mapping[str, str],
                    names: RateLimitHeaders = HUBSPOT_RATE_LIMIT_HEADERS) -> AnnouncedLimit | None:
    """The limit a response announces, or None when it says nothing usable (some endpoints omit it)."""
    maximum, interval_ms = _positive_int(headers.get(names.max)), _positive_int(headers.get(names.interval_ms))
    if maximum is None or interval_ms is None:
        return None
    remaining = _positive_int(headers.get(names.remaining), allow_zero=True)
    return AnnouncedLimit(maximum, interval_ms / 1000.0, remaining)


def _positive_int(value: str | None, *, allow_zero: bool = False) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 or (allow_zero and number == 0) else None


class ServerPacedBucket(TokenBucket):
    """A token bucket whose rate follows the limit the server announces, capped by ``ceiling``.

    * **Pace**: ``share`` of the announced rate, evenly spaced (burst 1). HubSpot counts requests in
      a rolling window (190 per 10 s on Professional); evenly spaced requests at 97 % of that rate
      leave about 6 requests of headroom in every window, which absorbs the jitter of threads and
      network without a 429, while keeping 97 % of the limit. ``ceiling`` (``--rate``) only lowers it.
    * **Before the first answer**: ``start`` requests per second (the smallest plan's limit, so that
      a Free account is never overrun while the first headers are on their way).
    * **Sharing the window** (another process or app with the same token): an accepted request's
      answer says the window holds ``max - remaining`` requests; those not ours (ours: the answers of
      the last interval that were not 429s, which the server does not count) belong to someone
      else, and the pace becomes ``share * (max - theirs) / interval``, never below a tenth of the
      limit. A difference within our own headroom is noise (requests in flight, the edges of the
      window) and is ignored. A 429 changes nothing here: the client waits before retrying it, and
      the next accepted answers tell whether someone else fills the window.
    """

    def __init__(self, *, ceiling: float | None = None, start: float = 100 / 10 * 0.97, share: float = 0.97,
                 headers: RateLimitHeaders = HUBSPOT_RATE_LIMIT_HEADERS,
                 monotonic: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        if ceiling is not None and not ceiling > 0:
            raise UsageError(f"the request rate must be a positive number of requests per second, not {ceiling!r}")
        super().__init__(min(start, ceiling) if ceiling else start, monotonic=monotonic, sleep=sleep)
        self.ceiling = ceiling
        self._share = share
        self._names = headers
        self._ours: deque[float] = deque()  # when our requests that the window counts were answered
        self.announced: AnnouncedLimit | None = None

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        limit = announced_limit(headers, self._names)
        with self._lock:
            now = self._monotonic()
            if status != 429:  # the server does not count the requests it refuses
                self._ours.append(now)
            self.announced = limit or self.announced
            if self.announced is None:
                self._ours.clear()  # no window known to count them in: keep the starting pace
                return
            while self._ours and self._ours[0] <= now - self.announced.interval:
                self._ours.popleft()
            if limit is not None and status != 429:  # an answer without the headers keeps the pace
                available = max(limit.max - self._theirs(limit), limit.max * 0.1)
                self._set_rate(self._capped(self._share * available / limit.interval))

    def _theirs(self, limit: AnnouncedLimit) -> int:
        """Requests in the current window that someone else sent (0 when the answer does not say)."""
        if limit.remaining is None:
            return 0
        noise = math.ceil((1 - self._share) * limit.max)
        return max(0, limit.max - limit.remaining - len(self._ours) - noise)

    def _capped(self, rate: float) -> float:
        return min(rate, self.ceiling) if self.ceiling else rate
