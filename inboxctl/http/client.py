"""The one HTTP client every HTTP backend uses. See :mod:`inboxctl.http` for the overview."""

from __future__ import annotations

import ipaddress
import logging
import random as random_module
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import SplitResult, urlsplit

import requests

from inboxctl import __version__
from inboxctl.errors import BackendError, RateLimitedError, RequestCancelled, UsageError
from inboxctl.http.failures import (
    OutcomeUnknownError,
    TransportFailure,
    classify_transport_failure,
    describe_transport_failure,
    error_for_status,
    reason_from_response,
)
from inboxctl.http.ratelimit import TokenBucket
from inboxctl.http.redaction import Redactor, protect_urllib3_logs, without_userinfo
from inboxctl.http.transport import AnswerTooLarge, DeadlineExceeded, WatchedAdapter, Watchdog, read_answer
from inboxctl.http.retry import (
    RETRYABLE_SERVER_STATUSES,
    TOO_MANY_REQUESTS,
    RateLimitDecision,
    RateLimitRule,
    full_jitter_backoff,
    is_safe_to_repeat,
    parse_retry_after,
    timestamp_in,
)

log = logging.getLogger("inboxctl.http")

USER_AGENT = f"inboxctl/{__version__}"
Timeout = float | tuple[float, float]  # one value for both, or (connect, read)
_LOOPBACK_NAMES = frozenset({"localhost", "localhost."})
_MIB = 1024 * 1024
_ERROR_BODY_LIMIT = 64 * 1024  # an error's body is read for its reason only
_LEAST_ATTEMPT = 1.0  # seconds: a retry with less time than this left in the budget is not worth sending


class _Budget:
    """The time one logical request may take, retries and waits included, from its first attempt."""

    def __init__(self, seconds: float, monotonic: Callable[[], float]) -> None:
        self.seconds = seconds
        self._monotonic = monotonic
        self._started: float | None = None

    def start(self) -> None:
        if self._started is None:
            self._started = self._monotonic()

    def elapsed(self) -> float:
        return 0.0 if self._started is None else self._monotonic() - self._started

    def remaining(self) -> float:
        return self.seconds - self.elapsed()

    def allows(self, delay: float) -> bool:
        """Whether waiting ``delay`` still leaves a useful attempt."""
        return self.remaining() - delay >= _LEAST_ATTEMPT


@dataclass
class HttpStats:
    """What a client has done so far; ``HttpClient.stats`` hands out copies of it."""

    requests: int = 0           # attempts put on the wire, retries included
    retries: int = 0
    transport_errors: int = 0   # attempts that got no HTTP answer at all
    by_status: dict[int, int] = field(default_factory=dict)
    backoff_seconds: float = 0.0   # slept between attempts
    throttled_seconds: float = 0.0  # waited in the client-side rate limiter


@dataclass(frozen=True)
class _Call:
    """One logical request, possibly sent several times."""

    method: str
    url: str
    doing: str  # "GET /api/v1/...": for messages, credentials already masked
    params: Mapping[str, Any] | None
    json: Any
    headers: Mapping[str, str] | None
    safe_to_repeat: bool
    timeout: tuple[float, float]
    budget: _Budget


class _HeaderAuth(requests.auth.AuthBase):
    """Adds the credential headers to each request without them ever appearing in a repr."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = dict(headers)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.update(self._headers)
        return request

    def __repr__(self) -> str:
        return f"<HeaderAuth {', '.join(f'{name}: ***' for name in self._headers)}>"


class HttpClient:
    """A JSON-over-HTTP client with timeouts, safe retries, rate limiting and typed errors."""

    def __init__(
        self,
        base_url: str,
        *,
        auth_headers: Mapping[str, str] | None = None,
        rate: float | TokenBucket | None = None,
        timeout: Timeout = (5.0, 30.0),
        max_attempts: int = 5,
        deadline: float = 45.0,
        retry_budget: float = 60.0,
        max_body_bytes: int = 16 * _MIB,
        classify_rate_limit: RateLimitRule | None = None,
        server_name: str | None = None,
        headers: Mapping[str, str] | None = None,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        max_retry_wait: float = 60.0,
        max_connections: int = 10,
        refused_statuses: Mapping[int, float] | None = None,
        server_failure_statuses: Iterable[int] = RETRYABLE_SERVER_STATUSES,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        wallclock: Callable[[], float] = time.time,
        random: Callable[[], float] = random_module.random,
    ) -> None:
        self._origin = _checked_base_url(base_url, has_credentials=bool(auth_headers))
        _check_header_values(auth_headers or {})
        self.base_url = base_url.rstrip("/")
        self.server_name = server_name or self._origin.hostname or self.base_url
        self._redactor = Redactor((auth_headers or {}).values())
        self._auth_names = tuple(auth_headers or ())
        self._timeout = _checked_timeout(timeout)
        self._max_attempts = _checked_attempts(max_attempts)
        self._deadline, self._retry_budget = _checked_seconds(deadline), _checked_seconds(retry_budget)
        self._max_body_bytes = max_body_bytes
        self._classify_rate_limit = classify_rate_limit
        self._backoff = (backoff_base, backoff_cap)
        self._max_retry_wait = max_retry_wait
        self._refused = dict(refused_statuses or {})
        self._server_failures = frozenset(server_failure_statuses)
        self._sleep, self._monotonic, self._wallclock, self._random = sleep, monotonic, wallclock, random
        self._bucket = _bucket_for(rate, sleep=sleep, monotonic=monotonic)
        self._stats = HttpStats()
        self._stats_lock = threading.Lock()
        self._session = _new_session(auth_headers or {}, headers or {}, max_connections)
        self._cancelled = threading.Event()
        protect_urllib3_logs()
        log.debug("HTTP client for %s: %s", self.base_url, self._settings())

    # ----------------------------------------------------------------------------------------
    # Public calls

    def get(self, path: str, *, params: Mapping[str, Any] | None = None, **options: Any) -> Any:
        return self.request_json("GET", path, params=params, **options)

    def post(self, path: str, *, json: Any = None, idempotent: bool = False, **options: Any) -> Any:
        return self.request_json("POST", path, json=json, idempotent=idempotent, **options)

    def patch(self, path: str, *, json: Any = None, idempotent: bool = False, **options: Any) -> Any:
        return self.request_json("PATCH", path, json=json, idempotent=idempotent, **options)

    def put(self, path: str, *, json: Any = None, **options: Any) -> Any:
        return self.request_json("PUT", path, json=json, **options)

    def delete(self, path: str, *, json: Any = None, **options: Any) -> Any:
        return self.request_json("DELETE", path, json=json, **options)

    def request_json(self, method: str, path: str, **options: Any) -> Any:
        """Like :meth:`request`, returning the decoded JSON body (None when the body is empty)."""
        response = self.request(method, path, **options)
        return self._decode(response, method, path)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        timeout: Timeout | None = None,
    ) -> requests.Response:
        """Send a request, retrying when that is safe; return the 2xx response or raise a typed error.

        ``idempotent`` overrides the method's default (True for GET/HEAD/PUT/DELETE/OPTIONS). Each
        attempt has ``deadline`` seconds for the whole answer, and all of them together (waits
        included) ``retry_budget`` seconds; the body is read in full, up to ``max_body_bytes``.
        """
        call = self._call(method, path, params, json, headers, idempotent, timeout)
        attempt = 1
        while True:
            outcome = self._send_once(call, attempt)
            if isinstance(outcome, requests.Response) and outcome.status_code < 300:
                return outcome
            delay, why = self._delay_before_retry(call, outcome, attempt)  # raises when giving up
            self._pause(call, attempt, delay, why)
            attempt += 1

    def cancel(self) -> None:
        """Send nothing more: every request not yet on the wire raises :class:`RequestCancelled`.

        Called from the main thread when a bulk run is interrupted, while workers may be waiting
        in the rate limiter or between retries: none of them may send anything after this.
        """
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    @property
    def stats(self) -> HttpStats:
        """A snapshot of the counters (requests sent, retries, answers by status, time waited)."""
        with self._stats_lock:
            return replace(self._stats, by_status=dict(self._stats.by_status))

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<HttpClient {self.base_url} {self._settings()}>"

    # ----------------------------------------------------------------------------------------
    # One attempt

    def _call(self, method: str, path: str, params: Mapping[str, Any] | None, json: Any,
              headers: Mapping[str, str] | None, idempotent: bool | None, timeout: Timeout | None) -> _Call:
        method = method.upper()
        url = self._url(path)
        return _Call(method, url, f"{method} {self._redactor.text(urlsplit(url).path)}", params, json,
                     headers, is_safe_to_repeat(method, idempotent),
                     _checked_timeout(timeout) if timeout is not None else self._timeout,
                     _Budget(self._retry_budget, self._monotonic))

    def _send_once(self, call: _Call, attempt: int) -> requests.Response | requests.RequestException:
        self._throttle()
        if self._cancelled.is_set():  # checked after the wait in the rate limiter, right before sending
            raise RequestCancelled(f"{call.doing} was not sent: the run was interrupted")
        call.budget.start()
        started = self._monotonic()
        try:
            response = self._attempt(call)
        except requests.RequestException as error:
            self._count(requests=1, transport_errors=1)
            self._log_attempt(call, attempt, started, describe_transport_failure(error), error)
            return error
        self._count(requests=1, status=response.status_code)
        self._log_attempt(call, attempt, started, str(response.status_code), response)
        if self._bucket is not None:
            self._bucket.observe(response.status_code, response.headers)  # pacing from the server's headers
        return response

    def _attempt(self, call: _Call) -> requests.Response:
        """One request and its whole answer, within the attempt's deadline; raises RequestException."""
        seconds = max(min(self._deadline, call.budget.remaining()), 0.0)
        with Watchdog(seconds) as watchdog:
            try:
                response = self._session.request(call.method, call.url, params=call.params, json=call.json,
                                                 headers=call.headers, timeout=call.timeout, allow_redirects=False,
                                                 stream=True)
                read_answer(response, limit=self._max_body_bytes, error_limit=_ERROR_BODY_LIMIT)
            except requests.RequestException as error:
                if watchdog.expired:
                    raise DeadlineExceeded(seconds) from error
                raise
            except AnswerTooLarge as error:
                raise self._too_large(call, error) from None
        if watchdog.expired:  # cut while reading an answer with no length: it may be incomplete
            raise DeadlineExceeded(seconds)
        return response

    def _throttle(self) -> None:
        if self._bucket is not None:
            waited = self._bucket.acquire()
            if waited:
                self._count(throttled_seconds=waited)

    def _log_attempt(self, call: _Call, attempt: int, started: float, result: str,
                     outcome: requests.Response | requests.RequestException) -> None:
        if not log.isEnabledFor(logging.DEBUG):
            return
        url = outcome.url if isinstance(outcome, requests.Response) else _sent_url(outcome, call.url)
        if isinstance(outcome, requests.Response) and outcome.status_code >= 400:
            result += f" ({self._reason(outcome) or outcome.reason})"
        log.debug("%s %s -> %s in %.0f ms (attempt %d of %d)", call.method, self._redactor.text(url), result,
                  (self._monotonic() - started) * 1000, attempt, self._max_attempts)

    # ----------------------------------------------------------------------------------------
    # Retry or give up

    def _delay_before_retry(self, call: _Call, outcome: requests.Response | requests.RequestException,
                            attempt: int) -> tuple[float, str]:
        """Seconds to wait before the next attempt and why; raises the final error instead when done:
        after ``max_attempts``, or when the wait would leave no time in the request's budget."""
        delay, why = self._planned_retry(call, outcome, attempt, final=attempt >= self._max_attempts)
        if not call.budget.allows(delay):
            self._planned_retry(call, outcome, attempt, final=True)  # raises the final error
        return delay, why

    def _planned_retry(self, call: _Call, outcome: requests.Response | requests.RequestException, attempt: int,
                       *, final: bool) -> tuple[float, str]:
        if isinstance(outcome, requests.RequestException):
            why = describe_transport_failure(outcome)
            return self._delay_after_transport_failure(call, outcome, attempt, final), why
        if outcome.status_code == TOO_MANY_REQUESTS:
            return self._delay_after_rate_limit(call, outcome, attempt, final), "HTTP 429"
        if outcome.status_code in self._refused:
            return self._delay_after_refusal(call, outcome, attempt, final), f"HTTP {outcome.status_code}"
        if outcome.status_code in self._server_failures:
            return self._delay_after_server_failure(call, outcome, attempt, final), f"HTTP {outcome.status_code}"
        raise self._status_error(call, outcome, attempt)

    def _delay_after_rate_limit(self, call: _Call, response: requests.Response, attempt: int, final: bool) -> float:
        # A 429 is always safe to retry: the server refused the request before acting on it.
        decision = self._rate_limit_decision(response)
        if decision.give_up:
            message = decision.message or f"{self.server_name} refused {call.doing}: rate limit"
            raise self._rate_limited(response, message, decision.resets_at)
        asked = decision.retry_after
        delay = asked if asked is not None else self._backoff_delay(attempt)
        if delay > self._max_retry_wait or final:
            # Waiting longer than max_retry_wait would look like a hang; say when to come back instead.
            raise self._rate_limit_persists(call, response, asked, attempt, final)
        return delay

    def _rate_limit_persists(self, call: _Call, response: requests.Response, asked: float | None, attempt: int,
                             final: bool) -> RateLimitedError:
        message = f"{self.server_name} is rate limiting {call.doing}"
        if asked is not None and asked > self._max_retry_wait:
            message += f" and asks to wait {asked:.0f} s"
        if final and attempt > 1:
            message += f" (still after {attempt} attempts)"
        resets_at = timestamp_in(asked, now=self._wallclock()) if asked is not None else None
        return self._rate_limited(response, message, resets_at)

    def _rate_limit_decision(self, response: requests.Response) -> RateLimitDecision:
        decision = self._classify_rate_limit(response) if self._classify_rate_limit else None
        if decision is None:
            decision = RateLimitDecision.retry(parse_retry_after(response.headers.get("Retry-After"),
                                                                 now=self._wallclock()))
        return decision

    def _delay_after_refusal(self, call: _Call, response: requests.Response, attempt: int, final: bool) -> float:
        # The server refused before acting (HubSpot's 423 Locked, 477 Migration in progress), so any
        # method may be sent again, after the least wait that status asks for, or Retry-After if longer.
        asked = parse_retry_after(response.headers.get("Retry-After"), now=self._wallclock())
        delay = max(self._refused[response.status_code], asked if asked is not None else self._backoff_delay(attempt))
        if final or delay > self._max_retry_wait:
            raise self._status_error(call, response, attempt)
        return delay

    def _delay_after_server_failure(self, call: _Call, response: requests.Response, attempt: int,
                                    final: bool) -> float:
        if not call.safe_to_repeat:
            # A gateway error can arrive after the application acted (a 504 is exactly that).
            reason = self._reason(response)
            raise self._outcome_unknown(call, f"{self.server_name} answered HTTP {response.status_code}"
                                              f"{_phrase(response)}" + (f" ({reason})" if reason else ""),
                                        status=response.status_code, reason=reason)
        asked = parse_retry_after(response.headers.get("Retry-After"), now=self._wallclock())
        if final or (asked is not None and asked > self._max_retry_wait):
            raise self._status_error(call, response, attempt)
        return asked if asked is not None else self._backoff_delay(attempt)

    def _delay_after_transport_failure(self, call: _Call, error: requests.RequestException, attempt: int,
                                       final: bool) -> float:
        kind = classify_transport_failure(error)
        what = describe_transport_failure(error)
        if kind is TransportFailure.NO_ANSWER and not call.safe_to_repeat:
            raise self._outcome_unknown(call, f"no answer from {self.server_name} ({what})")
        if kind is TransportFailure.FATAL or final:
            raise self._transport_error(call, kind, what, attempt)
        return self._backoff_delay(attempt)

    def _backoff_delay(self, attempt: int) -> float:
        base, cap = self._backoff
        return full_jitter_backoff(attempt, base=base, cap=cap, random=self._random)

    def _pause(self, call: _Call, attempt: int, delay: float, why: str) -> None:
        self._count(retries=1, backoff_seconds=delay)
        log.debug("%s: %s; retrying in %.2f s (attempt %d of %d next)", call.doing, why, delay,
                  attempt + 1, self._max_attempts)
        self._sleep(delay)

    # ----------------------------------------------------------------------------------------
    # Errors

    def _status_error(self, call: _Call, response: requests.Response, attempts: int) -> BackendError:
        return error_for_status(response, doing=call.doing, server=self.server_name,
                                reason=self._reason(response), attempts=attempts)

    def _rate_limited(self, response: requests.Response, message: str, resets_at: str | None) -> RateLimitedError:
        return RateLimitedError(self._redactor.text(message), resets_at=resets_at, status=response.status_code,
                                reason=self._reason(response), hint=_rate_limit_hint(resets_at))

    def _outcome_unknown(self, call: _Call, what: str, *, status: int | None = None,
                         reason: str | None = None) -> OutcomeUnknownError:
        error = OutcomeUnknownError(
            f"{call.doing}: {what}; the outcome is unknown: the server may or may not have applied it, "
            "so inboxctl did not send it again", status=status,
            hint="check the current state on the server before running the command again")
        error.reason = reason  # already part of `what`; BackendError would append it after the sentence
        return error

    def _transport_error(self, call: _Call, kind: TransportFailure, what: str, attempts: int) -> BackendError:
        tries = f" after {attempts} attempts in {call.budget.elapsed():.0f} s" if attempts > 1 else ""
        if kind is TransportFailure.NOT_SENT or what == "unknown host name":
            return BackendError(f"could not connect to {self.server_name} for {call.doing}{tries}: {what}",
                                hint=f"check the server URL ({self.base_url}) and your network")
        return BackendError(f"{call.doing} to {self.server_name} failed{tries}: {what}",
                            hint="check the server URL and its TLS certificate" if "TLS" in what else None)

    def _too_large(self, call: _Call, error: AnswerTooLarge) -> BackendError:
        what = f"{self.server_name} answered {call.doing} with {error}; inboxctl stopped reading there"
        if not call.safe_to_repeat:
            return self._outcome_unknown(call, what)
        return BackendError(what, hint=f"check that the server URL ({self.base_url}) points at the API")

    def _reason(self, response: requests.Response) -> str | None:
        reason = reason_from_response(response)
        return self._redactor.text(reason) if reason else None

    # ----------------------------------------------------------------------------------------
    # Helpers

    def _decode(self, response: requests.Response, method: str, path: str) -> Any:
        if not response.content.strip():
            return None
        try:
            return response.json()
        except (ValueError, RecursionError):  # RecursionError: JSON nested thousands of levels deep
            kind = response.headers.get("Content-Type", "no content type")
            raise BackendError(
                f"{self.server_name} answered {method.upper()} {self._redactor.text(path)} with something "
                f"that is not JSON ({kind})", reason=self._reason(response),
                hint=f"check that the server URL ({self.base_url}) points at the API, not at a web page") from None

    def _url(self, path: str) -> str:
        if "://" in path:
            # Absolute URLs (e.g. a "next" link) must stay on our origin: the token goes with them.
            target = urlsplit(path)
            if (target.scheme, target.netloc) != (self._origin.scheme, self._origin.netloc):
                raise ValueError(f"refusing to send credentials to another origin: {self._redactor.text(path)}")
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def _count(self, *, status: int | None = None, **increments: float) -> None:
        with self._stats_lock:
            for name, amount in increments.items():
                setattr(self._stats, name, getattr(self._stats, name) + amount)
            if status is not None:
                self._stats.by_status[status] = self._stats.by_status.get(status, 0) + 1

    def _settings(self) -> str:
        rate = f"{self._bucket.rate:g}/s" if self._bucket else "unlimited"
        auth = ", ".join(f"{name}=***" for name in self._auth_names) or "none"
        return (f"rate {rate}, timeout {self._timeout[0]:g}/{self._timeout[1]:g} s, deadline {self._deadline:g} s, "
                f"up to {self._max_attempts} attempts within {self._retry_budget:g} s, auth {auth}")


# --------------------------------------------------------------------------------------------
# Construction checks


def _checked_base_url(base_url: str, *, has_credentials: bool) -> SplitResult:
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"invalid server URL {_shown(base_url)!r}: expected https://host[:port][/path]")
    if parts.username or parts.password:
        raise UsageError("do not put credentials in the server URL: give the token separately")
    if parts.query or parts.fragment:
        raise UsageError(f"the server URL must not have a query string or fragment: {_shown(base_url)!r}")
    if has_credentials and parts.scheme == "http" and not is_loopback(parts.hostname):
        raise UsageError(
            f"refusing to send the API token over plain http to {parts.hostname}: anyone on the way could read it",
            hint=f"use https://{parts.netloc}{parts.path}; plain http is only allowed for a server on this "
                 "machine (localhost, 127.0.0.1, ::1)")
    return parts


def _shown(url: str) -> str:
    return Redactor().text(without_userinfo(url))


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1: traffic that never leaves this machine."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _checked_timeout(timeout: Timeout) -> tuple[float, float]:
    pair = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    if len(pair) != 2 or not all(isinstance(part, (int, float)) and part > 0 for part in pair):
        raise UsageError(f"a timeout must be a positive number of seconds or a (connect, read) pair, not {timeout!r}")
    return float(pair[0]), float(pair[1])


def _checked_seconds(seconds: float) -> float:
    if not isinstance(seconds, (int, float)) or not seconds > 0:
        raise UsageError(f"a deadline must be a positive number of seconds, not {seconds!r}")
    return float(seconds)


def _check_header_values(headers: Mapping[str, str]) -> None:
    """Credentials that cannot go in an HTTP header fail here, in words that never quote them
    (requests' own error would print the whole header value: the token)."""
    for name, value in headers.items():
        if not value.isascii() or not value.isprintable() or value != value.strip():
            raise UsageError(f"the credential for the {name} header contains characters that cannot be sent "
                             "in an HTTP header (a line break, a control character or a non-ASCII character)",
                             hint="give the API token alone, on one line")


def _checked_attempts(max_attempts: int) -> int:
    if not isinstance(max_attempts, int) or max_attempts < 1:
        raise UsageError(f"the number of attempts must be at least 1, not {max_attempts!r}")
    return max_attempts


def _bucket_for(rate: float | TokenBucket | None, *, sleep: Callable[[float], None],
                monotonic: Callable[[], float]) -> TokenBucket | None:
    if rate is None or isinstance(rate, TokenBucket):
        return rate  # a shared bucket lets several clients split one server-side limit
    return TokenBucket(rate, sleep=sleep, monotonic=monotonic)


def _new_session(auth_headers: Mapping[str, str], headers: Mapping[str, str], max_connections: int) -> requests.Session:
    session = requests.Session()
    # Retries are ours (they know what is safe to repeat); urllib3 must not add its own.
    adapter = WatchedAdapter(max_retries=0, pool_connections=max_connections, pool_maxsize=max_connections)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json", **headers})
    session.auth = _HeaderAuth(auth_headers) if auth_headers else None
    # An API client needs no cookies, and a shared cookie jar is the one part of a Session that
    # concurrent workers would mutate.
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return session


def _rate_limit_hint(resets_at: str | None) -> str:
    if not resets_at:
        return "try again later, or lower --rate / --concurrency"
    # resets_at is either words ("at midnight (account time zone)") or an ISO 8601 time.
    return f"the limit resets {resets_at if resets_at.startswith('at ') else 'at ' + resets_at}; try again then"


def _sent_url(error: requests.RequestException, fallback: str) -> str:
    request = error.request
    return str(request.url) if request is not None and request.url else fallback


def _phrase(response: requests.Response) -> str:
    return f" ({response.reason})" if response.reason else ""
