"""Every request is bounded: a total deadline per attempt, a time budget for all attempts, a size cap on
the answer; and answers of the wrong shape are errors naming the endpoint. Against a real server on
127.0.0.1 that trickles, stalls, floods and lies (real time, short limits)."""

from __future__ import annotations

import time
import tracemalloc

import pytest
from scripted_server import Reply

from inboxctl.backends.chatwoot.api import ChatwootApi
from inboxctl.backends.hubspot.api import HubSpotApi
from inboxctl.errors import BackendError, UsageError
from inboxctl.http import HttpClient, OutcomeUnknownError

TOKEN = "cw-token-5f2b9c1e7a"
INBOXES = "/api/v1/accounts/1/inboxes"


def client(url: str, **options) -> HttpClient:
    settings = {"auth_headers": {"api_access_token": TOKEN}, "backoff_base": 0.05, "backoff_cap": 0.1, **options}
    return HttpClient(url, **settings)


def timed(call):
    started = time.monotonic()
    with pytest.raises(BackendError) as raised:
        call()
    return raised.value, time.monotonic() - started


def test_an_answer_trickling_one_byte_at_a_time_is_cut_at_the_deadline(server):
    # Each byte comes well within the read timeout, so only a deadline on the whole answer ends it.
    server.script("GET", "/slow", Reply(200, {"payload": list(range(200))}, trickle=0.1))
    error, elapsed = timed(lambda: client(server.url, timeout=(1, 1), deadline=0.8, max_attempts=1).get("/slow"))
    assert 0.7 < elapsed < 1.8
    assert "no complete answer within 0.8 s" in str(error)


def test_all_attempts_together_stay_within_the_retry_budget(server):
    server.script("GET", "/slow", Reply(200, {"ok": True}, trickle=0.2))
    error, elapsed = timed(lambda: client(server.url, timeout=(1, 1), deadline=1.0, retry_budget=2.5).get("/slow"))
    assert elapsed < 3.3  # two attempts and a short backoff, not five attempts of a second each
    assert "after 2 attempts" in str(error) and "no complete answer" in str(error)


def test_a_silent_server_fails_within_the_budget_not_after_every_read_timeout(server):
    server.script("GET", "/silent", Reply(200, {"ok": True}, delay=60))
    error, elapsed = timed(lambda: client(server.url, timeout=(1, 0.8), retry_budget=2.0).get("/silent"))
    assert elapsed < 2.8  # five attempts of 0.8 s would take over 4 s
    assert "timed out waiting for the answer" in str(error)


def test_a_trickled_post_is_not_sent_again_and_its_outcome_is_unknown(server):
    server.script("POST", "/conversations/7/toggle_status", Reply(200, {"ok": True}, trickle=0.2))
    with pytest.raises(OutcomeUnknownError) as raised:
        client(server.url, deadline=0.5).post("/conversations/7/toggle_status", json={"status": "resolved"})
    assert len(server.received) == 1 and "no complete answer within 0.5 s" in str(raised.value)


@pytest.mark.parametrize("hide_length", [False, True])
def test_a_flood_is_refused_without_reading_it_whole(server, hide_length):
    server.script("GET", "/flood", Reply(200, flood=300 * 1024 * 1024, hide_length=hide_length))
    tracemalloc.start()
    try:
        error, elapsed = timed(lambda: client(server.url, max_body_bytes=4 * 1024 * 1024).get("/flood"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "with more than 4 MiB; inboxctl stopped reading there" in str(error)
    assert peak < 20 * 1024 * 1024 and elapsed < 5  # 300 MB were never read


def test_an_error_body_is_read_only_for_its_reason(server):
    server.script("GET", "/broken", Reply(500, flood=50 * 1024 * 1024))
    error, _ = timed(lambda: client(server.url, max_attempts=1).get("/broken"))
    assert error.status == 500


def test_json_nested_past_any_parser_is_not_json_to_us(server):
    server.script("GET", "/deep", Reply(200, "[" * 100_000 + "]" * 100_000))
    error, _ = timed(lambda: client(server.url).get("/deep"))
    assert "something that is not JSON" in str(error)


def test_a_token_that_cannot_go_in_a_header_is_refused_without_quoting_it():
    with pytest.raises(UsageError) as raised:
        HttpClient("https://chat.example.com", auth_headers={"api_access_token": f"{TOKEN}\nX-Evil: 1"})
    assert TOKEN not in str(raised.value) and "cannot be sent in an HTTP header" in str(raised.value)


# ---------------------------------------------------------------------------------------------
# Shapes


@pytest.mark.parametrize(("answer", "what"), [
    ({"payload": "surprise"}, "payload is a string, not a list"),
    (None, "expected a JSON object, got null"),
    ([{"id": 1}], "expected a JSON object, got a list"),
    ({}, "the answer has no 'payload'"),
    ({"payload": [{"id": "seven"}]}, "item 0 of payload has no whole-number id"),
    ({"payload": [{"id": 7, "working_hours": [{"day_of_week": 9}]}]},
     "payload[0].working_hours[0].day_of_week is a number, not a day of the week (0 to 6)"),
    ({"payload": [{"id": 7, "widget_color": ["#fff"]}]}, "payload[0].widget_color is a list, not text"),
])
def test_an_answer_of_the_wrong_shape_names_the_endpoint_and_what_was_wrong(server, answer, what):
    server.script("GET", INBOXES, Reply(200, answer if answer is not None else "null"))
    with pytest.raises(BackendError) as raised:
        ChatwootApi(client(server.url), 1).inboxes()
    assert str(raised.value).startswith(f"unexpected answer from 127.0.0.1 for GET {INBOXES}: {what}")


def test_a_null_listing_page_is_an_error_not_an_empty_listing(server):
    server.script("GET", "/conversations/conversations/2026-09/threads", Reply(200, "null"))
    with pytest.raises(BackendError, match="expected a JSON object, got null"):
        list(HubSpotApi(client(server.url)).thread_pages({}))


def test_an_answer_of_the_right_shape_passes_untouched(server):
    inbox = {"id": 7, "name": "Support · chat", "working_hours": [{"day_of_week": 1, "open_hour": 9}],
             "widget_color": None, "extra": {"anything": [1, "two"]}}
    server.script("GET", INBOXES, Reply(200, {"payload": [inbox]}))
    assert ChatwootApi(client(server.url), 1).inboxes() == [inbox]
