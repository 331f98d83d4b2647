"""Token bucket, backoff and Retry-After arithmetic, and pluggable 429 rules (no I/O, fake time)."""

from __future__ import annotations

import json
import threading

import pytest
import requests
import responses

from fakes.clock import FakeClock

from inboxctl.errors import RateLimitedError
from inboxctl.http import (
    HttpClient,
    RateLimitDecision,
    TokenBucket,
    full_jitter_backoff,
    hubspot_rate_limit_rule,
    parse_retry_after,
)

NOW = 1_780_000_000.0  # Thu, 28 May 2026 20:26:40 GMT



def test_bucket_spaces_requests_evenly_at_the_rate():
    clock = FakeClock()
    bucket = TokenBucket(10.0, monotonic=clock.monotonic, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(4)]
    assert waits == [0.0, pytest.approx(0.1), pytest.approx(0.1), pytest.approx(0.1)]


def test_bucket_allows_a_burst_then_the_rate():
    clock = FakeClock()
    bucket = TokenBucket(2.0, burst=3, monotonic=clock.monotonic, sleep=clock.sleep)
    assert [bucket.acquire() for _ in range(4)] == [0.0, 0.0, 0.0, pytest.approx(0.5)]


def test_bucket_refills_while_idle_but_not_beyond_the_burst():
    clock = FakeClock()
    bucket = TokenBucket(1.0, burst=2, monotonic=clock.monotonic, sleep=clock.sleep)
    bucket.acquire(), bucket.acquire()
    clock.now += 100  # a long pause earns at most `burst` requests
    assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, pytest.approx(1.0)]


def test_concurrent_callers_each_reserve_their_own_slot():
    # Time stands still: each of 8 simultaneous workers must be given a distinct later slot.
    clock = FakeClock()
    waits: list[float] = []
    lock = threading.Lock()
    bucket = TokenBucket(4.0, monotonic=clock.monotonic, sleep=lambda seconds: None)

    def worker() -> None:
        wait = bucket.acquire()
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == [pytest.approx(i * 0.25) for i in range(8)]


def test_full_jitter_stays_between_zero_and_the_capped_exponential():
    assert [full_jitter_backoff(n, base=0.5, cap=5, random=lambda: 1.0) for n in range(1, 7)] == [0.5, 1, 2, 4, 5, 5]
    assert full_jitter_backoff(3, base=0.5, cap=5, random=lambda: 0.0) == 0.0
    assert full_jitter_backoff(3, base=0.5, cap=5, random=lambda: 0.25) == 0.5


@pytest.mark.parametrize(("header", "seconds"), [
    ("120", 120.0), (" 3 ", 3.0), ("0", 0.0), ("-5", 0.0), ("1.5", 1.5),
    ("Thu, 28 May 2026 20:27:10 GMT", 30.0),
    ("Thu, 28 May 2026 20:00:00 GMT", 0.0),  # already past: retry now
    (None, None), ("", None), ("soon", None), ("nan", None),
])
def test_retry_after_in_seconds_or_as_an_http_date(header, seconds):
    assert parse_retry_after(header, now=NOW) == seconds


def hubspot_429(body, headers=None) -> requests.Response:
    response = requests.Response()
    response.status_code = 429
    response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response.headers.update(headers or {})
    return response


def test_hubspot_rule_gives_up_on_the_daily_quota_only():
    daily = hubspot_rate_limit_rule(hubspot_429({"errorType": "RATE_LIMIT", "policyName": "DAILY"}))
    assert daily is not None and daily.give_up and daily.resets_at == "at midnight (account time zone)"
    assert hubspot_rate_limit_rule(hubspot_429({"policyName": "TEN_SECONDLY_ROLLING"})) is None
    assert hubspot_rate_limit_rule(hubspot_429(b"<html>busy</html>")) is None
    from_headers = hubspot_rate_limit_rule(hubspot_429(b"", {"X-HubSpot-RateLimit-Daily-Remaining": "0"}))
    assert from_headers is not None and from_headers.give_up


@responses.activate
def test_a_custom_rule_decides_how_long_to_wait():
    responses.add(responses.GET, "https://api.example.com/x", status=429)
    responses.add(responses.GET, "https://api.example.com/x", json={"ok": 1})
    sleeps: list[float] = []
    client = HttpClient("https://api.example.com", sleep=sleeps.append,
                        classify_rate_limit=lambda response: RateLimitDecision.retry(after=42))
    assert client.get("/x") == {"ok": 1}
    assert sleeps == [42]
    assert client.stats.backoff_seconds == 42 and client.stats.retries == 1 and client.stats.requests == 2


@responses.activate
def test_a_custom_rule_can_stop_with_a_message_and_reset_time():
    responses.add(responses.GET, "https://api.example.com/x", status=429)
    client = HttpClient("https://api.example.com", sleep=lambda seconds: pytest.fail("must not wait"),
                        classify_rate_limit=lambda response: RateLimitDecision.stop(
                            "monthly quota used up", resets_at="2026-07-01T00:00:00+00:00"))
    with pytest.raises(RateLimitedError) as raised:
        client.get("/x")
    assert raised.value.resets_at == "2026-07-01T00:00:00+00:00"
    assert str(raised.value).startswith("monthly quota used up")
    assert "resets at 2026-07-01T00:00:00+00:00" in str(raised.value)
    assert len(responses.calls) == 1
