"""Pagination helpers are lazy generators that stop at the right page (``responses`` fixtures)."""

from __future__ import annotations

import itertools
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from inboxctl.errors import BackendError
from inboxctl.http import HttpClient, dig, iterate_cursor, iterate_pages

BASE = "https://chat.example.com"
CONVERSATIONS = f"{BASE}/api/v1/accounts/1/conversations"
THREADS = "https://api.hubapi.com/conversations/v3/conversations/threads"


@pytest.fixture
def client():
    with HttpClient(BASE, sleep=lambda seconds: None) as made:
        yield made


@pytest.fixture
def hubspot():
    with HttpClient("https://api.hubapi.com", sleep=lambda seconds: None) as made:
        yield made


def chatwoot_page(ids, all_count=None):
    meta = {"mine_count": 0} if all_count is None else {"all_count": all_count}
    return {"data": {"meta": meta, "payload": [{"id": i} for i in ids]}}


def pages_requested():
    return [parse_qs(urlsplit(call.request.url).query).get("page") for call in responses.calls]


def conversations(client, **options):
    return iterate_pages(client, "/api/v1/accounts/1/conversations", {"status": "open"},
                         items=dig("data", "payload"), **options)


@responses.activate
def test_pages_stop_at_the_first_empty_page_without_a_total(client):
    for ids in ([1, 2], [3], []):
        responses.add(responses.GET, CONVERSATIONS, json=chatwoot_page(ids))
    assert [c["id"] for c in conversations(client)] == [1, 2, 3]
    assert pages_requested() == [["1"], ["2"], ["3"]]


@responses.activate
def test_pages_stop_once_the_total_is_reached(client):
    responses.add(responses.GET, CONVERSATIONS, json=chatwoot_page([1, 2], all_count=3))
    responses.add(responses.GET, CONVERSATIONS, json=chatwoot_page([3], all_count=3))
    found = conversations(client, total=dig("data", "meta", "all_count"))
    assert [c["id"] for c in found] == [1, 2, 3]
    assert len(responses.calls) == 2


@responses.activate
def test_a_short_page_ends_the_listing_when_the_page_size_is_known(client):
    responses.add(responses.GET, CONVERSATIONS, json=chatwoot_page([1, 2]))
    responses.add(responses.GET, CONVERSATIONS, json=chatwoot_page([3]))
    assert [c["id"] for c in conversations(client, page_size=2)] == [1, 2, 3]
    assert len(responses.calls) == 2


@responses.activate
def test_pages_are_fetched_only_as_items_are_consumed(client):
    responses.add(responses.GET, CONVERSATIONS, json=chatwoot_page([1, 2]))
    responses.add(responses.GET, CONVERSATIONS, json=chatwoot_page([3, 4]))
    listing = conversations(client)
    assert len(responses.calls) == 0  # nothing happens until someone asks
    assert [c["id"] for c in itertools.islice(listing, 2)] == [1, 2]  # --limit 2
    assert len(responses.calls) == 1


@responses.activate
def test_the_callers_filters_go_with_every_page(client):
    responses.add(responses.GET, CONVERSATIONS, json=chatwoot_page([1]))
    responses.add(responses.GET, CONVERSATIONS, json=chatwoot_page([]))
    list(iterate_pages(client, "/api/v1/accounts/1/conversations", {"inbox_id": 4, "labels[]": ["vip", "eu"]},
                       items=dig("data", "payload")))
    for call in responses.calls:
        query = parse_qs(urlsplit(call.request.url).query)
        assert query["inbox_id"] == ["4"] and query["labels[]"] == ["vip", "eu"]


@responses.activate
def test_post_listings_are_paged_and_retried_like_reads(client):
    url = f"{CONVERSATIONS}/filter"
    responses.add(responses.POST, url, status=503)
    responses.add(responses.POST, url, json={"meta": {"all_count": 1}, "payload": [{"id": 9}]})
    rules = {"payload": [{"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"]}]}
    found = iterate_pages(client, "/api/v1/accounts/1/conversations/filter", method="POST", json=rules,
                          items=dig("payload"), total=dig("meta", "all_count"))
    assert [c["id"] for c in found] == [9]
    assert responses.calls[1].request.body == responses.calls[0].request.body


@responses.activate
def test_a_server_that_ignores_the_page_number_is_not_paged_forever(client):
    responses.add(responses.GET, CONVERSATIONS, json=chatwoot_page([1, 2]))
    with pytest.raises(BackendError, match="same items for page 2"):
        list(conversations(client))
    assert len(responses.calls) == 2


@responses.activate
def test_an_unexpected_page_shape_is_a_clear_error(client):
    responses.add(responses.GET, CONVERSATIONS, json={"data": {"payload": {"not": "a list"}}})
    with pytest.raises(BackendError, match="not a list"):
        list(conversations(client))


@responses.activate
def test_cursor_pages_follow_after_until_paging_is_absent(hubspot):
    responses.add(responses.GET, THREADS,
                  json={"results": [{"id": "1"}], "paging": {"next": {"after": "abc", "link": "x"}}})
    responses.add(responses.GET, THREADS, json={"results": [{"id": "2"}]})
    found = iterate_cursor(hubspot, "/conversations/v3/conversations/threads", {"inboxId": ["7", "8"], "limit": 1})
    assert [t["id"] for t in found] == ["1", "2"]
    queries = [parse_qs(urlsplit(call.request.url).query) for call in responses.calls]
    assert "after" not in queries[0] and queries[1]["after"] == ["abc"]
    assert queries[1]["inboxId"] == ["7", "8"]


@responses.activate
def test_cursor_pages_are_lazy(hubspot):
    responses.add(responses.GET, THREADS,
                  json={"results": [{"id": "1"}, {"id": "2"}], "paging": {"next": {"after": "2"}}})
    assert next(iter(iterate_cursor(hubspot, "/conversations/v3/conversations/threads")))["id"] == "1"
    assert len(responses.calls) == 1


@responses.activate
def test_an_empty_last_page_and_missing_fields_are_fine(hubspot):
    responses.add(responses.GET, THREADS, json={"paging": {"next": {"after": "2"}}})
    responses.add(responses.GET, THREADS, json={"total": 0})
    assert list(iterate_cursor(hubspot, "/conversations/v3/conversations/threads")) == []


@responses.activate
def test_a_repeated_cursor_is_not_followed_forever(hubspot):
    responses.add(responses.GET, THREADS, json={"results": [{"id": "1"}], "paging": {"next": {"after": "same"}}})
    with pytest.raises(BackendError, match="same paging cursor"):
        list(iterate_cursor(hubspot, "/conversations/v3/conversations/threads"))
    assert len(responses.calls) == 2
