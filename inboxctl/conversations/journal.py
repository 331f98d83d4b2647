"""The journal every action run writes, and the undo it makes possible (issue 3, item 8).

One JSON Lines file per run in ``<data dir>/journals/``, named ``<UTC time>-<action>.jsonl``:

    {"type": "header", "version": 1, "action": "trash", "request": {...}, "backend": "local",
     "profile": "local", "server": "local:/home/me/.local/share/inboxctl/local.sqlite3",
     "targets": "filters: inbox Support, until 30d ago", "total": 57,
     "started_at": "2024-05-01T12:00:00+00:00", "undo_of": null}
    {"type": "sending", "id": "43", "before": {"status": "open", ...}}
    {"type": "result", "id": "42", "action": "trash", "outcome": "changed", "reason": null,
     "before": {"status": "open", ...}, "after": {"status": "open", "trashed_at": "...", ...}}
    ...
    {"type": "summary", "changed": 50, "unchanged": 5, "failed": 2, "interrupted": false,
     "finished_at": "..."}

Each line is flushed as soon as it is known. A backend whose writes go over the network has a
"sending" line written before each write goes out: if the run is interrupted before the answer,
that conversation is recorded with the outcome "unknown" (and a journal cut off by a kill reads
the same way), so the journal names everything that may have changed. ``server`` says which
server the run changed: undo refuses to run anywhere else. Undo reads the results and reverts
each change with the inverse action; what cannot be reverted is named, never silently skipped.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from inboxctl.config.paths import data_dir
from inboxctl.conversations.model import (
    ActionRequest,
    ActionResult,
    ActionSummary,
    ConversationState,
    already_done,
    expected_state,
)
from inboxctl.errors import RequestCancelled, UsageError

JOURNAL_VERSION = 1
SUFFIX = ".jsonl"


def journals_dir() -> Path:
    return data_dir() / "journals"


# ---------------------------------------------------------------------------------------------
# Writing


class JournalWriter:
    """Appends one run's records to its journal file, line by line; safe to call from worker threads."""

    def __init__(self, path: Path, stream: IO[str], action: str = "") -> None:
        self.path = path
        self.action = action
        self._stream = stream
        self._lock = threading.Lock()
        self._closed = False
        self._stopped = False  # unanswered() was taken: no write may be announced any more
        self._unanswered: dict[str, ConversationState | None] = {}

    @property
    def name(self) -> str:
        return self.path.name

    @classmethod
    def create(cls, *, action: str, request: ActionRequest | None, backend: str, profile: str | None,
               server: str, targets: str, total: int, undo_of: str | None = None) -> JournalWriter:
        directory = journals_dir()
        directory.mkdir(parents=True, exist_ok=True)
        started = _utc_now()
        path, stream = _new_file(directory, f"{started.strftime('%Y%m%dT%H%M%S.%f')}Z-{action}")
        writer = cls(path, stream, action)
        writer._write({"type": "header", "version": JOURNAL_VERSION, "action": action,
                       "request": request.to_dict() if request else None, "backend": backend, "profile": profile,
                       "server": server, "targets": targets, "total": total,
                       "started_at": started.isoformat(timespec="seconds"), "undo_of": undo_of})
        return writer

    def sending(self, conversation_id: str, before: ConversationState | None) -> None:
        """A write for this conversation is about to go out (see ``Backend.run_action``).

        Once the run has stopped (``unanswered()`` was taken, the backend cancelled), a worker thread
        still announcing a write is refused with ``RequestCancelled``, so that the write does not go
        out: journaled now, it would be a line the summary does not count.
        """
        line = _line({"type": "sending", "id": conversation_id, "before": before.to_dict() if before else None})
        with self._lock:
            if self._stopped:
                raise RequestCancelled(f"the write for conversation {conversation_id} was not sent: "
                                       "the run was interrupted")
            self._unanswered[conversation_id] = before
            self._write_locked(line)

    def record(self, result: ActionResult) -> None:
        line = _line({"type": "result", **result.to_dict()})
        with self._lock:
            self._unanswered.pop(result.id, None)
            self._write_locked(line)

    def unanswered(self, request: ActionRequest) -> list[ActionResult]:
        """Writes that were sent and never answered, as results whose outcome is unknown; from now on
        no write may be announced (see ``sending``)."""
        with self._lock:
            pending, self._unanswered = self._unanswered, {}
            self._stopped = True
        return [unknown_result(conversation_id, request.action, before) for conversation_id, before in pending.items()]

    def finish(self, summary: ActionSummary, *, interrupted: bool = False) -> None:
        self._write({"type": "summary", **summary.to_dict(), "interrupted": interrupted,
                     "finished_at": _utc_now().isoformat(timespec="seconds")})
        with self._lock:
            self._closed = True
            self._stream.close()

    def _write(self, record: dict[str, Any]) -> None:
        line = _line(record)
        with self._lock:
            self._write_locked(line)

    def _write_locked(self, line: str) -> None:
        if self._closed:
            return  # a worker thread still finishing after an interrupt: the run is over
        self._stream.write(line)
        self._stream.flush()


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":")) + "\n"


def unknown_result(conversation_id: str, action: str, before: ConversationState | None) -> ActionResult:
    return ActionResult(id=conversation_id, action=action, outcome="unknown", before=before,
                        reason="interrupted before the server answered: it may or may not have changed")


def _new_file(directory: Path, stem: str) -> tuple[Path, IO[str]]:
    for attempt in range(100):
        path = directory / f"{stem}{'' if attempt == 0 else f'-{attempt}'}{SUFFIX}"
        try:
            return path, open(path, "x", encoding="utf-8")  # noqa: SIM115 - closed by finish()
        except FileExistsError:
            continue
    raise OSError(f"could not create a journal file in {directory}")


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


# ---------------------------------------------------------------------------------------------
# Reading


@dataclass(frozen=True)
class JournalInfo:
    path: Path
    header: dict[str, Any]
    summary: dict[str, Any] | None  # None: the run never finished (killed, or still running)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def action(self) -> str:
        return str(self.header.get("action"))

    @property
    def undo_of(self) -> str | None:
        return self.header.get("undo_of")

    def request(self) -> ActionRequest | None:
        data = self.header.get("request")
        try:
            return ActionRequest.from_dict(data) if isinstance(data, dict) else None
        except (TypeError, ValueError):
            return None

    @property
    def server(self) -> str | None:
        return self.header.get("server")

    def results(self) -> Iterator[ActionResult]:
        """Every result, then an "unknown" one for each write sent and never answered (a killed run).

        A torn last line (the run was killed while writing it) is left out; any other line that
        cannot be read makes the journal unreadable, since undo would then miss part of the run.
        """
        unanswered: dict[str, ConversationState | None] = {}
        for record in self._records():
            kind = record.get("type")
            if kind == "sending":
                unanswered[str(record.get("id"))] = ConversationState.from_dict(record.get("before"))
            elif kind == "result":
                record.pop("type")
                result = ActionResult.from_dict(record)
                unanswered.pop(result.id, None)
                yield result
        for conversation_id, before in unanswered.items():
            yield unknown_result(conversation_id, self.action, before)

    def changed_something(self) -> bool:
        """True if the run changed, or may have changed, at least one conversation."""
        if self.summary is not None and not self.summary.get("interrupted"):
            return bool(self.summary.get("changed") or self.summary.get("unknown"))
        return any(r.outcome in ("changed", "unknown") and not r.dry_run for r in self.results())

    def _records(self) -> Iterator[dict[str, Any]]:
        with self.path.open(encoding="utf-8", errors="replace") as stream:
            previous: tuple[int, str] | None = None  # one line behind, to know which line is the last
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                if previous is not None:
                    yield _decoded(self.path, *previous)
                previous = (number, line)
        if previous is not None:
            try:
                last = _decoded(self.path, *previous)
            except UsageError:
                return  # torn: the run was killed while writing its last line
            yield last


def _decoded(path: Path, number: int, line: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
        if record.get("type") == "result":
            ActionResult.from_dict({k: v for k, v in record.items() if k != "type"})
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise UsageError(f"{path} line {number} is not a journal record ({error})",
                         hint="the journal is damaged; undo the run by hand, or from a backup of the file") from None
    return record


def read_journal(path: Path) -> JournalInfo:
    try:
        with path.open(encoding="utf-8", errors="replace") as stream:
            header = json.loads(stream.readline())
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot read the journal {path}: {error}") from None
    if not isinstance(header, dict) or header.get("type") != "header":
        raise UsageError(f"{path} is not an inboxctl journal")
    return JournalInfo(path=path, header=header, summary=_last_summary(path))


def _last_summary(path: Path) -> dict[str, Any] | None:
    # Journals of big runs are long: read only their tail.
    with path.open("rb") as stream:
        stream.seek(0, os.SEEK_END)
        stream.seek(max(0, stream.tell() - 4096))
        lines = stream.read().decode("utf-8", errors="replace").strip().splitlines()
    try:
        record = json.loads(lines[-1]) if lines else {}
    except ValueError:
        return None
    return record if isinstance(record, dict) and record.get("type") == "summary" else None


def list_journals(skipped: list[str] | None = None) -> list[JournalInfo]:
    """Every readable journal, newest first; ``skipped`` collects a warning for each unreadable one."""
    directory = journals_dir()
    if not directory.is_dir():
        return []
    journals = []
    for path in sorted(directory.glob(f"*{SUFFIX}"), key=lambda p: p.name, reverse=True):
        try:
            journals.append(read_journal(path))
        except UsageError as error:
            if skipped is not None:
                skipped.append(f"skipped {path.name}: {error.message}")
    return journals


def find_journal(reference: str | None, skipped: list[str] | None = None) -> JournalInfo:
    """A journal by path, file name or unique prefix; without one, the latest run that changed something
    and was not undone yet."""
    candidate = Path(reference).expanduser() if reference is not None else None
    if candidate is not None and candidate.is_file():
        return read_journal(candidate)
    journals = list_journals(skipped)
    if reference is None:
        return _latest_undoable(journals)
    matches = [j for j in journals if j.name == reference or j.name == f"{reference}{SUFFIX}"]
    matches = matches or [j for j in journals if j.name.startswith(reference)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UsageError(f"no journal {reference!r} in {journals_dir()}",
                         hint="list them with: inboxctl conv undo --list")
    raise UsageError(f"{reference!r} matches {len(matches)} journals",
                     hint=f"give more of the name, e.g. {matches[0].name}")


def _latest_undoable(journals: list[JournalInfo]) -> JournalInfo:
    undone = {j.undo_of for j in journals if j.undo_of}
    for journal in journals:
        if journal.undo_of is None and journal.name not in undone and journal.changed_something():
            return journal
    raise UsageError("there is nothing to undo: no action run that changed something and was not undone already",
                     hint=f"journals live in {journals_dir()}; list them with: inboxctl conv undo --list")


# ---------------------------------------------------------------------------------------------
# Undo


@dataclass
class UndoPlan:
    """What undoing one journal takes: one request per group of conversations, and what cannot be undone."""

    journal: JournalInfo
    groups: dict[ActionRequest, list[str]] = field(default_factory=dict)
    not_reversible: list[ActionResult] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(len(ids) for ids in self.groups.values()) + len(self.not_reversible)


def plan_undo(journal: JournalInfo) -> UndoPlan:
    """Group the journal's changes by the request that reverts them; unchanged and failed ones need nothing."""
    plan = UndoPlan(journal=journal)
    request = journal.request()
    # Assignees the server changed by itself (Chatwoot auto-assigns a reopened conversation): given
    # back after every primary revert, so that reverting a team change cannot drop them again.
    followups: dict[ActionRequest, list[str]] = {}
    for result in journal.results():
        if result.outcome not in ("changed", "unknown") or result.dry_run:
            continue
        if result.outcome == "unknown":
            result = _as_if_applied(result, request)
            if result is None:
                continue  # it was already as asked: the write could not have changed anything
        inverse = inverse_request(result)
        if isinstance(inverse, str):
            plan.not_reversible.append(ActionResult(id=result.id, action=result.action, outcome="failed",
                                                    reason=f"not reversible: {inverse}"))
        else:
            plan.groups.setdefault(inverse, []).append(result.id)
            side_effect = _assignee_side_effect(result)
            if side_effect is not None:
                followups.setdefault(side_effect, []).append(result.id)
    for followup, ids in followups.items():
        plan.groups.setdefault(followup, []).extend(ids)
    return plan


def _assignee_side_effect(result: ActionResult) -> ActionRequest | None:
    """The request giving back an assignee that an action other than (un)assign changed on the server."""
    before, after = result.before, result.after
    if result.action in ("assign", "unassign") or before is None or after is None:
        return None
    if (before.assignee or "").casefold() == (after.assignee or "").casefold():
        return None
    inverse = _give_back(before.assignee, before.assigned_to_bot, after.assignee)
    return inverse if isinstance(inverse, ActionRequest) else None


def _as_if_applied(result: ActionResult, request: ActionRequest | None) -> ActionResult | None:
    """An outcome-unknown result as if the write had landed, for undo to revert it only if it did.

    The reverting request is as guarded as any undo: where the write never landed, the
    conversation is already as undo wants it, so it comes out "unchanged".
    """
    if request is None or result.before is None:
        return replace(result, before=None, after=None)  # reported as not reversible
    if already_done(request, result.before):
        return None
    return replace(result, after=expected_state(request, result.before, now=_utc_now().isoformat()))


# Actions undone by their counterpart alone, with nothing from the journal to carry over.
_COUNTERPART = {"trash": "restore", "restore": "trash", "spam": "unspam", "unspam": "spam",
                "block-sender": "unblock-sender", "unblock-sender": "block-sender"}


def inverse_request(result: ActionResult) -> ActionRequest | str:
    """The request that puts the conversation back as it was, or why there is none."""
    before, after = result.before, result.after
    match result.action:
        case "delete":
            return "it was deleted permanently, with its ticket"
        case "comment":
            return "comments cannot be removed"
    if before is None or after is None:
        return "the journal does not say what it was before"
    ticket_changed = before.ticket_status != after.ticket_status
    match result.action:
        case "assign" | "unassign":
            return _give_back(before.assignee, before.assigned_to_bot, after.assignee)
        case "assign-team" | "unassign-team":
            return _give_back_team(before.team, after.team)
        case "close":
            return ActionRequest(action="reopen", with_ticket=ticket_changed)
        case "reopen":
            return ActionRequest(action="close", with_ticket=ticket_changed)
    if result.action in _COUNTERPART:
        return ActionRequest(action=_COUNTERPART[result.action])
    return f"inboxctl does not know how to undo {result.action!r}"


def _give_back_team(previous: str | None, current: str | None) -> ActionRequest:
    # Only if nobody moved it to another team since, as for assignees.
    precondition = (("team", current),)
    if previous is None:
        return ActionRequest(action="unassign-team", precondition=precondition)
    return ActionRequest(action="assign-team", team=previous, precondition=precondition)


def _give_back(previous: str | None, was_bot: bool, current: str | None) -> ActionRequest | str:
    if was_bot:
        return "it was with a bot, and a conversation cannot be handed back to a bot"
    # Only if nobody reassigned it since: never take a conversation away from whoever has it now.
    precondition = (("assignee", current),)
    if previous is None:
        return ActionRequest(action="unassign", precondition=precondition)
    return ActionRequest(action="assign", assignee=previous, precondition=precondition)
