"""What Chatwoot cannot hold is a plan error naming the setting, before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes.chatwoot_setup import CONFIGS, REPO_DIR

from inboxctl.backends.chatwoot.capabilities import CheckContext, check_inbox
from inboxctl.backends.chatwoot.mapping import InboxState, Rule
from inboxctl.definitions.loader import load_definitions, parse_definition
from inboxctl.errors import PlanError
from inboxctl.planner.service import make_plan

TEAMS = {"tier 1": frozenset({"alice@acme.example", "bob@acme.example"}),
         "tier 2": frozenset({"carol@acme.example", "dave@acme.example"}),
         "sales emea": frozenset({"grace@acme.example", "dave@acme.example"})}
MESSENGER = InboxState(kind="messenger", key="Acme Corp", fields={}, channel={}, members=frozenset(), rule=Rule())


def context(**overrides) -> CheckContext:
    values = {"server": "Chatwoot", "team_emails": lambda name: TEAMS.get(name.lower(), frozenset()),
              "administrators": frozenset({"alice@acme.example"}), "existing": {"messenger:acme corp": MESSENGER}}
    return CheckContext(**{**values, **overrides})


def problems_of(source: str, **overrides) -> dict[str, str]:
    inbox, problems = parse_definition(source, "inbox.toml")
    assert inbox is not None and not problems, problems
    return {problem.setting: problem.reason for problem in check_inbox(inbox, context(**overrides))}


def test_the_chatwoot_configs_are_all_chatwoot_can_hold():
    for inbox in load_definitions([CONFIGS]):
        assert check_inbox(inbox, context()) == [], inbox.name


def test_the_full_support_example_names_every_setting_chatwoot_cannot_hold():
    inbox = load_definitions([REPO_DIR / "configs" / "support.toml"])[0]
    found = {problem.setting: problem for problem in check_inbox(inbox, context(existing={}))}
    assert "contact owners" in found["routing.mode"].reason
    assert "contact-owner" in found["routing.fallback"].reason
    assert "pipelines" in found["ticket_defaults.pipeline"].reason and "ticket_defaults.stage" in found
    assert "no tickets" in found["ticket_defaults.enabled"].reason
    assert "one opening range per day" in found["business_hours.hours"].reason
    assert "e-mail filters" in found["email_filters"].reason  # one problem for the table, not one per key
    assert "no form inboxes" in found["channel.form"].reason and "channel.calling" in found
    assert "Gmail" in found["channel.email.provider"].reason
    assert "sign-in" in found["channel.messenger"].reason
    assert "INBOXCTL_WHATSAPP_33123456789" in found["channel.whatsapp"].reason
    for setting in ("channel.chat.heading", "channel.chat.open_welcome_as_prompt", "channel.chat.transcripts",
                    "channel.chat.website_url", "channel.email.signature", "channel.messenger.gdpr",
                    "channel.messenger.instant_reply", "channel.email.log_forwarded_on_original_sender"):
        assert setting in found, setting
    # Each problem says where it stands in the file, so `plan` can point at the line.
    assert found["routing.mode"].path == ("routing", "mode")
    assert found["channel.chat.heading"].path[:2] == ("channels", 1)


def test_a_setting_stated_at_the_value_chatwoot_always_has_is_accepted():
    assert problems_of('[inbox]\nname = "P"\nmembers = ["alice@acme.example"]\n'
                       '[email_filters]\nfilter_role_based = false\n'
                       '[ticket_defaults]\nowner = "conversation_owner"\n') == {}


def test_several_agents_or_teams_cannot_be_one_automation_rule():
    found = problems_of('[inbox]\nname = "P"\nmembers = ["alice@acme.example", "bob@acme.example"]\n'
                        '[routing]\nmode = "users_and_teams"\nusers = ["alice@acme.example"]\n'
                        'teams = ["Tier 1", "Tier 2"]\n')
    assert "one team and/or one agent" in found["routing.teams"]


def test_round_robin_without_availability_is_refused_but_a_team_rule_may_ignore_it():
    round_robin = ('[inbox]\nname = "P"\nmembers = ["alice@acme.example", "bob@acme.example"]\n[routing]\n'
                   'mode = "users_and_teams"\nusers = ["alice@acme.example", "bob@acme.example"]\n')
    assert "online" in problems_of(round_robin + "only_available = false\n")["routing.only_available"]
    assert problems_of('[inbox]\nname = "P"\n[routing]\nmode = "users_and_teams"\nteams = ["Tier 1"]\n'
                       'only_available = false\n') == {}


def test_a_routing_agent_must_work_the_inbox():
    found = problems_of('[inbox]\nname = "P"\nmembers = ["carol@acme.example", "dave@acme.example"]\n'
                        '[routing]\nmode = "users_and_teams"\nusers = ["erin@acme.example"]\n')
    assert "members of the inbox" in found["routing.users"]


@pytest.mark.parametrize(("name", "setting"), [("Support (EU)", "inbox.name"), ("Support · EU", "inbox.name")])
def test_inbox_names_chatwoot_would_refuse_or_misread(name, setting):
    assert setting in problems_of(f'[inbox]\nname = "{name}"\n')


def test_chat_names_and_hours_chatwoot_would_refuse():
    found = problems_of('[inbox]\nname = "P"\n[business_hours]\nhours = [{ days = "mon", open = "08:00", '
                        'close = "24:00" }]\n[[channels]]\ntype = "chat"\nname = "Chat <beta>"\n'
                        'website_url = "https://acme.example"\navailability = "business_hours"\n'
                        'typical_response_time = "a_day"\n')
    assert "23:59" in found["business_hours.hours"]
    assert "refuses" in found["channel.chat.name"]


def test_a_chat_needs_a_response_time_and_cannot_hide():
    found = problems_of('[inbox]\nname = "P"\n[[channels]]\ntype = "chat"\nname = "Chat"\n'
                        'website_url = "https://acme.example"\nwhen_away = { action = "hide_widget" }\n'
                        'position = "bottom-left"\n')
    assert "reply time" in found["channel.chat.typical_response_time"]
    assert "hide" in found["channel.chat.when_away.action"]
    assert "embed script" in found["channel.chat.position"]


def test_whatsapp_can_be_created_when_its_credentials_are_in_the_environment():
    source = '[inbox]\nname = "P"\n[[channels]]\ntype = "whatsapp"\nphone = "+33 1 23 45 67 89"\n'
    assert "channel.whatsapp" in problems_of(source)
    assert problems_of(source, can_create_whatsapp=lambda phone: phone == "+33123456789") == {}


def test_plan_stops_before_any_write(fake, backend, tmp_path: Path):
    (tmp_path / "support.toml").write_text((REPO_DIR / "configs" / "support.toml").read_text())
    with pytest.raises(PlanError) as raised:
        make_plan(backend, load_definitions([tmp_path]))
    messages = [str(problem) for problem in raised.value.problems]
    assert any("support.toml:" in m and "routing.mode" in m and "contact owners" in m for m in messages), messages
    assert {request.method for request in fake.requests} == {"GET"}
