"""Planning and applying against a backend: the use cases behind ``plan`` and ``apply``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from inboxctl.backends.base import Backend, LiveInbox
from inboxctl.definitions.model import InboxDefinition, Problem
from inboxctl.errors import BackendError, PlanError, RefusedError, StalePlanError, UnsupportedError
from inboxctl.planner.diff import fingerprint, plan_changes
from inboxctl.planner.plan import CREATE, DELETE, INBOX, Plan, ResourceChange
from inboxctl.planner.resolve import resolve_names
from inboxctl.planner.verify import by_hand, plan_verification, unmanaged_settings

DEFAULT_MAX_DELETES = 1


def make_plan(backend: Backend, inboxes: list[InboxDefinition], *, prune: bool = False,
              max_deletes: int = DEFAULT_MAX_DELETES) -> Plan:
    """Resolve names, check what the server can manage, diff, and check the delete budget."""
    if not backend.capabilities.manages_inboxes:
        return make_verification_plan(backend, inboxes)
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
    check_delete_budget(changes, max_deletes)
    return Plan(changes=changes, server=backend.capabilities.server, fingerprint=fingerprint(live), notes=notes)


def make_verification_plan(backend: Backend, inboxes: list[InboxDefinition]) -> Plan:
    """The plan for a server whose API cannot write inbox configuration (HubSpot): names resolved,
    inboxes and channels checked, and what the server can neither read nor check named per inbox.

    What the server cannot manage is a note here, not an error as in ``make_plan``: nothing will
    be written, so nothing can be written wrongly. Nothing can be deleted either (no inbox carries
    an ownership marker), so --prune and --max-deletes have nothing to act on.
    """
    server = backend.capabilities.server
    unmanaged = [group for inbox in inboxes for group in unmanaged_settings(inbox, backend.unsupported_settings(inbox))]
    problems = resolve_names(inboxes, backend.directory(), server, check_channel_sources=False)
    live = backend.read_inboxes()
    problems += _channels_held_elsewhere(inboxes, live)
    if problems:
        raise PlanError(problems)
    changes, notes = plan_verification(inboxes, live, backend.capabilities.supports)
    return Plan(changes=changes, server=server, fingerprint=fingerprint(live), notes=notes, verify_only=True,
                unmanaged=unmanaged)


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
    refuse_changes_by_hand(backend, plan)
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
