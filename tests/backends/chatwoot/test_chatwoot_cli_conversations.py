"""Conversation commands on a Chatwoot profile, where the real server differs from what a user expects
(issue 11): views with nothing behind them, long threads, reopening, search, teams, comment authors."""

from __future__ import annotations

from fakes.chatwoot_server import AGENT_TOKEN


def test_a_view_chatwoot_has_no_inbox_for_lists_nothing(cw, fake):
    fake.seed_conversations(3)
    listed = cw("conv", "list", "--view", "email", "-o", "ids")
    assert listed.exit_code == 0, listed.stderr
    assert listed.output == ""
    closed = cw("conv", "close", "--view", "email", "--yes")
    assert closed.exit_code == 0 and "No conversations match" in closed.stderr


def test_the_forms_view_says_chatwoot_has_no_forms(cw, fake):
    fake.seed_conversations(3)
    listed = cw("conv", "list", "--view", "forms")
    assert listed.exit_code == 1
    assert "Chatwoot has no form channels" in listed.stderr and "Internal error" not in listed.stderr


def test_show_prints_every_message_of_a_long_conversation(cw, fake):
    [number] = fake.seed_conversations(1)
    fake.add_messages(number, 44)
    shown = cw("conv", "show", str(number))
    assert shown.exit_code == 0, shown.stderr
    assert "Messages (45):" in shown.output and f"Hello, question {number}" in shown.output


def test_reopening_with_an_agents_token_keeps_the_assignee(cw, fake, monkeypatch):
    [number] = fake.seed_conversations(1, status="resolved")
    fake.inbox_members[fake.conversations[number]["inbox_id"]].add(2)  # bob, the token's user, sees it
    monkeypatch.setenv("INBOXCTL_TOKEN", AGENT_TOKEN)
    reopened = cw("conv", "reopen", str(number))
    assert reopened.exit_code == 0, reopened.stderr
    fake.settle()
    assert (fake.conversations[number]["status"], fake.conversations[number]["assignee_id"]) == ("open", None)


def test_an_assignee_given_by_chatwoot_on_reopening_is_shown_with_the_result(cw, fake):
    [number] = fake.seed_conversations(1, status="resolved")
    fake.online = {2}
    reopened = cw("conv", "reopen", str(number), "-o", "table")
    assert reopened.exit_code == 0, reopened.stderr
    assert "assignee nobody → bob@acme.example" in reopened.output
    assert "auto-assignment gave it to bob@acme.example" in reopened.output


def test_team_assignment_is_journaled_and_undone(cw, fake):
    ids = [str(number) for number in fake.seed_conversations(3)]
    assigned = cw("conv", "assign", *ids, "--team", "Tier 2")
    assert assigned.exit_code == 0, assigned.stderr
    fake.settle()
    assert {fake.conversations[int(n)]["team_id"] for n in ids} == {2}
    assert cw("conv", "assign", ids[0], "--team", "Tier 9").exit_code == 64
    undone = cw("conv", "undo", "--yes")
    assert undone.exit_code == 0, undone.stderr
    fake.settle()
    assert {fake.conversations[int(n)]["team_id"] for n in ids} == {None}


def test_a_comment_as_someone_else_than_the_tokens_user_is_refused_and_theirs_is_written(cw, fake):
    [number] = fake.seed_conversations(1)
    refused = cw("conv", "comment", str(number), "--text", "Checked", "--as", "carol@acme.example")
    assert refused.exit_code == 3
    assert "Chatwoot writes a comment as the user of the API token, alice@acme.example" in refused.stderr
    assert not fake.requests_to("POST", r"/messages$")
    written = cw("conv", "comment", str(number), "--text", "Checked", "--as", "alice@acme.example")
    assert written.exit_code == 0, written.stderr
    assert fake.messages[number][-1]["sender"]["email"] == "alice@acme.example"
