"""The bulk runner: which conversations an action targets, when to ask first, and running it.

The same path serves a dry run and a real run (a dry run is an ``ActionRequest`` with
``dry_run=True``: the backend computes every result and writes nothing). The runner journals
each result as soon as it is known and counts outcomes; rendering and asking are the CLI's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from inboxctl.backends.base import Backend
from inboxctl.conversations.journal import JournalWriter
from inboxctl.conversations.model import ActionRequest, ActionResult, ActionSummary, Conversation, ConversationQuery
from inboxctl.errors import AuthenticationError, BackendError, RateLimitedError, RefusedError

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
    sample: tuple[Conversation, ...] = ()

    @property
    def from_filters(self) -> bool:
        return self.query is not None

    def describe(self) -> str:
        if self.query is not None:
            return f"filters: {self.query.describe()}"
        return f"{len(self.ids)} id(s) given"


def parse_ids(chunks: Iterable[str]) -> list[str]:
    """Ids from arguments or stdin lines: whitespace- or comma-separated, ``#`` starts a comment."""
    ids: list[str] = []
    for chunk in chunks:
        text = chunk.split("#", 1)[0]
        ids.extend(part for part in text.replace(",", " ").split() if part)
    return ids


def explicit_targets(ids: Sequence[str]) -> Targets:
    # The same id twice would be acted on twice and reported twice; once is what was meant.
    return Targets(ids=tuple(dict.fromkeys(i.strip().lstrip("#") for i in ids)))


def filter_targets(backend: Backend, query: ConversationQuery) -> Targets:
    """Every conversation the query matches (ids only are kept, plus a few to show)."""
    ids: list[str] = []
    sample: list[Conversation] = []
    for conversation in backend.list_conversations(query):
        ids.append(conversation.id)
        if len(sample) < SAMPLE_SIZE:
            sample.append(conversation)
    return Targets(ids=tuple(ids), query=query, sample=tuple(sample))


def check_max(targets: Targets, max_count: int | None) -> None:
    if max_count is not None and len(targets.ids) > max_count:
        raise RefusedError(f"{len(targets.ids)} conversations targeted, more than --max {max_count}: "
                           "nothing was changed",
                           hint="narrow the filters, or raise --max if that many is what you mean")


def needs_confirmation(request: ActionRequest, targets: Targets) -> bool:
    """Filters can match more than meant, and destructive actions lose things: both ask first."""
    return targets.from_filters or request.destructive or len(targets.ids) > EXPLICIT_IDS_WITHOUT_PROMPT


def check_supported(backend: Backend, action: str) -> None:
    supported = backend.capabilities.conversation_actions
    if _CAPABILITY_OF.get(action, action) not in supported:
        raise backend.unsupported_action(action)


@dataclass(frozen=True, kw_only=True)
class BulkOptions:
    concurrency: int = 1  # chunks in flight at once, for backends that make HTTP calls
    chunk_size: int = 25  # conversations per call to Backend.run_action when running in parallel


def run_bulk(backend: Backend, request: ActionRequest, ids: Sequence[str], *, options: BulkOptions = BulkOptions(),
             journal: JournalWriter | None = None, on_result: ResultCallback | None = None,
             summary: ActionSummary | None = None) -> ActionSummary:
    """Run ``request`` on ``ids``, journaling and reporting each result; return the counts.

    Pass ``summary`` to add to an existing count (undo runs several requests into one summary).
    An exception (interrupt, lost credentials) still closes the journal, marked interrupted,
    so that it records exactly what was done before it.
    """
    summary = summary if summary is not None else ActionSummary()
    try:
        for result in _results(backend, request, ids, options):
            summary.add(result)
            if journal is not None:
                journal.record(result)
            if on_result is not None:
                on_result(result)
    except BaseException:
        if journal is not None:
            journal.finish(summary, interrupted=True)
        raise
    return summary


def _results(backend: Backend, request: ActionRequest, ids: Sequence[str],
             options: BulkOptions) -> Iterator[ActionResult]:
    size = max(1, options.chunk_size)
    if options.concurrency <= 1 or len(ids) <= size or backend.name in ONE_TRANSACTION_BACKENDS:
        yield from backend.run_action(request, ids)
        return
    # Chunks, not single ids, run in parallel: a backend that batches its calls (Chatwoot reads
    # and writes many conversations per request) keeps doing so within each chunk.
    chunks = [ids[start:start + size] for start in range(0, len(ids), size)]
    window = options.concurrency * 2
    with ThreadPoolExecutor(max_workers=options.concurrency, thread_name_prefix="inboxctl-bulk") as pool:
        for start in range(0, len(chunks), window):
            # map() keeps the order of the chunks, so results and journal read in the order given.
            for results in pool.map(lambda chunk: _chunk(backend, request, chunk), chunks[start:start + window]):
                yield from results


def _chunk(backend: Backend, request: ActionRequest, chunk: Sequence[str]) -> list[ActionResult]:
    results: list[ActionResult] = []
    try:
        results.extend(backend.run_action(request, chunk))
    except (AuthenticationError, RateLimitedError):
        raise  # every other conversation would fail the same way: stop, re-running completes the rest
    except BackendError as error:
        # The server gave up on this chunk: what it did not report on is failed, with its reason.
        reported = {result.id for result in results}
        results.extend(ActionResult(id=conversation_id, action=request.action, outcome="failed",
                                    reason=error.reason or error.message, dry_run=request.dry_run)
                       for conversation_id in chunk if conversation_id not in reported)
    return results
