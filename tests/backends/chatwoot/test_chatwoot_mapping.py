"""The definition <-> Chatwoot mapping and inboxctl's marks, without any I/O."""

from __future__ import annotations

import re

import pytest

from inboxctl.backends.chatwoot.mapping import (
    InboxState, Rule, assignment, chatwoot_name, hours_to_rows, normalise_rows, parse_name, read_state, rows_to_hours,
    target_state, update_body, valid_name)
from inboxctl.backends.chatwoot.ownership import Marker, marker_body, parse_rule, routing_body
from inboxctl.definitions.formats import canonical_hours

# app/models/inbox.rb, as Ruby applies it to e-mail, API and website inbox names.
CHATWOOT_NAME_RULE = re.compile(r"^\b[^/\\<>@]*\b$", re.MULTILINE)

INBOX = {"members": ["alice@acme.example"], "teams": [], "protect": False, "business_hours": None,
         "email_filters": {"filter_role_based": False, "blocked_senders": []},
         "routing": {"mode": "unassigned", "users": [], "teams": [], "only_available": True,
                     "reassign_when_away": False},
         "ticket_defaults": {"enabled": False, "owner": "conversation_owner"}}


@pytest.mark.parametrize(("kind", "key", "expected"), [
    ("email", "support@acme.example", "Support · support at acme.example"),
    ("chat", "Website chat", "Support · Website chat"),
    ("whatsapp", "+33123456789", "Support · +33123456789"),
    ("api", None, "Support"),
])
def test_chatwoot_names_say_inbox_then_channel_and_pass_chatwoots_own_rule(kind, key, expected):
    name = chatwoot_name("Support", kind, key)
    assert name == expected
    if kind != "whatsapp":  # Chatwoot checks the names of e-mail, API and website inboxes only
        assert CHATWOOT_NAME_RULE.search(name) and valid_name(name)
    assert parse_name(name)[0] == "Support"


@pytest.mark.parametrize("name", ["Support (EU)", "Sales/Ops", "<Sales>", "support@acme", "-Sales"])
def test_names_chatwoot_refuses_are_recognised(name):
    assert not valid_name(name)
    assert not CHATWOOT_NAME_RULE.search(name)


def test_a_plain_name_has_no_channel_label():
    assert parse_name("Help Center") == ("Help Center", None)
    assert parse_name("Support · Website chat") == ("Support", "Website chat")


def test_business_hours_become_seven_rows_from_sunday_and_read_back_canonically():
    hours = [{"days": ["mon", "tue", "wed", "thu", "fri"], "open": "09:00", "close": "18:00"},
             {"days": ["sat"], "open": "10:00", "close": "14:00"}]
    rows = hours_to_rows(hours)
    assert [row["day_of_week"] for row in rows] == list(range(7))
    assert rows[0]["closed_all_day"] and not rows[6]["closed_all_day"]  # Sunday closed, Saturday open
    assert (rows[1]["open_hour"], rows[1]["close_hour"]) == (9, 18)
    assert rows_to_hours(rows) == canonical_hours(hours)


def test_rows_chatwoot_writes_itself_are_normalised():
    rows = normalise_rows([{"day_of_week": 2, "open_all_day": True, "closed_all_day": False}])
    assert rows[2]["open_hour"] == 0 and (rows[2]["close_hour"], rows[2]["close_minutes"]) == (23, 59)
    assert all(row["closed_all_day"] for index, row in enumerate(rows) if index != 2)


def test_routing_to_exactly_the_members_is_chatwoots_round_robin():
    members = frozenset({"alice@acme.example", "bob@acme.example"})
    round_robin = {"mode": "users_and_teams", "users": sorted(members), "teams": [], "only_available": True}
    assert assignment(round_robin, members) == (None, None, True)
    to_team = {"mode": "users_and_teams", "users": [], "teams": ["Tier 1"], "only_available": False}
    assert assignment(to_team, members) == ("tier 1", None, False)
    assert assignment({"mode": "unassigned"}, members) == (None, None, False)


def test_a_chat_channel_survives_the_trip_to_chatwoot_and_back():
    chat = {"name": "Website chat", "website_url": "https://www.acme.example", "color": "#FF7A59",
            "position": "bottom-right", "welcome_message": "Hi!", "open_welcome_as_prompt": False,
            "availability": "team_status", "typical_response_time": "a_few_hours",
            "when_away": {"action": "show_message", "message": "Away"}, "outside_hours": "show_away_message",
            "show_branding": True, "ticket_defaults": {"priority": "high"}}
    state = target_state(INBOX, "chat", chat, frozenset({"alice@acme.example"}), key="Website chat")
    assert state.channel == {"widget_color": "#FF7A59", "reply_time": "in_a_few_hours",
                             "website_url": "https://www.acme.example"}
    assert state.rule == Rule(priority="high")
    view = read_state(state)
    assert view.channel == {key: value for key, value in chat.items() if key != "ticket_defaults"}
    assert view.ticket_defaults["priority"] == "high"


def test_an_update_sends_only_what_differs():
    live = target_state(INBOX, "api", None, frozenset())
    wanted = InboxState(kind="api", key=None, fields={**live.fields, "enable_auto_assignment": True},
                        channel={}, members=frozenset())
    assert update_body(wanted, live) == {"enable_auto_assignment": True}
    assert update_body(live, live) == {}


def test_the_marker_is_found_by_its_tag_not_by_its_name():
    marker = Marker(inbox="Support", inbox_ids=[3, 4], protect=True, teams=["tier 1"])
    rule = {"id": 9, **marker_body(marker)}
    kind, parsed = parse_rule(rule)
    assert kind == "marker" and parsed.inbox == "Support" and parsed.inbox_ids == [3, 4] and parsed.protect
    assert rule["active"] is False and rule["name"].startswith("[inboxctl] ")
    impostor = {"id": 10, "name": "[inboxctl] Support (ownership marker)", "description": "made by hand"}
    assert parse_rule(impostor) is None
    assert parse_rule({"id": 11, "description": "inboxctl:v1:{not json"}) is None


def test_a_routing_rule_names_its_inbox_in_its_condition_and_its_tag():
    rule = routing_body(7, "Support · Website chat", [{"action_name": "assign_team", "action_params": [1]}])
    assert rule["conditions"] == [{"attribute_key": "inbox_id", "filter_operator": "equal_to", "values": [7],
                                   "query_operator": None}]
    assert parse_rule({"id": 1, **rule}) == ("routing", 7)
