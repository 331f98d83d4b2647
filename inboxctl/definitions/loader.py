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
from inboxctl.definitions.model import ChannelDefinition, InboxDefinition, Location, Problem, key_label, locate
from inboxctl.definitions.spec import DEFAULTED_TABLES, DOCUMENT, DOCUMENT_REQUIRED
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
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(None, "", f"{path}: no such file or directory"))
    return files, problems


def load_definitions(paths: Iterable[str | FilePath]) -> list[InboxDefinition]:
    """Load and check every definition; raise ``InvalidDefinitionError`` with all problems at once."""
    inboxes, problems = collect_definitions(paths)
    if problems:
        raise InvalidDefinitionError(problems)
    return inboxes


def collect_definitions(paths: Iterable[str | FilePath]) -> tuple[list[InboxDefinition], list[Problem]]:
    files, problems = definition_files(paths)
    inboxes = []
    for file in files:
        inbox, file_problems = load_file(file)
        problems.extend(file_problems)
        if inbox is not None:
            inboxes.append(inbox)
    problems.extend(checks.check_across_files(inboxes))
    return inboxes, problems


def load_file(file: FilePath) -> tuple[InboxDefinition | None, list[Problem]]:
    try:
        source = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem(Location(str(file), 1, 1), "", f"cannot read the file: {error}")]
    return parse_definition(source, str(file))


def parse_definition(source: str, file_name: str) -> tuple[InboxDefinition | None, list[Problem]]:
    try:
        document = tomlkit.parse(source).unwrap()
    except ParseError as error:
        message = str(error).split(" at line ")[0]
        if "'\\x00'" in message and "\x00" not in source:  # tomlkit's name for the end of the file
            message = "the file ends before an array, inline table or string is closed"
        # tomlkit counts columns from 0; every other location here (and every editor) from 1
        return None, [Problem(Location(file_name, error.line, error.col + 1), "", f"invalid TOML: {message}",
                              "check quotes, brackets and commas around this position")]
    except KeyAlreadyPresent as error:  # a key given twice in one table: tomlkit does not say where
        return None, [Problem(Location(file_name, _first_failing_line(source), 1), "", f"invalid TOML: {error}",
                              "give each key once per table: remove or rename one of the two")]
    positions = key_positions(source)
    checker = ShapeChecker()
    settings, complete = _check_document(document, checker)
    problems = [_problem(file_name, positions, path, message, fix) for path, message, fix in checker.problems]
    problems += checks.check_hours_order(document, lambda *args: _problem(file_name, positions, *args))
    problems += checks.check_blocked_senders(document, lambda *args: _problem(file_name, positions, *args))
    # Sections that passed the shape checks are checked further even when others failed,
    # so that one run reports every mistake in the file.
    broken = frozenset(key for key in DOCUMENT if key in document and key not in settings)
    inbox = _build_inbox(settings, document, file_name, positions)
    problems += checks.check_inbox(inbox, complete=complete, broken=broken)
    if problems:
        return None, problems
    if inbox.settings["business_hours"]:
        hours = inbox.settings["business_hours"]
        hours["hours"] = canonical_hours(hours["hours"])
    return inbox, []


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


def _problem(file_name: str, positions: dict[Path, tuple[int, int]], path: Path, message: str,
             fix: str | None) -> Problem:
    return Problem(locate(file_name, positions, path), key_label(path), message, fix)


def _check_document(document: dict[str, Any], checker: ShapeChecker) -> tuple[dict[str, Any], bool]:
    """Check each section on its own; return the valid ones and whether all of them were valid."""
    for key in document:
        if key not in DOCUMENT:
            checker.unknown_key(key, list(DOCUMENT), (), {})
    settings: dict[str, Any] = {}
    complete = True
    for key, spec in DOCUMENT.items():
        if key == "channels":
            continue
        if key not in document:
            if key in DOCUMENT_REQUIRED:
                checker.report((key,), f"missing required table [{key}]", f'add [{key}] with name = "..."')
                complete = False
            continue
        value = checker.value(document[key], spec, (key,))
        complete = complete and value is not INVALID
        if value is not INVALID:
            settings[key] = value
    channels, channels_complete = _check_channels(document.get("channels", []), checker)
    settings["channels"] = channels
    return settings, complete and channels_complete


def _check_channels(raw_channels: Any, checker: ShapeChecker) -> tuple[list[tuple[int, dict[str, Any]]], bool]:
    if not isinstance(raw_channels, list):
        checker.report(("channels",), "expected an array of tables", "declare each channel with [[channels]]")
        return [], False
    checked = [(index, checker.channel(raw, ("channels", index))) for index, raw in enumerate(raw_channels)]
    valid = [(index, channel) for index, channel in checked if channel is not INVALID]
    return valid, len(valid) == len(checked)


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
