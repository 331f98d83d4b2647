"""A client-side rate limiter: stay below the server's limit instead of bouncing off it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

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

    def _reserve(self) -> float:
        with self._lock:
            now = self._monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1.0
            return -self._tokens / self.rate if self._tokens < 0 else 0.0

    def __repr__(self) -> str:
        return f"TokenBucket(rate={self.rate:g}/s, burst={self.burst:g})"
