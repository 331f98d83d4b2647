"""Conversations on HubSpot, end to end through the CLI: a ``hubspot`` profile pointing at the fake
HubSpot on 127.0.0.1 (real sockets), with the token in INBOXCTL_TOKEN as in CI."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

TESTS_DIR = Path(__file__).resolve().parents[1]
if str(TESTS_DIR) not in sys.path:  # tests/fakes is shared with the benchmark, not a package
    sys.path.insert(0, str(TESTS_DIR))

from fakes.hubspot_server import READ_ONLY_TOKEN, TOKEN, FakeHubSpot, Faults  # noqa: E402

from inboxctl.backends import hubspot as _hubspot_package  # noqa: E402, F401 - the module below is patched
from inboxctl.backends.hubspot import backend as hubspot_backend  # noqa: E402

Run = Callable[..., Result]
# A limit the tests never reach: pacing has its own measured test (tests/backends/hubspot/test_hubspot_pacing.py).
ROOMY = {"rate_max": 100_000, "rate_interval_ms": 1000}


@pytest.fixture
def fake() -> Iterator[FakeHubSpot]:
    with FakeHubSpot(**ROOMY) as running:
        yield running


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Waits of milliseconds: the CLI builds the backend itself, with the module's client options."""
    options = {**hubspot_backend.CLIENT_OPTIONS, "backoff_base": 0.002, "backoff_cap": 0.02, "max_attempts": 8,
               "refused_statuses": {423: 0.005, 477: 0.0}}
    monkeypatch.setattr(hubspot_backend, "CLIENT_OPTIONS", options)


def hubspot_profile(run: Run, monkeypatch: pytest.MonkeyPatch, server: FakeHubSpot, token: str = TOKEN) -> Run:
    added = run("profile", "add", "hs", "--backend", "hubspot", "--url", server.url)
    assert added.exit_code == 0, added.output + added.stderr
    monkeypatch.setenv("INBOXCTL_TOKEN", token)
    return lambda *args, input=None: run("--profile", "hs", *args, input=input)


@pytest.fixture
def hs(fake: FakeHubSpot, run: Run, monkeypatch: pytest.MonkeyPatch) -> Run:
    return hubspot_profile(run, monkeypatch, fake)


def visible(fake: FakeHubSpot, **wanted: object) -> list[str]:
    """Ids of the threads a default listing shows (not in trash, not spam) that have the wanted fields."""
    found = []
    for number in fake.threads:
        thread = fake.thread(number)
        if not thread["archived"] and not thread["spam"] and all(thread.get(k) == v for k, v in wanted.items()):
            found.append(str(number))
    return found


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output + result.stderr
    return result


# ---------------------------------------------------------------------------------------------
# Profiles and credentials


def test_a_hubspot_profile_needs_no_url(run):
    ok(run("profile", "add", "prod", "--backend", "hubspot"))
    shown = json.loads(ok(run("profile", "show", "prod", "-o", "json")).stdout)
    assert shown["url"] == "https://api.hubapi.com"


def test_auth_status_names_the_account_and_never_the_token(hs):
    status = ok(hs("auth", "status"))
    assert "Logged in as: HubSpot account 24681357 (professional, time zone Europe/Paris)" in status.output
    assert TOKEN not in status.output + status.stderr


def test_auth_login_checks_the_token_before_storing_it(fake, run, monkeypatch, memory_keyring):
    ok(run("profile", "add", "hs", "--backend", "hubspot", "--url", fake.url))
    refused = run("auth", "login", "--profile", "hs", "--with-token", input="pat-eu1-not-a-token\n")
    assert refused.exit_code == 4 and "rejected the token" in refused.stderr
    assert memory_keyring.passwords == {}
    ok(run("auth", "login", "--profile", "hs", "--with-token", input=TOKEN + "\n"))
    assert TOKEN in memory_keyring.passwords.values()
    status = json.loads(ok(run("--profile", "hs", "auth", "status", "-o", "json")).stdout)
    assert status["user"].startswith("HubSpot account 24681357") and status["token_source"] == "keyring"
    assert TOKEN not in json.dumps(status)


def test_a_token_without_the_write_scope_exits_4_naming_the_scope(fake, run, monkeypatch):
    hs = hubspot_profile(run, monkeypatch, fake, READ_ONLY_TOKEN)
    (first, *_) = visible(fake, status="OPEN")
    refused = hs("conv", "close", first)
    assert refused.exit_code == 4
    assert "the token lacks the scope conversations.write" in refused.stderr
    assert fake.thread(int(first))["status"] == "OPEN"


def test_a_token_that_cannot_read_the_inbox_is_refused_naming_the_scope(fake, run, monkeypatch):
    fake.add_token("pat-eu1-owners-only", ["crm.objects.owners.read"])
    hs = hubspot_profile(run, monkeypatch, fake, "pat-eu1-owners-only")
    status = hs("auth", "status")
    assert status.exit_code == 4 and "the token lacks the scope conversations.read" in status.stderr
    assert "pat-eu1-owners-only" not in status.output + status.stderr


def test_the_profiles_rate_caps_the_pace_hubspot_announces(fake, run):
    from dataclasses import replace

    from inboxctl.backends import open_backend
    from inboxctl.config.profiles import resolve_profile

    ok(run("profile", "add", "slow", "--backend", "hubspot", "--url", fake.url, "--rate", "2.5"))
    backend = open_backend(replace(resolve_profile("slow"), token=TOKEN))
    try:
        backend.whoami()
        assert backend.limiter.rate == 2.5 and backend.limiter.announced.max == ROOMY["rate_max"]
    finally:
        backend.close()


# ---------------------------------------------------------------------------------------------
# Listing and showing


def test_list_streams_every_visible_thread(hs, fake):
    listed = ok(hs("conv", "list", "--all", "-o", "ids")).stdout.split()
    assert sorted(listed, key=int) == sorted(visible(fake), key=int)
    assert listed == sorted(listed, key=int, reverse=True)  # newest first


def test_list_filters_by_inbox_status_assignee_and_channel(hs, fake):
    rows = [json.loads(line) for line in ok(hs("conv", "list", "--inbox", "Support", "--status", "open",
                                               "--channel", "chat", "--all", "-o", "jsonl")).stdout.splitlines()]
    assert rows and {(r["inbox"], r["status"], r["channel"], r["channel_name"]) for r in rows} == {
        ("Support", "open", "chat", "Website chat")}
    bobs = ok(hs("conv", "list", "--assignee", "bob@acme.example", "--all", "-o", "ids")).stdout.split()
    bob = fake.owner_user_id("bob@acme.example")
    assert sorted(bobs) == sorted(visible(fake, assignedTo=f"A-{bob}"))


def test_views_map_onto_hubspot_or_say_they_cannot(hs, fake):
    trash = ok(hs("conv", "list", "--view", "trash", "--all", "-o", "ids")).stdout.split()
    assert trash and all(fake.thread(int(i))["archived"] for i in trash)
    spam = ok(hs("conv", "list", "--view", "spam", "--all", "-o", "ids")).stdout.split()
    assert all(fake.thread(int(i))["spam"] for i in spam)
    bots = hs("conv", "list", "--view", "bots")
    assert bots.exit_code == 1 and "'bots' view" in bots.stderr and "HubSpot" in bots.stderr


def test_search_and_trash_included(hs, fake):
    subject = "Password reset link expired"  # the fake's first message says "Hello, <subject>"
    found = ok(hs("conv", "list", "--inbox", "Sales", "--search", "RESET LINK", "--all", "-o", "ids")).stdout.split()
    sales = visible(fake, inboxId=str(fake.inbox_id("Sales")))
    expected = [i for i in sales if any(m.get("text") == f"Hello, {subject}" for m in fake.messages[int(i)])]
    assert expected and sorted(found) == sorted(expected)
    everything = ok(hs("conv", "list", "--include-trash", "--all", "-o", "ids")).stdout.split()
    trashed = [str(n) for n in fake.threads if fake.thread(n)["archived"] and not fake.thread(n)["spam"]]
    assert trashed and sorted(everything, key=int) == sorted(visible(fake) + trashed, key=int)


def test_show_lists_messages_and_comments_apart(hs, fake):
    (number,) = fake.add_threads(1, inbox="Sales")
    named = hs("conv", "comment", str(number), "--text", "Refund approved by finance", "--as", "alice@acme.example")
    assert named.exit_code == 3 and "HubSpot writes a comment as the app whose token this is" in named.stderr
    ok(hs("conv", "comment", str(number), "--text", "Refund approved by finance"))  # as the token's app
    shown = ok(hs("conv", "show", str(number), "-o", "json"))
    detail = json.loads(shown.stdout)
    assert detail["inbox"] == "Sales" and detail["messages"][0]["kind"] == "incoming"
    assert [c["body"] for c in detail["comments"]] == ["Refund approved by finance"]


# ---------------------------------------------------------------------------------------------
# Actions by id, by filter, from stdin; undo


def test_each_action_by_id(hs, fake):
    (number,) = fake.add_threads(1, inbox="Sales")
    thread = str(number)
    ok(hs("conv", "assign", thread, "--to", "carol@acme.example"))
    assert fake.thread(number)["assignedTo"] == f"A-{fake.owner_user_id('carol@acme.example')}"
    ok(hs("conv", "assign", thread, "--unassign"))
    assert "assignedTo" not in fake.thread(number)
    ok(hs("conv", "close", thread))
    assert fake.thread(number)["status"] == "CLOSED"
    ok(hs("conv", "reopen", thread))
    assert fake.thread(number)["status"] == "OPEN"
    ok(hs("conv", "trash", thread, "--yes"))
    assert fake.thread(number)["archived"] is True
    refused = hs("conv", "close", thread)
    assert refused.exit_code == 3 and "in trash: restore it first" in refused.stderr
    ok(hs("conv", "restore", thread))
    assert fake.thread(number)["archived"] is False
    again = ok(hs("conv", "restore", thread))
    assert "0 changed, 1 unchanged" in again.stderr
    assert fake.writes[number] == 6


def test_by_filter_then_undo(hs, fake):
    sales_open = visible(fake, status="OPEN", inboxId=str(fake.inbox_id("Sales")))
    closed = ok(hs("conv", "close", "--inbox", "Sales", "--status", "open", "--yes", "-o", "ids"))
    assert sorted(closed.stdout.split()) == sorted(sales_open)
    assert all(fake.thread(int(i))["status"] == "CLOSED" for i in sales_open)
    undone = ok(hs("conv", "undo", "--yes"))
    assert f"{len(sales_open)} changed" in undone.stderr
    assert all(fake.thread(int(i))["status"] == "OPEN" for i in sales_open)
    assert all(fake.writes[int(i)] == 2 for i in sales_open)


def test_from_stdin(hs, fake):
    fake.add_threads(5, inbox="Sales", status="OPEN", assigned_to="erin@acme.example")
    ids = ok(hs("conv", "list", "--assignee", "erin@acme.example", "--status", "open", "--all", "-o", "ids")).stdout
    assert len(ids.split()) >= 5
    ok(hs("conv", "assign", "-", "--to", "dave@acme.example", "--yes", input=ids))
    dave = f"A-{fake.owner_user_id('dave@acme.example')}"
    assert all(fake.thread(int(i))["assignedTo"] == dave for i in ids.split())


def test_trash_by_filter_then_restore_by_filter(hs, fake):
    numbers = fake.add_threads(4, inbox="Sales", status="CLOSED", assigned_to="heidi@acme.example")
    ok(hs("conv", "trash", "--assignee", "heidi@acme.example", "--yes"))
    assert all(fake.thread(n)["archived"] for n in numbers)
    ok(hs("conv", "restore", "--assignee", "heidi@acme.example", "--yes"))
    assert not any(fake.thread(n)["archived"] for n in numbers)


TRASH_INSTEAD = "`inboxctl conv trash`): HubSpot deletes threads in trash for good after 30 days"


@pytest.mark.parametrize(("command", "says", "instead"), [
    (("delete", "--permanent"), "cannot delete conversations permanently", TRASH_INSTEAD),
    (("spam",), "cannot mark conversations as spam", TRASH_INSTEAD),
    (("unspam",), "cannot mark conversations as spam", TRASH_INSTEAD),
    (("block-sender",), "cannot block or unblock senders", TRASH_INSTEAD),
    (("unblock-sender",), "cannot block or unblock senders", TRASH_INSTEAD),
    (("assign", "--team", "Tier 1"), "no team on a conversation", "inboxctl conv assign --to EMAIL"),
])
def test_what_hubspot_cannot_do_is_refused_before_any_request(hs, fake, command, says, instead):
    (first, *_) = visible(fake)
    sent = len(fake.requests)
    refused = hs("conv", *command, first, "--yes")
    assert refused.exit_code == 1 and says in refused.stderr
    assert "HubSpot" in refused.stderr and instead in refused.stderr
    assert len(fake.requests) == sent


# ---------------------------------------------------------------------------------------------
# The daily quota and faults


def test_the_daily_quota_mid_run_exits_6_with_the_reset_time_and_a_rerun_completes(run, monkeypatch):
    with FakeHubSpot(threads=0, **ROOMY) as fake:
        numbers = fake.add_threads(60, inbox="Sales", status="OPEN")
        hs = hubspot_profile(run, monkeypatch, fake)
        fake.daily_remaining = 30  # the listing takes a few, then about 20 writes
        stopped = hs("conv", "close", "--inbox", "Sales", "--status", "open", "--yes")
        assert stopped.exit_code == 6, stopped.output + stopped.stderr
        assert "daily API quota" in stopped.stderr and "resets at midnight Europe/Paris time (" in stopped.stderr
        done = [n for n in numbers if fake.thread(n)["status"] == "CLOSED"]
        assert 0 < len(done) < 60
        assert f"{len(done)} changed" in stopped.stderr and "not attempted" in stopped.stderr
        assert "outcome unknown" not in stopped.stderr  # a 429 is a refusal: those threads were not changed
        fake.daily_remaining = 10_000  # midnight came
        rerun = ok(hs("conv", "close", "--inbox", "Sales", "--status", "open", "--yes"))
        assert f"{60 - len(done)} changed" in rerun.stderr
        assert all(fake.thread(n)["status"] == "CLOSED" for n in numbers)
        assert all(fake.writes[n] == 1 for n in numbers)


def test_faults_on_every_kind_of_request_change_each_thread_once(run, monkeypatch):
    with FakeHubSpot(threads=0, faults=Faults(rate=0.1, seed=11), **ROOMY) as fake:
        numbers = fake.add_threads(80, inbox="Sales", status="OPEN")
        hs = hubspot_profile(run, monkeypatch, fake)
        ok(hs("conv", "close", "--inbox", "Sales", "--status", "open", "--yes"))
        ok(hs("conv", "trash", "--inbox", "Sales", "--status", "closed", "--yes"))
        assert all(fake.thread(n)["archived"] and fake.thread(n)["status"] == "CLOSED" for n in numbers)
        assert all(fake.writes[n] == 2 for n in numbers)
        assert sum(fake.faults.injected.values()) > 10
