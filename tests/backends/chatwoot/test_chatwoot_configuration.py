"""Inbox definitions applied to a fake Chatwoot over real HTTP: plan, apply, drift, export, prune."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from fakes.chatwoot_server import ADMIN_TOKEN, FakeChatwoot
from fakes.chatwoot_setup import CONFIGS

from fakes.chatwoot_server import AGENT_TOKEN
from inboxctl.backends.chatwoot.backend import ChatwootBackend
from inboxctl.definitions.exporter import export_to_directory
from inboxctl.errors import AuthenticationError
from inboxctl.definitions.loader import load_definitions, parse_definition
from inboxctl.planner.plan import Plan
from inboxctl.planner.service import apply_plan, make_plan


def converge(backend: ChatwootBackend, *paths: Path, prune: bool = False) -> Plan:
    plan = make_plan(backend, load_definitions(list(paths)), prune=prune, max_deletes=5)
    report = apply_plan(backend, plan)
    assert report.complete, report.failed
    return plan


def writes(fake: FakeChatwoot) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in fake.requests if r.method != "GET" and not r.path.endswith("/filter")]


def names(fake: FakeChatwoot) -> dict[str, str]:
    return {inbox["name"]: inbox["channel_type"] for inbox in fake.inboxes.values()}


def test_apply_the_chatwoot_configs_then_the_plan_is_empty(fake, backend):
    plan = converge(backend, CONFIGS)
    assert plan.counts() == {"create": 6, "update": 2, "delete": 0}
    assert make_plan(backend, load_definitions([CONFIGS])).is_empty()
    assert names(fake) == {
        "Support · Acme Corp": "Channel::FacebookPage", "Help Center": "Channel::WebWidget",
        "Partners": "Channel::Api",  # the channel-less inbox is held by an API inbox
        "Sales · sales at acme.example": "Channel::Email", "Sales · Pricing page chat": "Channel::WebWidget",
        "Support · support at acme.example": "Channel::Email", "Support · Website chat": "Channel::WebWidget"}
    markers = [rule for rule in fake.rules.values() if "(ownership marker)" in rule["name"]]
    assert sorted(rule["name"] for rule in markers) == [f"[inboxctl] {name} (ownership marker)"
                                                        for name in ("Partners", "Sales", "Support")]
    assert not any(rule["active"] for rule in markers)
    assert fake.off_spec == []


def test_what_the_configs_become_in_chatwoot(fake, backend):
    converge(backend, CONFIGS)
    by_name = {inbox["name"]: inbox for inbox in fake.inboxes.values()}
    chat = by_name["Support · Website chat"]
    assert (chat["widget_color"], chat["reply_time"], chat["greeting_message"]) == (
        "#FF7A59", "in_a_few_minutes", "Hi! How can we help?")
    assert chat["working_hours_enabled"] and chat["timezone"] == "Europe/Paris"
    assert [(row["day_of_week"], row["closed_all_day"], row["open_hour"], row["close_hour"])
            for row in chat["working_hours"]][:2] == [(0, True, None, None), (1, False, 9, 18)]
    email = by_name["Sales · sales at acme.example"]
    assert (email["sender_name_type"], email["business_name"], email["enable_auto_assignment"]) == (
        "professional", "Acme Sales", False)  # only_available = false: the rule gives it to the team only
    emails = {user["id"]: user["email"] for user in fake.users.values()}
    support = sorted(emails[i] for i in fake.inbox_members[chat["id"]])
    assert support == ["alice@acme.example", "bob@acme.example", "carol@acme.example", "dave@acme.example"]
    rule = next(r for r in fake.rules.values() if r["conditions"][0]["values"] == [chat["id"]] and r["active"])
    assert rule["actions"] == [{"action_name": "assign_team", "action_params": [1]},
                               {"action_name": "change_priority", "action_params": ["high"]}]
    assert rule["event_name"] == "conversation_created"
    assert rule["name"] == "[inboxctl] Support · Website chat (routing)"


def test_a_second_apply_writes_nothing(fake, backend):
    converge(backend, CONFIGS)
    before = len(writes(fake))
    plan = converge(backend, CONFIGS)
    assert plan.is_empty() and len(writes(fake)) == before


def test_changes_made_in_chatwoot_show_in_the_plan_and_apply_puts_them_right(fake, backend):
    converge(backend, CONFIGS)
    by_name = {inbox["name"]: inbox for inbox in fake.inboxes.values()}
    fake.inbox_members[by_name["Sales · Pricing page chat"]["id"]].discard(5)  # grace, by hand
    rule = next(r for r in fake.rules.values() if r["name"] == "[inboxctl] Support · Website chat (routing)")
    rule["actions"][1]["action_params"] = ["low"]
    fake.inboxes[by_name["Support · Website chat"]["id"]]["widget_color"] = "#000000"
    plan = make_plan(backend, load_definitions([CONFIGS]))
    changed = {(change.inbox, change.channel_key, field.path) for change in plan.changes for field in change.fields}
    assert ("Sales", None, "members") in changed
    assert ("Support", "Website chat", "ticket_defaults.priority") in changed
    assert ("Support", "Website chat", "color") in changed
    converge(backend, CONFIGS)
    assert make_plan(backend, load_definitions([CONFIGS])).is_empty()


def test_a_team_that_grows_in_chatwoot_brings_its_new_member_to_the_inbox(fake, backend):
    converge(backend, CONFIGS)
    fake.team_members[1].add(6)  # erin joins Tier 1
    plan = make_plan(backend, load_definitions([CONFIGS]))
    # Tier 1 no longer works the whole inbox as Chatwoot has it: the plan says so, and apply adds erin.
    assert [(c.inbox, [f.path for f in c.fields]) for c in plan.changes] == [("Support", ["teams"])]
    converge(backend, CONFIGS)
    chat = next(i for i in fake.inboxes.values() if i["name"] == "Support · Website chat")
    assert 6 in fake.inbox_members[chat["id"]]


def test_an_inbox_renamed_in_chatwoot_stays_in_its_definition(fake, backend):
    converge(backend, CONFIGS)
    chat = next(i for i in fake.inboxes.values() if i["name"] == "Sales · Pricing page chat")
    chat["name"] = "Pricing"  # by hand: the marker remembers the inbox's id and its chat name
    assert make_plan(backend, load_definitions([CONFIGS])).is_empty()
    sales = next(inbox for inbox in backend.read_inboxes() if inbox.definition.name == "Sales")
    assert sorted(channel.key for channel in sales.definition.channels) == ["Pricing page chat", "sales@acme.example"]


def test_export_then_plan_is_empty_for_hand_made_and_managed_inboxes(fake, backend, tmp_path):
    for stage in ("hand-made", "managed"):
        if stage == "managed":
            converge(backend, CONFIGS)
        directory = tmp_path / stage
        export_to_directory([inbox.definition for inbox in backend.read_inboxes()], directory)
        assert make_plan(backend, load_definitions([directory])).is_empty(), stage
    exported = (tmp_path / "managed" / "support.toml").read_text()
    assert 'teams = ["tier 1", "tier 2"]' in exported and "website_url" in exported


def test_prune_deletes_only_managed_unprotected_inboxes(fake, backend, tmp_path):
    converge(backend, CONFIGS)
    kept = tmp_path / "kept"
    kept.mkdir()
    shutil.copy(CONFIGS / "support.toml", kept)
    plan = make_plan(backend, load_definitions([kept]))
    assert any("'Sales' is managed by inboxctl but has no definition" in note for note in plan.notes)
    converge(backend, kept, prune=True)
    assert set(names(fake)) == {"Support · Acme Corp", "Help Center", "Support · support at acme.example",
                                "Support · Website chat"}  # Help Center is not managed: never deleted
    assert {r["name"] for r in fake.rules.values() if "marker" in r["name"]} == {
        "[inboxctl] Support (ownership marker)"}


def test_a_protected_inbox_is_kept_when_pruned(fake, backend, tmp_path):
    protected = (CONFIGS / "minimal.toml").read_text().replace('name = "Partners"', 'name = "Partners"\nprotect = true')
    (tmp_path / "minimal.toml").write_text(protected)
    converge(backend, tmp_path)
    (tmp_path / "minimal.toml").unlink()
    (tmp_path / "sales.toml").write_text((CONFIGS / "sales.toml").read_text())
    plan = make_plan(backend, load_definitions([tmp_path]), prune=True)
    assert any("protected" in note for note in plan.notes)
    assert not any(change.action == "delete" for change in plan.changes)


def test_removing_the_last_channel_leaves_an_api_inbox_to_hold_the_settings(fake, backend, tmp_path):
    converge(backend, CONFIGS / "sales.toml")
    (tmp_path / "sales.toml").write_text((CONFIGS / "sales.toml").read_text().split("[[channels]]")[0])
    plan = converge(backend, tmp_path)
    assert sorted((c.action, c.channel_key) for c in plan.changes) == [("delete", "Pricing page chat"),
                                                                       ("delete", "sales@acme.example")]
    assert {name for name in names(fake) if name.startswith("Sales")} == {"Sales"}
    assert make_plan(backend, load_definitions([tmp_path])).is_empty()


def test_channels_of_an_unmanaged_inbox_are_never_deleted(fake, backend, tmp_path):
    (tmp_path / "help.toml").write_text('[inbox]\nname = "Help Center"\nmembers = ["alice@acme.example"]\n'
                                        '[routing]\nmode = "users_and_teams"\nusers = ["alice@acme.example"]\n')
    plan = make_plan(backend, load_definitions([tmp_path]))
    report = apply_plan(backend, plan)
    assert [change.action for change, _ in report.failed] == ["delete"]
    assert "not managed by inboxctl" in report.failed[0][1]
    assert "Help Center" in names(fake)


def test_a_whatsapp_inbox_is_created_with_credentials_from_the_environment(fake, backend, tmp_path, monkeypatch):
    (tmp_path / "wa.toml").write_text('[inbox]\nname = "Mobile"\nmembers = ["bob@acme.example"]\n'
                                      '[[channels]]\ntype = "whatsapp"\nphone = "+33 1 23 45 67 89"\n')
    monkeypatch.setenv("INBOXCTL_WHATSAPP_33123456789", json.dumps(
        {"api_key": "wa-secret-key", "phone_number_id": "1234", "business_account_id": "5678"}))
    plan = converge(backend, tmp_path)
    assert "wa-secret-key" not in json.dumps(plan.to_dict())
    created = next(r for r in fake.requests_to("POST", r"/inboxes$") if r.body["channel"]["type"] == "whatsapp")
    assert created.body["name"] == "Mobile · +33123456789"
    assert created.body["channel"]["provider_config"]["api_key"] == "wa-secret-key"
    assert make_plan(backend, load_definitions([tmp_path])).is_empty()


def test_an_assignment_limit_needs_chatwoot_enterprise(make_backend, tmp_path):
    (tmp_path / "p.toml").write_text('[inbox]\nname = "P"\nmembers = ["alice@acme.example", "bob@acme.example"]\n'
                                     '[routing]\nmode = "users_and_teams"\nteams = ["Tier 1"]\nmax_assignments = 3\n')
    with FakeChatwoot(enterprise=True) as enterprise:
        converge(make_backend(enterprise), tmp_path)
        assert make_plan(make_backend(enterprise), load_definitions([tmp_path])).is_empty()
    with FakeChatwoot(enterprise=False) as community:
        backend = make_backend(community)
        report = apply_plan(backend, make_plan(backend, load_definitions([tmp_path])))
        assert [reason for _, reason in report.failed] == [
            "Chatwoot did not keep the assignment limit (routing.max_assignments)"]


def test_an_agent_token_cannot_plan_and_is_told_why(fake, make_backend):
    backend = make_backend(fake, token=AGENT_TOKEN)
    with pytest.raises(AuthenticationError) as raised:
        make_plan(backend, load_definitions([CONFIGS / "minimal.toml"]))
    assert "administrator" in str(raised.value) and "not authorized to do this action" in str(raised.value)
    assert {request.method for request in fake.requests} == {"GET"}


def test_the_token_never_appears_in_plans_exports_errors_or_logs(fake, backend, tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="inboxctl")
    plan = converge(backend, CONFIGS)
    export_to_directory([inbox.definition for inbox in backend.read_inboxes()], tmp_path)
    inbox, _ = parse_definition('[inbox]\nname = "Partners"\nmembers = ["nobody@acme.example"]\n', "x.toml")
    with pytest.raises(Exception) as raised:
        make_plan(backend, [inbox])
    texts = [json.dumps(plan.to_dict()), caplog.text, str(raised.value), repr(backend.client),
             *(path.read_text() for path in tmp_path.glob("*.toml"))]
    assert caplog.text and not any(ADMIN_TOKEN in text for text in texts)


def test_inbox_defaults_and_channel_overrides_stay_apart(fake, backend, tmp_path):
    converge(backend, CONFIGS / "support.toml")
    source = (CONFIGS / "support.toml").read_text()
    changed = source.replace('teams = ["Tier 1"]\n\n[ticket_defaults]', 'teams = ["Tier 2"]\n\n[ticket_defaults]')
    changed = changed.replace('ticket_defaults = { priority = "high" }\n', "")
    (tmp_path / "support.toml").write_text(changed)
    plan = converge(backend, tmp_path)
    assert sorted((c.kind, c.channel_key or "", f.path) for c in plan.changes for f in c.fields) == [
        ("channel", "Website chat", "ticket_defaults.priority"), ("inbox", "", "routing.teams")]
    assert make_plan(backend, load_definitions([tmp_path])).is_empty()
    actions = {r["name"]: r["actions"] for r in fake.rules.values() if r["active"]}
    assert actions["[inboxctl] Support · support at acme.example (routing)"][0]["action_params"] == [2]
    assert actions["[inboxctl] Support · Website chat (routing)"] == [  # its own team, and now the inbox's priority
        {"action_name": "assign_team", "action_params": [1]},
        {"action_name": "change_priority", "action_params": ["medium"]}]


def test_the_plan_warns_that_chatwoot_deletes_conversations_with_a_channel(fake, backend, tmp_path):
    converge(backend, CONFIGS / "sales.toml")
    chat = next(i for i, inbox in fake.inboxes.items() if inbox["name"] == "Sales · Pricing page chat")
    fake.seed_conversations(3, inbox_id=chat)
    fake.seed_conversations(2, inbox_id=chat, status="resolved")
    header, email, _chat = (CONFIGS / "sales.toml").read_text().split("[[channels]]")[:3]
    (tmp_path / "sales.toml").write_text(header + "[[channels]]" + email)  # the chat channel is removed
    plan = make_plan(backend, load_definitions([tmp_path]))
    deleted = [change for change in plan.changes if change.action == "delete"]
    assert [change.channel_key for change in deleted] == ["Pricing page chat"]
    assert deleted[0].warnings == ["Chatwoot deletes inbox 'Sales · Pricing page chat' with its 5 conversations"]


def test_settings_taken_out_of_a_definition_are_cleared_with_strings_never_nulls(fake, backend, tmp_path):
    """Issue 11, item 5: the official spec types out_of_office_message and business_name as strings."""
    converge(backend, CONFIGS)
    text = (CONFIGS / "support.toml").read_text()
    edited = text.replace('company_name = "Acme"\n', "").replace(
        'when_away = { message = "We\'re away right now: leave us a message." }\n', "")
    assert edited.count("\n") == text.count("\n") - 2
    (tmp_path / "support.toml").write_text(edited)
    converge(backend, tmp_path / "support.toml")
    by_name = {inbox["name"]: inbox for inbox in fake.inboxes.values()}
    assert by_name["Support · Website chat"]["out_of_office_message"] == ""
    assert by_name["Support · support at acme.example"]["business_name"] == ""
    assert fake.off_spec == []
    assert make_plan(backend, load_definitions([tmp_path / "support.toml"])).is_empty()
