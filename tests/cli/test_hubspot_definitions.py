"""Inbox definitions on HubSpot, end to end through the CLI: a ``hubspot`` profile pointing at the fake
HubSpot on 127.0.0.1 (real sockets), which holds the demo workspace's inboxes "Support" (e-mail and
"Website chat") and "Sales" (e-mail). HubSpot's API cannot write inbox settings: plan verifies and
names what it cannot check, apply writes nothing, export writes what HubSpot exposes."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

TESTS_DIR = Path(__file__).resolve().parents[1]
if str(TESTS_DIR) not in sys.path:  # tests/fakes is shared with the benchmark, not a package
    sys.path.insert(0, str(TESTS_DIR))

from fakes.hubspot_server import CHAT_CHANNEL, TOKEN, FakeHubSpot  # noqa: E402

CONFIGS = TESTS_DIR.parent / "configs"
UNMANAGED = "manage in HubSpot's settings (its API can neither read nor write them)"
MISSING = ['+ create inbox "Partners"',
           '+ connect chat "Pricing page chat" to inbox "Sales"',
           '+ connect form "Request a demo" to inbox "Sales"',
           '+ connect messenger "Acme Corp" to inbox "Support"',
           '+ connect form "Contact us" to inbox "Support"',
           '+ connect whatsapp "+33123456789" to inbox "Support"',
           '+ connect calling "+14155550100" to inbox "Support"']

Run = Callable[..., Result]


@pytest.fixture
def fake() -> Iterator[FakeHubSpot]:
    with FakeHubSpot(threads=0) as running:
        yield running


@pytest.fixture
def hs(fake: FakeHubSpot, run: Run, monkeypatch: pytest.MonkeyPatch) -> Run:
    """``inboxctl --profile hs ...`` with the token from the environment, as in CI."""
    added = run("profile", "add", "hs", "--backend", "hubspot", "--url", fake.url)
    assert added.exit_code == 0, added.output + added.stderr
    monkeypatch.setenv("INBOXCTL_TOKEN", TOKEN)
    return lambda *args: run("--profile", "hs", *args)


def written(fake: FakeHubSpot) -> list[str]:
    return [f"{request.method} {request.path}" for request in fake.requests if request.method != "GET"]


def definition(directory: Path, name: str, text: str) -> str:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# -- plan ------------------------------------------------------------------------------------------------

def test_planning_the_examples_reports_what_is_missing_and_names_the_rest_once_per_inbox(hs: Run,
                                                                                          fake: FakeHubSpot) -> None:
    planned = hs("plan", str(CONFIGS), "--detailed-exitcode")

    assert planned.exit_code == 2, planned.output + planned.stderr
    lines = planned.output.splitlines()
    assert lines[:len(MISSING)] == MISSING  # every real difference, and nothing else, first
    for inbox in ("Partners", "Sales", "Support"):
        assert lines.count(f'= inbox "{inbox}": {UNMANAGED}') == 1
    support = lines[lines.index(f'= inbox "Support": {UNMANAGED}') + 1:]
    assert support[:5] == ["    inbox: members, teams", "    email_filters: blocked_senders, filter_role_based",
                           "    routing: fallback, mode, only_available",
                           "    ticket_defaults: enabled, owner, pipeline, priority, stage",
                           "    business_hours: hours, timezone"]
    assert "    channel.messenger: gdpr.consent, gdpr.enabled, gdpr.text, greeting, instant_reply" in support
    assert lines[-1] == ("Plan: 7 to create, 0 to update, 0 to delete. HubSpot cannot make these changes through "
                         "its API: make them in its own settings.")
    assert written(fake) == [] and TOKEN not in planned.output + planned.stderr


def test_the_json_plan_carries_the_unmanaged_settings_per_inbox(hs: Run) -> None:
    planned = hs("plan", str(CONFIGS), "-o", "json")

    document = json.loads(planned.output)
    assert document["format_version"] == 1 and document["verify_only"] is True
    assert document["summary"] == {"create": 7, "update": 0, "delete": 0}
    assert [group["inbox"] for group in document["unmanaged"]] == ["Partners", "Sales", "Support"]
    assert document["unmanaged"][0] == {"inbox": "Partners", "settings": ["inbox.members"], "reason": UNMANAGED}


def test_names_are_resolved_against_hubspot_seats_and_deactivated_users_included(hs: Run, tmp_path: Path) -> None:
    path = definition(tmp_path, "sales.toml", """
[inbox]
name = "Sales"
teams = ["Sales EMEA", "Tier 9"]

[routing]
mode = "users_and_teams"
users = ["erin@acme.example", "frank@acme.example", "grace@acme.example"]

[ticket_defaults]
pipeline = "Billing Pipeline"
stage = "Closed"
""")
    planned = hs("plan", path)

    assert planned.exit_code == 5
    assert "team 'Tier 9' does not exist on HubSpot" in planned.stderr and 'did you mean "Tier' in planned.stderr
    assert "erin@acme.example has no paid seat, and only users with one can be routing targets" in planned.stderr
    assert "frank@acme.example is deactivated" in planned.stderr
    assert "stage 'Closed' is not in pipeline 'Billing Pipeline'" in planned.stderr
    assert "grace" not in planned.stderr and "Sales EMEA" not in planned.stderr


def test_a_channel_connected_only_in_hubspot_is_a_difference(hs: Run, fake: FakeHubSpot, tmp_path: Path) -> None:
    path = definition(tmp_path, "sales.toml", '[inbox]\nname = "Sales"\n\n[[channels]]\ntype = "email"\n'
                                              'address = "sales@acme.example"\n')
    assert hs("plan", path, "--detailed-exitcode").exit_code == 0
    with fake.lock:  # the fake has no call for connecting a channel: add the account to its table
        fake.channel_accounts[80_859_999] = {
            "id": 80_859_999, "channelId": CHAT_CHANNEL, "inboxId": fake.inbox_id("Sales"), "name": "Pricing page chat",
            "active": True, "authorized": True, "archived": False, "created": 1_700_000_000_000, "address": None}

    planned = hs("plan", path, "--detailed-exitcode")

    assert planned.exit_code == 2
    assert planned.output.splitlines()[0] == '- disconnect chat "Pricing page chat" from inbox "Sales"'


# -- apply ---------------------------------------------------------------------------------------------

def test_apply_writes_nothing_and_names_each_change_to_make_in_hubspot(hs: Run, fake: FakeHubSpot) -> None:
    applied = hs("apply", str(CONFIGS), "--yes")
    dry_run = hs("apply", str(CONFIGS), "--dry-run")

    assert applied.exit_code == 1 and dry_run.exit_code == 1
    assert "Error: HubSpot cannot make these 7 changes through its API:" in applied.stderr
    assert '  - connect chat "Pricing page chat" to inbox "Sales"' in applied.stderr.splitlines()
    assert written(fake) == []


def test_a_saved_plan_is_refused_as_well(hs: Run, fake: FakeHubSpot, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    assert hs("plan", str(CONFIGS), "--out", str(saved)).exit_code == 0

    applied = hs("apply", str(saved), "--yes")

    assert applied.exit_code == 1 and "HubSpot cannot make these 7 changes" in applied.stderr
    assert written(fake) == []


# -- export --------------------------------------------------------------------------------------------

def test_export_then_plan_and_apply_find_nothing_to_change(hs: Run, fake: FakeHubSpot, tmp_path: Path) -> None:
    exported = hs("export", "--dir", str(tmp_path))
    assert exported.exit_code == 0, exported.output + exported.stderr
    assert "HubSpot's API shows only inboxes and their connected channels" in exported.stderr
    assert sorted(path.name for path in tmp_path.glob("*.toml")) == ["sales.toml", "support.toml"]
    assert (tmp_path / "support.toml").read_text() == (
        '[inbox]\nname = "Support"\n\n[[channels]]\ntype = "email"\naddress = "support@acme.example"\n\n'
        '[[channels]]\ntype = "chat"\nname = "Website chat"\n')

    planned = hs("plan", str(tmp_path), "--detailed-exitcode")
    applied = hs("apply", str(tmp_path), "--yes")

    assert planned.exit_code == 0, planned.output + planned.stderr
    assert planned.output.strip() == "No changes. HubSpot has every inbox and channel of the definitions."
    assert applied.exit_code == 0 and "No changes" in applied.output
    assert written(fake) == []


def test_export_over_the_examples_keeps_what_hubspot_cannot_read(hs: Run, tmp_path: Path) -> None:
    copy = tmp_path / "configs"
    shutil.copytree(CONFIGS, copy)

    exported = hs("export", "--dir", str(copy))

    assert exported.exit_code == 0, exported.output + exported.stderr
    support = (copy / "support.toml").read_text()
    assert 'mode = "contact_owner"' in support and "# Filter out mail from role-based senders" in support
    assert 'page = "Acme Corp"' not in support and 'name = "Website chat"' in support  # channels as connected
    assert (copy / "minimal.toml").read_text() == (CONFIGS / "minimal.toml").read_text()  # not on HubSpot

    planned = hs("plan", str(copy / "support.toml"), str(copy / "sales.toml"), "--detailed-exitcode")

    assert planned.exit_code == 0, planned.output + planned.stderr
    assert planned.output.count(UNMANAGED) == 2 and "No changes." in planned.output
