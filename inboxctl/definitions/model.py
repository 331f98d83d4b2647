"""Inbox definitions as the planner sees them: normalised settings, names instead of ids.

The same classes describe what a file asks for and what a server has, so the planner can
compare them field by field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from inboxctl.names import name_key
from inboxctl.definitions.locate import Path, Position, nearest_position, value_position
from inboxctl.definitions.spec import CHANNEL_KEY


@dataclass(frozen=True)
class Location:
    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Problem:
    """One mistake in a definition, where it is, and how to fix it.

    A warning (``severity``) does not make a definition invalid: it says what is probably not meant."""

    location: Location | None
    key: str  # e.g. "channels[2].color"
    message: str
    fix: str | None = None
    severity: str = ERROR

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        key = f"{self.key}: " if self.key else ""
        label = "warning: " if self.severity == WARNING else ""
        return f"{where}{label}{key}{self.message}" + (f"\n    fix: {self.fix}" if self.fix else "")

    def to_dict(self) -> dict[str, Any]:
        location = self.location
        return {"file": location.file if location else None, "line": location.line if location else None,
                "column": location.column if location else None, "key": self.key,
                "message": self.message, "fix": self.fix, "severity": self.severity}


def errors_only(problems: Iterable[Problem]) -> list[Problem]:
    return [problem for problem in problems if problem.severity == ERROR]


def in_reading_order(problems: Iterable[Problem], files: Sequence[str] = ()) -> list[Problem]:
    """Problems as a reader meets them: file by file (in ``files`` order, else by name), then by line and
    column. Problems with no place in a file (a missing path) come first."""
    rank = {file: index for index, file in enumerate(files)}

    def key(problem: Problem) -> tuple[int, str, int, int]:
        where = problem.location
        if where is None:
            return (-1, "", 0, 0)
        return (rank.get(where.file, len(rank)), where.file, where.line, where.column)

    return sorted(problems, key=key)


def key_label(path: Path) -> str:
    """("channels", 2, "color") -> "channels[2].color"."""
    label = ""
    for part in path:
        label += f"[{part}]" if isinstance(part, int) else (f".{part}" if label else part)
    return label


def locate(file: str, positions: dict[Path, Position], path: Path, *, at_key: bool = False) -> Location:
    """Where the value of ``path`` is written in ``file`` (its key with ``at_key``; else the closest
    recorded ancestor)."""
    line, column = nearest_position(positions, path) if at_key else value_position(positions, path)
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
        return f"{self.type}:{name_key(self.key)}"

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
    # What is probably not meant, though valid (a legacy timezone, a deactivated member): shown, not refused.
    warnings: list[Problem] = field(default_factory=list, repr=False, compare=False)

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

    def warn(self, path: Path, message: str, fix: str | None = None) -> None:
        """Add a warning about ``path``, once (planning twice must not repeat it)."""
        warning = Problem(self.locate(path), key_label(path), message, fix, severity=WARNING)
        if warning not in self.warnings:
            self.warnings.append(warning)

    def channel_path(self, channel: ChannelDefinition, *rest: str | int) -> Path:
        return ("channels", channel.index if channel.index is not None else 0, *rest)
