"""The journal every action run writes, and the undo it makes possible (issue 3, item 8).

One JSON Lines file per run in ``<data dir>/journals/``, named ``<UTC time>-<action>.jsonl``:

    {"type": "header", "version": 1, "action": "trash", "request": {...}, "backend": "local",
     "profile": "local", "targets": "filters: inbox Support, until 30d ago", "total": 57,
     "started_at": "2024-05-01T12:00:00+00:00", "undo_of": null}
    {"type": "result", "id": "42", "action": "trash", "outcome": "changed", "reason": null,
     "before": {"status": "open", ...}, "after": {"status": "open", "trashed_at": "...", ...}}
    ...
    {"type": "summary", "changed": 50, "unchanged": 5, "failed": 2, "interrupted": false,
     "finished_at": "..."}

Each result line is flushed as soon as it is known, so a run that is interrupted still
leaves an exact record of what it did. Undo reads the result lines and reverts each change
with the inverse action; what cannot be reverted is named, never silently skipped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from inboxctl.config.paths import data_dir
from inboxctl.conversations.model import ActionRequest, ActionResult, ActionSummary
from inboxctl.errors import UsageError

JOURNAL_VERSION = 1
SUFFIX = ".jsonl"


def journals_dir() -> Path:
    return data_dir() / "journals"


# ---------------------------------------------------------------------------------------------
# Writing


class JournalWriter:
    """Appends one run's results to its journal file, line by line."""

    def __init__(self, path: Path, stream: IO[str]) -> None:
        self.path = path
        self._stream = stream

    @property
    def name(self) -> str:
        return self.path.name

    @classmethod
    def create(cls, *, action: str, request: ActionRequest | None, backend: str, profile: str | None,
               targets: str, total: int, undo_of: str | None = None) -> JournalWriter:
        directory = journals_dir()
        directory.mkdir(parents=True, exist_ok=True)
        started = _utc_now()
        path, stream = _new_file(directory, f"{started.strftime('%Y%m%dT%H%M%S.%f')}Z-{action}")
        writer = cls(path, stream)
        writer._write({"type": "header", "version": JOURNAL_VERSION, "action": action,
                       "request": request.to_dict() if request else None, "backend": backend, "profile": profile,
                       "targets": targets, "total": total, "started_at": started.isoformat(timespec="seconds"),
                       "undo_of": undo_of})
        return writer

    def record(self, result: ActionResult) -> None:
        self._write({"type": "result", **result.to_dict()})

    def finish(self, summary: ActionSummary, *, interrupted: bool = False) -> None:
        self._write({"type": "summary", **summary.to_dict(), "interrupted": interrupted,
                     "finished_at": _utc_now().isoformat(timespec="seconds")})
        self._stream.close()

    def _write(self, record: dict[str, Any]) -> None:
        self._stream.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._stream.flush()


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

    def results(self) -> Iterator[ActionResult]:
        with self.path.open(encoding="utf-8") as stream:
            for line in stream:
                record = json.loads(line) if line.strip() else {}
                if record.get("type") == "result":
                    record.pop("type")
                    yield ActionResult.from_dict(record)


def read_journal(path: Path) -> JournalInfo:
    try:
        with path.open(encoding="utf-8") as stream:
            header = json.loads(stream.readline())
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot read the journal {path}: {error}") from None
    if header.get("type") != "header":
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
    return record if record.get("type") == "summary" else None


def list_journals() -> list[JournalInfo]:
    """Every journal, newest first."""
    directory = journals_dir()
    if not directory.is_dir():
        return []
    paths = sorted(directory.glob(f"*{SUFFIX}"), key=lambda p: p.name, reverse=True)
    return [read_journal(path) for path in paths]


def find_journal(reference: str | None) -> JournalInfo:
    """A journal by path, file name or unique prefix; without one, the latest run not undone yet."""
    journals = list_journals()
    if reference is None:
        return _latest_undoable(journals)
    candidate = Path(reference).expanduser()
    if candidate.is_file():
        return read_journal(candidate)
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
        if journal.undo_of is None and journal.name not in undone:
            return journal
    raise UsageError("there is nothing to undo: no action journal that has not been undone already",
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
    for result in journal.results():
        if result.outcome != "changed" or result.dry_run:
            continue
        inverse = inverse_request(result)
        if isinstance(inverse, str):
            plan.not_reversible.append(ActionResult(id=result.id, action=result.action, outcome="failed",
                                                    reason=f"not reversible: {inverse}"))
        else:
            plan.groups.setdefault(inverse, []).append(result.id)
    return plan


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
        case "close":
            return ActionRequest(action="reopen", with_ticket=ticket_changed)
        case "reopen":
            return ActionRequest(action="close", with_ticket=ticket_changed)
    if result.action in _COUNTERPART:
        return ActionRequest(action=_COUNTERPART[result.action])
    return f"inboxctl does not know how to undo {result.action!r}"


def _give_back(previous: str | None, was_bot: bool, current: str | None) -> ActionRequest | str:
    if was_bot:
        return "it was with a bot, and a conversation cannot be handed back to a bot"
    # Only if nobody reassigned it since: never take a conversation away from whoever has it now.
    precondition = (("assignee", current),)
    if previous is None:
        return ActionRequest(action="unassign", precondition=precondition)
    return ActionRequest(action="assign", assignee=previous, precondition=precondition)
