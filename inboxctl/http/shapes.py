"""The shape of a decoded JSON answer, checked where the code relies on it.

A server that answers with something else (``{"payload": "surprise"}``, ``null``, a list where an
object belongs) gets one clear error naming the endpoint and what was wrong, instead of a
TypeError deep in a mapping or, worse, an empty listing that looks like "nothing there".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

from inboxctl.errors import BackendError
from inboxctl.jsontypes import kind_of


def unexpected_answer(server: str, endpoint: str, what: str) -> BackendError:
    return BackendError(f"unexpected answer from {server} for {endpoint}: {what}",
                        hint="the server's API may have changed, or its URL points at something else; "
                             "if the URL is right, please report this")



def json_object(body: Any, *, server: str, endpoint: str) -> dict[str, Any]:
    """``body`` if it is a JSON object."""
    if not isinstance(body, dict):
        raise unexpected_answer(server, endpoint, f"expected a JSON object, got {kind_of(body)}")
    return body


def object_with_id(body: Any, *, server: str, endpoint: str) -> dict[str, Any]:
    """A JSON object with a whole-number ``id`` (what was created or read, to be referred to later)."""
    found = json_object(body, server=server, endpoint=endpoint)
    if not _is_id(found.get("id")):
        raise unexpected_answer(server, endpoint, f"its id is {kind_of(found.get('id'))}, not a whole number")
    return found


def object_list(items: Any, *, server: str, endpoint: str, where: str = "the answer",
                ids: bool = False, shape: Shape | None = None) -> list[dict[str, Any]]:
    """``items`` if it is a list of JSON objects (``ids``: each with a whole-number ``id``; ``shape``: each
    with fields as it says)."""
    if not isinstance(items, list):
        raise unexpected_answer(server, endpoint, f"{where} is {kind_of(items)}, not a list")
    for index, item in enumerate(items):
        _check_item(item, index, server=server, endpoint=endpoint, where=where, ids=ids, shape=shape)
    return items


def listed_under(body: Any, key: str, *, server: str, endpoint: str, ids: bool = False,
                 required: bool = True, shape: Shape | None = None) -> list[dict[str, Any]]:
    """The list of objects at ``body[key]``; a missing key is an empty list only if not ``required``."""
    found = json_object(body, server=server, endpoint=endpoint)
    if key not in found and not required:
        return []
    if key not in found:
        raise unexpected_answer(server, endpoint, f"the answer has no {key!r}")
    return object_list(found[key], server=server, endpoint=endpoint, where=key, ids=ids, shape=shape)


def objects_of(items: Iterable[Any], *, server: str, endpoint: str, ids: bool = False,
               shape: Shape | None = None) -> Iterator[dict[str, Any]]:
    """The items of a lazy listing, each checked as it arrives."""
    for index, item in enumerate(items):
        _check_item(item, index, server=server, endpoint=endpoint, where="the listing", ids=ids, shape=shape)
        yield item


def _check_item(item: Any, index: int, *, server: str, endpoint: str, where: str, ids: bool,
                shape: Shape | None) -> None:
    if not isinstance(item, dict):
        raise unexpected_answer(server, endpoint, f"item {index} of {where} is {kind_of(item)}, not an object")
    if ids and not _is_id(item.get("id")):
        raise unexpected_answer(server, endpoint, f"item {index} of {where} has no whole-number id")
    if shape is not None:
        conforming(item, shape, server=server, endpoint=endpoint, where=f"{where}[{index}]")


def _is_id(value: Any) -> bool:
    """A whole number, or up to 19 digits in a string (HubSpot sends ids as strings), as the servers' ids."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0 <= value < 2**63
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19


# ---------------------------------------------------------------------------------------------
# Fields: the types of the fields a backend reads from an item


class Kind:
    """What one field must hold when it is there and not null (``required``: it must be there)."""

    def __init__(self, name: str, accepts: Any, *, required: bool = False) -> None:
        self.name, self.accepts, self.required = name, accepts, required


def required(kind: Kind) -> Kind:
    return Kind(kind.name, kind.accepts, required=True)


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63


def _is_time(value: Any) -> bool:
    """Seconds since 1970 (Chatwoot) or ISO 8601 text (HubSpot), within what dates can hold."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return 0 <= value <= 253_402_300_799  # up to the end of year 9999
    if not isinstance(value, str):
        return False
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
        if moment is not None and moment.tzinfo is not None:
            moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return False
    return True


TEXT = Kind("text", lambda value: isinstance(value, str))
WHOLE = Kind("a whole number", _is_whole)
ID = Kind("an id", _is_id)
FLAG = Kind("true or false", lambda value: isinstance(value, bool))
TIME = Kind("a time", _is_time)
LIST = Kind("a list", lambda value: isinstance(value, list))
SCALAR = Kind("text or a number", lambda value: isinstance(value, str) or _is_whole(value))
WEEKDAY = Kind("a day of the week (0 to 6)", lambda value: _is_whole(value) and 0 <= value <= 6)

# A shape: field -> Kind, a nested shape (an object), or [shape] (a list of objects).
Shape = Mapping[str, Any]


def conforming(item: dict[str, Any], shape: Shape, *, server: str, endpoint: str, where: str = "the answer") -> dict:
    """``item``, if each field of ``shape`` it has (and is not null) is as the shape says."""
    for field, expected in shape.items():
        value, place = item.get(field), f"{where}.{field}"
        if value is None:
            if isinstance(expected, Kind) and expected.required:
                raise unexpected_answer(server, endpoint, f"{place} is missing")
        elif isinstance(expected, Kind):
            if not expected.accepts(value):
                raise unexpected_answer(server, endpoint, f"{place} is {kind_of(value)}, not {expected.name}")
        elif isinstance(expected, list):
            for index, element in enumerate(object_list(value, server=server, endpoint=endpoint, where=place)):
                conforming(element, expected[0], server=server, endpoint=endpoint, where=f"{place}[{index}]")
        else:
            conforming(json_object_at(value, server, endpoint, place), expected, server=server, endpoint=endpoint,
                       where=place)
    return item


def json_object_at(value: Any, server: str, endpoint: str, place: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise unexpected_answer(server, endpoint, f"{place} is {kind_of(value)}, not an object")
    return value
