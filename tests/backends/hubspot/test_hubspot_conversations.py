"""The HubSpot conversations half against the fake HubSpot on 127.0.0.1 (real sockets): actions,
trusting a listing's states, the journal's ``sending`` hook, interruption, and faults with no
thread written twice or missed."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

TESTS_DIR = Path(__file__).resolve().parents[2]
if str(TESTS_DIR) not in sys.path:  # tests/fakes is shared with the benchmark, not a package
    sys.path.insert(0, str(TESTS_DIR))

from fakes.hubspot_server import READ_ONLY_TOKEN, TOKEN, FakeHubSpot, Faults  # noqa: E402

from inboxctl.backends.hubspot.backend import CLIENT_OPTIONS, HubSpotBackend  # noqa: E402
from inboxctl.conversations.bulk import BulkOptions, run_bulk  # noqa: E402
from inboxctl.conversations.model import ActionRequest, ConversationQuery  # noqa: E402
from inboxctl.errors import AuthenticationError, RequestCancelled  # noqa: E402

# Waits of milliseconds instead of seconds (423 asks for 2 s), and a limit the tests never reach.
FAST = {"backoff_base": 0.002, "backoff_cap": 0.02, "max_attempts": 8, "timeout": (2.0, 5.0),
        "refused_statuses": {**CLIENT_OPTIONS["refused_statuses"], 423: 0.005}}
ROOMY = {"rate_max": 100_000, "rate_interval_ms": 1000}


@pytest.fixture
def fake() -> Iterator[FakeHubSpot]:
    with FakeHubSpot(**ROOMY) as running:
        yield running


@pytest.fixture
def make_backend() -> Iterator[Callable[..., HubSpotBackend]]:
    made: list[HubSpotBackend] = []

    def make(server: FakeHubSpot, token: str = TOKEN, **options: Any) -> HubSpotBackend:
        backend = HubSpotBackend(server.url, token, client_options={**FAST, **options})
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


@pytest.fixture
def backend(fake, make_backend) -> HubSpotBackend:
    return make_backend(fake)


def ids_of(numbers: list[int]) -> list[str]:
    return [str(number) for number in numbers]


def test_every_action_on_the_fake(fake, backend):
    (number,) = fake.add_threads(1, inbox="Sales")
    steps = [ActionRequest(action="assign", assignee="CAROL@acme.example"), ActionRequest(action="close"),
             ActionRequest(action="reopen"), ActionRequest(action="unassign"), ActionRequest(action="trash"),
             ActionRequest(action="restore"), ActionRequest(action="comment", text="Checked by inboxctl")]
    for request in steps:
        (result,) = backend.run_action(request, [str(number)])
        assert result.outcome == "changed", (request.action, result.reason)
    final = fake.thread(number)
    assert final["status"] == "OPEN" and "assignedTo" not in final and final["archived"] is False
    assert backend.get_conversation(str(number)).comments[-1].body == "Checked by inboxctl"
    assert fake.writes[number] == len(steps)


def test_a_thread_already_as_asked_is_unchanged_and_not_written(fake, backend):
    (number,) = fake.add_threads(1, status="CLOSED", assigned_to="bob@acme.example")
    for request in (ActionRequest(action="close"), ActionRequest(action="assign", assignee="bob@acme.example"),
                    ActionRequest(action="restore")):
        (result,) = backend.run_action(request, [str(number)])
        assert result.outcome == "unchanged"
    assert fake.writes[number] == 0


def test_the_listings_states_spare_a_read_per_thread(fake, backend):
    numbers = fake.add_threads(30, inbox="Sales", status="OPEN")
    listed = {c.id: c for c in backend.list_conversations(ConversationQuery(inbox="Sales", status="open"))}
    before = len(fake.requests)
    results = list(backend.run_action(ActionRequest(action="close"), ids_of(numbers), known=listed))
    assert {r.outcome for r in results} == {"changed"}
    assert [r.method for r in fake.requests[before:]] == ["PATCH"] * 30


def test_explicit_ids_are_read_first_trash_included(fake, backend):
    (number,) = fake.add_threads(1)
    assert backend.run_action(ActionRequest(action="trash"), [str(number)]).__next__().outcome == "changed"
    (result,) = backend.run_action(ActionRequest(action="close"), [str(number)])
    assert result.outcome == "failed" and result.reason == "in trash: restore it first"
    (missing,) = backend.run_action(ActionRequest(action="close"), ["42"])
    assert missing.outcome == "failed" and "no such conversation on HubSpot" in missing.reason
    assert fake.writes[number] == 1


def test_a_deactivated_user_is_never_given_a_thread(fake, backend):
    (number,) = fake.add_threads(1)
    (result,) = backend.run_action(ActionRequest(action="assign", assignee="frank@acme.example"), [str(number)])
    assert result.outcome == "failed" and "deactivated" in result.reason
    assert fake.writes[number] == 0


def test_sending_is_called_just_before_each_write_with_the_state_before(fake, backend):
    numbers = fake.add_threads(3, status="OPEN")
    seen: list[tuple[str, str, int]] = []
    results = list(backend.run_action(ActionRequest(action="close"), ids_of(numbers),
                                      sending=lambda i, before: seen.append((i, before.status, fake.writes[int(i)]))))
    assert seen == [(str(n), "open", 0) for n in numbers]
    assert [r.outcome for r in results] == ["changed"] * 3


def test_after_cancel_nothing_more_is_sent(fake, backend):
    numbers = fake.add_threads(5)
    results = backend.run_action(ActionRequest(action="close"), ids_of(numbers))
    assert next(results).outcome == "changed"
    backend.cancel()
    sent = len(fake.requests)
    with pytest.raises(RequestCancelled):
        next(results)
    assert len(fake.requests) == sent
    assert sum(fake.writes.values()) == 1


def test_a_token_without_the_write_scope_stops_the_run_naming_the_scope(fake, make_backend):
    numbers = fake.add_threads(2)
    backend = make_backend(fake, READ_ONLY_TOKEN)
    with pytest.raises(AuthenticationError, match="lacks the scope conversations.write") as raised:
        list(backend.run_action(ActionRequest(action="close"), ids_of(numbers)))
    assert raised.value.exit_code == 4 and READ_ONLY_TOKEN not in str(raised.value)


def test_listing_streams_in_constant_memory_newest_first_without_a_limit(fake, backend):
    fake.add_threads(250, inbox="Sales")
    found = [c.id for c in backend.list_conversations(ConversationQuery(inbox="Sales"))]
    assert found == sorted(found, key=int, reverse=True) and len(found) == len(set(found)) >= 250
    oldest = backend.list_conversations(ConversationQuery(inbox="Sales", sort="oldest", limit=5))
    before = len(fake.requests)
    assert len(list(oldest)) == 5
    assert len(fake.requests) - before <= 2  # the first page and its contacts: nothing more


MIXED = {"rate": 0.1, "seed": 7}  # 429, 502, 503, 423 and resets, on every kind of request
# Every fourth write reset, half of them after HubSpot applied it. Run by one worker, so that the
# seeded draws always fall on the same requests.
RESETS = {"rate": 0.25, "seed": 3, "kinds": ("reset",), "methods": ("PATCH", "PUT", "DELETE")}


@pytest.mark.parametrize(("action", "faults"), [("close", MIXED), ("trash", MIXED), ("assign", MIXED),
                                                ("close", RESETS), ("trash", RESETS), ("assign", RESETS)])
def test_faults_write_no_thread_twice_and_miss_none(make_backend, action, faults):
    """A reset after HubSpot applied a write looks like any other reset: only reading back tells them apart."""
    injected = Faults(**faults)
    with FakeHubSpot(faults=injected, threads=0, **ROOMY) as fake:
        numbers = fake.add_threads(60, inbox="Sales")
        backend = make_backend(fake)
        request = ActionRequest(action=action, assignee="dave@acme.example" if action == "assign" else None)
        options = BulkOptions(concurrency=1 if faults is RESETS else 4)
        summary = run_bulk(backend, request, ids_of(numbers), options=options)
        assert (summary.changed, summary.failed) == (60, 0), [f.reason for f in summary.failures]
        assert all(fake.writes[n] == 1 for n in numbers), {n: fake.writes[n] for n in numbers if fake.writes[n] != 1}
        assert injected.injected["reset-after"] >= (5 if faults is RESETS else 0)
