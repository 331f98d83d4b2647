"""The client against a real HTTP server on 127.0.0.1: what a user sees when servers misbehave."""

from __future__ import annotations

import threading
import time
from email.utils import formatdate

import pytest
from scripted_server import Reply, ScriptedServer, closed_port

from inboxctl import __version__
from inboxctl.errors import AuthenticationError, BackendError, ExitCode, RateLimitedError
from inboxctl.http import (
    HttpClient,
    OutcomeUnknownError,
    TokenBucket,
    dig,
    hubspot_rate_limit_rule,
    iterate_cursor,
    iterate_pages,
)

OK = Reply(200, {"ok": True})
DAILY_QUOTA = Reply(429, {"status": "error", "errorType": "RATE_LIMIT", "policyName": "DAILY",
                          "message": "You have reached your daily limit.", "correlationId": "c-1"},
                    headers={"X-HubSpot-RateLimit-Daily": "250000", "X-HubSpot-RateLimit-Daily-Remaining": "0"})


def test_every_request_carries_user_agent_and_token_header(server, make_client):
    server.script("GET", "/api/v1/profile", OK)
    assert make_client(server.url).get("/api/v1/profile") == {"ok": True}
    headers = server.received[0].headers
    assert headers["User-Agent"] == f"inboxctl/{__version__}"
    assert headers["api_access_token"] == "cw-token-5f2b9c1e7a"


# ---------------------------------------------------------------------------------------------
# Retries


@pytest.mark.parametrize("status", [502, 503, 504])
def test_get_is_retried_after_a_gateway_or_overload_error(server, make_client, clock, status):
    server.script("GET", "/items", Reply(status, "upstream trouble"), Reply(status), OK)
    client = make_client(server.url)
    assert client.get("/items") == {"ok": True}
    assert len(server.received) == 3
    assert clock.sleeps == [0.5, 1.0]  # exponential backoff (jitter drawn at its maximum)
    assert client.stats.retries == 2 and client.stats.by_status == {status: 2, 200: 1}


def test_get_gives_up_after_max_attempts_with_the_servers_reason(server, make_client):
    server.script("GET", "/items", Reply(503, {"error": "maintenance until 3pm"}))
    with pytest.raises(BackendError) as raised:
        make_client(server.url, max_attempts=3).get("/items")
    assert len(server.received) == 3
    assert raised.value.status == 503
    assert "after 3 attempts" in str(raised.value) and "maintenance until 3pm" in str(raised.value)


def test_post_is_not_retried_after_a_gateway_timeout_because_it_may_have_been_applied(server, make_client):
    server.script("POST", "/conversations/7/toggle_status", Reply(504, {"error": "upstream timed out"}), OK)
    with pytest.raises(OutcomeUnknownError) as raised:
        make_client(server.url).post("/conversations/7/toggle_status", json={"status": "resolved"})
    assert len(server.received) == 1
    assert "HTTP 504 (Gateway Timeout) (upstream timed out)" in str(raised.value)
    assert "outcome is unknown" in str(raised.value)
    assert raised.value.status == 504 and raised.value.reason == "upstream timed out"


def test_post_marked_idempotent_is_retried(server, make_client):
    server.script("PATCH", "/inbox_members", Reply(503), OK)
    assert make_client(server.url).patch("/inbox_members", json={"user_ids": [1]}, idempotent=True) == {"ok": True}
    assert len(server.received) == 2
    assert server.received[1].json() == {"user_ids": [1]}


def test_retry_after_in_seconds_is_honoured(server, make_client, clock):
    server.script("GET", "/items", Reply(429, headers={"Retry-After": "7"}), OK)
    assert make_client(server.url).get("/items") == {"ok": True}
    assert clock.sleeps == [7.0]


def test_retry_after_as_an_http_date_is_honoured(server, make_client, clock):
    in_twelve_seconds = formatdate(clock.wallclock() + 12, usegmt=True)
    server.script("GET", "/items", Reply(503, headers={"Retry-After": in_twelve_seconds}), OK)
    make_client(server.url).get("/items")
    assert clock.sleeps == [pytest.approx(12.0)]


def test_429_without_retry_after_backs_off_and_retries_even_a_post(server, make_client, clock):
    # A 429 means the server refused before acting, so even a POST is safe to send again.
    server.script("POST", "/conversations", Reply(429, "Retry later\n"), Reply(429), OK)
    assert make_client(server.url).post("/conversations", json={"x": 1}) == {"ok": True}
    assert len(server.received) == 3
    assert clock.sleeps == [0.5, 1.0]


def test_429_that_persists_ends_in_rate_limited_error(server, make_client):
    server.script("GET", "/items", Reply(429, "Retry later\n"))
    with pytest.raises(RateLimitedError) as raised:
        make_client(server.url, max_attempts=3).get("/items")
    assert len(server.received) == 3
    assert raised.value.exit_code == ExitCode.RATE_LIMITED
    assert "3 attempts" in str(raised.value)


def test_a_retry_after_beyond_the_cap_gives_up_at_once_and_says_when(server, make_client, clock):
    server.script("GET", "/items", Reply(429, headers={"Retry-After": "3600"}))
    with pytest.raises(RateLimitedError) as raised:
        make_client(server.url, max_retry_wait=60).get("/items")
    assert len(server.received) == 1 and clock.sleeps == []
    assert raised.value.resets_at == "2026-05-28T21:26:40+00:00"  # one hour after the fake "now"
    assert raised.value.resets_at in str(raised.value)


def test_hubspot_daily_quota_is_not_retried(server, make_client, clock):
    server.script("GET", "/conversations/v3/conversations/threads", DAILY_QUOTA)
    client = make_client(server.url, auth_headers={"Authorization": "Bearer pat-na1-0d9f"},
                         classify_rate_limit=hubspot_rate_limit_rule)
    with pytest.raises(RateLimitedError) as raised:
        client.get("/conversations/v3/conversations/threads")
    assert len(server.received) == 1 and clock.sleeps == []
    assert raised.value.resets_at == "at midnight (account time zone)"
    assert "daily" in str(raised.value) and "250000" in str(raised.value)
    assert "You have reached your daily limit." in str(raised.value)


def test_hubspot_ten_secondly_limit_is_retried(server, make_client):
    server.script("GET", "/threads", Reply(429, {"errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"}),
                  OK)
    client = make_client(server.url, classify_rate_limit=hubspot_rate_limit_rule)
    assert client.get("/threads") == {"ok": True}
    assert len(server.received) == 2


# ---------------------------------------------------------------------------------------------
# Connections that fail


def test_get_is_retried_when_the_connection_drops_without_an_answer(server, make_client):
    server.script("GET", "/items", Reply(drop=True), OK)
    client = make_client(server.url)
    assert client.get("/items") == {"ok": True}
    assert len(server.received) == 2
    assert client.stats.transport_errors == 1


def test_post_is_not_retried_when_the_connection_drops_and_the_outcome_is_unknown(server, make_client):
    server.script("POST", "/bulk_actions", Reply(drop=True), OK)
    with pytest.raises(OutcomeUnknownError) as raised:
        make_client(server.url).post("/bulk_actions", json={"ids": [1, 2]})
    assert len(server.received) == 1
    message = str(raised.value)
    assert "POST /bulk_actions" in message and "outcome is unknown" in message
    assert "check the current state" in message


def test_read_timeout_on_get_is_retried_then_reported(server, make_client):
    server.script("GET", "/slow", Reply(200, {"late": True}, delay=5))
    started = time.monotonic()
    with pytest.raises(BackendError) as raised:
        make_client(server.url, timeout=(1.0, 0.2), max_attempts=2).get("/slow")
    assert time.monotonic() - started < 3  # two short read timeouts, not the server's 5 s
    assert len(server.received) == 2
    assert "timed out waiting for the answer" in str(raised.value) and "2 attempts" in str(raised.value)
    assert not isinstance(raised.value, OutcomeUnknownError)


def test_read_timeout_on_post_is_not_retried(server, make_client):
    server.script("POST", "/conversations/9/assignments", Reply(200, {"late": True}, delay=5))
    with pytest.raises(OutcomeUnknownError) as raised:
        make_client(server.url, timeout=(1.0, 0.2)).post("/conversations/9/assignments", json={"assignee_id": 3})
    assert len(server.received) == 1
    assert "timed out" in str(raised.value) and "outcome is unknown" in str(raised.value)


def test_connection_refused_is_retried_even_for_post_since_nothing_was_sent(make_client, clock):
    client = make_client(f"http://127.0.0.1:{closed_port()}", max_attempts=3)
    with pytest.raises(BackendError) as raised:
        client.post("/conversations", json={})
    assert not isinstance(raised.value, OutcomeUnknownError)
    assert client.stats.requests == 3 and len(clock.sleeps) == 2
    assert "could not connect" in str(raised.value) and "connection refused" in str(raised.value)


def test_errors_that_are_not_transient_are_raised_at_once(server, make_client):
    server.script("GET", "/api/v1/accounts/1/inboxes",
                  Reply(401, {"error": "You are not authorized to do this action"}))
    with pytest.raises(AuthenticationError) as raised:
        make_client(server.url).get("/api/v1/accounts/1/inboxes")
    assert len(server.received) == 1
    assert raised.value.reason == "You are not authorized to do this action" and raised.value.status == 401


# ---------------------------------------------------------------------------------------------
# Pagination across real pages


def test_page_numbers_are_followed_until_all_count_is_reached(server, make_client):
    pages = {1: [{"id": 1}, {"id": 2}], 2: [{"id": 3}, {"id": 4}], 3: [{"id": 5}]}

    def conversations(request):
        page = int(request.query["page"][0])
        return Reply(200, {"data": {"meta": {"all_count": 5}, "payload": pages.get(page, [])}})

    server.script("GET", "/api/v1/accounts/1/conversations", conversations)
    client = make_client(server.url)
    found = iterate_pages(client, "/api/v1/accounts/1/conversations", {"status": "open", "labels[]": ["vip", "eu"]},
                          items=dig("data", "payload"), total=dig("data", "meta", "all_count"))
    assert [item["id"] for item in found] == [1, 2, 3, 4, 5]
    assert [r.query["page"] for r in server.received] == [["1"], ["2"], ["3"]]  # no extra empty request
    assert server.received[0].query["labels[]"] == ["vip", "eu"]


def test_cursor_pages_are_followed_until_paging_is_absent(server, make_client):
    def threads(request):
        after = request.query.get("after", [None])[0]
        if after is None:
            return Reply(200, {"results": [{"id": "1"}, {"id": "2"}], "paging": {"next": {"after": "c2"}}})
        return Reply(200, {"results": [{"id": "3"}]})

    server.script("GET", "/threads", threads)
    found = list(iterate_cursor(make_client(server.url), "/threads", {"limit": 2}))
    assert [thread["id"] for thread in found] == ["1", "2", "3"]
    assert [r.query.get("after") for r in server.received] == [None, ["c2"]]


# ---------------------------------------------------------------------------------------------
# Client-side rate limiting


def test_rate_limiter_spaces_requests_as_the_server_sees_them(clock):
    with ScriptedServer(clock=clock.monotonic) as server:
        server.script("GET", "/items", OK)
        client = HttpClient(server.url, rate=4.0, sleep=clock.sleep, monotonic=clock.monotonic)
        for _ in range(5):
            client.get("/items")
        client.close()
    arrivals = [request.at for request in server.received]
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)]
    assert gaps == [pytest.approx(0.25)] * 4
    assert client.stats.throttled_seconds == pytest.approx(1.0)


def test_rate_limiter_holds_concurrent_workers_to_the_rate(server):
    # Real time, asserted loosely: 12 requests at 40/s cannot finish in less than 11/40 s.
    server.script("GET", "/items", OK)
    client = HttpClient(server.url, rate=40.0)
    started = time.monotonic()
    workers = [threading.Thread(target=lambda: [client.get("/items") for _ in range(3)]) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    client.close()
    assert len(server.received) == 12
    assert elapsed >= 11 / 40 - 0.02


def test_clients_sharing_a_bucket_share_the_rate(clock):
    bucket = TokenBucket(2.0, sleep=clock.sleep, monotonic=clock.monotonic)
    with ScriptedServer(clock=clock.monotonic) as server:
        server.script("GET", "/a", OK)
        first = HttpClient(server.url, rate=bucket, sleep=clock.sleep, monotonic=clock.monotonic)
        second = HttpClient(server.url, rate=bucket, sleep=clock.sleep, monotonic=clock.monotonic)
        first.get("/a"), second.get("/a"), first.get("/a")
    assert [request.at - server.received[0].at for request in server.received] == [0.0, 0.5, 1.0]
