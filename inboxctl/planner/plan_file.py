"""A saved plan (``plan --out``), checked against its documented format before anything is applied.

The format is the README's "The JSON plan", version 1. A file that strays from it (edited by
hand, cut short, damaged) is refused whole, before the server is asked anything: a
:class:`PlanFileError` (a usage error, exit 64) naming every problem by its place in the file,
``changes[3].desired.routing.mode: 'x' is not a valid value``. A change's ``desired`` settings are
checked with the same rules as a definition file, so what ``apply`` writes is always something a
definition could have asked for.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from inboxctl.definitions.model import key_label
from inboxctl.definitions.spec import BUSINESS_HOURS, CHANNEL_KEY, DEFAULTED_TABLES, DOCUMENT, INBOX, Field
from inboxctl.definitions.validate import ShapeChecker
from inboxctl.errors import UsageError
from inboxctl.jsontypes import kind_of
from inboxctl.names import name_key
from inboxctl.planner.plan import CHANNEL, CREATE, DELETE, PLAN_FORMAT_VERSION, UPDATE, Plan

MAX_PLAN_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 32  # a plan written by inboxctl nests about ten levels deep
_LARGEST_INTEGER = 2**63 - 1  # what every server (and SQLite) can hold
_SHOWN_PROBLEMS = 20

Where = tuple[str | int, ...]

_TOP_REQUIRED = ("format_version", "server", "fingerprint", "changes")
_TOP_OPTIONAL = ("summary", "notes", "verify_only", "unmanaged", "targets")
_CHANGE_KEYS = ("action", "kind", "inbox", "channel_type", "channel_key", "fields", "desired", "adopt", "warnings")
_ACTIONS, _KINDS = (CREATE, UPDATE, DELETE), ("inbox", CHANNEL)
# What an inbox change's ``desired`` holds: the settings a definition gives, normalised (loader._build_inbox).
_INBOX_SETTINGS: dict[str, Field] = {
    "members": INBOX.fields["members"], "teams": INBOX.fields["teams"], "protect": INBOX.fields["protect"],
    "business_hours": BUSINESS_HOURS, **{table: DOCUMENT[table] for table in DEFAULTED_TABLES}}


class PlanFileError(UsageError):
    """The file given to ``apply`` is not a saved plan in the documented format."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        shown = problems[:_SHOWN_PROBLEMS]
        more = f"\n  … and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(
            f"{path} is not a plan saved by `inboxctl plan --out` (format version {PLAN_FORMAT_VERSION}): {count}"
            + "".join(f"\n  {problem}" for problem in shown) + more,
            hint="make the plan again with `inboxctl plan DEFINITIONS --out plan.json`, review it and apply that; "
                 "nothing was changed")
        self.problems = problems


def load_saved_plan(path: Path) -> Plan:
    """The plan saved at ``path``, or a :class:`PlanFileError` naming what is wrong with the file."""
    data = _read_json(path)
    problems = list(plan_problems(data))
    if problems:
        raise PlanFileError(path, problems)
    return Plan.from_dict(data)


def _read_json(path: Path) -> Any:
    def refuse(problem: str) -> PlanFileError:
        return PlanFileError(path, [problem])

    if path.stat().st_size > MAX_PLAN_BYTES:
        raise refuse(f"the file is larger than {MAX_PLAN_BYTES // (1024 * 1024)} MiB")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise refuse(f"the file is not UTF-8 text (byte {error.start})") from None
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise refuse(f"the JSON is nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as error:
        raise refuse(f"the file is not JSON: {error}") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


# ---------------------------------------------------------------------------------------------
# The format


def plan_problems(data: Any) -> Iterator[str]:
    """Every way ``data`` (a decoded plan file) strays from format version 1, as ``place: what``."""
    limits = dict(_value_limits(data))
    if any(message.startswith("nested") for message in limits.values()):
        yield from (f"{place}: {message}" for place, message in limits.items())
        return  # not looked at any further: the format checks walk the file recursively
    yield from (f"{place}: {message}" for place, message in limits.items())
    # A place whose number is out of range is reported once, for that.
    yield from (problem for problem in _format_problems(data) if problem.split(": ", 1)[0] not in limits)


def _format_problems(data: Any) -> Iterator[str]:
    if not isinstance(data, dict):
        yield f"the file holds {kind_of(data)}, not a JSON object"
        return
    yield from _top_level(data)
    changes = data.get("changes")
    if isinstance(changes, list):
        # A verify-only plan (HubSpot) holds only the settings the server can check: none is required.
        yield from _changes(changes, partial=data.get("verify_only") is True)


def _value_limits(data: Any) -> Iterator[tuple[str, str]]:
    """Depth and numbers (place, problem), looked at without recursion: a file nested 100,000 deep is no danger."""
    stack: list[tuple[Any, Where]] = [(data, ())]
    while stack:
        value, where = stack.pop()
        if len(where) > MAX_DEPTH:
            yield f"{_place(where[:6])}…", f"nested more than {MAX_DEPTH} levels deep"
            return
        if isinstance(value, dict):
            stack.extend((item, (*where, str(key))) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, (*where, index)) for index, item in enumerate(value))
        elif isinstance(value, float) and not math.isfinite(value):
            yield _place(where) or "the plan", f"{value} is not a finite number"
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > _LARGEST_INTEGER:
            yield _place(where) or "the plan", f"the number is too large (at most {_LARGEST_INTEGER})"


def _top_level(data: dict[str, Any]) -> Iterator[str]:
    yield from _keys(data, (), required=_TOP_REQUIRED, optional=_TOP_OPTIONAL)
    version = data.get("format_version")
    if "format_version" in data and (version != PLAN_FORMAT_VERSION or isinstance(version, bool)):
        yield (f"format_version: {version!r} is not supported: this inboxctl applies plans of format version "
               f"{PLAN_FORMAT_VERSION}")
    for key in ("server", "fingerprint"):
        if key in data:
            yield from _text(data[key], (key,))
    yield from _typed(data, "changes", list, "a list")
    yield from _typed(data, "verify_only", bool, "true or false")
    for key in ("notes", "targets"):
        yield from _texts(data.get(key, []), (key,))
    yield from _unmanaged(data.get("unmanaged", []))
    yield from _summary(data)


def _summary(data: dict[str, Any]) -> Iterator[str]:
    if "summary" not in data:
        return
    summary, changes = data["summary"], data.get("changes")
    counts = {action: 0 for action in _ACTIONS}
    for change in changes if isinstance(changes, list) else []:
        if isinstance(change, dict) and change.get("action") in counts:
            counts[change["action"]] += 1
    if summary != counts:
        yield f"summary: {summary!r} does not count the changes the file holds ({counts})"


def _unmanaged(groups: Any) -> Iterator[str]:
    if not isinstance(groups, list):
        yield f"unmanaged: expected a list, got {kind_of(groups)}"
        return
    for index, group in enumerate(groups):
        where = ("unmanaged", index)
        if not isinstance(group, dict):
            yield f"{_place(where)}: expected an object, got {kind_of(group)}"
            continue
        yield from _keys(group, where, required=("inbox", "settings", "reason"))
        yield from _text(group.get("inbox", "?"), (*where, "inbox"))
        yield from _text(group.get("reason", "?"), (*where, "reason"))
        yield from _texts(group.get("settings", []), (*where, "settings"))


# ---------------------------------------------------------------------------------------------
# Changes


def _changes(changes: list[Any], *, partial: bool) -> Iterator[str]:
    seen: dict[tuple[str, ...], int] = {}
    for index, change in enumerate(changes):
        where: Where = ("changes", index)
        if not isinstance(change, dict):
            yield f"{_place(where)}: expected an object, got {kind_of(change)}"
            continue
        problems = list(_change(change, where, partial=partial))
        yield from problems
        if not problems:
            yield from _repeated(change, index, seen)


def _change(change: dict[str, Any], where: Where, *, partial: bool) -> Iterator[str]:
    yield from _keys(change, where, required=("action", "kind", "inbox"), optional=_CHANGE_KEYS)
    for key, check in (("action", _ACTIONS), ("kind", _KINDS), ("inbox", None)):
        if key in change:  # a missing one is reported once, above
            yield from _choice(change[key], check, (*where, key)) if check else _name(change[key], (*where, key))
    yield from _typed(change, "adopt", bool, "true or false", where)
    yield from _texts(change.get("warnings", []), (*where, "warnings"))
    yield from _fields(change.get("fields", []), (*where, "fields"))
    if change.get("kind") == CHANNEL:
        yield from _channel_identity(change, where)
    else:
        for key in ("channel_type", "channel_key"):
            if change.get(key) is not None:
                yield f"{_place((*where, key))}: an inbox change has no {key} (expected null)"
    if change.get("action") in _ACTIONS and change.get("kind") in _KINDS:
        yield from _desired(change, (*where, "desired"), partial=partial)


def _channel_identity(change: dict[str, Any], where: Where) -> Iterator[str]:
    yield from _choice(change.get("channel_type"), tuple(CHANNEL_KEY), (*where, "channel_type"))
    yield from _name(change.get("channel_key"), (*where, "channel_key"))


def _fields(fields: Any, where: Where) -> Iterator[str]:
    if not isinstance(fields, list):
        yield f"{_place(where)}: expected a list, got {kind_of(fields)}"
        return
    for index, field in enumerate(fields):
        if not isinstance(field, dict):
            yield f"{_place((*where, index))}: expected an object, got {kind_of(field)}"
            continue
        yield from _keys(field, (*where, index), required=("path", "before", "after"))
        yield from _text(field.get("path", "?"), (*where, index, "path"))


def _desired(change: dict[str, Any], where: Where, *, partial: bool) -> Iterator[str]:
    desired = change.get("desired")
    if change["action"] == DELETE:
        if desired is not None:
            yield f"{_place(where)}: a deletion writes nothing (expected null)"
        return
    if not isinstance(desired, dict):
        yield f"{_place(where)}: expected the settings to write (an object), got {kind_of(desired)}"
    elif change["kind"] == CHANNEL:
        yield from _channel_settings(desired, change, where)
    else:
        yield from _inbox_settings(desired, where, partial=partial)


def _inbox_settings(desired: dict[str, Any], where: Where, *, partial: bool) -> Iterator[str]:
    names = tuple(_INBOX_SETTINGS)
    yield from _keys(desired, where, required=() if partial else names, optional=names)
    checker = ShapeChecker()
    for key, spec in _INBOX_SETTINGS.items():
        if key in desired and not (key == "business_hours" and desired[key] is None):
            checker.value(desired[key], spec, (key,), fill_defaults=False)
    yield from _checked(checker, where)


def _channel_settings(desired: dict[str, Any], change: dict[str, Any], where: Where) -> Iterator[str]:
    kind = change.get("channel_type")
    if kind not in CHANNEL_KEY:
        return  # already reported
    if "type" in desired:
        yield f"{_place((*where, 'type'))}: the type is the change's channel_type, not a setting"
        return
    checker = ShapeChecker()
    checker.channel({**desired, "type": kind}, ())
    yield from _checked(checker, where)
    key = CHANNEL_KEY[kind]
    if key in desired and desired[key] != change.get("channel_key"):
        yield f"{_place((*where, key))}: {desired[key]!r} is not the change's channel_key {change.get('channel_key')!r}"


def _checked(checker: ShapeChecker, where: Where) -> Iterator[str]:
    for problem in checker.problems:  # (path, message, fix...): the fixes speak TOML, the message fits a plan
        path, message = problem[0], problem[1]
        yield f"{_place((*where, *path))}: {message}"


def _repeated(change: dict[str, Any], index: int, seen: dict[tuple[str, ...], int]) -> Iterator[str]:
    """Two changes to one resource: applying both would do something nobody reviewed as one change."""
    identity = (change["kind"], name_key(change["inbox"]), str(change.get("channel_type")),
                name_key(str(change.get("channel_key"))))
    if identity in seen:
        yield f"{_place(('changes', index))}: changes the same {change['kind']} as changes[{seen[identity]}]"
    else:
        seen[identity] = index


# ---------------------------------------------------------------------------------------------
# Small checks


def _keys(table: dict[str, Any], where: Where, *, required: tuple[str, ...],
          optional: tuple[str, ...] = ()) -> Iterator[str]:
    for key in table:
        if key not in required and key not in optional:
            yield f"{_place((*where, key))}: unknown key {key!r}"
    for key in required:
        if key not in table:
            yield f"{_place(where) or 'the plan'}: missing required key {key!r}"


def _typed(table: dict[str, Any], key: str, kind: type, described: str, where: Where = ()) -> Iterator[str]:
    if key in table and not isinstance(table[key], kind):
        yield f"{_place((*where, key))}: expected {described}, got {kind_of(table[key])}"


def _choice(value: Any, choices: tuple[str, ...], where: Where) -> Iterator[str]:
    if value not in choices or not isinstance(value, str):
        yield f"{_place(where)}: {_shown(value)} is not one of {', '.join(choices)}"


def _name(value: Any, where: Where) -> Iterator[str]:
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        yield f"{_place(where)}: expected a name (text, not blank, without surrounding spaces), got {_shown(value)}"


def _text(value: Any, where: Where) -> Iterator[str]:
    if not isinstance(value, str):
        yield f"{_place(where)}: expected a string, got {kind_of(value)}"


def _texts(values: Any, where: Where) -> Iterator[str]:
    if not isinstance(values, list):
        yield f"{_place(where)}: expected a list of strings, got {kind_of(values)}"
        return
    for index, value in enumerate(values):
        yield from _text(value, (*where, index))



def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _place(where: Where) -> str:
    return key_label(where)
