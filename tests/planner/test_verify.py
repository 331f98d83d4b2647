"""Planning against a server that can verify but not write inbox configuration (HubSpot), with no I/O.

Definitions come from TOML text through the real loader (so their explicit settings are what a
file gives); the server is an in-memory ``Backend`` whose live inboxes hold only what HubSpot
exposes: names and channel identities.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from inboxctl.backends.base import Backend, Capabilities, CapabilityProblem, Directory, LiveInbox, Pipeline, Team, User
from inboxctl.definitions.loader import parse_definition
from inboxctl.definitions.model import ChannelDefinition, InboxDefinition
from inboxctl.definitions.spec import CHANNEL_KEY, DEFAULTED_TABLES, DOCUMENT
from inboxctl.definitions.validate import defaults_of
from inboxctl.errors import PlanError, UnsupportedError
from inboxctl.planner.plan import CHANNEL, CREATE, DELETE, INBOX, Plan, UnmanagedSettings
from inboxctl.planner.service import apply_plan, make_plan
from inboxctl.planner.verify import by_hand, leaves, overlay_exposed, plan_verification, unmanaged_settings

CHECKABLE = ("inbox", *(f"channel.{kind}.{key}" for kind, key in CHANNEL_KEY.items()))
REASON = "manage in the server's settings"

SUPPORT = """
[inbox]
name = "Support"
members = ["alice@acme.example"]
teams = ["Tier 1"]

[routing]
mode = "contact_owner"
fallback = { teams = ["Tier 1"] }

[ticket_defaults]
pipeline = "Support Pipeline"
stage = "New"

[[channels]]
type = "email"
address = "support@acme.example"
signature = "Acme"

[[channels]]
type = "chat"
name = "Website chat"
color = "#FF7A59"

[[channels]]
type = "chat"
name = "Pricing chat"
color = "#0091AE"
"""


def definition(source: str) -> InboxDefinition:
    inbox, problems = parse_definition(source, "test.toml")
    assert inbox is not None, problems
    return inbox


def exposed_inbox(name: str, *channels: tuple[str, str]) -> LiveInbox:
    """An inbox as HubSpot shows it: a name, channel identities, and defaults for all it cannot read."""
    settings: dict[str, Any] = {"members": [], "teams": [], "protect": False, "business_hours": None}
    settings |= {table: defaults_of(DOCUMENT[table]) for table in DEFAULTED_TABLES}
    return LiveInbox(InboxDefinition(name, settings, [ChannelDefinition(kind, {CHANNEL_KEY[kind]: key})
                                                      for kind, key in channels]), managed=False)


def supports(setting: str) -> bool:
    return setting in CHECKABLE


def changes_of(desired: list[InboxDefinition], live: list[LiveInbox]) -> list[tuple[str, str, str]]:
    changes, _ = plan_verification(desired, live, supports)
    return [(change.action, change.kind, change.address) for change in changes]


# -- what is compared -------------------------------------------------------------------------------

def test_settings_the_server_cannot_read_are_never_differences() -> None:
    live = exposed_inbox("Support", ("email", "support@acme.example"), ("chat", "Website chat"),
                         ("chat", "Pricing chat"))
    assert plan_verification([definition(SUPPORT)], [live], supports) == ([], [])


def test_a_missing_inbox_is_created_with_its_channels_and_no_settings() -> None:
    changes, notes = plan_verification([definition(SUPPORT)], [], supports)

    assert [(change.action, change.kind, change.address) for change in changes] == [
        (CREATE, INBOX, 'inbox "Support"'),
        (CREATE, CHANNEL, 'inbox "Support" / email "support@acme.example"'),
        (CREATE, CHANNEL, 'inbox "Support" / chat "Website chat"'),
        (CREATE, CHANNEL, 'inbox "Support" / chat "Pricing chat"')]
    assert changes[0].fields == [] and notes == []
    assert [(field.path, field.after) for field in changes[2].fields] == [("name", "Website chat")]


def test_missing_and_extra_channels_are_differences_without_adopting_the_inbox() -> None:
    live = exposed_inbox("Support", ("email", "support@acme.example"), ("chat", "Website chat"),
                         ("messenger", "Acme Corp"))
    assert changes_of([definition(SUPPORT)], [live]) == [
        (DELETE, CHANNEL, 'inbox "Support" / messenger "Acme Corp"'),
        (CREATE, CHANNEL, 'inbox "Support" / chat "Pricing chat"')]


def test_inboxes_without_a_definition_are_left_alone() -> None:
    changes, notes = plan_verification([], [exposed_inbox("Sales", ("email", "sales@acme.example"))], supports)
    assert (changes, notes) == ([], [])


# -- what is named instead --------------------------------------------------------------------------

def test_each_unmanaged_setting_is_named_once_per_inbox_down_to_its_keys() -> None:
    inbox = definition(SUPPORT)
    problems = [CapabilityProblem(inbox.name, setting, REASON, path)
                for setting, path in inbox.explicit_settings() if not supports(setting)]

    groups = unmanaged_settings(inbox, problems)

    assert len(groups) == 1 and groups[0].inbox == "Support" and groups[0].reason == REASON
    assert groups[0].settings == [
        "inbox.members", "inbox.teams", "routing.fallback", "routing.mode", "ticket_defaults.pipeline",
        "ticket_defaults.stage", "channel.email.signature", "channel.chat.color"]  # two chats, one color


def test_settings_are_grouped_by_reason() -> None:
    problems = [CapabilityProblem("A", "routing.mode", "one"), CapabilityProblem("A", "channel.chat.color", "two"),
                CapabilityProblem("A", "routing.users", "one")]
    assert unmanaged_settings(definition('[inbox]\nname = "A"'), problems) == [
        UnmanagedSettings("A", ["routing.mode", "routing.users"], "one"),
        UnmanagedSettings("A", ["channel.chat.color"], "two")]


def test_a_table_is_named_only_when_none_of_its_keys_is() -> None:
    assert leaves(["routing", "routing.mode", "business_hours", "channel.chat.heading", "channel.chat.heading.mode",
                   "routing.mode"]) == ["routing.mode", "business_hours", "channel.chat.heading.mode"]


# -- the plan as a whole, through the service, on an in-memory server ------------------------------------

class VerifyingServer(Backend):
    """A server whose API reads inbox configuration but cannot write it."""

    name = "verifying"
    capabilities = Capabilities(server="Verifier", settings=CHECKABLE, channel_types=frozenset(CHANNEL_KEY),
                                manages_inboxes=False)

    def __init__(self, live: list[LiveInbox]) -> None:
        self.live = live
        self.writes: list[Any] = []

    def whoami(self) -> str:
        return "test"

    def directory(self) -> Directory:
        return Directory(users=(User("alice@acme.example", "Alice"),), teams=(Team("Tier 1"),),
                         pipelines=(Pipeline("Support Pipeline", ("New", "Closed")),))

    def read_inboxes(self) -> list[LiveInbox]:
        return self.live

    def apply_change(self, change: Any) -> None:
        self.writes.append(change)

    def unsupported_settings(self, inbox: InboxDefinition) -> list[CapabilityProblem]:
        return [CapabilityProblem(inbox.name, setting, REASON, path)
                for setting, path in inbox.explicit_settings() if not supports(setting)]


SUPPORT_LIVE = ("Support", ("email", "support@acme.example"), ("chat", "Website chat"), ("chat", "Pricing chat"))


def test_a_plan_with_only_unmanaged_settings_is_empty_and_says_so() -> None:
    plan = make_plan(VerifyingServer([exposed_inbox(*SUPPORT_LIVE)]), [definition(SUPPORT)])

    assert plan.is_empty() and plan.verify_only
    assert [group.inbox for group in plan.unmanaged] == ["Support"]
    assert plan.summary().startswith("No changes.")


def test_names_are_still_resolved_and_an_unknown_one_is_an_error() -> None:
    wrong = SUPPORT.replace('stage = "New"', 'stage = "Nwe"').replace('teams = ["Tier 1"]\n', 'teams = ["Tier 9"]\n', 1)
    with pytest.raises(PlanError) as raised:
        make_plan(VerifyingServer([exposed_inbox(*SUPPORT_LIVE)]), [definition(wrong)])
    messages = [problem.message for problem in raised.value.problems]
    assert messages == ["team 'Tier 9' does not exist on Verifier", "stage 'Nwe' is not in pipeline 'Support Pipeline'"]


def test_channel_sources_are_not_looked_up_the_connection_is_checked_instead() -> None:
    # No forms, pages or WhatsApp numbers in the directory: not errors, just channels not connected.
    source = '[inbox]\nname = "A"\n[[channels]]\ntype = "form"\nform = "Contact us"\n' \
             '[[channels]]\ntype = "whatsapp"\nphone = "+33 1 23 45 67 89"\n'
    plan = make_plan(VerifyingServer([exposed_inbox("A")]), [definition(source)])
    assert [by_hand(change) for change in plan.changes] == [
        'connect form "Contact us" to inbox "A"', 'connect whatsapp "+33123456789" to inbox "A"']


def test_apply_writes_nothing_and_names_each_change_to_make_by_hand() -> None:
    server = VerifyingServer([exposed_inbox("Support", ("email", "support@acme.example"))])
    plan = make_plan(server, [definition(SUPPORT)])

    with pytest.raises(UnsupportedError) as raised:
        apply_plan(server, plan)

    assert server.writes == []
    assert raised.value.message.splitlines() == [
        "Verifier cannot make these 2 changes through its API:",
        '  - connect chat "Website chat" to inbox "Support"',
        '  - connect chat "Pricing chat" to inbox "Support"']


def test_the_json_plan_round_trips_and_older_plans_still_load() -> None:
    plan = make_plan(VerifyingServer([]), [definition(SUPPORT)])

    document = json.loads(json.dumps(plan.to_dict()))
    again = Plan.from_dict(document)

    assert document["format_version"] == 1 and document["verify_only"] is True
    assert document["unmanaged"][0]["inbox"] == "Support" and "inbox.members" in document["unmanaged"][0]["settings"]
    assert again.unmanaged == plan.unmanaged and again.verify_only
    older = {key: value for key, value in document.items() if key not in ("verify_only", "unmanaged")}
    assert Plan.from_dict(older).unmanaged == [] and not Plan.from_dict(older).verify_only


# -- export over an existing file -------------------------------------------------------------------

def test_export_keeps_what_the_server_cannot_read_and_takes_the_channels_from_it() -> None:
    written = definition(SUPPORT)
    live = exposed_inbox("Support", ("chat", "Pricing chat"), ("messenger", "Acme Corp"),
                         ("email", "support@acme.example")).definition

    merged = overlay_exposed(written, live, supports)

    assert merged.settings == written.settings
    assert [channel.label for channel in merged.channels] == [
        "email 'support@acme.example'", "chat 'Pricing chat'", "messenger 'Acme Corp'"]  # file order, new last
    assert merged.channels[0].settings["signature"] == "Acme"  # unreadable channel settings kept
    assert merged.channels[2].settings == {"page": "Acme Corp"}
