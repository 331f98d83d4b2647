"""Planning and applying against a backend: the use cases behind ``plan`` and ``apply``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from inboxctl.backends.base import Backend, LiveInbox
from inboxctl.definitions.model import InboxDefinition, Problem
from inboxctl.errors import BackendError, PlanError, RefusedError, StalePlanError
from inboxctl.planner.diff import fingerprint, plan_changes
from inboxctl.planner.plan import CREATE, DELETE, INBOX, Plan, ResourceChange
from inboxctl.planner.resolve import resolve_names

DEFAULT_MAX_DELETES = 1


def make_plan(backend: Backend, inboxes: list[InboxDefinition], *, prune: bool = False,
              max_deletes: int = DEFAULT_MAX_DELETES) -> Plan:
    """Resolve names, check what the server can manage, diff, and check the delete budget."""
    problems = _capability_problems(backend, inboxes)
    problems += resolve_names(inboxes, backend.directory(), backend.capabilities.server)
    live = backend.read_inboxes()
    problems += _channels_held_elsewhere(inboxes, live)
    if problems:
        raise PlanError(problems)
    changes, notes = plan_changes(inboxes, live, prune=prune)
    for change in changes:
        if change.action == DELETE:
            change.warnings = backend.consequences(change)
    deletes = [change for change in changes if change.action == DELETE and change.kind == INBOX]
    if len(deletes) > max_deletes:
        raise RefusedError(f"the plan deletes {len(deletes)} inboxes, more than --max-deletes {max_deletes}: "
                           + ", ".join(change.inbox for change in deletes),
                           hint=f"re-run with --max-deletes {len(deletes)} if that is really intended")
    return Plan(changes=changes, server=backend.capabilities.server, fingerprint=fingerprint(live), notes=notes)


def _capability_problems(backend: Backend, inboxes: list[InboxDefinition]) -> list[Problem]:
    return [inbox.problem(problem.path, f"{problem.reason} (inbox {problem.inbox!r}, setting {problem.setting})",
                          "remove the setting, or manage it in the server's own settings")
            for inbox in inboxes for problem in backend.unsupported_settings(inbox)]


def _channels_held_elsewhere(inboxes: list[InboxDefinition], live: list[LiveInbox]) -> list[Problem]:
    """A channel wanted in one inbox but connected to an inbox these definitions do not cover (F10, F12)."""
    defined = {inbox.name.lower() for inbox in inboxes}
    holder = {channel.ident: inbox.definition.name for inbox in live for channel in inbox.definition.channels
              if inbox.definition.name.lower() not in defined}
    problems = []
    for inbox in inboxes:
        for channel in inbox.channels:
            if channel.ident in holder:
                problems.append(inbox.problem(
                    inbox.channel_path(channel), f"{channel.label} is connected to inbox {holder[channel.ident]!r}",
                    f"disconnect it from {holder[channel.ident]!r} first, or add that inbox's definition"))
    return problems


def check_fresh(backend: Backend, plan: Plan) -> None:
    """Refuse a saved plan if the server changed since it was made."""
    current = fingerprint(backend.read_inboxes())
    if current != plan.fingerprint:
        raise StalePlanError("the server's configuration changed since this plan was made",
                             hint="run plan again and review the new plan")


@dataclass
class ApplyReport:
    applied: list[ResourceChange] = field(default_factory=list)
    failed: list[tuple[ResourceChange, str]] = field(default_factory=list)
    skipped: list[ResourceChange] = field(default_factory=list)  # depended on a change that failed

    @property
    def complete(self) -> bool:
        return not self.failed and not self.skipped


StepCallback = Callable[[ResourceChange, str, str | None], None]  # change, "applied|failed|skipped", reason


def apply_plan(backend: Backend, plan: Plan, *, on_step: StepCallback | None = None) -> ApplyReport:
    """Apply each change in order. A failed inbox creation skips that inbox's channel changes;
    everything else goes on, so one bad inbox does not hold back the others."""
    report = ApplyReport()
    broken_inboxes: set[str] = set()
    for change in plan.changes:
        outcome, reason = _apply_one(backend, change, broken_inboxes)
        if outcome == "applied":
            report.applied.append(change)
        elif outcome == "skipped":
            report.skipped.append(change)
        else:
            report.failed.append((change, reason or ""))
            if change.kind == INBOX and change.action == CREATE:
                broken_inboxes.add(change.inbox.lower())
        if on_step:
            on_step(change, outcome, reason)
    return report


def _apply_one(backend: Backend, change: ResourceChange, broken_inboxes: set[str]) -> tuple[str, str | None]:
    if change.inbox.lower() in broken_inboxes:
        return "skipped", "its inbox could not be created"
    try:
        backend.apply_change(change)
    except BackendError as error:
        return "failed", error.message
    return "applied", None
