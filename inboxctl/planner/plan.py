"""What a plan is: resource changes with field-level before/after, in the order they apply.

The machine-readable form (``Plan.to_dict``) is versioned by ``PLAN_FORMAT_VERSION`` and
documented in the README; ``apply PLANFILE`` reads it back with ``Plan.from_dict``. Fields added
since version 1 first appeared (``verify_only``, ``unmanaged``, ``targets``) are optional on reading,
so plans saved before them still load and older readers can ignore them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

PLAN_FORMAT_VERSION = 1

CREATE, UPDATE, DELETE = "create", "update", "delete"
INBOX, CHANNEL = "inbox", "channel"


@dataclass(frozen=True)
class FieldChange:
    path: str  # dotted setting path, e.g. "routing.users" or "color"
    before: Any
    after: Any


@dataclass
class ResourceChange:
    action: str  # create | update | delete
    kind: str  # inbox | channel
    inbox: str
    channel_type: str | None = None
    channel_key: str | None = None
    fields: list[FieldChange] = field(default_factory=list)
    desired: dict[str, Any] | None = None  # the full normalised settings to write (create/update)
    adopt: bool = False  # an existing inbox that inboxctl starts managing
    warnings: list[str] = field(default_factory=list)  # side effects the server would add (conversations lost...)

    @property
    def address(self) -> str:
        inbox = f'inbox "{self.inbox}"'
        return inbox if self.kind == INBOX else f'{inbox} / {self.channel_type} "{self.channel_key}"'

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResourceChange:
        fields = [FieldChange(**change) for change in data.get("fields", [])]
        return cls(**{**data, "fields": fields})


@dataclass(frozen=True)
class UnmanagedSettings:
    """Settings of one inbox's definition that the server's API can neither read nor write, so the
    plan cannot compare them: named, for the user to manage in the server's own settings."""

    inbox: str
    settings: list[str]  # setting paths, e.g. "routing.mode", "channel.chat.color"
    reason: str  # e.g. "manage in HubSpot's settings: its API can neither read nor write them"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Plan:
    changes: list[ResourceChange]
    server: str  # which server the plan was made against, e.g. "local" or "chatwoot https://..."
    fingerprint: str  # digest of the live configuration the plan was computed from
    notes: list[str] = field(default_factory=list)
    # True when the server's API cannot write inbox configuration (HubSpot): the changes are
    # differences for a person to fix in the server's own settings, and apply refuses them.
    verify_only: bool = False
    unmanaged: list[UnmanagedSettings] = field(default_factory=list)
    # The inboxes a targeted run (--inbox) was restricted to; empty: every inbox of the definitions.
    targets: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        """No real difference. Unmanaged settings are not differences: nothing says they differ."""
        return not self.changes

    def counts(self) -> dict[str, int]:
        counts = {CREATE: 0, UPDATE: 0, DELETE: 0}
        for change in self.changes:
            counts[change.action] += 1
        return counts

    def summary(self) -> str:
        if self.is_empty() and not self.verify_only:
            return "No changes. The server matches the definitions."
        if self.is_empty():
            return f"No changes. {self.server} has every inbox and channel of the definitions" + (
                "; the settings listed above are managed in its own settings." if self.unmanaged else ".")
        counts = self.counts()
        counted = f"Plan: {counts[CREATE]} to create, {counts[UPDATE]} to update, {counts[DELETE]} to delete."
        if self.verify_only:
            return f"{counted} {self.server} cannot make these changes through its API: make them in its own settings."
        return counted

    def to_dict(self) -> dict[str, Any]:
        return {"format_version": PLAN_FORMAT_VERSION, "server": self.server, "fingerprint": self.fingerprint,
                "summary": self.counts(), "notes": self.notes, "verify_only": self.verify_only,
                "unmanaged": [group.to_dict() for group in self.unmanaged], "targets": self.targets,
                "changes": [change.to_dict() for change in self.changes]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        version = data.get("format_version")
        if version != PLAN_FORMAT_VERSION:
            raise ValueError(f"plan format version {version!r} is not supported (expected {PLAN_FORMAT_VERSION})")
        return cls(changes=[ResourceChange.from_dict(change) for change in data["changes"]],
                   server=data["server"], fingerprint=data["fingerprint"], notes=list(data.get("notes", [])),
                   verify_only=bool(data.get("verify_only", False)),
                   unmanaged=[UnmanagedSettings(**group) for group in data.get("unmanaged", [])],
                   targets=list(data.get("targets", [])))
