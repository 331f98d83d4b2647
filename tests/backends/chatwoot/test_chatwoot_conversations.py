"""Conversations on a fake Chatwoot over real HTTP: listing, showing, and verified (bulk) actions."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from fakes.chatwoot_server import FakeChatwoot, Faults

from fakes.chatwoot_server import AGENT_TOKEN
from inboxctl.conversations.model import ActionRequest, ConversationQuery
from inboxctl.errors import AuthenticationError, NotFoundError, UnsupportedError


def run(backend, action: str, ids, **request):
    return list(backend.run_action(ActionRequest(action=action, **request), [str(i) for i in ids]))


def pages(fake: FakeChatwoot) -> list[str]:
    return [r.query.get("page", ["?"])[0] for r in fake.requests_to("GET", r"/conversations$")]


# -- listing -----------------------------------------------------------------------------------------

def test_listing_reads_25_per_page_and_stops_at_all_count(fake, backend):
    fake.seed_conversations(60)
    listed = list(backend.list_conversations(ConversationQuery()))
    assert len(listed) == 60 and pages(fake) == ["1", "2", "3"]
    assert [c.id for c in listed] == [str(n) for n in range(60, 0, -1)]  # newest first


def test_listing_is_lazy(fake, backend):
    fake.seed_conversations(60)
    assert len(list(backend.list_conversations(ConversationQuery(limit=5)))) == 5
    assert pages(fake) == ["1"]


def test_filters_chatwoot_has_are_sent_to_it(fake, backend):
    fake.seed_conversations(3)
    list(backend.list_conversations(ConversationQuery(inbox="Bulk", status="closed", unassigned=True, search="x")))
    query = fake.requests_to("GET", r"/conversations$")[-1].query
    inbox_id = next(i["id"] for i in fake.inboxes.values() if i["name"] == "Bulk")
    assert {k: v[0] for k, v in query.items()} == {"status": "resolved", "assignee_type": "unassigned",
                                                  "q": "x", "inbox_id": str(inbox_id), "page": "1",
                                                  "sort_by": "created_at_desc"}


def test_filters_chatwoot_lacks_are_applied_here(fake, backend):
    ids = fake.seed_conversations(30)
    fake.conversations[ids[0]]["assignee_id"] = 3  # carol
    fake.conversations[ids[1]]["status"] = "resolved"
    mine = list(backend.list_conversations(ConversationQuery(assignee="Carol@acme.example")))
    assert [c.id for c in mine] == [str(ids[0])] and mine[0].assignee == "carol@acme.example"
    by_contact = list(backend.list_conversations(ConversationQuery(contact="visitor3@example.net")))
    assert {c.contact for c in by_contact} == {"visitor3@example.net"}
    open_only = list(backend.list_conversations(ConversationQuery(status="open")))
    assert str(ids[1]) not in {c.id for c in open_only} and len(open_only) == 29
    assert list(backend.list_conversations(ConversationQuery(since=timedelta(days=1)))) == []


def test_a_definition_inbox_with_several_chatwoot_inboxes_is_listed_as_one(fake, backend):
    first = fake.add_inbox("Support · support at acme.example", "Channel::Email", email="support@acme.example")
    second = fake.add_inbox("Support · Website chat", "Channel::WebWidget", website_url="https://acme.example")
    fake.seed_conversations(3, inbox_id=first)
    fake.seed_conversations(3, inbox_id=second)
    listed = list(backend.list_conversations(ConversationQuery(inbox="support")))
    assert [c.id for c in listed] == ["6", "5", "4", "3", "2", "1"]
    assert {(c.inbox, c.channel, c.channel_name) for c in listed} == {
        ("Support", "email", "support@acme.example"), ("Support", "chat", "Website chat")}


def test_an_unknown_inbox_fails_before_any_conversation_is_read(fake, backend):
    with pytest.raises(NotFoundError) as raised:
        backend.list_conversations(ConversationQuery(inbox="Suport"))
    assert "did you mean 'Support'" in str(raised.value)
    assert not fake.requests_to("GET", r"/conversations$")


def test_chatwoot_has_no_trash_to_list(fake, backend):
    fake.seed_conversations(3)
    assert list(backend.list_conversations(ConversationQuery(trash="only"))) == []
    assert not fake.requests_to("GET", r"/conversations$")


@pytest.mark.parametrize("query", [ConversationQuery(channel="email", status="open"),
                                   ConversationQuery(inbox="Support", channel="chat")])
def test_a_view_with_no_chatwoot_inbox_behind_it_lists_nothing(fake, backend, query):
    """Issue 11, item 1: the account has no e-mail inbox, and Support has no website chat."""
    fake.seed_conversations(3)
    assert list(backend.list_conversations(query)) == []
    assert not fake.requests_to("GET", r"/conversations$")


def test_chatwoot_cannot_have_form_conversations_and_says_so(fake, backend):
    fake.seed_conversations(3)
    with pytest.raises(UnsupportedError, match="no form channels"):
        backend.list_conversations(ConversationQuery(channel="form"))


def test_calls_are_the_conversations_of_voice_inboxes(fake, backend):
    phone = fake.add_inbox("Hotline", "Channel::Voice", phone_number="+33123456789")
    [call] = fake.seed_conversations(1, inbox_id=phone)
    fake.seed_conversations(2)
    assert [c.id for c in backend.list_conversations(ConversationQuery(channel="calling"))] == [str(call)]


def say(fake: FakeChatwoot, number: int, content: str, *, message_type: int = 0, private: bool = False) -> None:
    [message_id] = fake.add_messages(number, 1, message_type=message_type, private=private)
    next(m for m in fake.messages[number] if m["id"] == message_id)["content"] = content


@pytest.fixture
def searchable(fake):
    """E-mail conversations: 1 says "refund" in its subject only, 2 in a message only, 3 in a private note,
    4 in an activity message (which Chatwoot does not search), 5 nowhere; 6 in the subject and a message."""
    inbox = fake.add_inbox("Support · support at acme.example", "Channel::Email", email="support@acme.example")
    ids = fake.seed_conversations(6, inbox_id=inbox, status="resolved")
    fake.conversations[ids[0]]["additional_attributes"]["mail_subject"] = "Refund for order 7"
    say(fake, ids[1], "I would like a REFUND")
    say(fake, ids[2], "refund approved by billing", message_type=1, private=True)
    say(fake, ids[3], "Status: refund", message_type=2)
    fake.conversations[ids[5]]["additional_attributes"]["mail_subject"] = "Refund?"
    say(fake, ids[5], "about the refund")
    return ids


def test_search_finds_subjects_here_and_message_text_on_chatwoot(fake, backend, searchable):
    """Issue 11, item 4: Chatwoot's q matches message text only (ConversationFinder#filter_by_query)."""
    found = [int(c.id) for c in backend.list_conversations(ConversationQuery(search="refund", status="closed"))]
    assert found == [searchable[5], searchable[2], searchable[1], searchable[0]]  # each once, newest first
    subject_reads = [r.query for r in fake.requests_to("GET", r"/conversations$") if "q" not in r.query]
    assert subject_reads and all(q["inbox_id"] == [str(fake.conversations[searchable[0]]["inbox_id"])]
                                 and q["status"] == ["resolved"] for q in subject_reads)


def test_search_for_wildcard_characters_matches_them_literally(fake, backend, searchable):
    say(fake, searchable[4], "50% off")
    say(fake, searchable[3], "500 off")
    found = [int(c.id) for c in backend.list_conversations(ConversationQuery(search="50%"))]
    assert found == [searchable[4]]


def test_show_a_conversation_with_its_thread_and_comments(fake, backend):
    [number] = fake.seed_conversations(1)
    run(backend, "comment", [number], text="Waiting on billing")
    detail = backend.get_conversation(f"#{number}")
    assert detail.conversation.subject == f"Question {number}" and detail.contact.email == "visitor0@example.net"
    assert [m.kind for m in detail.thread] == ["incoming"] and detail.comments[0].body == "Waiting on billing"
    with pytest.raises(NotFoundError):
        backend.get_conversation("999")


def test_show_pages_back_to_the_first_message_of_a_long_conversation(fake, backend):
    """Issue 11, item 2: Chatwoot answers the latest 20 messages; earlier ones come with before=<oldest id>."""
    [number] = fake.seed_conversations(1)
    fake.add_messages(number, 44)
    fake.add_messages(number, 3, message_type=1, private=True)  # notes, the newest
    detail = backend.get_conversation(str(number))
    assert len(detail.thread) == 45 and len(detail.comments) == 3
    assert detail.thread[0].body == f"Hello, question {number}"  # the very first message, first
    bodies = [m.body for m in detail.messages]
    assert bodies == [m["content"] for m in fake.messages[number]]
    befores = [r.query.get("before", [None])[0] for r in fake.requests_to("GET", r"/messages$")]
    assert befores[0] is None and all(befores[1:])


# -- actions -------------------------------------------------------------------------------------------

def test_bulk_close_goes_through_bulk_actions_and_is_verified(fake, backend):
    ids = fake.seed_conversations(120)
    results = run(backend, "close", ids)
    assert Counter(r.outcome for r in results) == {"changed": 120}
    assert [r.id for r in results] == [str(i) for i in ids]
    assert results[0].before.status == "open" and results[0].after.status == "closed"
    bulk = fake.requests_to("POST", r"/bulk_actions$")
    assert [len(r.body["ids"]) for r in bulk] == [100, 20]
    assert bulk[0].body["fields"] == {"status": "resolved"} and bulk[0].body["type"] == "Conversation"
    assert set(fake.writes.values()) == {1}


def test_one_conversation_uses_its_own_endpoints_except_to_reopen(fake, backend):
    [number] = fake.seed_conversations(1)
    assert run(backend, "assign", [number], assignee="Dave@acme.example")[0].after.assignee == "dave@acme.example"
    assert run(backend, "close", [number])[0].after.status == "closed"
    assert run(backend, "reopen", [number])[0].after.status == "open"
    assert run(backend, "unassign", [number])[0].after.assignee is None
    # toggle_status to open would make an agent caller the assignee: reopening goes through bulk_actions.
    assert [r.path.rsplit("/", 1)[1] for r in fake.requests if r.method == "POST" and "filter" not in r.path] == [
        "assignments", "toggle_status", "bulk_actions", "assignments"]
    assert fake.requests_to("POST", r"/assignments$")[0].body == {"assignee_id": 4}


@pytest.mark.parametrize("count", [1, 3])
def test_reopening_with_an_agents_token_leaves_the_assignee_alone(fake, make_backend, count):
    """Issue 11, item 3: toggle_status to open makes the calling agent the assignee
    (conversations_controller.rb); the bulk path does not."""
    ids = fake.seed_conversations(count, status="resolved")
    fake.conversations[ids[0]]["assignee_id"] = 3  # carol
    fake.inbox_members[fake.conversations[ids[0]]["inbox_id"]] |= {2, 3}  # bob (the token's user) and carol
    results = run(make_backend(fake, token=AGENT_TOKEN), "reopen", ids)
    fake.settle()
    assert [(r.outcome, r.after.assignee) for r in results] == [("changed", "carol@acme.example")] + [
        ("changed", None)] * (count - 1)
    assert [fake.conversations[n]["assignee_id"] for n in ids] == [3] + [None] * (count - 1)
    assert all(r.reason is None for r in results)


def test_an_assignee_chatwoots_auto_assignment_picks_on_reopening_is_reported(fake, backend):
    """Reopening lets the inbox's auto-assignment give an unassigned conversation to an online member
    (app/models/concerns/auto_assignment_handler.rb): the result says so, with the assignee in "after"."""
    ids = fake.seed_conversations(2, status="resolved")
    fake.online = {2}  # bob has Chatwoot open
    results = run(backend, "reopen", ids)
    assert [r.after.assignee for r in results] == ["bob@acme.example"] * 2
    assert all(r.before.assignee is None for r in results)
    assert "Chatwoot's auto-assignment gave it to bob@acme.example" in results[0].reason


def test_what_is_already_so_is_unchanged_and_not_written(fake, backend):
    ids = fake.seed_conversations(3, status="resolved")
    assert {r.outcome for r in run(backend, "close", ids)} == {"unchanged"}
    assert not fake.requests_to("POST", r"/bulk_actions$")


def test_a_dry_run_writes_nothing(fake, backend):
    ids = fake.seed_conversations(5)
    results = run(backend, "close", ids, dry_run=True)
    assert {(r.outcome, r.dry_run, r.after.status) for r in results} == {("changed", True, "closed")}
    assert not fake.writes


def test_a_precondition_that_no_longer_holds_leaves_the_conversation_alone(fake, backend):
    ids = fake.seed_conversations(2, assignee_id=3)
    results = run(backend, "unassign", ids, precondition=(("assignee", "dave@acme.example"),))
    assert {r.outcome for r in results} == {"failed"} and "carol@acme.example" in results[0].reason
    assert not fake.writes


def test_what_chatwoot_accepts_but_silently_skips_is_reported_and_not_resent(fake, backend):
    ids = fake.seed_conversations(10)
    for number in ids[:3]:
        fake.conversations[number]["_locked"] = True  # the fake's BulkActionsJob skips these
    results = run(backend, "close", ids)
    failed = [r for r in results if r.outcome == "failed"]
    assert [r.id for r in failed] == [str(i) for i in ids[:3]]
    assert "accepted the change but did not apply it" in failed[0].reason
    assert len(fake.requests_to("POST", r"/bulk_actions$")) == 1


@pytest.mark.parametrize("kind", ["429", "503", "reset"])
def test_recovery_from_injected_failures(make_backend, kind):
    with FakeChatwoot(faults=Faults(rate=0.3, kinds=(kind,), seed=3)) as fake:
        fake.faults.rate, ids, fake.faults.rate = 0.0, fake.seed_conversations(60), 0.3
        backend = make_backend(fake)
        results = run(backend, "close", ids)
        fake.settle()
        assert Counter(r.outcome for r in results) == {"changed": 60}
        assert all(c["status"] == "resolved" for c in fake.conversations.values())
        assert set(fake.writes.values()) == {1}  # nothing written twice, even when an answer was lost
        assert sum(fake.faults.injected.values()) > 0 and backend.client.stats.retries > 0


def test_bulk_close_of_1000_with_10_percent_failures_closes_all_once(make_backend):
    with FakeChatwoot(faults=Faults(rate=0.0, seed=11)) as fake:
        ids = fake.seed_conversations(1000)
        fake.faults.rate = 0.10
        backend = make_backend(fake)
        targets = [c.id for c in backend.list_conversations(ConversationQuery(status="open"))]
        results = run(backend, "close", targets)
        fake.settle()
        assert len(targets) == 1000 and Counter(r.outcome for r in results) == {"changed": 1000}
        assert Counter(c["status"] for c in fake.conversations.values()) == {"resolved": 1000}
        assert Counter(fake.writes[i] for i in ids) == {1: 1000}  # no duplicate writes
        injected = fake.faults.injected
        assert injected["429"] and injected["503"] and injected["reset"] + injected["reset-after"]


def test_permanent_delete_needs_an_administrator(fake, make_backend):
    ids = fake.seed_conversations(2)
    fake.inbox_members[fake.conversations[ids[0]]["inbox_id"]].add(2)  # bob may see them
    refused = run(make_backend(fake, token=AGENT_TOKEN), "delete", ids[:1])
    assert refused[0].outcome == "failed" and "administrators" in refused[0].reason
    deleted = run(make_backend(fake), "delete", ids)
    fake.settle()
    assert {(r.outcome, r.after) for r in deleted} == {("changed", None)} and not fake.conversations


def test_a_comment_is_a_private_note(fake, backend):
    [number] = fake.seed_conversations(1)
    assert run(backend, "comment", [number], text="Internal")[0].outcome == "changed"
    assert fake.requests_to("POST", r"/messages$")[0].body == {"content": "Internal", "message_type": "outgoing",
                                                               "private": True}


def test_a_comment_is_written_by_the_tokens_user_and_never_claims_another_author(fake, backend):
    """Issue 11, item 7: messages_controller#create writes as the token's user (Current.user), whatever the body."""
    ids = fake.seed_conversations(2)
    refused = run(backend, "comment", ids, text="Waiting on billing", author="carol@acme.example")
    assert [r.outcome for r in refused] == ["failed", "failed"] and not refused[0].retryable
    assert "as the user of the API token, alice@acme.example, not as carol@acme.example" in refused[0].reason
    assert not fake.requests_to("POST", r"/messages$")
    written = run(backend, "comment", ids[:1], text="Waiting on billing", author="Alice@acme.example")
    assert written[0].outcome == "changed"
    assert fake.messages[ids[0]][-1]["sender"]["email"] == "alice@acme.example"


def test_block_sender_blocks_the_contact_and_hides_the_conversation(fake, backend):
    [number] = fake.seed_conversations(1)
    result = run(backend, "block-sender", [number])[0]
    assert result.after.sender_blocked and result.after.filtered
    assert fake.contacts[fake.conversations[number]["contact_id"]]["blocked"] is True
    assert list(backend.list_conversations(ConversationQuery())) == []
    assert len(list(backend.list_conversations(ConversationQuery(filtered="only")))) == 1
    assert run(backend, "unblock-sender", [number])[0].after.sender_blocked is False


def test_a_sender_of_several_conversations_is_blocked_once(fake, backend):
    ids = fake.seed_conversations(100)  # 50 visitors, two conversations each
    results = run(backend, "block-sender", ids)
    assert {r.outcome for r in results} == {"changed"}
    assert len(fake.requests_to("PUT", r"/contacts/")) == 50


@pytest.mark.parametrize(("action", "words"), [("trash", "delete --permanent"), ("restore", "no trash"),
                                               ("spam", "block-sender")])
def test_what_chatwoot_does_not_have_is_refused_and_never_replaced(fake, backend, action, words):
    ids = fake.seed_conversations(2)
    with pytest.raises(UnsupportedError) as raised:
        backend.run_action(ActionRequest(action=action), [str(i) for i in ids])
    assert words in str(raised.value)
    assert backend.unsupported_action(action).hint == raised.value.hint
    assert len(fake.conversations) == 2 and not fake.writes


def test_a_bad_token_stops_the_run_instead_of_failing_each_conversation(fake, make_backend):
    fake.seed_conversations(2)
    with pytest.raises(AuthenticationError, match="Invalid Access Token"):
        run(make_backend(fake, token="wrong-token"), "close", [1, 2])


# -- teams (issue 11, item 6) ------------------------------------------------------------------------

@pytest.mark.parametrize("count", [1, 3])
def test_assign_and_unassign_a_team(fake, backend, count):
    ids = fake.seed_conversations(count)
    assigned = run(backend, "assign-team", ids, team="Tier 1")
    assert {(r.outcome, r.before.team, r.after.team) for r in assigned} == {("changed", None, "tier 1")}
    assert [fake.conversations[n]["team_id"] for n in ids] == [1] * count
    assert [c.team for c in backend.list_conversations(ConversationQuery())] == ["tier 1"] * count
    assert {r.outcome for r in run(backend, "assign-team", ids, team="TIER 1")} == {"unchanged"}
    unassigned = run(backend, "unassign-team", ids)
    assert {(r.outcome, r.after.team) for r in unassigned} == {("changed", None)}
    assert [fake.conversations[n]["team_id"] for n in ids] == [None] * count
    writes = [r for r in fake.requests if r.method == "POST" and r.path.endswith(("/assignments", "/bulk_actions"))]
    bodies = [r.body if count == 1 else r.body["fields"] for r in writes]
    assert bodies == [{"team_id": 1}, {"team_id": None}]


def test_a_new_team_that_does_not_include_the_assignee_takes_the_conversation_from_them_and_says_so(fake, backend):
    """Chatwoot keeps a conversation's assignee within its team (assignment_handler.rb)."""
    [number] = fake.seed_conversations(1, assignee_id=3)  # carol, of Tier 2
    [result] = run(backend, "assign-team", [number], team="Tier 1")
    assert (result.outcome, result.before.assignee, result.after.assignee) == ("changed", "carol@acme.example", None)
    assert "Chatwoot took it from carol@acme.example" in result.reason
    kept = fake.seed_conversations(1, assignee_id=3)
    assert run(backend, "assign-team", kept, team="Tier 2")[0].reason is None  # carol is of Tier 2


def test_an_unknown_team_and_a_team_changed_since_are_refused_before_any_write(fake, backend):
    ids = fake.seed_conversations(2)
    fake.conversations[ids[1]]["team_id"] = 2
    [unknown] = run(backend, "assign-team", ids[:1], team="Tier 9")
    assert unknown.outcome == "failed" and "no team 'Tier 9'" in unknown.reason
    [moved] = run(backend, "unassign-team", ids[1:], precondition=(("team", "tier 1"),))
    assert moved.outcome == "failed" and "team is now tier 2, not tier 1" in moved.reason
    assert not fake.writes
