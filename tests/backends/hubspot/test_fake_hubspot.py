"""The fake HubSpot server behaves like HubSpot where a client can tell: shapes, paging, trash, scopes,
rate limits and seeded faults. Plain ``requests`` against the running fake."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

TESTS_DIR = Path(__file__).resolve().parents[2]
if str(TESTS_DIR) not in sys.path:  # tests/fakes is shared with the benchmark, not a package
    sys.path.insert(0, str(TESTS_DIR))

from fakes.hubspot_server import (  # noqa: E402
    ALL_SCOPES,
    C,
    READ_ONLY_TOKEN,
    TOKEN,
    FakeHubSpot,
    Faults,
)

THREAD_FIELDS = {"id", "inboxId", "status", "archived", "spam", "createdAt", "associatedContactId",
                 "originalChannelId", "originalChannelAccountId", "latestMessageTimestamp"}


@pytest.fixture
def fake() -> Iterator[FakeHubSpot]:
    with FakeHubSpot(threads=40) as running:
        yield running


@pytest.fixture
def api(fake: FakeHubSpot) -> Iterator[Any]:
    session = requests.Session()

    def call(method: str, path: str, *, token: str | None = TOKEN, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return session.request(method, fake.url + path, headers=headers, timeout=5, **kwargs)

    yield call
    session.close()


def _open_thread(fake: FakeHubSpot, **kwargs: Any) -> int:
    return fake.add_threads(1, **kwargs)[0]


# -- shapes and paging -------------------------------------------------------------------------------------

def test_inboxes_channels_and_channel_accounts(fake: FakeHubSpot, api: Any) -> None:
    inboxes = api("GET", C + "/inboxes").json()
    assert inboxes["total"] == 2 and "paging" not in inboxes
    assert {i["name"] for i in inboxes["results"]} == {"Support", "Sales"}
    assert set(inboxes["results"][0]) == {"id", "name", "type", "archived", "createdAt", "updatedAt"}
    assert inboxes["results"][0]["createdAt"].endswith("Z") and len(inboxes["results"][0]["createdAt"]) == 24
    channels = {c["id"]: c["name"] for c in api("GET", C + "/channels").json()["results"]}
    assert channels["1000"] == "Chat" and channels["1002"] == "Email" and channels["1001"] == "Facebook Messenger"
    support = fake.inbox_id("Support")
    accounts = api("GET", C + "/channel-accounts", params={"inboxId": support}).json()
    assert accounts["total"] == 2
    email = api("GET", C + "/channel-accounts", params={"inboxId": support, "channelId": 1002}).json()["results"]
    assert email[0]["deliveryIdentifier"] == {"type": "HS_EMAIL_ADDRESS", "value": "support@acme.example"}
    assert email[0]["inboxId"] == str(support)
    assert api("GET", C + "/channel-accounts/abc").status_code == 400


def test_threads_page_with_after_cursor_and_no_total(api: Any) -> None:
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 15}
    while True:
        page = api("GET", C + "/threads", params=params).json()
        assert "total" not in page
        seen += [t["id"] for t in page["results"]]
        if "paging" not in page:
            break
        assert page["paging"]["next"]["link"].startswith("http://127.0.0.1")
        params["after"] = page["paging"]["next"]["after"]
    assert seen == sorted(seen, key=int) and len(seen) == len(set(seen)) > 15


def test_thread_fields_and_ticket_association(fake: FakeHubSpot, api: Any) -> None:
    thread_id = _open_thread(fake, assigned_to="bob@acme.example")
    fake.threads[thread_id]["ticket"] = "987654321"
    thread = api("GET", C + f"/threads/{thread_id}").json()
    assert set(thread) >= THREAD_FIELDS and "threadAssociations" not in thread
    assert thread["assignedTo"] == f"A-{fake.owner_user_id('bob@acme.example')}" and "closedAt" not in thread
    with_ticket = api("GET", C + f"/threads/{thread_id}", params={"association": "TICKET"}).json()
    assert with_ticket["threadAssociations"] == {"associatedTicketId": "987654321"}
    assert api("GET", C + "/threads/not-a-number").status_code == 400
    assert api("GET", C + "/threads/1").status_code == 404
    assert api("GET", "/nowhere").status_code == 404


@pytest.mark.parametrize("params", [
    {"inboxId": 1, "associatedContactId": 2, "threadStatus": "OPEN"},
    {"associatedContactId": 2},
    {"sort": "latestMessageTimestamp"},
    {"sort": "-id"},
    {"limit": 501},
    {"threadStatus": "PENDING"},
])
def test_thread_list_rejects_what_hubspot_rejects(api: Any, params: dict[str, Any]) -> None:
    answer = api("GET", C + "/threads", params=params)
    assert answer.status_code == 400 and answer.json()["category"] == "VALIDATION_ERROR"


def test_thread_list_filters(fake: FakeHubSpot, api: Any) -> None:
    sales = fake.inbox_id("Sales")
    fake.add_threads(3, inbox="Sales", status="CLOSED")
    page = api("GET", C + "/threads", params={"inboxId": sales, "limit": 500}).json()["results"]
    assert page and all(t["inboxId"] == str(sales) for t in page)
    contact = page[0]["associatedContactId"]
    closed = api("GET", C + "/threads", params={"associatedContactId": contact, "threadStatus": "CLOSED",
                                                 "sort": "-id"}).json()["results"]
    assert all(t["associatedContactId"] == contact and t["status"] == "CLOSED" for t in closed)
    assert [t["id"] for t in closed] == sorted((t["id"] for t in closed), key=int, reverse=True)
    after = fake.thread(fake.add_threads(2)[0])["latestMessageTimestamp"]
    recent = api("GET", C + "/threads", params={"sort": "latestMessageTimestamp",
                                                 "latestMessageTimestampAfter": after}).json()["results"]
    assert len(recent) == 2


def test_messages_newest_first_and_paged(fake: FakeHubSpot, api: Any) -> None:
    thread_id = _open_thread(fake)
    for text in ("one", "two", "three"):
        assert api("POST", C + f"/threads/{thread_id}/messages",
                   json={"type": "COMMENT", "text": text, "attachments": []}).status_code == 201
    newest = api("GET", C + f"/threads/{thread_id}/messages", params={"limit": 2}).json()
    assert [m.get("text") for m in newest["results"]] == ["three", "two"] and "paging" in newest
    rest = api("GET", C + f"/threads/{thread_id}/messages",
               params={"limit": 2, "after": newest["paging"]["next"]["after"]}).json()
    assert [m.get("text") for m in rest["results"]][0] == "one" and "paging" not in rest
    oldest = api("GET", C + f"/threads/{thread_id}/messages", params={"sort": "createdAt"}).json()["results"]
    first = oldest[0]
    assert first["type"] == "MESSAGE" and first["direction"] == "INCOMING" and first["channelId"] == "1002"
    assert first["senders"][0]["actorId"].startswith("V-")


# -- trash, status, assignee, comments -------------------------------------------------------------------------

def test_archived_threads_are_hidden_unless_asked_for(fake: FakeHubSpot, api: Any) -> None:
    thread_id = _open_thread(fake)
    assert api("DELETE", C + f"/threads/{thread_id}").status_code == 204
    assert api("GET", C + f"/threads/{thread_id}").status_code == 404
    trashed = api("GET", C + f"/threads/{thread_id}", params={"archived": "true"}).json()
    assert trashed["archived"] is True
    live = {t["id"] for t in api("GET", C + "/threads", params={"limit": 500}).json()["results"]}
    trash = api("GET", C + "/threads", params={"limit": 500, "archived": "true"}).json()["results"]
    assert str(thread_id) not in live and str(thread_id) in {t["id"] for t in trash}
    assert all(t["archived"] for t in trash)
    assert api("PUT", C + f"/threads/{thread_id}/assignee", json={"actorId": "A-1"}).status_code == 404
    assert fake.writes[thread_id] == 1


def test_status_refused_while_archived_then_restore(fake: FakeHubSpot, api: Any) -> None:
    thread_id = _open_thread(fake)
    api("DELETE", C + f"/threads/{thread_id}")
    path = C + f"/threads/{thread_id}"
    assert api("PATCH", path, json={"status": "CLOSED"}).status_code == 404
    refused = api("PATCH", path, params={"archived": "true"}, json={"status": "CLOSED"})
    assert refused.status_code == 400 and refused.json()["status"] == "error" and "correlationId" in refused.json()
    assert fake.thread(thread_id)["status"] == "OPEN" and fake.writes[thread_id] == 1
    restored = api("PATCH", path, params={"archived": "true"}, json={"archived": False})
    assert restored.status_code == 200 and restored.json()["archived"] is False
    closed = api("PATCH", path, json={"status": "CLOSED"}).json()
    assert closed["status"] == "CLOSED" and "closedAt" in closed and fake.writes[thread_id] == 3


def test_patch_needs_a_body_and_ignores_unknown_keys(fake: FakeHubSpot, api: Any) -> None:
    thread_id = _open_thread(fake, status="CLOSED")
    path = C + f"/threads/{thread_id}"
    assert api("PATCH", path).status_code == 400
    assert api("PATCH", path, json={"status": "DONE"}).status_code == 400
    ignored = api("PATCH", path, json={"assignedTo": "A-1"})
    assert ignored.status_code == 200 and "assignedTo" not in ignored.json() and fake.writes[thread_id] == 0
    assert api("PATCH", path, json={"status": "CLOSED"}).status_code == 200  # a no-op write still counts
    assert fake.writes[thread_id] == 1


def test_assignee_put_and_delete(fake: FakeHubSpot, api: Any) -> None:
    thread_id = _open_thread(fake)
    path = C + f"/threads/{thread_id}/assignee"
    carol = fake.owner_user_id("carol@acme.example")
    assigned = api("PUT", path, json={"actorId": f"A-{carol}"})
    assert assigned.status_code == 200 and assigned.json()["assignedTo"] == f"A-{carol}"
    frank = fake.owner_user_id("frank@acme.example")
    for actor in (f"A-{frank}", "A-999", "carol@acme.example"):
        assert api("PUT", path, json={"actorId": actor}).status_code == 400
    assert api("PUT", path, json={}).status_code == 400
    assert api("DELETE", path).status_code == 204
    assert "assignedTo" not in fake.thread(thread_id) and fake.writes[thread_id] == 2


def test_comment_needs_type_text_and_attachments(fake: FakeHubSpot, api: Any) -> None:
    thread_id = _open_thread(fake)
    path = C + f"/threads/{thread_id}/messages"
    for body in ({"type": "COMMENT", "text": "x"}, {"type": "COMMENT", "attachments": []},
                 {"text": "x", "attachments": []}):
        assert api("POST", path, json=body).status_code == 400
    assert fake.writes[thread_id] == 0
    created = api("POST", path, json={"type": "COMMENT", "text": "Looking into it", "attachments": []})
    assert created.status_code == 201
    comment = created.json()
    assert comment["type"] == "COMMENT" and comment["text"] == "Looking into it"
    assert comment["senders"][0]["actorId"].startswith("I-") and fake.writes[thread_id] == 1


def test_actors_and_contacts_batch_read(fake: FakeHubSpot, api: Any) -> None:
    thread = fake.thread(_open_thread(fake))
    alice = fake.owner_user_id("alice@acme.example")
    assert api("GET", C + f"/actors/A-{alice}").json()["email"] == "alice@acme.example"
    partial = api("POST", C + "/actors/batch/read", json={"inputs": [f"A-{alice}", "A-1"]})
    assert partial.status_code == 207 and partial.json()["errors"][0]["context"]["ids"] == ["A-1"]
    contacts = api("POST", "/crm/objects/2026-09/contacts/batch/read",
                   json={"inputs": [{"id": thread["associatedContactId"]}],
                         "properties": ["email", "firstname", "lastname"]})
    assert contacts.status_code == 200
    properties = contacts.json()["results"][0]["properties"]
    assert properties["email"].endswith("@example.com") and properties["firstname"]


def test_directory_pipelines_and_account(fake: FakeHubSpot, api: Any) -> None:
    owners = api("GET", "/crm/owners/2026-09").json()["results"]
    assert {o["email"] for o in owners} == {f"{n}@acme.example" for n in
                                            ("alice", "bob", "carol", "dave", "grace", "erin", "heidi")}
    frank = api("GET", "/crm/owners/2026-09", params={"archived": "true"}).json()["results"]
    assert [o["email"] for o in frank] == ["frank@acme.example"] and frank[0]["userIdIncludingInactive"]
    dave = api("GET", "/crm/owners/2026-09", params={"email": "dave@acme.example"}).json()["results"][0]
    assert {(t["name"], t["primary"]) for t in dave["teams"]} == {("Tier 2", True), ("Sales EMEA", False)}
    users = api("GET", "/settings/users/2026-03").json()["results"]
    assert len(users) == 7 and sum("seatNames" in u for u in users) == 5
    teams = {t["name"] for t in api("GET", "/settings/users/2026-03/teams").json()["results"]}
    assert teams == {"Tier 1", "Tier 2", "Sales EMEA", "Billing"}
    pipelines = api("GET", "/crm/pipelines/2026-09/tickets").json()["results"]
    assert [s["label"] for s in pipelines[0]["stages"]] == ["New", "Waiting on contact", "Waiting on us", "Closed"]
    account = api("GET", "/account-info/2026-09/details").json()
    assert account["accountType"] == "PROFESSIONAL" and account["timeZone"] == "Europe/Paris"


# -- auth and scopes ---------------------------------------------------------------------------------------

def test_unknown_token_is_401_and_missing_scope_is_403(fake: FakeHubSpot, api: Any) -> None:
    for token in (None, "pat-unknown"):
        answer = api("GET", C + "/inboxes", token=token)
        assert answer.status_code == 401 and answer.json()["category"] == "INVALID_AUTHENTICATION"
    thread_id = _open_thread(fake)
    assert api("GET", C + f"/threads/{thread_id}", token=READ_ONLY_TOKEN).status_code == 200
    denied = api("PATCH", C + f"/threads/{thread_id}", token=READ_ONLY_TOKEN, json={"status": "CLOSED"})
    assert denied.status_code == 403
    body = denied.json()
    assert body["category"] == "MISSING_SCOPES"
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["conversations.write"]
    assert fake.writes[thread_id] == 0
    fake.add_token("pat-no-owners", [s for s in ALL_SCOPES if s != "crm.objects.owners.read"])
    assert api("GET", "/crm/owners/2026-09", token="pat-no-owners").status_code == 403


# -- rate limits ----------------------------------------------------------------------------------------------

def test_ten_secondly_limit_answers_429_and_applies_nothing() -> None:
    with FakeHubSpot(threads=0, rate_max=5, rate_interval_ms=300) as fake:
        thread_id = _open_thread(fake)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with requests.Session() as session:
            remaining = [session.get(fake.url + C + "/inboxes", headers=headers).headers[
                "X-HubSpot-RateLimit-Remaining"] for _ in range(5)]
            assert remaining == ["4", "3", "2", "1", "0"]
            limited = session.patch(fake.url + C + f"/threads/{thread_id}", headers=headers,
                                    json={"status": "CLOSED"})
            assert limited.status_code == 429
            assert limited.json()["policyName"] == "TEN_SECONDLY_ROLLING"
            assert limited.json()["errorType"] == "RATE_LIMIT"
            assert limited.headers["X-HubSpot-RateLimit-Max"] == "5"
            assert limited.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "300"
            assert fake.writes[thread_id] == 0 and fake.throttled["TEN_SECONDLY_ROLLING"] == 1
            time.sleep(0.35)
            assert session.get(fake.url + C + "/inboxes", headers=headers).status_code == 200


def test_daily_quota_answers_429_daily() -> None:
    with FakeHubSpot(threads=0) as fake, requests.Session() as session:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        fake.daily_remaining = 2
        first = session.get(fake.url + C + "/inboxes", headers=headers)
        assert first.headers["X-HubSpot-RateLimit-Daily"] == "625000"
        assert first.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "1"
        assert session.get(fake.url + C + "/inboxes", headers=headers).status_code == 200
        exhausted = session.get(fake.url + C + "/inboxes", headers=headers)
        assert exhausted.status_code == 429 and exhausted.json()["policyName"] == "DAILY"
        assert exhausted.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"
        assert fake.throttled["DAILY"] == 1


def test_free_accounts_get_the_lower_rate() -> None:
    for account_type, rate_max in (("STARTER", 100), ("FREE", 100), ("ENTERPRISE", 190)):
        fake = FakeHubSpot(threads=0, account_type=account_type)
        fake.stop()
        assert fake.rate_max == rate_max


# -- faults and scale -----------------------------------------------------------------------------------------

def _statuses(seed: int) -> tuple[list[Any], dict[str, int]]:
    faults = Faults(rate=0.5, seed=seed)
    with FakeHubSpot(threads=0, faults=faults) as fake:
        outcomes: list[Any] = []
        for _ in range(30):
            try:  # a new connection each time: a reset kills the one it lands on
                outcomes.append(requests.get(fake.url + C + "/inboxes", timeout=5,
                                             headers={"Authorization": f"Bearer {TOKEN}",
                                                      "Connection": "close"}).status_code)
            except requests.ConnectionError:
                outcomes.append("reset")
        assert [r.fault for r in fake.requests].count(None) == outcomes.count(200)
        return outcomes, dict(faults.injected)


def test_faults_are_deterministic_for_a_seed() -> None:
    first, injected = _statuses(7)
    assert first == _statuses(7)[0]
    assert {429, 502, 503, 423, "reset"} & set(first) and 200 in first
    assert sum(injected.values()) == sum(1 for outcome in first if outcome != 200)


def test_fifty_thousand_threads_seed_quickly() -> None:
    fake = FakeHubSpot(threads=0)
    fake.stop()
    started = time.perf_counter()
    created = fake.add_threads(50_000, inbox="Sales", assigned_to="dave@acme.example")
    assert time.perf_counter() - started < 2.0
    assert len(created) == 50_000 and created == sorted(created)
    assert fake.thread(created[-1])["inboxId"] == str(fake.inbox_id("Sales"))
