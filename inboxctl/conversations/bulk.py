"""The bulk runner: which conversations an action targets, when to ask first, and running it.

The same path serves a dry run and a real run (a dry run is an ``ActionRequest`` with
``dry_run=True``: the backend computes every result and writes nothing). The runner journals
each result as soon as it is known and counts outcomes; rendering and asking are the CLI's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from inboxctl.backends.base import Backend, SendingCallback
from inboxctl.conversations.journal import JournalWriter
from inboxctl.conversations.model import (
    ActionRequest,
    ActionResult,
    ActionSummary,
    Conversation,
    ConversationQuery,
    already_done,
    conversation_number,
)
from inboxctl.errors import (
    AuthenticationError,
    BackendError,
    RateLimitedError,
    RefusedError,
    RequestCancelled,
    UsageError,
)
from inboxctl.interrupts import InterruptHold

# Up to this many ids typed or piped in, a non-destructive action runs without a question.
EXPLICIT_IDS_WITHOUT_PROMPT = 20
SAMPLE_SIZE = 5
# Backends that run a whole bulk action in one transaction: splitting it up would only break that.
ONE_TRANSACTION_BACKENDS = frozenset({"local"})
# Inverse actions a server supports when it supports the action itself.
_CAPABILITY_OF = {"unspam": "spam"}

ResultCallback = Callable[[ActionResult], None]


@dataclass(frozen=True, kw_only=True)
class Targets:
    """The conversations an action will run on, and how they were chosen."""

    ids: tuple[str, ...]
    query: ConversationQuery | None = None  # None: the ids were given explicitly
    sample: tuple[Conversation, ...] = ()   # the first ones that would change
    # From a listing: each conversation as it was listed, and how many the action would change.
    # None when the state was not known beforehand (explicit ids).
    known: Mapping[str, Conversation] | None = None
    to_change: int | None = None

    @property
    def from_filters(self) -> bool:
        return self.query is not None

    @property
    def count(self) -> int:
        """What the prompt and --max count: what would change where that is known, else every target."""
        return self.to_change if self.to_change is not None else len(self.ids)

    def describe(self) -> str:
        if self.query is not None:
            return f"filters: {self.query.describe()}"
        return f"{len(self.ids)} id(s) given"


_PIPED_LINE = re.compile(r"\s*(?:([0-9]+)\s*)?(?:#.*)?", re.ASCII | re.DOTALL)
PIPE_HINT = ("pipe exactly what `inboxctl conv list ... -o ids` prints: one id per line "
             "(blank lines and # comments are fine)")


def check_id(text: str, *, where: str) -> str:
    """``text`` as a conversation id (a leading ``#`` allowed), or a UsageError naming ``where`` it came from."""
    number = conversation_number(text)
    if number is None:
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise UsageError(f"{where}: {shown!r} is not a conversation id",
                         hint="conversation ids are numbers such as 42 (ASCII digits)")
    return str(number)


def parse_ids(arguments: Iterable[str]) -> list[str]:
    """Ids typed as arguments: ``42``, ``#42``, or several separated by commas or spaces."""
    ids: list[str] = []
    for argument in arguments:
        ids.extend(check_id(part, where="argument") for part in argument.replace(",", " ").split())
    return ids


def parse_piped_ids(lines: Iterable[str]) -> list[str]:
    """Ids read from stdin, refused as a whole at the first line that is not one id.

    A table or a JSON listing piped by mistake holds numbers too ("Invoice 7204 is wrong"), so
    anything but the ``-o ids`` format is an error before any write, not a list of ids.
    """
    ids: list[str] = []
    for number, line in enumerate(lines, start=1):
        match = _PIPED_LINE.fullmatch(line.rstrip("\r\n"))
        if match is None or (match.group(1) and conversation_number(match.group(1)) is None):
            shown = line.rstrip("\r\n")
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            raise UsageError(f"stdin line {number} is not a conversation id: {shown!r}; nothing was changed",
                             hint=PIPE_HINT)
        if match.group(1):
            ids.append(str(int(match.group(1))))
    return ids


def explicit_targets(ids: Sequence[str]) -> Targets:
    # The same id twice would be acted on twice and reported twice; once is what was meant.
    return Targets(ids=tuple(dict.fromkeys(ids)))


def filter_targets(backend: Backend, query: ConversationQuery, request: ActionRequest) -> Targets:
    """Every conversation the query matches, as listed, and which of them ``request`` would change."""
    ids: list[str] = []
    known: dict[str, Conversation] = {}
    sample: list[Conversation] = []
    to_change = 0
    for conversation in backend.list_conversations(query):
        ids.append(conversation.id)
        known[conversation.id] = conversation
        if would_change(request, conversation):
            to_change += 1
            if len(sample) < SAMPLE_SIZE:
                sample.append(conversation)
    return Targets(ids=tuple(ids), query=query, sample=tuple(sample), known=known, to_change=to_change)


def would_change(request: ActionRequest, conversation: Conversation) -> bool:
    """Whether ``request`` would change this conversation as listed; True where a listing cannot tell."""
    if request.with_ticket and conversation.has_ticket:
        return True  # a listing does not show the ticket's status
    if request.action in ("block-sender", "unblock-sender"):
        return True  # nor whether the sender is blocked
    return not already_done(request, conversation.state())


def check_max(targets: Targets, max_count: int | None) -> None:
    if max_count is None or targets.count <= max_count:
        return
    what = (f"{targets.count} conversations would change ({len(targets.ids)} match)" if targets.to_change is not None
            else f"{targets.count} conversations targeted")
    raise RefusedError(f"{what}, more than --max {max_count}: nothing was changed",
                       hint="narrow the filters, or raise --max if that many is what you mean")


def needs_confirmation(request: ActionRequest, targets: Targets) -> bool:
    """Filters can match more than meant, and destructive actions lose things: both ask first,
    unless nothing would change."""
    if targets.to_change == 0:
        return False
    return targets.from_filters or request.destructive or targets.count > EXPLICIT_IDS_WITHOUT_PROMPT


def check_supported(backend: Backend, action: str) -> None:
    supported = backend.capabilities.conversation_actions
    if _CAPABILITY_OF.get(action, action) not in supported:
        raise backend.unsupported_action(action)


@dataclass(frozen=True, kw_only=True)
class BulkOptions:
    concurrency: int = 1  # chunks in flight at once, for backends that make HTTP calls
    chunk_size: int = 25  # conversations per call to Backend.run_action when running in parallel
    # After one chunk stops the run (rate limit, lost credentials), how long the chunks already in
    # flight may take to report, so that their results are exact rather than "outcome unknown".
    drain_seconds: float = 1.0


def run_bulk(backend: Backend, request: ActionRequest, ids: Sequence[str], *, options: BulkOptions = BulkOptions(),
             journal: JournalWriter | None = None, on_result: ResultCallback | None = None,
             summary: ActionSummary | None = None, known: Mapping[str, Conversation] | None = None) -> ActionSummary:
    """Run ``request`` on ``ids``, journaling and reporting each result; return the counts.

    Pass ``summary`` to add to an existing count (undo runs several requests into one summary).
    An exception (interrupt, quota, lost credentials) stops the backend from sending anything more
    and closes the journal, marked interrupted: every write that was sent and not answered is
    recorded as outcome unknown, so the journal names everything that may have changed.
    """
    summary = summary if summary is not None else ActionSummary()
    sending = journal.sending if journal is not None else None
    try:
        for result in _results(backend, request, ids, options, known, sending):
            record_result(result, summary, journal, on_result)
    except BaseException:
        backend.cancel()
        if journal is not None:
            for result in journal.unanswered(request):
                record_result(result, summary, journal, on_result)
            journal.finish(summary, interrupted=True)
        raise
    return summary


def record_result(result: ActionResult, summary: ActionSummary, journal: JournalWriter | None,
                  on_result: ResultCallback | None) -> None:
    """Count one result, journal it, then report it."""
    # Counted and journaled together or not at all: an interrupt in between would leave a summary
    # that does not count what the journal's lines say (an interrupt waits here for a few microseconds).
    with InterruptHold() as hold:
        hold.engage()
        summary.add(result)
        if journal is not None:
            journal.record(result)
    if on_result is not None:
        on_result(result)


def _results(backend: Backend, request: ActionRequest, ids: Sequence[str], options: BulkOptions,
             known: Mapping[str, Conversation] | None, sending: SendingCallback | None) -> Iterator[ActionResult]:
    size = max(1, options.chunk_size)
    if options.concurrency <= 1 or len(ids) <= size or backend.name in ONE_TRANSACTION_BACKENDS:
        yield from backend.run_action(request, ids, known=known, sending=sending)
        return
    # Chunks, not single ids, run in parallel: a backend that batches its calls (Chatwoot reads
    # and writes many conversations per request) keeps doing so within each chunk.
    chunks = [ids[start:start + size] for start in range(0, len(ids), size)]
    pool = _ChunkPool(lambda chunk: _chunk(backend, request, chunk, known, sending), chunks,
                      workers=options.concurrency, drain_seconds=options.drain_seconds)
    for results in pool.results():
        yield from results


def _chunk(backend: Backend, request: ActionRequest, chunk: Sequence[str], known: Mapping[str, Conversation] | None,
           sending: SendingCallback | None) -> tuple[list[ActionResult], BaseException | None]:
    """The chunk's results, and the error that stopped the whole run, if one did."""
    results: list[ActionResult] = []
    try:
        # extend() keeps what the generator yielded before it raised.
        results.extend(backend.run_action(request, chunk, known=known, sending=sending))
    except (AuthenticationError, RateLimitedError, RequestCancelled) as error:
        return results, error  # every other conversation would fail the same way: stop the run
    except BackendError as error:
        # The server gave up on this chunk: what it did not report on is failed, with its reason.
        reported = {result.id for result in results}
        results.extend(ActionResult(id=conversation_id, action=request.action, outcome="failed",
                                    reason=error.reason or error.message, dry_run=request.dry_run, retryable=True)
                       for conversation_id in chunk if conversation_id not in reported)
    return results, None


ChunkOutcome = tuple[list[ActionResult], BaseException | None]


class _ChunkPool:
    """Runs chunks on daemon threads and hands their results back in the order of the chunks.

    Daemon threads, not a ThreadPoolExecutor: an executor's workers are joined when the program
    exits, so Ctrl-C would wait for every request in flight (minutes against a hung server). Here
    the main thread stops at once; the backend is cancelled, so the workers send nothing more.
    At most ``2 * workers`` chunks run ahead of the one being reported, which bounds memory.
    """

    def __init__(self, work: Callable[[Sequence[str]], ChunkOutcome], chunks: list[Sequence[str]], *,
                 workers: int, drain_seconds: float) -> None:
        self._work, self._chunks, self._drain = work, chunks, drain_seconds
        self._futures: list[Future[ChunkOutcome]] = [Future() for _ in chunks]
        self._next = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ahead = threading.Semaphore(2 * workers)
        self._threads = [threading.Thread(target=self._worker, name=f"inboxctl-bulk-{n}", daemon=True)
                         for n in range(workers)]

    def results(self) -> Iterator[list[ActionResult]]:
        for thread in self._threads:
            thread.start()
        try:
            for index, future in enumerate(self._futures):
                results, error = _wait(future)
                self._ahead.release()
                yield results
                if error is not None:
                    self._stop.set()
                    yield from self._drain_started(index + 1)
                    raise error
        finally:
            self._stop.set()

    def _worker(self) -> None:
        while not self._stop.is_set():
            if not self._ahead.acquire(timeout=0.05):
                continue
            with self._lock:
                index, self._next = self._next, self._next + 1
            if index >= len(self._chunks) or self._stop.is_set():
                return
            future = self._futures[index]
            try:
                future.set_result(self._work(self._chunks[index]))
            except BaseException as error:  # noqa: BLE001 - handed to the main thread, which re-raises it
                future.set_result(([], error))

    def _drain_started(self, start: int) -> Iterator[list[ActionResult]]:
        """Results of chunks already running when the run stopped, for as long as ``drain_seconds`` allows."""
        deadline = time.monotonic() + self._drain
        with self._lock:
            started = self._futures[start:self._next]
        for future in started:
            try:
                results, _ = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                return
            yield results


def _wait(future: Future[ChunkOutcome]) -> ChunkOutcome:
    # Short waits keep the main thread responsive to Ctrl-C whatever the platform's lock semantics.
    while True:
        try:
            return future.result(timeout=0.2)
        except FutureTimeout:
            continue
