"""How error messages name the JSON type of a value, for server answers and saved plans alike."""

from __future__ import annotations

from typing import Any

_NAMES = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}


def kind_of(value: Any) -> str:
    """How JSON would name the type of ``value``: "null", "a string", "a list"..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    return _NAMES.get(type(value), type(value).__name__)
