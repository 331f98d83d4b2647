"""Pacing from HubSpot's rate-limit headers, and HubSpot's retry rules: unit tests on a fake clock
(no test sleeps), then one measured run against the fake HubSpot on 127.0.0.1."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
import responses

TESTS_DIR = Path(__file__).resolve().parents[2]
if str(TESTS_DIR) not in sys.path:  # tests/fakes is shared with the benchmark, not a package
    sys.path.insert(0, str(TESTS_DIR))

from fakes.clock import FakeClock  # noqa: E402
from fakes.hubspot_server import TOKEN, FakeHubSpot  # noqa: E402

from inboxctl.backends.hubspot.backend import CLIENT_OPTIONS, HubSpotBackend, daily_reset  # noqa: E402
from inboxctl.conversations.model import ActionRequest  # noqa: E402
from inboxctl.errors import BackendError  # noqa: E402
from inboxctl.http import AnnouncedLimit, HttpClient, OutcomeUnknownError, ServerPacedBucket, announced_limit  # noqa: E402

URL = "https://api.hubapi.com"



def limit_headers(maximum: int, interval_ms: int, remaining: int | None = None) -> dict[str, str]:
    headers = {"X-HubSpot-RateLimit-Max": str(maximum), "X-HubSpot-RateLimit-Interval-Milliseconds": str(interval_ms)}
    if remaining is not None:
        headers["X-HubSpot-RateLimit-Remaining"] = str(remaining)
    return headers


def paced(**options) -> tuple[ServerPacedBucket, FakeClock]:
    clock = FakeClock()
    return ServerPacedBucket(monotonic=clock.monotonic, sleep=clock.sleep, **options), clock


# ---------------------------------------------------------------------------------------------
# The arithmetic


def test_the_announced_limit_is_read_from_the_headers_and_nonsense_is_ignored():
    assert announced_limit(limit_headers(190, 10_000, 42)) == AnnouncedLimit(190, 10.0, 42)
    assert announced_limit(limit_headers(100, 10_000)).rate == 10.0
    assert announced_limit({}) is None  # some endpoints send none
    assert announced_limit(limit_headers(0, 10_000)) is None
    assert announced_limit({**limit_headers(190, 10_000), "X-HubSpot-RateLimit-Max": "lots"}) is None


@pytest.mark.parametrize(("maximum", "expected"), [(190, 18.43), (100, 9.7), (250, 24.25)])
def test_a_plan_is_paced_at_97_percent_of_its_limit_without_configuration(maximum, expected):
    bucket, clock = paced()
    bucket.observe(200, limit_headers(maximum, 10_000, maximum - 1))
    assert bucket.rate == pytest.approx(expected)
    started = clock.now
    for _ in range(1000):
        bucket.acquire()
    assert 999 / (clock.now - started) == pytest.approx(expected)  # evenly spaced, no burst


def test_until_the_first_answer_the_smallest_plans_limit_applies():
    bucket, _ = paced()
    assert bucket.rate == pytest.approx(9.7)  # 97 % of 100 per 10 s: a Free account is never overrun


def test_rate_only_lowers_the_pace():
    low, _ = paced(ceiling=5.0)
    low.observe(200, limit_headers(190, 10_000, 189))
    assert low.rate == 5.0
    high, _ = paced(ceiling=50.0)
    high.observe(200, limit_headers(190, 10_000, 189))
    assert high.rate == pytest.approx(18.43)


def test_a_429_does_not_slow_the_pace_by_itself():
    bucket, _ = paced()
    bucket.observe(200, limit_headers(190, 10_000, 189))
    bucket.observe(429, limit_headers(190, 10_000, 0))  # a glitch, or someone else: the next answers tell
    assert bucket.rate == pytest.approx(18.43)


def test_requests_of_someone_else_in_the_window_leave_us_the_rest():
    bucket, clock = paced()
    bucket.observe(200, limit_headers(190, 10_000, 89))  # 101 in the window, 1 of them ours
    assert bucket.rate == pytest.approx(0.97 * (190 - 94) / 10)  # 100 theirs, less 6 of noise
    clock.now += 11  # their requests and ours have left the window
    bucket.observe(200, limit_headers(190, 10_000, 189))
    assert bucket.rate == pytest.approx(18.43)


def test_a_window_full_of_others_still_lets_a_tenth_through():
    bucket, _ = paced()
    bucket.observe(200, limit_headers(190, 10_000, 0))
    assert bucket.rate == pytest.approx(0.97 * 19 / 10)


def test_two_clients_sharing_one_window_keep_near_the_limit_with_few_429s():
    """Two clients with one token against a simulated rolling window of 190 per 10 s, for 5 minutes."""
    clock, window, limit = FakeClock(), [], 190
    buckets = [ServerPacedBucket(monotonic=clock.monotonic, sleep=clock.sleep) for _ in range(2)]
    next_at, sent, refused = [0.0, 0.013], 0, 0
    while clock.now < 300:
        turn = min(range(2), key=lambda i: next_at[i])
        clock.now = next_at[turn]
        window[:] = [t for t in window if t > clock.now - 10]
        status = 429 if len(window) >= limit else 200
        window.extend([clock.now] if status == 200 else [])
        sent, refused = sent + 1, refused + (status == 429)
        buckets[turn].observe(status, limit_headers(limit, 10_000, limit - len(window)))
        next_at[turn] = clock.now + 1 / buckets[turn].rate
    assert (sent - refused) / 300 >= 0.95 * limit / 10
    assert refused / sent < 0.06


def test_answers_without_headers_keep_the_pace():
    bucket, _ = paced()
    bucket.observe(200, {})
    assert bucket.rate == pytest.approx(9.7)
    bucket.observe(200, limit_headers(190, 10_000, 189))
    bucket.observe(200, {})
    assert bucket.rate == pytest.approx(18.43)


@responses.activate
def test_the_client_shows_every_answer_to_the_limiter():
    responses.add(responses.GET, f"{URL}/a", json={}, headers=limit_headers(190, 10_000, 189))
    bucket, clock = paced()
    client = HttpClient(URL, rate=bucket, sleep=clock.sleep, monotonic=clock.monotonic)
    client.get("/a")
    assert bucket.rate == pytest.approx(18.43) and bucket.announced == AnnouncedLimit(190, 10.0, 189)


# ---------------------------------------------------------------------------------------------
# HubSpot's statuses


def hubspot_client(clock: FakeClock, **options) -> HttpClient:
    settings = {**CLIENT_OPTIONS, "sleep": clock.sleep, "monotonic": clock.monotonic, "random": lambda: 1.0,
                **options}
    return HttpClient(URL, auth_headers={"Authorization": "Bearer pat-na1-pacing"}, **settings)


@responses.activate
def test_423_locked_is_retried_after_at_least_two_seconds_even_for_a_post():
    responses.add(responses.POST, f"{URL}/x", status=423, json={"message": "locked", "category": "LOCKED"})
    responses.add(responses.POST, f"{URL}/x", status=201, json={"id": "1"})
    clock = FakeClock()
    assert hubspot_client(clock).post("/x", json={}) == {"id": "1"}
    assert clock.sleeps == [2.0]  # the request was refused before HubSpot acted on it


@responses.activate
def test_477_migration_in_progress_honours_retry_after():
    responses.add(responses.GET, f"{URL}/x", status=477, headers={"Retry-After": "7"})
    responses.add(responses.GET, f"{URL}/x", json={"ok": True})
    clock = FakeClock()
    assert hubspot_client(clock).get("/x") == {"ok": True}
    assert clock.sleeps == [7.0]


@responses.activate
def test_cloudflare_errors_are_retried_for_reads_and_make_a_write_outcome_unknown():
    for status in (521, 524):
        responses.add(responses.GET, f"{URL}/r", status=status, body="<title>origin down</title>")
    responses.add(responses.GET, f"{URL}/r", json={"ok": True})
    responses.add(responses.POST, f"{URL}/w", status=524)
    clock = FakeClock()
    client = hubspot_client(clock)
    assert client.get("/r") == {"ok": True}
    with pytest.raises(OutcomeUnknownError):
        client.post("/w", json={})
    assert len(responses.calls) == 4


@responses.activate
def test_a_plain_500_is_not_retried():
    responses.add(responses.GET, f"{URL}/x", status=500, json={"message": "internal error"})
    with pytest.raises(BackendError, match="internal error"):
        hubspot_client(FakeClock()).get("/x")
    assert len(responses.calls) == 1


def test_the_daily_quota_resets_at_midnight_in_the_accounts_time_zone():
    from datetime import datetime, timezone

    evening = datetime(2026, 11, 30, 22, 30, tzinfo=timezone.utc)  # 23:30 in Paris
    assert daily_reset("Europe/Paris", evening) == "at midnight Europe/Paris time (2026-12-01T00:00+01:00)"
    assert daily_reset("America/New_York", evening) == "at midnight America/New_York time (2026-12-01T00:00-05:00)"
    assert "Mars/Olympus" in daily_reset("Mars/Olympus", evening)


# ---------------------------------------------------------------------------------------------
# Measured against the fake: the window scaled to 1 s so that the test takes about 2 s


def test_a_bulk_run_sustains_at_least_95_percent_of_the_limit_with_no_429(capsys):
    limit = 100  # per second: HubSpot's 190 per 10 s, scaled
    with FakeHubSpot(rate_max=limit, rate_interval_ms=1000, threads=0) as fake:
        ids = [str(i) for i in fake.add_threads(100, inbox="Sales")]
        backend = HubSpotBackend(fake.url, TOKEN)
        try:
            backend.whoami()  # the first answers teach the client the limit
            started, before = time.monotonic(), backend.client.stats.requests
            results = list(backend.run_action(ActionRequest(action="close"), ids))  # GET + PATCH each
            elapsed, sent = time.monotonic() - started, backend.client.stats.requests - before
        finally:
            backend.close()
        achieved = sent / elapsed
        with capsys.disabled():
            print(f"\npaced: {sent} requests in {elapsed:.2f} s = {achieved:.1f}/s for a limit of {limit}/s "
                  f"({achieved / limit:.1%}), {sum(fake.throttled.values())} answered 429")
        assert all(result.outcome == "changed" for result in results)
        assert sum(fake.throttled.values()) <= sent // 100  # fewer than 1 %
        assert achieved >= 0.95 * limit
