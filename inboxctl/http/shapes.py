"""The shape of a decoded JSON answer, checked where the code relies on it.

A server that answers with something else (``{"payload": "surprise"}``, ``null``, a list where an
object belongs) gets one clear error naming the endpoint and what was wrong, instead of a
TypeError deep in a mapping or, worse, an empty listing that looks like "nothing there".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from inboxctl.errors import BackendError


def unexpected_answer(server: str, endpoint: str, what: str) -> BackendError:
    return BackendError(f"unexpected answer from {server} for {endpoint}: {what}",
                        hint="the server's API may have changed, or its URL points at something else; "
                             "if the URL is right, please report this")


def kind_of(value: Any) -> str:
    """How JSON would name the type of ``value``: "null", "a string", "a list"..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    names = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


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
                ids: bool = False) -> list[dict[str, Any]]:
    """``items`` if it is a list of JSON objects (``ids``: each with a whole-number ``id``)."""
    if not isinstance(items, list):
        raise unexpected_answer(server, endpoint, f"{where} is {kind_of(items)}, not a list")
    for index, item in enumerate(items):
        _check_item(item, index, server=server, endpoint=endpoint, where=where, ids=ids)
    return items


def listed_under(body: Any, key: str, *, server: str, endpoint: str, ids: bool = False,
                 required: bool = True) -> list[dict[str, Any]]:
    """The list of objects at ``body[key]``; a missing key is an empty list only if not ``required``."""
    found = json_object(body, server=server, endpoint=endpoint)
    if key not in found and not required:
        return []
    if key not in found:
        raise unexpected_answer(server, endpoint, f"the answer has no {key!r}")
    return object_list(found[key], server=server, endpoint=endpoint, where=repr(key), ids=ids)


def objects_of(items: Iterable[Any], *, server: str, endpoint: str, ids: bool = False) -> Iterator[dict[str, Any]]:
    """The items of a lazy listing, each checked as it arrives."""
    for index, item in enumerate(items):
        _check_item(item, index, server=server, endpoint=endpoint, where="the listing", ids=ids)
        yield item


def _check_item(item: Any, index: int, *, server: str, endpoint: str, where: str, ids: bool) -> None:
    if not isinstance(item, dict):
        raise unexpected_answer(server, endpoint, f"item {index} of {where} is {kind_of(item)}, not an object")
    if ids and not _is_id(item.get("id")):
        raise unexpected_answer(server, endpoint, f"item {index} of {where} has no whole-number id")


def _is_id(value: Any) -> bool:
    """A whole number, or up to 19 digits in a string (HubSpot sends ids as strings), as the servers' ids."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0 <= value < 2**63
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19
