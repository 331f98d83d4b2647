"""The HubSpot conversations half against answers in HubSpot's official shapes (``responses``):
string ids in bodies, integer ids in paths, ``paging.next.after``, the error and 429 bodies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from inboxctl.backends.hubspot.backend import HubSpotBackend
from inboxctl.conversations.model import ActionRequest, ConversationQuery
from inboxctl.errors import AuthenticationError, NotFoundError, RateLimitedError, UnsupportedError

URL = "https://api.hubapi.com"
C = f"{URL}/conversations/conversations/2026-09"
TOKEN = "pat-na1-0f6e2c7d-responses"
LIMIT_HEADERS = {"X-HubSpot-RateLimit-Max": "190", "X-HubSpot-RateLimit-Remaining": "180",
                 "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as requests_mock:
        yield requests_mock


@pytest.fixture
def backend() -> Iterator[HubSpotBackend]:
    made = HubSpotBackend(URL, TOKEN, client_options={"sleep": lambda seconds: None, "max_attempts": 2,
                                                      "backoff_base": 0.0})
    yield made
    made.close()


def page(results: list[dict[str, Any]], after: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"results": results}
    if after is not None:
        body["paging"] = {"next": {"after": after, "link": f"{C}/threads?after={after}"}}
    return body


def thread(number: int, **fields: Any) -> dict[str, Any]:
    data = {"id": str(number), "createdAt": f"2026-11-{number % 28 + 1:02d}T09:00:00.000Z", "status": "OPEN",
            "originalChannelId": "1002", "originalChannelAccountId": "501", "spam": False, "inboxId": "11",
            "associatedContactId": str(900 + number), "archived": False,
            "latestMessageTimestamp": f"2026-11-{number % 28 + 1:02d}T10:00:00.000Z",
            "latestMessageReceivedTimestamp": f"2026-11-{number % 28 + 1:02d}T09:00:00.000Z"}
    return {**data, **fields}


def owner(user_id: int, email: str, *, active: bool = True) -> dict[str, Any]:
    first = email.split("@")[0].title()
    return {"id": str(7000 + user_id), "email": email, "type": "PERSON", "firstName": first, "lastName": "Acme",
            "userId": user_id if active else None, "userIdIncludingInactive": user_id, "archived": not active,
            "teams": []}


def contact(number: int) -> dict[str, Any]:
    return {"id": str(number), "properties": {"email": f"visitor{number}@example.com", "firstname": "Vi",
                                               "lastname": f"Sitor{number}", "hs_object_id": str(number)},
            "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z", "archived": False}


def directory(mocked: responses.RequestsMock) -> None:
    """Account, inboxes, channels, channel accounts and owners, as HubSpot answers them."""
    mocked.get(f"{URL}/account-info/2026-09/details", json={
        "portalId": 24681357, "accountType": "PROFESSIONAL", "timeZone": "Europe/Paris", "companyCurrency": "EUR",
        "uiDomain": "app-eu1.hubspot.com", "dataHostingLocation": "eu1"}, headers=LIMIT_HEADERS)
    mocked.get(f"{C}/inboxes", json={"total": 2, "results": [
        {"id": "11", "name": "Support", "type": "INBOX", "archived": False},
        {"id": "12", "name": "Sales", "type": "HELP_DESK", "archived": False}]})
    mocked.get(f"{C}/channels", json={"total": 2, "results": [{"id": "1000", "name": "Chat"},
                                                              {"id": "1002", "name": "Email"}]})
    mocked.get(f"{C}/channel-accounts", json={"total": 2, "results": [
        {"id": "501", "channelId": "1002", "inboxId": "11", "name": "Support mailbox", "active": True,
         "authorized": True, "archived": False,
         "deliveryIdentifier": {"type": "HS_EMAIL_ADDRESS", "value": "support@acme.example"}},
        {"id": "502", "channelId": "1000", "inboxId": "11", "name": "Website chat", "active": True,
         "authorized": True, "archived": False}]})
    mocked.get(f"{URL}/crm/owners/2026-09", match=[responses.matchers.query_param_matcher(
        {"limit": "100", "archived": "true"})], json={"results": [owner(41, "frank@acme.example", active=False)]})
    mocked.get(f"{URL}/crm/owners/2026-09", match=[responses.matchers.query_param_matcher({"limit": "100"})],
               json={"results": [owner(21, "alice@acme.example"), owner(22, "bob@acme.example")]})


def contacts_batch(mocked: responses.RequestsMock) -> None:
    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        inputs = json.loads(request.body)["inputs"]
        return 200, {}, json.dumps({"status": "COMPLETE", "results": [contact(int(i["id"])) for i in inputs]})

    mocked.add_callback(responses.POST, f"{URL}/crm/objects/2026-09/contacts/batch/read", callback=answer)


def queries(mocked: responses.RequestsMock, path: str) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(call.request.url).query) for call in mocked.calls
            if urlsplit(call.request.url).path.endswith(path)]


# ---------------------------------------------------------------------------------------------
# Listing


def test_inbox_status_and_trash_are_filtered_by_hubspot(mocked, backend):
    directory(mocked)
    contacts_batch(mocked)
    mocked.get(f"{C}/threads", json=page([thread(5, archived=True, status="CLOSED")]))
    found = list(backend.list_conversations(ConversationQuery(inbox="support", status="closed", trash="only")))
    assert [c.id for c in found] == ["5"] and found[0].trashed_at is not None
    (sent,) = queries(mocked, "/threads")
    assert sent == {"inboxId": ["11"], "threadStatus": ["CLOSED"], "archived": ["true"], "limit": ["100"],
                    "association": ["TICKET"]}


def test_since_narrows_by_last_activity_and_the_creation_date_is_still_checked(mocked, backend):
    directory(mocked)
    contacts_batch(mocked)
    old_but_active = thread(3, createdAt="2026-10-01T09:00:00.000Z")
    mocked.get(f"{C}/threads", json=page([old_but_active, thread(4, createdAt="2026-11-20T09:00:00.000Z")]))
    from datetime import datetime, timezone

    since = datetime(2026, 11, 1, tzinfo=timezone.utc)
    assert [c.id for c in backend.list_conversations(ConversationQuery(since=since))] == ["4"]
    assert queries(mocked, "/threads")[0]["latestMessageTimestampAfter"] == ["2026-11-01T00:00:00.000Z"]


def test_names_cost_a_fixed_number_of_requests_per_page_never_one_per_thread(mocked, backend):
    directory(mocked)
    contacts_batch(mocked)
    first = [thread(n, assignedTo="A-21") for n in range(1, 101)]
    second = [thread(n, assignedTo="A-99") for n in range(101, 131)]  # an agent the owners list lacks
    mocked.get(f"{C}/threads", match=[responses.matchers.query_param_matcher(
        {"limit": "100", "association": "TICKET"})], json=page(first, after="MTAw"))
    mocked.get(f"{C}/threads", match=[responses.matchers.query_param_matcher(
        {"limit": "100", "association": "TICKET", "after": "MTAw"})], json=page(second))
    mocked.post(f"{C}/actors/batch/read", json={"status": "COMPLETE", "results": [
        {"type": "AGENT", "id": "A-99", "name": "Zoe Extern", "email": "zoe@partner.example"}]})
    found = list(backend.list_conversations(ConversationQuery(sort="oldest")))
    assert len(found) == 130
    assert found[0].assignee == "alice@acme.example" and found[0].contact == "visitor901@example.com"
    assert found[0].inbox == "Support" and (found[0].channel, found[0].channel_name) == ("email",
                                                                                          "support@acme.example")
    assert found[-1].assignee == "zoe@partner.example"
    paths = [urlsplit(call.request.url).path.rsplit("2026-09", 1)[-1] for call in mocked.calls]
    # account, 5 lists read once, 2 pages of threads, 1 contact batch per page, 1 actors batch in all
    assert len(paths) == 11 and paths.count("/contacts/batch/read") == 2 and paths.count("/actors/batch/read") == 1
    actors = json.loads(next(c.request.body for c in mocked.calls if c.request.url.endswith("/actors/batch/read")))
    assert actors == {"inputs": ["A-99"]}


def test_assignee_channel_contact_and_upper_bound_are_filtered_by_inboxctl(mocked, backend):
    directory(mocked)
    contacts_batch(mocked)
    mocked.get(f"{C}/threads", json=page([
        thread(1, assignedTo="A-22"), thread(2, assignedTo="A-21"),
        thread(3, assignedTo="A-22", originalChannelId="1000", originalChannelAccountId="502"),
        thread(4, assignedTo="A-22", createdAt="2026-12-30T00:00:00.000Z")]))
    from datetime import datetime, timezone

    query = ConversationQuery(assignee="bob@acme.example", channel="email", contact="sitor901",
                              until=datetime(2026, 12, 1, tzinfo=timezone.utc))
    assert [c.id for c in backend.list_conversations(query)] == ["1"]
    by_name = ConversationQuery(channel="Website chat")
    assert [c.id for c in backend.list_conversations(by_name)] == ["3"]
    assert all(set(q) <= {"limit", "association", "after"} for q in queries(mocked, "/threads"))


def test_newest_first_keeps_only_the_limit_and_spam_stays_hidden(mocked, backend):
    directory(mocked)
    contacts_batch(mocked)
    mocked.get(f"{C}/threads", json=page([thread(n, spam=n == 9) for n in range(1, 11)]))
    assert [c.id for c in backend.list_conversations(ConversationQuery(limit=3))] == ["10", "8", "7"]
    spam = ConversationQuery(filtered="only")
    assert [c.id for c in backend.list_conversations(spam)] == ["9"]


def test_the_bots_view_is_an_error_naming_the_view_and_hubspot(mocked, backend):
    directory(mocked)
    with pytest.raises(UnsupportedError, match="'bots' view.*HubSpot"):
        backend.list_conversations(ConversationQuery(bot=True, status="open"))


def test_an_unknown_inbox_fails_before_any_thread_is_read(mocked, backend):
    directory(mocked)
    with pytest.raises(NotFoundError, match="no inbox named 'Suport'") as raised:
        backend.list_conversations(ConversationQuery(inbox="Suport"))
    assert "Support" in str(raised.value.hint)
    assert queries(mocked, "/threads") == []


def test_a_missing_scope_is_named(mocked, backend):
    directory(mocked)
    mocked.get(f"{C}/threads", status=403, json={
        "status": "error", "category": "MISSING_SCOPES", "correlationId": "c-9",
        "message": "This app hasn't been granted all required scopes to make this call.",
        "errors": [{"message": "One or more of the following scopes are required.",
                    "context": {"requiredGranularScopes": ["conversations.read"]}}]})
    with pytest.raises(AuthenticationError, match="the token lacks the scope conversations.read") as raised:
        list(backend.list_conversations(ConversationQuery()))
    assert raised.value.exit_code == 4 and TOKEN not in str(raised.value)


# ---------------------------------------------------------------------------------------------
# One conversation


def test_show_pages_through_every_message_oldest_first_and_keeps_comments_apart(mocked, backend):
    directory(mocked)
    contacts_batch(mocked)
    mocked.get(f"{C}/threads/7", json=thread(7, assignedTo="A-21"))
    visitor = {"actorId": "V-907", "name": "Vi Sitor907",
               "deliveryIdentifier": {"type": "HS_EMAIL_ADDRESS", "value": "visitor907@example.com"}}
    mocked.get(f"{C}/threads/7/messages", match=[responses.matchers.query_param_matcher(
        {"limit": "100", "sort": "createdAt"})], json=page([
            {"id": "m1", "type": "MESSAGE", "direction": "INCOMING", "createdAt": "2026-11-08T09:00:00.000Z",
             "text": "My invoice is wrong", "subject": "Invoice", "senders": [visitor]},
            {"id": "m2", "type": "THREAD_STATUS_CHANGE", "createdAt": "2026-11-08T09:01:00.000Z",
             "newStatus": "OPEN", "senders": [{"actorId": "S-hubspot"}]}], after="bTI"))
    mocked.get(f"{C}/threads/7/messages", match=[responses.matchers.query_param_matcher(
        {"limit": "100", "sort": "createdAt", "after": "bTI"})], json=page([
            {"id": "m3", "type": "COMMENT", "createdAt": "2026-11-08T10:00:00.000Z", "text": "VIP customer",
             "createdBy": "I-4150921", "senders": [{"actorId": "I-4150921"}]},
            {"id": "m4", "type": "MESSAGE", "direction": "OUTGOING", "createdAt": "2026-11-08T11:00:00.000Z",
             "richText": "<p>Fixed <b>now</b></p>", "senders": [{"actorId": "A-21", "name": "Alice Acme"}]}]))
    mocked.post(f"{C}/actors/batch/read", json={"status": "COMPLETE", "results": [
        {"type": "INTEGRATOR", "id": "I-4150921", "name": "inboxctl app"}]})
    detail = backend.get_conversation("7")
    assert detail.conversation.subject == "Invoice" and detail.assignee_name == "Alice Acme"
    assert [(m.kind, m.author, m.body) for m in detail.thread] == [
        ("incoming", "visitor907@example.com", "My invoice is wrong"), ("outgoing", "alice@acme.example", "Fixed now")]
    assert [(m.author, m.body) for m in detail.comments] == [("inboxctl app", "VIP customer")]


def test_show_finds_a_thread_in_trash(mocked, backend):
    directory(mocked)
    contacts_batch(mocked)
    mocked.get(f"{C}/threads/8", match=[responses.matchers.query_param_matcher({"association": "TICKET"})],
               status=404, json={"status": "error", "message": "Thread 8 not found", "category": "OBJECT_NOT_FOUND"})
    mocked.get(f"{C}/threads/8", match=[responses.matchers.query_param_matcher(
        {"association": "TICKET", "archived": "true"})], json=thread(8, archived=True))
    mocked.get(f"{C}/threads/8/messages", json=page([]))
    detail = backend.get_conversation("8")
    assert detail.conversation.trashed_at == "2026-11-09T10:00:00+00:00"  # the latest moment known of it


# ---------------------------------------------------------------------------------------------
# Actions: the calls hubspot.md names, with integer ids in paths and string ids in bodies


@pytest.mark.parametrize(("action", "method", "path", "body"), [
    (ActionRequest(action="assign", assignee="Bob@acme.example"), "PUT", "/threads/7/assignee", {"actorId": "A-22"}),
    (ActionRequest(action="unassign"), "DELETE", "/threads/7/assignee", None),
    (ActionRequest(action="close"), "PATCH", "/threads/7", {"status": "CLOSED"}),
    (ActionRequest(action="trash"), "DELETE", "/threads/7", None),
    (ActionRequest(action="comment", text="Call back"), "POST", "/threads/7/messages",
     {"type": "COMMENT", "text": "Call back", "attachments": []}),
])
def test_each_action_is_one_call_with_hubspots_body(mocked, backend, action, method, path, body):
    directory(mocked)
    mocked.get(f"{C}/threads/7", json=thread(7, assignedTo="A-21"))
    mocked.add(method, f"{C}{path}", status=204 if method == "DELETE" else 200, json=None if method == "DELETE" else {})
    (result,) = backend.run_action(action, ["7"])
    assert result.outcome == "changed", result.reason
    (write,) = [call for call in mocked.calls if call.request.method == method]
    assert (json.loads(write.request.body) if write.request.body else None) == body
    if action.action == "assign":
        assert result.after.assignee == "bob@acme.example"


def test_restore_reads_trash_first_and_patches_archived_false(mocked, backend):
    directory(mocked)
    mocked.get(f"{C}/threads/7", json=thread(7, archived=True))
    mocked.patch(f"{C}/threads/7", json=thread(7))
    (result,) = backend.run_action(ActionRequest(action="restore"), ["7"])
    assert result.outcome == "changed" and result.after.trashed_at is None
    read, write = [call for call in mocked.calls if "/threads/7" in call.request.url]
    assert "archived=true" in read.request.url
    assert "archived=true" in write.request.url and json.loads(write.request.body) == {"archived": False}


def test_already_as_asked_is_unchanged_with_no_write_even_with_an_unmet_precondition(mocked, backend):
    directory(mocked)
    mocked.get(f"{C}/threads/7", json=thread(7, status="CLOSED"))
    undo_like = ActionRequest(action="close", precondition=(("assignee", "carol@acme.example"),))
    (result,) = backend.run_action(undo_like, ["7"])
    assert result.outcome == "unchanged"
    assert {call.request.method for call in mocked.calls} == {"GET"}


def test_a_changed_thread_is_left_alone_when_undos_precondition_fails(mocked, backend):
    directory(mocked)
    mocked.get(f"{C}/threads/7", json=thread(7, assignedTo="A-22"))
    undo = ActionRequest(action="assign", assignee="alice@acme.example",
                         precondition=(("assignee", "carol@acme.example"),))
    (result,) = backend.run_action(undo, ["7"])
    assert result.outcome == "failed" and "changed since" in result.reason
    assert {call.request.method for call in mocked.calls} == {"GET"}


def test_a_comment_whose_answer_is_lost_is_reported_outcome_unknown_and_not_sent_twice(mocked, backend):
    import requests

    directory(mocked)
    mocked.get(f"{C}/threads/7", json=thread(7))
    mocked.post(f"{C}/threads/7/messages", body=requests.exceptions.ConnectionError("Connection reset by peer"))
    (result,) = backend.run_action(ActionRequest(action="comment", text="hi"), ["7"])
    assert result.outcome == "failed" and result.reason.startswith("outcome unknown")
    assert len([call for call in mocked.calls if call.request.method == "POST"]) == 1


def test_the_daily_quota_stops_the_run_and_says_when_it_resets(mocked, backend):
    directory(mocked)
    mocked.get(f"{C}/threads/7", json=thread(7))
    mocked.patch(f"{C}/threads/7", status=429, json={
        "status": "error", "message": "You have reached your daily limit.", "errorType": "RATE_LIMIT",
        "correlationId": "c-1", "policyName": "DAILY"}, headers={"X-HubSpot-RateLimit-Daily-Remaining": "0"})
    with pytest.raises(RateLimitedError) as raised:
        list(backend.run_action(ActionRequest(action="close"), ["7"]))
    assert raised.value.exit_code == 6
    assert raised.value.resets_at.startswith("at midnight Europe/Paris time (")
    assert len([call for call in mocked.calls if call.request.method == "PATCH"]) == 1  # never retried


@pytest.mark.parametrize("action", ["delete", "spam", "unspam", "block-sender", "unblock-sender"])
def test_what_hubspot_cannot_do_is_refused_before_any_request(mocked, backend, action):
    with pytest.raises(UnsupportedError) as raised:
        backend.run_action(ActionRequest(action=action), ["7"])
    assert "HubSpot" in str(raised.value) and "trash" in (raised.value.hint or "")
    assert backend.unsupported_action(action).message == raised.value.message
    assert len(mocked.calls) == 0


def test_whoami_names_the_account_and_proves_it_can_read_the_inbox(mocked, backend):
    directory(mocked)
    who = backend.whoami()
    assert who == "HubSpot account 24681357 (professional, time zone Europe/Paris)"
    assert mocked.calls[-1].request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert queries(mocked, "/inboxes")[-1] == {"limit": ["1"]}
