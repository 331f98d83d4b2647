"""Inbox definitions as the planner sees them: normalised settings, names instead of ids.

The same classes describe what a file asks for and what a server has, so the planner can
compare them field by field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from inboxctl.definitions.locate import Path, Position, nearest_position
from inboxctl.definitions.spec import CHANNEL_KEY


@dataclass(frozen=True)
class Location:
    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One mistake in a definition, where it is, and how to fix it."""

    location: Location | None
    key: str  # e.g. "channels[2].color"
    message: str
    fix: str | None = None

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        key = f"{self.key}: " if self.key else ""
        return f"{where}{key}{self.message}" + (f"\n    fix: {self.fix}" if self.fix else "")

    def to_dict(self) -> dict[str, Any]:
        location = self.location
        return {"file": location.file if location else None, "line": location.line if location else None,
                "column": location.column if location else None, "key": self.key,
                "message": self.message, "fix": self.fix}


def key_label(path: Path) -> str:
    """("channels", 2, "color") -> "channels[2].color"."""
    label = ""
    for part in path:
        label += f"[{part}]" if isinstance(part, int) else (f".{part}" if label else part)
    return label


def locate(file: str, positions: dict[Path, Position], path: Path) -> Location:
    """Where ``path`` (or its closest recorded ancestor) stands in ``file``."""
    line, column = nearest_position(positions, path)
    return Location(file, line, column)


@dataclass
class ChannelDefinition:
    type: str
    settings: dict[str, Any]  # normalised; "routing"/"ticket_defaults" hold only the keys that override the inbox's
    explicit: frozenset[str] = frozenset()  # setting paths given in the file, relative to the channel
    index: int | None = None  # position in the file's [[channels]]

    @property
    def key(self) -> str:
        return str(self.settings[CHANNEL_KEY[self.type]])

    @property
    def ident(self) -> str:
        return f"{self.type}:{self.key.lower()}"

    @property
    def label(self) -> str:
        return f"{self.type} {self.key!r}"


@dataclass
class InboxDefinition:
    name: str
    settings: dict[str, Any]  # normalised inbox-level settings (members, teams, routing, ...)
    channels: list[ChannelDefinition] = field(default_factory=list)
    source: str | None = None  # the file it came from
    positions: dict[Path, Position] = field(default_factory=dict, repr=False)
    explicit: frozenset[str] = frozenset()  # inbox-level setting paths given in the file

    def explicit_settings(self) -> list[tuple[str, Path]]:
        """Every setting the file asks for, with its key path in the file:
        ``("routing.mode", ("routing", "mode"))``, ``("channel.chat.color", ("channels", 1, "color"))``."""
        found: list[tuple[str, Path]] = [(setting, tuple(setting.split("."))) for setting in sorted(self.explicit)]
        for channel in self.channels:
            found += [(f"channel.{channel.type}.{setting}", self.channel_path(channel, *setting.split(".")))
                      for setting in sorted(channel.explicit)]
        return found

    def locate(self, path: Path) -> Location | None:
        return None if self.source is None else locate(self.source, self.positions, path)

    def problem(self, path: Path, message: str, fix: str | None = None) -> Problem:
        return Problem(self.locate(path), key_label(path), message, fix)

    def channel_path(self, channel: ChannelDefinition, *rest: str | int) -> Path:
        return ("channels", channel.index if channel.index is not None else 0, *rest)
