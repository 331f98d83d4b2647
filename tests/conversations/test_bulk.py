"""The bulk runner's own rules: ids, targets, when to ask, --max, and concurrency for per-call backends."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator

import pytest

from inboxctl.backends.base import Backend, Capabilities, Directory
from inboxctl.conversations.bulk import (
    BulkOptions,
    Targets,
    check_max,
    check_supported,
    explicit_targets,
    needs_confirmation,
    parse_ids,
    run_bulk,
)
from inboxctl.conversations.journal import JournalWriter, find_journal
from inboxctl.conversations.model import ActionRequest, ActionResult, ConversationQuery
from inboxctl.errors import AuthenticationError, NotFoundError, RefusedError, UnsupportedError


class PerCallServer(Backend):
    """A stand-in for an HTTP backend: one call per conversation, some slower than others."""

    name = "per-call"
    capabilities = Capabilities(server="the test server", settings=(), channel_types=frozenset(),
                                conversation_actions=frozenset({"close"}))

    def __init__(self) -> None:
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()

    def whoami(self) -> str:
        return "test"

    def directory(self) -> Directory:
        return Directory()

    def read_inboxes(self) -> list:
        return []

    def apply_change(self, change) -> None:  # pragma: no cover - not used
        raise NotImplementedError

    def run_action(self, request: ActionRequest, ids: Iterable[str], **hooks: object) -> Iterator[ActionResult]:
        for conversation_id in ids:
            with self.lock:
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
            time.sleep(0.01 if int(conversation_id) % 2 else 0.001)
            with self.lock:
                self.in_flight -= 1
            if conversation_id == "13":
                raise NotFoundError("conversation 13", reason="404 Not Found")
            if conversation_id == "99":
                raise AuthenticationError("token revoked")
            yield ActionResult(id=conversation_id, action=request.action, outcome="changed")


def test_parse_ids_from_arguments_and_lines():
    assert parse_ids(["1 2,3", "4\n", "#5", ""]) == ["1", "2", "3", "4", "5"]


def test_explicit_targets_keep_order_and_drop_repeats():
    assert explicit_targets(parse_ids(["3", "1", "3", "#2", "2"])).ids == ("3", "1", "2")


def test_when_to_ask():
    few = Targets(ids=tuple(map(str, range(20))))
    many = Targets(ids=tuple(map(str, range(21))))
    by_filters = Targets(ids=("1",), query=ConversationQuery(inbox="Support"))
    close, trash = ActionRequest(action="close"), ActionRequest(action="trash")
    assert not needs_confirmation(close, few)
    assert needs_confirmation(close, many) and needs_confirmation(close, by_filters)
    assert needs_confirmation(trash, Targets(ids=("1",)))
    assert needs_confirmation(ActionRequest(action="delete"), Targets(ids=("1",)))


def test_max():
    check_max(Targets(ids=("1", "2")), 2)
    with pytest.raises(RefusedError, match="2 conversations targeted, more than --max 1"):
        check_max(Targets(ids=("1", "2")), 1)


def test_a_server_that_cannot_do_an_action_says_so():
    check_supported(PerCallServer(), "close")
    with pytest.raises(UnsupportedError, match="the test server cannot trash conversations"):
        check_supported(PerCallServer(), "trash")


def test_concurrency_keeps_the_order_and_turns_server_errors_into_failed_results():
    server = PerCallServer()
    ids = [str(i) for i in range(1, 31)]
    seen: list[str] = []
    summary = run_bulk(server, ActionRequest(action="close"), ids, options=BulkOptions(concurrency=4, chunk_size=1),
                       on_result=lambda r: seen.append(r.id))
    assert seen == ids
    assert 1 < server.most_in_flight <= 4
    assert (summary.changed, summary.failed) == (29, 1)
    assert summary.failures[0].reason == "404 Not Found"


def test_parallel_chunks_reach_a_batching_backend_whole_and_a_failed_chunk_reports_every_id():
    server = PerCallServer()
    calls: list[list[str]] = []
    run_action = server.run_action

    def recording(request: ActionRequest, ids: Iterable[str], **hooks: object) -> Iterator[ActionResult]:
        calls.append(list(ids))
        return run_action(request, calls[-1])

    server.run_action = recording  # type: ignore[method-assign]
    ids = [str(i) for i in range(1, 61)]
    results: list[ActionResult] = []
    run_bulk(server, ActionRequest(action="close"), ids, options=BulkOptions(concurrency=3, chunk_size=25),
             on_result=results.append)
    assert sorted(len(call) for call in calls) == [10, 25, 25]
    assert [r.id for r in results] == ids
    # "13" made the server give up on the first chunk: 1-12 were done, 13-25 are reported failed.
    assert [r.outcome for r in results[:12]] == ["changed"] * 12
    assert {(r.outcome, r.reason) for r in results[12:25]} == {("failed", "404 Not Found")}
    assert {r.outcome for r in results[25:]} == {"changed"}


def test_lost_credentials_stop_the_run_and_close_the_journal_as_interrupted():
    writer = JournalWriter.create(
        server="test-server", action="close", request=ActionRequest(action="close"), backend="per-call",
                                  profile="test", targets="test", total=3)
    with pytest.raises(AuthenticationError):
        run_bulk(PerCallServer(), ActionRequest(action="close"), ["1", "99", "3"], journal=writer,
                 options=BulkOptions(concurrency=1))
    info = find_journal(writer.name)
    assert info.summary is not None and info.summary["interrupted"] is True
    assert [r.id for r in info.results()] == ["1"]
