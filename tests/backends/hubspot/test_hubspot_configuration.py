"""Inbox configuration on HubSpot: the directory and the live inboxes read from answers in HubSpot's
official shapes (``responses``), then from the fake HubSpot on 127.0.0.1, compared with the local
backend's demo workspace it seeds."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

TESTS_DIR = Path(__file__).resolve().parents[2]
if str(TESTS_DIR) not in sys.path:  # tests/fakes is shared with the benchmark, not a package
    sys.path.insert(0, str(TESTS_DIR))

from fakes.hubspot_server import TOKEN, FakeHubSpot  # noqa: E402

from inboxctl.backends.base import Pipeline  # noqa: E402
from inboxctl.backends.hubspot import configuration  # noqa: E402
from inboxctl.backends.local.backend import LocalBackend  # noqa: E402
from inboxctl.definitions.loader import load_file, parse_definition  # noqa: E402
from inboxctl.errors import AuthenticationError, UnsupportedError  # noqa: E402
from inboxctl.http import HttpClient  # noqa: E402
from inboxctl.planner.plan import CHANNEL, CREATE, ResourceChange  # noqa: E402

URL = "https://api.hubapi.com"
C = f"{URL}/conversations/conversations/2026-09"
CONFIGS = TESTS_DIR.parent / "configs"


def hubspot_client(url: str = URL, token: str = "pat-na1-configuration-test") -> HttpClient:
    return HttpClient(url, auth_headers={"Authorization": f"Bearer {token}"}, server_name="HubSpot",
                      max_attempts=1)


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as requests_mock:  # any request not registered here fails the test
        yield requests_mock


def page(results: list[dict[str, Any]], after: str | None = None, total: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"results": results}
    if total is not None:
        body["total"] = total
    if after is not None:
        body["paging"] = {"next": {"after": after, "link": f"{URL}/next?after={after}"}}
    return body


def owner(number: int, email: str, *, active: bool = True) -> dict[str, Any]:
    return {"id": str(500 + number), "email": email, "type": "PERSON", "firstName": email.split("@")[0].title(),
            "lastName": "Acme", "userId": number if active else None, "userIdIncludingInactive": number,
            "createdAt": "2025-01-02T09:00:00.000Z", "updatedAt": "2025-01-02T09:00:00.000Z",
            "archived": not active, "teams": []}


def user(number: int, email: str, *, seats: list[str] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"id": str(number), "email": email, "firstName": email.split("@")[0].title(),
                            "lastName": "Acme", "roleIds": [], "superAdmin": False, "secondaryTeamIds": []}
    if seats is not None:
        data["seatNames"] = seats
    return data


def directory_answers(mocked: responses.RequestsMock) -> None:
    mocked.get(f"{URL}/settings/users/2026-03",
               json=page([user(1, "Alice@acme.example", seats=["Service Seat"]), user(2, "erin@acme.example")]))
    mocked.get(f"{URL}/crm/owners/2026-09", match=[responses.matchers.query_param_matcher({"limit": "100"})],
               json=page([owner(1, "alice@acme.example")], after="MQ"))
    mocked.get(f"{URL}/crm/owners/2026-09",
               match=[responses.matchers.query_param_matcher({"limit": "100", "after": "MQ"})],
               json=page([owner(2, "erin@acme.example")]))
    mocked.get(f"{URL}/crm/owners/2026-09",
               match=[responses.matchers.query_param_matcher({"limit": "100", "archived": "true"})],
               json=page([owner(3, "frank@acme.example", active=False)]))
    mocked.get(f"{URL}/settings/users/2026-03/teams", json={"results": [
        {"id": "41", "name": "Tier 1", "userIds": ["1"], "secondaryUserIds": ["2", "3"]}]})
    mocked.get(f"{URL}/crm/pipelines/2026-09/tickets", json={"results": [
        {"id": "0", "label": "Support Pipeline", "displayOrder": 0, "archived": False, "stages": [
            {"id": "4", "label": "Closed", "displayOrder": 3, "metadata": {"ticketState": "CLOSED"}},
            {"id": "1", "label": "New", "displayOrder": 0, "metadata": {"ticketState": "OPEN"}},
            {"id": "9", "label": "Old stage", "displayOrder": 1, "archived": True, "metadata": {}}]},
        {"id": "7", "label": "Retired", "displayOrder": 1, "archived": True, "stages": []}]})


# -- the directory ----------------------------------------------------------------------------------

def test_the_directory_reads_users_owners_teams_and_pipelines(mocked: responses.RequestsMock) -> None:
    directory_answers(mocked)

    directory = configuration.read_directory(hubspot_client())

    assert [(u.email, u.has_seat, u.active) for u in directory.users] == [
        ("alice@acme.example", True, True), ("erin@acme.example", False, True), ("frank@acme.example", True, False)]
    assert [(team.name, team.members) for team in directory.teams] == [
        ("Tier 1", ("alice@acme.example", "erin@acme.example", "frank@acme.example"))]
    assert directory.pipelines == (Pipeline("Support Pipeline", ("New", "Closed")),)
    assert directory.forms == () and directory.facebook_pages == ()  # not listed: the plan checks connections


def test_paid_seats_unknown_to_the_account_never_fail_a_routing_target() -> None:
    users = [user(1, "alice@acme.example"), user(2, "erin@acme.example")]  # no seatNames anywhere
    assert all(found.has_seat for found in configuration.directory_users(users, []))


def test_a_missing_scope_is_an_error_that_names_it(mocked: responses.RequestsMock) -> None:
    mocked.get(f"{URL}/settings/users/2026-03", status=403, json={
        "status": "error", "category": "MISSING_SCOPES", "correlationId": "c0ffee",
        "message": "This app hasn't been granted all required scopes to make this call.",
        "errors": [{"message": "One or more of the following scopes are required.",
                    "context": {"requiredGranularScopes": ["settings.users.read"]}}]})

    with pytest.raises(AuthenticationError) as raised:
        configuration.read_directory(hubspot_client())

    assert "settings.users.read" in str(raised.value)


# -- the live inboxes ---------------------------------------------------------------------------------

CHANNELS = [{"id": channel_id, "name": name} for channel_id, name in (
    ("1000", "LIVE_CHAT"), ("1001", "FB_MESSENGER"), ("1002", "EMAIL"), ("1003", "FORMS"), ("1007", "WHATSAPP"),
    ("1008", "CALLING"), ("2301", "Acme SMS bridge"))]


def account(number: int, channel: str, inbox: str, name: str, identifier: dict[str, str] | None = None,
            **extra: Any) -> dict[str, Any]:
    data = {"id": str(number), "channelId": channel, "inboxId": inbox, "name": name, "active": True,
            "authorized": True, "archived": False, "createdAt": "2025-03-01T10:00:00.000Z", **extra}
    if identifier:
        data["deliveryIdentifier"] = identifier
    return data


def test_live_inboxes_hold_their_connected_channels_by_identity(mocked: responses.RequestsMock) -> None:
    mocked.get(f"{C}/channels", json=page(CHANNELS, total=len(CHANNELS)))
    mocked.get(f"{C}/channel-accounts", json=page([
        account(1, "1002", "11", "Acme Support", {"type": "HS_EMAIL_ADDRESS", "value": "Support@Acme.example"}),
        account(2, "1000", "11", "Website chat"),
        account(3, "1001", "11", "Acme Corp", {"type": "CHANNEL_SPECIFIC_OPAQUE_ID", "value": "1029384756"}),
        account(4, "1007", "11", "WhatsApp", {"type": "HS_PHONE_NUMBER", "value": "+33 1 23 45 67 89"}),
        account(5, "2301", "11", "SMS", {"type": "HS_PHONE_NUMBER", "value": "+15550100"}),  # custom: left out
        account(6, "1003", "12", "Request a demo"),
        account(7, "1000", "12", "Old chat", archived=True)], total=7))
    mocked.get(f"{C}/inboxes", json=page([
        {"id": "11", "name": "Support", "type": "INBOX", "archived": False},
        {"id": "12", "name": "Sales", "type": "HELP_DESK", "archived": False},
        {"id": "13", "name": "Empty", "type": "INBOX", "archived": False}], total=3))

    live = {inbox.definition.name: inbox for inbox in configuration.read_live_inboxes(hubspot_client())}

    assert {name: [(c.type, c.settings) for c in inbox.definition.channels] for name, inbox in live.items()} == {
        "Support": [("email", {"address": "support@acme.example"}), ("chat", {"name": "Website chat"}),
                    ("messenger", {"page": "Acme Corp"}), ("whatsapp", {"phone": "+33123456789"})],
        "Sales": [("form", {"form": "Request a demo"})],
        "Empty": []}
    assert not any(inbox.managed for inbox in live.values())  # HubSpot keeps no ownership marker


@pytest.mark.parametrize(("name", "kind"), [
    ("EMAIL", "email"), ("Email", "email"), ("LIVE_CHAT", "chat"), ("Chat", "chat"), ("FB_MESSENGER", "messenger"),
    ("Facebook Messenger", "messenger"), ("FORMS", "form"), ("WhatsApp", "whatsapp"), ("CALLING", "calling"),
    ("Acme SMS bridge", None)])
def test_channel_types_come_from_hubspot_channel_names(name: str, kind: str | None) -> None:
    assert configuration.channel_type(name) == kind


def test_an_email_account_without_an_address_cannot_be_matched_and_is_left_out() -> None:
    assert configuration.channel_of(account(1, "1002", "11", "Support team"), "email") is None


# -- what HubSpot cannot manage -------------------------------------------------------------------------

def test_every_setting_but_the_inbox_and_its_channel_identities_is_unsupported() -> None:
    support, problems = load_file(CONFIGS / "support.toml")
    assert support is not None, problems

    unsupported = configuration.unsupported_settings(support)

    settings = [problem.setting for problem in unsupported]
    assert "inbox.members" in settings and "routing.mode" in settings and "channel.chat.color" in settings
    assert "business_hours.hours" in settings and "email_filters.blocked_senders" in settings
    assert not any(setting in configuration.CHECKABLE_SETTINGS for setting in settings)
    assert not any(setting.endswith((".address", ".page", ".form", ".phone")) for setting in settings)
    members = next(problem for problem in unsupported if problem.setting == "inbox.members")
    assert members.path == ("inbox", "members") and "HubSpot's settings" in members.reason


def test_a_definition_with_only_a_name_and_channels_is_fully_checkable() -> None:
    inbox, problems = parse_definition('[inbox]\nname = "Sales"\n\n[[channels]]\ntype = "email"\n'
                                       'address = "sales@acme.example"\n', "sales.toml")
    assert inbox is not None, problems
    assert configuration.unsupported_settings(inbox) == []


def test_applying_a_change_sends_nothing_and_says_why(mocked: responses.RequestsMock) -> None:
    change = ResourceChange(CREATE, CHANNEL, "Sales", channel_type="chat", channel_key="Pricing page chat")

    with pytest.raises(UnsupportedError) as raised:
        configuration.apply_change(hubspot_client(), change)

    assert str(raised.value).startswith('HubSpot\'s API cannot connect chat "Pricing page chat" to inbox "Sales"')
    assert len(mocked.calls) == 0


# -- against the fake HubSpot: the same workspace as the local backend's demo -------------------------------

@pytest.fixture(scope="module")
def fake() -> Iterator[FakeHubSpot]:
    with FakeHubSpot(threads=0) as running:
        yield running


def test_the_fake_directory_resolves_like_the_local_demo_workspace(fake: FakeHubSpot, tmp_path: Path) -> None:
    local = LocalBackend.open(tmp_path / "local.sqlite3", conversations=0)
    try:
        expected = local.directory()
    finally:
        local.close()

    directory = configuration.read_directory(hubspot_client(fake.url, TOKEN))

    assert [(u.email, u.has_seat, u.active) for u in directory.users] == [
        (u.email, u.has_seat, u.active) for u in expected.users]
    assert {(t.name, t.members) for t in directory.teams} == {(t.name, t.members) for t in expected.teams}
    assert set(directory.pipelines) == set(expected.pipelines)


def test_the_fake_inboxes_and_their_channels(fake: FakeHubSpot) -> None:
    live = configuration.read_live_inboxes(hubspot_client(fake.url, TOKEN))

    assert sorted((inbox.definition.name, sorted(c.ident for c in inbox.definition.channels)) for inbox in live) == [
        ("Sales", ["email:sales@acme.example"]),
        ("Support", ["chat:website chat", "email:support@acme.example"])]
    assert {request.method for request in fake.requests} == {"GET"}
