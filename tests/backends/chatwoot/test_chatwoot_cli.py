"""End to end through the CLI: a chatwoot profile pointing at the fake server on 127.0.0.1."""

from __future__ import annotations

import json

from fakes.chatwoot_server import ADMIN_TOKEN
from fakes.chatwoot_setup import CONFIGS, REPO_DIR


def test_apply_the_chatwoot_configs_then_plan_exits_0(cw, fake):
    applied = cw("apply", str(CONFIGS), "--yes")
    assert applied.exit_code == 0, applied.output + applied.stderr
    planned = cw("plan", str(CONFIGS), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output + planned.stderr
    assert "No changes" in planned.output + planned.stderr
    assert ADMIN_TOKEN not in applied.output + applied.stderr + planned.output + planned.stderr


def test_plan_json_names_the_server_and_never_the_token(cw):
    planned = cw("plan", str(CONFIGS), "-o", "json")
    document = json.loads(planned.output)
    assert document["server"].startswith("Chatwoot at http://127.0.0.1:") and document["summary"]["create"] == 6
    assert ADMIN_TOKEN not in planned.output


def test_a_definition_chatwoot_cannot_hold_is_refused_naming_each_setting(cw, fake):
    planned = cw("plan", str(REPO_DIR / "configs" / "support.toml"))
    assert planned.exit_code == 5  # a definition this server cannot take
    text = planned.output + planned.stderr
    assert "routing.mode" in text and "contact owners" in text and "ticket_defaults.pipeline" in text
    assert {request.method for request in fake.requests} == {"GET"}


def test_export_then_plan_is_empty(cw, tmp_path):
    assert cw("apply", str(CONFIGS), "--yes").exit_code == 0
    exported = cw("export", "--dir", str(tmp_path))
    assert exported.exit_code == 0, exported.output + exported.stderr
    assert sorted(path.name for path in tmp_path.glob("*.toml")) == [
        "help-center.toml", "partners.toml", "sales.toml", "support.toml"]
    assert cw("plan", str(tmp_path), "--detailed-exitcode").exit_code == 0


def test_conversations_through_the_cli(cw, fake):
    fake.seed_conversations(30)
    listed = cw("conv", "list", "--inbox", "Bulk", "--all", "-o", "ids")
    assert listed.exit_code == 0 and len(listed.output.split()) == 30
    closed = cw("conv", "close", "--inbox", "Bulk", "--yes", "-o", "json")
    assert closed.exit_code == 0, closed.output + closed.stderr
    assert all(c["status"] == "resolved" for c in fake.conversations.values())


def test_trash_says_chatwoot_has_none_and_points_to_a_permanent_delete(cw, fake):
    fake.seed_conversations(2)
    trashed = cw("conv", "trash", "1", "--yes")
    assert trashed.exit_code != 0
    assert "no trash" in trashed.stderr and "delete --permanent" in trashed.stderr
    assert len(fake.conversations) == 2


def test_a_permanent_delete_by_id(cw, fake):
    fake.seed_conversations(3)
    deleted = cw("conv", "delete", "1", "2", "--permanent", "--yes")
    assert deleted.exit_code == 0, deleted.output + deleted.stderr
    fake.settle()
    assert sorted(fake.conversations) == [3]


def test_a_permanent_delete_by_filter_looks_at_every_conversation(cw, fake):
    """Chatwoot has no trash, so "only what is in trash" would select nothing there."""
    fake.seed_conversations(3)
    fake.seed_conversations(2, status="resolved")
    deleted = cw("conv", "delete", "--permanent", "--inbox", "Bulk", "--status", "closed", "--yes")
    assert deleted.exit_code == 0, deleted.output + deleted.stderr
    fake.settle()
    assert sorted(fake.conversations) == [1, 2, 3]


def test_undo_refuses_a_server_the_profile_was_pointed_at_since(cw, fake, run):
    """Issue 7, finding 4: a journal records the server, and undo never changes another one."""
    from fakes.chatwoot_server import FakeChatwoot

    ids = [str(number) for number in fake.seed_conversations(3)]
    assert cw("conv", "close", *ids).exit_code == 0
    fake.settle()
    with FakeChatwoot() as other:
        other_ids = other.seed_conversations(3, status="resolved")
        moved = run("profile", "add", "cw", "--backend", "chatwoot", "--url", other.url, "--account-id", "1",
                    "--replace")
        assert moved.exit_code == 0, moved.stderr
        refused = cw("conv", "undo", "--yes")
        assert refused.exit_code == 1
        assert f"changed conversations on chatwoot:{fake.url}/accounts/1" in refused.stderr
        assert "nothing was changed" in refused.stderr
        assert {other.conversations[n]["status"] for n in other_ids} == {"resolved"}
        assert not [r for r in other.requests if r.method != "GET"]
    assert {fake.conversations[int(n)]["status"] for n in ids} == {"resolved"}


def test_undo_refuses_when_inboxctl_url_points_elsewhere(cw, fake, monkeypatch):
    from fakes.chatwoot_server import FakeChatwoot

    ids = [str(number) for number in fake.seed_conversations(2)]
    assert cw("conv", "close", *ids).exit_code == 0
    with FakeChatwoot() as other:
        monkeypatch.setenv("INBOXCTL_URL", other.url)
        refused = cw("conv", "undo", "--yes")
        assert refused.exit_code == 1 and "now points at" in refused.stderr
        assert not [r for r in other.requests if r.method != "GET"]


def test_undo_of_a_reopen_also_takes_back_the_assignee_chatwoot_picked(cw, fake):
    """Issue 11 item 3: Chatwoot's auto-assignment gives reopened conversations to an online member;
    the journal keeps it, and undo closes them and gives them back to nobody."""
    ids = [str(n) for n in fake.seed_conversations(2, status="resolved")]
    fake.online = {2}  # bob has Chatwoot open
    reopened = cw("conv", "reopen", *ids)
    assert reopened.exit_code == 0, reopened.stderr
    fake.settle()
    assert {fake.conversations[int(n)]["assignee_id"] for n in ids} == {2}
    fake.online = set()
    undone = cw("conv", "undo", "--yes")
    assert undone.exit_code == 0, undone.stderr
    fake.settle()
    assert [(fake.conversations[int(n)]["status"], fake.conversations[int(n)]["assignee_id"]) for n in ids] == \
        [("resolved", None)] * 2


def test_a_comment_needs_no_as_on_chatwoot_the_tokens_user_writes_it(cw, fake, monkeypatch):
    monkeypatch.delenv("INBOXCTL_USER", raising=False)
    [number] = fake.seed_conversations(1)
    commented = cw("conv", "comment", str(number), "--text", "Checked with billing")
    assert commented.exit_code == 0, commented.stderr
    notes = [m for m in fake.messages[number] if m.get("private")]
    assert [n["content"] for n in notes] == ["Checked with billing"]
    refused = cw("conv", "comment", str(number), "--text", "Again", "--as", "carol@acme.example")
    assert refused.exit_code == 3 and "not as carol@acme.example" in refused.stderr
