"""The backend against canned answers shaped like Chatwoot's official OpenAPI spec (``responses``)."""

from __future__ import annotations

import json

import pytest
import responses
from fakes.chatwoot_setup import FAST_CLIENT, FAST_SETTLE

from inboxctl.backends.chatwoot.backend import ChatwootBackend
from inboxctl.conversations.model import ActionRequest, ConversationQuery
from inboxctl.errors import AuthenticationError, BackendError, UsageError

URL = "https://chat.acme.example"
A = f"{URL}/api/v1/accounts/3"
TOKEN = "cw-live-token-91ad7f"

AGENT = {"id": 1, "account_id": 3, "availability_status": "online", "auto_offline": True, "confirmed": True,
         "email": "Alice@acme.example", "available_name": "Alice", "name": "Alice", "role": "administrator",
         "thumbnail": "", "custom_role_id": None}
WIDGET = {"id": 7, "name": "Website", "website_url": "https://acme.example", "channel_type": "Channel::WebWidget",
          "avatar_url": "", "widget_color": "#1f93ff", "website_token": "abc", "enable_auto_assignment": False,
          "web_widget_script": "<script>", "welcome_title": None, "welcome_tagline": None, "greeting_enabled": True,
          "greeting_message": "Hello!", "channel_id": 4, "working_hours_enabled": True,
          "enable_email_collect": True, "csat_survey_enabled": False, "auto_assignment_config": {},
          "out_of_office_message": "We are closed", "timezone": "Europe/Berlin", "callback_webhook_url": None,
          "allow_messages_after_resolved": True, "lock_to_single_conversation": False,
          "sender_name_type": "friendly", "business_name": None, "hmac_mandatory": False,
          "selected_feature_flags": ["attachments"], "reply_time": "in_a_day", "messaging_service_sid": None,
          "phone_number": None, "medium": None, "provider": None,
          "working_hours": [{"day_of_week": d, "closed_all_day": d in (0, 6), "open_hour": 8, "open_minutes": 30,
                             "close_hour": 16, "close_minutes": 0, "open_all_day": False} for d in range(7)]}


def conversation(number: int, status: str = "open") -> dict:
    return {"id": number, "messages": [], "account_id": 3, "uuid": f"u{number}", "additional_attributes": {},
            "agent_last_seen_at": 0, "assignee_last_seen_at": 0, "can_reply": True, "contact_last_seen_at": 0,
            "custom_attributes": {}, "inbox_id": 7, "labels": [], "muted": False, "snoozed_until": None,
            "status": status, "created_at": 1_700_000_000 + number, "updated_at": 1_700_000_000.5 + number,
            "timestamp": 1_700_000_000 + number, "first_reply_created_at": None, "unread_count": 0,
            "last_non_activity_message": None, "last_activity_at": 1_700_000_000 + number, "priority": None,
            "waiting_since": None, "sla_policy_id": None,
            "meta": {"sender": {"additional_attributes": {}, "availability_status": "offline",
                                "email": "jane@example.com", "id": 40, "name": "Jane", "phone_number": None,
                                "blocked": False, "identifier": None, "thumbnail": "", "custom_attributes": {},
                                "last_activity_at": 1_700_000_000, "created_at": 1_690_000_000},
                     "channel": "Channel::WebWidget", "assignee": None, "hmac_verified": False}}


@pytest.fixture
def backend():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        made = ChatwootBackend(URL, "3", TOKEN, rate=1000.0, client_options=FAST_CLIENT, settle=FAST_SETTLE)
        made.mocked = mocked
        yield made


def account(mocked: responses.RequestsMock, rules: list | None = None) -> None:
    mocked.get(f"{A}/agents", json=[AGENT])
    mocked.get(f"{A}/teams", json=[{"id": 2, "name": "tier 1", "description": None, "allow_auto_assign": True,
                                    "account_id": 3, "is_member": True}])
    mocked.get(f"{A}/teams/2/team_members", json=[AGENT])
    mocked.get(f"{A}/inboxes", json={"payload": [WIDGET]})
    mocked.get(f"{A}/inbox_members/7", json={"payload": [AGENT]})
    mocked.get(f"{A}/automation_rules", json={"payload": rules or []})


def test_whoami_checks_the_account_and_sends_the_token_header(backend):
    backend.mocked.get(f"{URL}/api/v1/profile", json={
        "id": 1, "name": "Alice", "email": "alice@acme.example", "role": "administrator",
        "accounts": [{"id": 3, "name": "Acme", "status": "active", "role": "administrator"}]})
    assert backend.whoami() == f"Alice <alice@acme.example>, administrator of account 3 on {URL}"
    assert backend.mocked.calls[0].request.headers["api_access_token"] == TOKEN


def test_whoami_for_an_account_the_token_cannot_reach(backend):
    backend.mocked.get(f"{URL}/api/v1/profile", json={"id": 1, "email": "alice@acme.example",
                                                       "accounts": [{"id": 9, "name": "Other"}]})
    with pytest.raises(AuthenticationError, match="no access to account 3") as raised:
        backend.whoami()
    assert "9 (Other)" in str(raised.value)


def test_a_hand_made_widget_reads_back_in_definition_terms(backend):
    account(backend.mocked)
    [inbox] = backend.read_inboxes()
    assert not inbox.managed and inbox.definition.name == "Website"
    settings = inbox.definition.settings
    assert settings["members"] == ["alice@acme.example"] and settings["routing"]["mode"] == "unassigned"
    assert settings["business_hours"] == {"timezone": "Europe/Berlin", "hours": [
        {"days": ["mon", "tue", "wed", "thu", "fri"], "open": "08:30", "close": "16:00"}]}
    [chat] = inbox.definition.channels
    assert chat.settings == {"name": "Website", "color": "#1F93FF", "position": "bottom-right",
                             "open_welcome_as_prompt": False, "availability": "business_hours",
                             "typical_response_time": "a_day", "outside_hours": "show_away_message",
                             "show_branding": True, "website_url": "https://acme.example",
                             "welcome_message": "Hello!",
                             "when_away": {"action": "show_message", "message": "We are closed"}}
    assert backend.directory().teams[0].members == ("alice@acme.example",)


def test_a_rule_that_only_looks_like_inboxctls_does_not_make_an_inbox_managed(backend):
    account(backend.mocked, rules=[{"id": 5, "account_id": 3, "name": "[inboxctl] Website (ownership marker)",
                                    "description": "made by hand", "event_name": "conversation_created",
                                    "conditions": [], "actions": [], "created_on": 1, "active": False}])
    assert backend.read_inboxes()[0].managed is False


def test_listing_follows_meta_all_count_and_the_documented_page_shape(backend):
    account(backend.mocked)
    page = {"data": {"meta": {"mine_count": 0, "assigned_count": 0, "unassigned_count": 27, "all_count": 27},
                     "payload": [conversation(n) for n in range(27, 2, -1)]}}
    last = {"data": {"meta": page["data"]["meta"], "payload": [conversation(2), conversation(1)]}}
    backend.mocked.get(f"{A}/conversations", match=[responses.matchers.query_param_matcher(
        {"status": "all", "assignee_type": "all", "sort_by": "created_at_desc", "page": "1"})], json=page)
    backend.mocked.get(f"{A}/conversations", match=[responses.matchers.query_param_matcher(
        {"status": "all", "assignee_type": "all", "sort_by": "created_at_desc", "page": "2"})], json=last)
    listed = list(backend.list_conversations(ConversationQuery()))
    assert len(listed) == 27 and listed[0].contact == "jane@example.com" and listed[0].channel == "chat"
    assert listed[0].created_at == "2023-11-14T22:13:47+00:00" and listed[-1].inbox == "Website"


def test_a_validation_error_carries_chatwoots_message(backend):
    backend.mocked.post(f"{A}/conversations/filter", status=422, json={"error": "Invalid attribute key - foo"})
    with pytest.raises(BackendError, match="Invalid attribute key - foo"):
        list(backend.conversations.read([1]))


def test_a_permission_failure_is_a_per_conversation_reason(backend):
    account(backend.mocked)
    backend.mocked.post(f"{A}/conversations/filter", json={"meta": {"all_count": 1}, "payload": [conversation(4)]})
    backend.mocked.delete(f"{A}/conversations/4", status=401,
                          json={"error": "You are not authorized to do this action"})
    [result] = backend.run_action(ActionRequest(action="delete"), ["4"])
    assert result.outcome == "failed" and "only administrators can delete" in result.reason


def test_the_token_is_masked_even_when_the_server_echoes_it(backend):
    backend.mocked.get(f"{A}/agents", status=500, json={"message": f"bad token {TOKEN}"})
    with pytest.raises(BackendError) as raised:
        backend.directory()
    assert TOKEN not in str(raised.value) and "***" in str(raised.value)


def test_the_account_id_and_url_are_checked_before_any_request():
    with pytest.raises(UsageError, match="positive number"):
        ChatwootBackend(URL, "acme", TOKEN)
    with pytest.raises(UsageError, match="plain http"):
        ChatwootBackend("http://chat.acme.example", 1, TOKEN)


def test_member_ids_are_sent_as_integers(backend):
    account(backend.mocked)
    backend.mocked.patch(f"{A}/inbox_members", json={"payload": []})
    backend.api.set_inbox_members(7, [1, 2])
    body = json.loads(backend.mocked.calls[-1].request.body)
    assert body == {"inbox_id": 7, "user_ids": [1, 2]}
