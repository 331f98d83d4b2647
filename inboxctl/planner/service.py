"""Planning and applying against a backend: the use cases behind ``plan`` and ``apply``."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from inboxctl.names import name_key
from inboxctl.backends.base import Backend, Directory, LiveInbox
from inboxctl.definitions.formats import did_you_mean
from inboxctl.definitions.model import InboxDefinition, Problem, in_reading_order
from inboxctl.errors import BackendError, PlanError, RefusedError, StalePlanError, UnsupportedError, UsageError
from inboxctl.planner import DEFAULT_MAX_DELETES
from inboxctl.planner.diff import fingerprint, plan_changes
from inboxctl.planner.plan import CREATE, DELETE, INBOX, Plan, ResourceChange
from inboxctl.planner.resolve import resolve_names
from inboxctl.planner.verify import by_hand, plan_verification, unmanaged_settings



@dataclass
class SeenNames:
    """Names the server showed while a plan was made: the CLI keeps them for shell completion,
    so that completing them never has to ask the server."""

    inboxes: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)  # addresses, chat names, pages, forms, numbers
    users: list[str] = field(default_factory=list)  # e-mail addresses of active users

    def record(self, live: list[LiveInbox], directory: Directory) -> None:
        self.inboxes = sorted({inbox.definition.name for inbox in live}, key=str.lower)
        self.channels = sorted({channel.key for inbox in live for channel in inbox.definition.channels},
                               key=str.lower)
        self.users = sorted({user.email for user in directory.users if user.active})


def refuse_prune_with_targets(prune: bool, targets: Sequence[str]) -> None:
    """A targeted run cannot tell an inbox removed from the definitions from one merely left out of it."""
    if prune and targets:
        raise UsageError("--prune cannot be combined with --inbox: a targeted run never deletes inboxes",
                         hint="run without --inbox to plan deletions of inboxes that have no definition")


def select_targets(inboxes: list[InboxDefinition], targets: Sequence[str], *,
                   prune: bool = False) -> list[InboxDefinition]:
    """The definitions a targeted run (``--inbox``) works on: those named, in the definitions' order.

    Every name must have a definition. A targeted run never deletes an inbox: --prune is refused."""
    refuse_prune_with_targets(prune, targets)
    if not targets:
        return inboxes
    by_name = {name_key(inbox.name): inbox for inbox in inboxes}
    missing = [name for name in targets if name_key(name) not in by_name]
    if missing:
        defined = sorted((inbox.name for inbox in inboxes), key=str.lower)
        suggestion = did_you_mean(missing[0], defined)
        raise UsageError(f"--inbox {missing[0]!r}: no inbox of that name in the definitions given"
                         + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""),
                         hint=f'did you mean "{suggestion}"?' if suggestion
                         else "defined: " + (", ".join(defined) or "none"))
    wanted = {name_key(name) for name in targets}
    return [inbox for inbox in inboxes if name_key(inbox.name) in wanted]


def _targeted(live: list[LiveInbox], selected: list[InboxDefinition], targets: Sequence[str]) -> list[LiveInbox]:
    """The live inboxes a run compares: all of them, or only the targeted ones (so that nothing is said
    about the others, managed or not)."""
    if not targets:
        return live
    wanted = {name_key(inbox.name) for inbox in selected}
    return [inbox for inbox in live if name_key(inbox.definition.name) in wanted]


def make_plan(backend: Backend, inboxes: list[InboxDefinition], *, prune: bool = False,
              max_deletes: int = DEFAULT_MAX_DELETES, targets: Sequence[str] = (),
              seen: SeenNames | None = None) -> Plan:
    """Resolve names, check what the server can manage, diff, and check the delete budget.

    ``targets``: restrict the plan to these inboxes (``--inbox``); the others are neither compared
    nor mentioned. ``seen``: filled with the names the server showed (for shell completion)."""
    selected = select_targets(inboxes, targets, prune=prune)
    if not backend.capabilities.manages_inboxes:
        return make_verification_plan(backend, inboxes, targets=targets, seen=seen)
    live = _checked_live(backend, selected, inboxes, seen, problems=_capability_problems(backend, selected))
    changes, notes = plan_changes(selected, _targeted(live, selected, targets), prune=prune)
    for change in changes:
        if change.action == DELETE:
            change.warnings = backend.consequences(change)
    check_delete_budget(changes, max_deletes)
    # The fingerprint covers every inbox, targeted or not: a saved plan is refused if anything changed.
    return Plan(changes=changes, server=backend.capabilities.server, fingerprint=fingerprint(live), notes=notes,
                targets=[inbox.name for inbox in selected] if targets else [])


def make_verification_plan(backend: Backend, inboxes: list[InboxDefinition], *, targets: Sequence[str] = (),
                           seen: SeenNames | None = None) -> Plan:
    """The plan for a server whose API cannot write inbox configuration (HubSpot): names resolved,
    inboxes and channels checked, and what the server can neither read nor check named per inbox.

    What the server cannot manage is a note here, not an error as in ``make_plan``: nothing will
    be written, so nothing can be written wrongly. Nothing can be deleted either (no inbox carries
    an ownership marker), so --prune and --max-deletes have nothing to act on.
    """
    server = backend.capabilities.server
    selected = select_targets(inboxes, targets)
    unmanaged = [group for inbox in selected
                 for group in unmanaged_settings(inbox, backend.unsupported_settings(inbox))]
    live = _checked_live(backend, selected, inboxes, seen, check_channel_sources=False)
    changes, notes = plan_verification(selected, _targeted(live, selected, targets), backend.capabilities.supports)
    return Plan(changes=changes, server=server, fingerprint=fingerprint(live), notes=notes, verify_only=True,
                unmanaged=unmanaged, targets=[inbox.name for inbox in selected] if targets else [])


def _checked_live(backend: Backend, selected: list[InboxDefinition], inboxes: list[InboxDefinition],
                  seen: SeenNames | None, *, problems: list[Problem] | None = None,
                  check_channel_sources: bool = True) -> list[LiveInbox]:
    """The live inboxes, once every name in ``selected`` resolved and no channel is held elsewhere;
    a PlanError listing every problem (``problems`` found before included) otherwise."""
    directory = backend.directory()
    problems = [*(problems or []), *resolve_names(selected, directory, backend.capabilities.server,
                                                  check_channel_sources=check_channel_sources)]
    live = backend.read_inboxes()
    if seen is not None:
        seen.record(live, directory)
    problems += _channels_held_elsewhere(selected, live, also_defined=[inbox.name for inbox in inboxes])
    if problems:
        raise _plan_error(problems, inboxes)
    return live


def _plan_error(problems: list[Problem], inboxes: list[InboxDefinition]) -> PlanError:
    """Every problem, with the definitions' warnings, in reading order: all that is worth fixing, at once."""
    warnings = [warning for inbox in inboxes for warning in inbox.warnings]
    return PlanError(in_reading_order(problems + warnings, [inbox.source or "" for inbox in inboxes]))


def refuse_changes_by_hand(backend: Backend, plan: Plan) -> None:
    """A server whose API cannot write inbox configuration gets no write at all: the user makes the
    plan's changes in the server's own settings. Raises when there are any."""
    if backend.capabilities.manages_inboxes or plan.is_empty():
        return
    count = len(plan.changes)
    raise UnsupportedError(
        f"{backend.capabilities.server} cannot make {'this change' if count == 1 else f'these {count} changes'} "
        "through its API:" + "".join(f"\n  - {by_hand(change)}" for change in plan.changes),
        hint="make them in the server's own settings, then run `inboxctl plan` again: "
             "it exits 0 with --detailed-exitcode once nothing differs")


def _capability_problems(backend: Backend, inboxes: list[InboxDefinition]) -> list[Problem]:
    return [inbox.problem(problem.path, f"{problem.reason} (inbox {problem.inbox!r}, setting {problem.setting})",
                          "remove the setting, or manage it in the server's own settings")
            for inbox in inboxes for problem in backend.unsupported_settings(inbox)]


def _channels_held_elsewhere(inboxes: list[InboxDefinition], live: list[LiveInbox], *,
                             also_defined: Collection[str] = ()) -> list[Problem]:
    """A channel wanted in one inbox but connected to an inbox this run does not cover (F10, F12).

    ``also_defined``: inboxes that have a definition but were left out of a targeted run."""
    covered = {name_key(inbox.name) for inbox in inboxes}
    left_out = {name_key(name) for name in also_defined} - covered
    holder = {channel.ident: inbox.definition.name for inbox in live for channel in inbox.definition.channels
              if name_key(inbox.definition.name) not in covered}
    problems = []
    for inbox in inboxes:
        for channel in inbox.channels:
            if channel.ident in holder:
                other = holder[channel.ident]
                fix = (f"add --inbox {other!r} to move it in the same run" if name_key(other) in left_out
                       else f"disconnect it from {other!r} first, or add that inbox's definition")
                problems.append(inbox.problem(inbox.channel_path(channel),
                                              f"{channel.label} is connected to inbox {other!r}", fix))
    return problems


def check_delete_budget(changes: list[ResourceChange], max_deletes: int) -> None:
    deletes = [change for change in changes if change.action == DELETE and change.kind == INBOX]
    if len(deletes) > max_deletes:
        raise RefusedError(f"the plan deletes {len(deletes)} inboxes, more than --max-deletes {max_deletes}: "
                           + ", ".join(change.inbox for change in deletes) + "; nothing was changed",
                           hint=f"re-run with --max-deletes {len(deletes)} if that is really intended")


def check_saved_plan(backend: Backend, plan: Plan, *, max_deletes: int) -> None:
    """A saved plan is applied only as it was reviewed: same server state, the delete budget of this
    run, and no deletion that now takes more with it than its reviewer was warned of."""
    check_fresh(backend, plan)
    check_delete_budget(plan.changes, max_deletes)
    for change in plan.changes:
        if change.action != DELETE:
            continue
        now = backend.consequences(change)
        if now != change.warnings:
            reviewed = "; ".join(change.warnings) or "nothing else"
            raise StalePlanError(
                f"deleting {change.address} would now do more than the plan said: "
                f"{'; '.join(now) or 'nothing else'} (the plan said: {reviewed}); nothing was changed",
                hint="run plan again and review the new plan")


def check_fresh(backend: Backend, plan: Plan) -> None:
    """Refuse a saved plan if the server changed since it was made."""
    current = fingerprint(backend.read_inboxes())
    if current != plan.fingerprint:
        raise StalePlanError("the server's configuration changed since this plan was made",
                             hint="run plan again and review the new plan")


APPLY_FORMAT_VERSION = 1  # of ``ApplyReport.to_dict`` (``apply -o json``), documented in the README
APPLIED, FAILED, SKIPPED = "applied", "failed", "skipped"
DRY_RUN_REASON = "dry run: nothing was changed"


@dataclass(frozen=True)
class StepResult:
    """What became of one planned change."""

    change: ResourceChange
    outcome: str  # applied | failed | skipped
    reason: str | None = None  # failed: the server's reason; skipped: why it was not attempted

    def to_dict(self) -> dict[str, Any]:
        change = self.change
        return {"action": change.action, "kind": change.kind, "inbox": change.inbox,
                "channel_type": change.channel_type, "channel_key": change.channel_key,
                "address": change.address, "outcome": self.outcome, "reason": self.reason}


@dataclass
class ApplyReport:
    applied: list[ResourceChange] = field(default_factory=list)
    failed: list[tuple[ResourceChange, str]] = field(default_factory=list)
    skipped: list[ResourceChange] = field(default_factory=list)  # depended on a change that failed
    results: list[StepResult] = field(default_factory=list)  # one per change, in the order they were applied

    @property
    def complete(self) -> bool:
        return not self.failed and not self.skipped

    def record(self, change: ResourceChange, outcome: str, reason: str | None) -> None:
        if outcome == APPLIED:
            self.applied.append(change)
        elif outcome == SKIPPED:
            self.skipped.append(change)
        else:
            self.failed.append((change, reason or ""))
        self.results.append(StepResult(change, outcome, reason))

    @classmethod
    def dry_run(cls, plan: Plan) -> ApplyReport:
        """What a dry run reports: every change skipped, nothing written."""
        report = cls()
        for change in plan.changes:
            report.record(change, SKIPPED, DRY_RUN_REASON)
        return report

    def to_dict(self, plan: Plan, *, dry_run: bool = False) -> dict[str, Any]:
        """The machine-readable result (``apply -o json``), versioned by ``APPLY_FORMAT_VERSION``."""
        return {"format_version": APPLY_FORMAT_VERSION, "server": plan.server, "dry_run": dry_run,
                "targets": plan.targets, "complete": self.complete,
                "summary": {APPLIED: len(self.applied), FAILED: len(self.failed), SKIPPED: len(self.skipped)},
                "results": [result.to_dict() for result in self.results]}


StepCallback = Callable[[ResourceChange, str, str | None], None]  # change, "applied|failed|skipped", reason


def apply_plan(backend: Backend, plan: Plan, *, on_step: StepCallback | None = None) -> ApplyReport:
    """Apply each change in order. A failed inbox creation skips that inbox's channel changes;
    everything else goes on, so one bad inbox does not hold back the others."""
    refuse_changes_by_hand(backend, plan)
    report = ApplyReport()
    broken_inboxes: set[str] = set()
    for change in plan.changes:
        outcome, reason = _apply_one(backend, change, broken_inboxes)
        report.record(change, outcome, reason)
        if outcome == FAILED and change.kind == INBOX and change.action == CREATE:
            broken_inboxes.add(name_key(change.inbox))
        if on_step:
            on_step(change, outcome, reason)
    return report


def _apply_one(backend: Backend, change: ResourceChange, broken_inboxes: set[str]) -> tuple[str, str | None]:
    if name_key(change.inbox) in broken_inboxes:
        return SKIPPED, "its inbox could not be created"
    try:
        backend.apply_change(change)
    except BackendError as error:
        return FAILED, error.message
    return APPLIED, None
