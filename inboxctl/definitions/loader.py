"""Reading definition files: TOML -> checked, normalised ``InboxDefinition``s, or every problem found."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path as FilePath
from typing import Any

import tomlkit
from tomlkit.exceptions import KeyAlreadyPresent, ParseError

from inboxctl.definitions import checks
from inboxctl.definitions.formats import canonical_hours
from inboxctl.definitions.locate import Path, key_positions
from inboxctl.definitions.model import (
    ChannelDefinition, InboxDefinition, Location, Problem, errors_only, in_reading_order, key_label, locate)
from inboxctl.definitions.spec import CHANNEL_KEY, DEFAULTED_TABLES, DOCUMENT, DOCUMENT_REQUIRED
from inboxctl.definitions.validate import INVALID, ShapeChecker, defaults_of
from inboxctl.errors import InvalidDefinitionError


def definition_files(paths: Iterable[str | FilePath]) -> tuple[list[FilePath], list[Problem]]:
    """Expand directories to the ``*.toml`` files directly in them, in name order."""
    files: list[FilePath] = []
    problems: list[Problem] = []
    for given in paths:
        path = FilePath(given)
        if path.is_dir():
            found = sorted(path.glob("*.toml"))
            if not found:
                problems.append(Problem(None, "", f"{path}: no *.toml files in this directory"))
            files.extend(found)
        elif path.is_file() and path.suffix.lower() == ".json":
            problems.append(Problem(Location(str(path), 1, 1), "", "a JSON file, not a TOML inbox definition",
                                    f"a plan saved by `inboxctl plan --out` is applied alone: inboxctl apply {path}"))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(None, "", f"{path}: no such file or directory"))
    return files, problems


def load_definitions(paths: Iterable[str | FilePath]) -> list[InboxDefinition]:
    """Load and check every definition; raise ``InvalidDefinitionError`` with all problems at once.

    The warnings of valid definitions stay on each ``InboxDefinition`` (``warnings``) for the caller to show;
    when there are errors, they come with them."""
    inboxes, problems = collect_definitions(paths)
    if errors_only(problems):
        raise InvalidDefinitionError(problems)
    return inboxes


def collect_definitions(paths: Iterable[str | FilePath]) -> tuple[list[InboxDefinition], list[Problem]]:
    """The valid definitions, and every problem and warning found, in reading order (``severity`` tells
    them apart; a valid definition's warnings are also in its ``warnings``).

    Checks across files also look at the readable part of invalid files (their name, their valid
    channels), so that one run reports every mistake."""
    files, problems = definition_files(paths)
    inboxes, partial = [], []
    for file in files:
        inbox, file_problems, valid = _load(file)
        problems.extend(file_problems)
        if inbox is not None:
            partial.append(inbox)
            if valid:
                inboxes.append(inbox)
    problems.extend(checks.check_across_files(partial))
    problems.extend(warning for inbox in inboxes for warning in inbox.warnings)
    return inboxes, in_reading_order(problems, [str(file) for file in files])


def load_file(file: FilePath) -> tuple[InboxDefinition | None, list[Problem]]:
    inbox, problems, valid = _load(file)
    return (inbox if valid else None), problems


def _load(file: FilePath) -> tuple[InboxDefinition | None, list[Problem], bool]:
    try:
        source = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem(Location(str(file), 1, 1), "", f"cannot read the file: {error}")], False
    return _parse(source, str(file))


def parse_definition(source: str, file_name: str) -> tuple[InboxDefinition | None, list[Problem]]:
    """The definition and no problem, or None and every problem of the file (with its warnings), by line.
    A valid definition's warnings are in its ``warnings``."""
    inbox, problems, valid = _parse(source, file_name)
    return (inbox if valid else None), problems


def _parse(source: str, file_name: str) -> tuple[InboxDefinition | None, list[Problem], bool]:
    """The definition as far as it could be read, its problems, and whether it is valid."""
    try:
        document = tomlkit.parse(source).unwrap()
    except ParseError as error:
        message = str(error).split(" at line ")[0]
        if "'\\x00'" in message and "\x00" not in source:  # tomlkit's name for the end of the file
            message = "the file ends before an array, inline table or string is closed"
        # tomlkit counts columns from 0; every other location here (and every editor) from 1
        return None, [Problem(Location(file_name, error.line, error.col + 1), "", f"invalid TOML: {message}",
                              "check quotes, brackets and commas around this position")], False
    except KeyAlreadyPresent as error:  # a key given twice in one table: tomlkit does not say where
        return None, [Problem(Location(file_name, _first_failing_line(source), 1), "", f"invalid TOML: {error}",
                              "give each key once per table: remove or rename one of the two")], False
    positions = key_positions(source)

    def problem(path: Path, message: str, fix: str | None, at_key: bool = False) -> Problem:
        return Problem(locate(file_name, positions, path, at_key=at_key), key_label(path), message, fix)

    checker = ShapeChecker()
    settings = _check_document(document, checker)
    problems = [problem(*found) for found in checker.problems]
    problems += checks.check_hours_order(document, problem)
    problems += checks.check_blocked_senders(document, problem)
    # Sections that passed the shape checks are checked further even when others failed, and so are
    # checks across sections unless a section they read was left out: one run reports every mistake.
    broken = _broken_parts(document, settings)
    inbox = _build_inbox(settings, document, file_name, positions)
    problems += checks.check_inbox(inbox, broken=broken)
    checks.warn_about_timezone(inbox, document)
    if problems:
        return inbox, in_reading_order(problems + inbox.warnings), False
    if inbox.settings["business_hours"]:
        hours = inbox.settings["business_hours"]
        hours["hours"] = canonical_hours(hours["hours"])
    return inbox, [], True


def _broken_parts(document: dict[str, Any], settings: dict[str, Any]) -> frozenset[str]:
    """What the file gives but the shape checks left out: tables ("business_hours") and the types of invalid
    channels ("channels.email"; "channels.?" when the type itself is unreadable)."""
    tables = {key for key in DOCUMENT if key in document and key != "channels" and key not in settings}
    valid = {index for index, _ in settings["channels"]}
    raw_channels = document.get("channels")
    raw_channels = raw_channels if isinstance(raw_channels, list) else [None]
    kinds = {f"channels.{_channel_type(raw)}" for index, raw in enumerate(raw_channels) if index not in valid}
    return frozenset(tables | kinds)


def _channel_type(raw: Any) -> str:
    kind = raw.get("type") if isinstance(raw, dict) else None
    return kind if isinstance(kind, str) and kind in CHANNEL_KEY else "?"


def _first_failing_line(source: str) -> int:
    """The line where parsing first fails: the shortest failing prefix, found by bisection."""
    lines = source.split("\n")
    low, high = 1, len(lines)
    while low < high:
        middle = (low + high) // 2
        try:
            tomlkit.parse("\n".join(lines[:middle]))
        except KeyAlreadyPresent:
            high = middle
            continue
        except ParseError:  # the prefix cuts a multi-line value short: the duplicate is further on
            pass
        low = middle + 1
    return low


def _check_document(document: dict[str, Any], checker: ShapeChecker) -> dict[str, Any]:
    """Check each section on its own; return the valid ones (and the valid channels, by index)."""
    for key in document:
        if key not in DOCUMENT:
            checker.unknown_key(key, list(DOCUMENT), (), {})
    settings: dict[str, Any] = {}
    for key, spec in DOCUMENT.items():
        if key == "channels":
            continue
        if key not in document:
            if key in DOCUMENT_REQUIRED:
                checker.report((key,), f"missing required table [{key}]", f'add [{key}] with name = "..."')
            continue
        value = checker.value(document[key], spec, (key,))
        if value is not INVALID:
            settings[key] = value
    settings["channels"] = _check_channels(document.get("channels", []), checker)
    return settings


def _check_channels(raw_channels: Any, checker: ShapeChecker) -> list[tuple[int, dict[str, Any]]]:
    if not isinstance(raw_channels, list):
        checker.report(("channels",), "expected an array of tables", "declare each channel with [[channels]]")
        return []
    checked = [(index, checker.channel(raw, ("channels", index))) for index, raw in enumerate(raw_channels)]
    return [(index, channel) for index, channel in checked if channel is not INVALID]


def _build_inbox(settings: dict[str, Any], document: dict[str, Any], file_name: str,
                 positions: dict[Path, tuple[int, int]]) -> InboxDefinition:
    channels = [ChannelDefinition(type=raw["type"], settings={k: v for k, v in raw.items() if k != "type"},
                                  explicit=frozenset(_explicit_paths(document["channels"][index], skip={"type"})),
                                  index=index)
                for index, raw in settings.pop("channels")]
    inbox_table = settings.pop("inbox", None) or {"name": "", "members": [], "teams": [], "protect": False}
    inbox_settings = {"members": inbox_table["members"], "teams": inbox_table["teams"],
                      "protect": inbox_table["protect"], "business_hours": settings.get("business_hours")}
    for table_name in DEFAULTED_TABLES:
        inbox_settings[table_name] = settings.get(table_name) or defaults_of(DOCUMENT[table_name])
    explicit = _explicit_paths({key: value for key, value in document.items() if key != "channels"},
                               skip={"inbox.name", "inbox.protect"})
    return InboxDefinition(name=inbox_table["name"], settings=inbox_settings, channels=channels,
                           source=file_name, positions=positions, explicit=frozenset(explicit))


def _explicit_paths(table: dict[str, Any], *, skip: set[str], prefix: str = "") -> set[str]:
    """Dotted paths of the keys a file gives, down to two levels: ``routing.mode``, ``when_away.message``."""
    paths = set()
    for key, value in table.items():
        path = f"{prefix}{key}"
        if path in skip:
            continue
        if isinstance(value, dict) and not prefix:
            paths.add(path)
            paths.update(_explicit_paths(value, skip=skip, prefix=f"{path}."))
        else:
            paths.add(path)
    return paths
