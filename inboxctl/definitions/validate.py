"""Checks the shape of a parsed definition against the spec and normalises its values.

Every problem is collected (never just the first), each with its key path and whether it is
about the key itself (an unknown key) or its value; the caller attaches file positions.
"""

from __future__ import annotations

import copy
from typing import Any

from inboxctl.definitions import formats
from inboxctl.definitions.locate import Path
from inboxctl.definitions.spec import (
    BOOLEAN, CHANNEL_COMMON, CHANNEL_FIELDS, COLOR, DAYS, EMAIL, ENUM, INTEGER, LIST, PHONE, STRING, TABLE, TIME,
    TIMEZONE, UNION, URL, Field)

INVALID = object()  # marks a value that failed its check; the problem is already recorded

_NORMALISERS = {EMAIL: formats.normalise_email, COLOR: formats.normalise_color, PHONE: formats.normalise_phone,
                TIME: formats.normalise_time, TIMEZONE: formats.normalise_timezone, URL: formats.normalise_url}
_TOML_TYPE = {str: "a string", bool: "true or false", int: "a number", float: "a number", list: "an array",
              dict: "a table"}


def toml_type(value: Any) -> str:
    return _TOML_TYPE.get(type(value), type(value).__name__)


class ShapeChecker:
    """Validates values against ``Field``s, recording (path, message, fix) problems."""

    def __init__(self) -> None:
        self.problems: list[tuple[Path, str, str | None, bool]] = []  # path, message, fix, about the key

    def report(self, path: Path, message: str, fix: str | None = None, *, at_key: bool = False) -> Any:
        self.problems.append((path, message, fix, at_key))
        return INVALID

    def value(self, raw: Any, spec: Field, path: Path, *, fill_defaults: bool = True) -> Any:
        if spec.kind == TABLE:
            return self.table(raw, spec.fields, path, fill_defaults=fill_defaults)
        if spec.kind == LIST:
            return self.array(raw, spec, path)
        if spec.kind == UNION:
            return self.union(raw, spec, path)
        if spec.kind == BOOLEAN:
            return raw if isinstance(raw, bool) else self.report(
                path, f"expected true or false, got {toml_type(raw)}", "write true or false, without quotes")
        if spec.kind == INTEGER:
            return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 1 else self.report(
                path, f"expected a whole number of at least 1, got {raw!r}", "write a number without quotes, e.g. 5")
        if spec.kind == DAYS:
            return self.formatted(raw, formats.normalise_days, path)
        if not isinstance(raw, str):
            return self.report(path, f"expected a string, got {toml_type(raw)}", "put the value in double quotes")
        if spec.kind == ENUM:
            return self.enum(raw, spec, path)
        if spec.kind in _NORMALISERS:
            return self.formatted(raw, _NORMALISERS[spec.kind], path)
        if spec.kind == STRING and not raw.strip():
            return self.report(path, "must not be empty")
        return raw.strip() if spec.kind == STRING else raw

    def formatted(self, raw: Any, normalise: Any, path: Path) -> Any:
        try:
            return normalise(raw)
        except formats.FormatError as error:
            return self.report(path, error.message, error.fix)

    def enum(self, raw: str, spec: Field, path: Path) -> Any:
        if raw in spec.choices:
            return raw
        suggestion = formats.did_you_mean(raw, spec.choices)
        choices = ", ".join(f'"{choice}"' for choice in spec.choices)
        fix = f'did you mean "{suggestion}"? (one of {choices})' if suggestion else f"use one of {choices}"
        return self.report(path, f"{raw!r} is not a valid value", fix)

    def array(self, raw: Any, spec: Field, path: Path) -> Any:
        if not isinstance(raw, list):
            return self.report(path, f"expected an array, got {toml_type(raw)}", 'write it as ["...", "..."]')
        assert spec.item is not None
        items = [self.value(item, spec.item, path + (index,)) for index, item in enumerate(raw)]
        if any(item is INVALID for item in items):
            return INVALID
        return sorted(set(items)) if spec.as_set else items

    def union(self, raw: Any, spec: Field, path: Path) -> Any:
        for variant in spec.variants:
            fits_table = variant.kind == TABLE and isinstance(raw, dict)
            if fits_table or (variant.kind != TABLE and isinstance(raw, str)):
                return self.value(raw, variant, path)
        return self.report(path, f"unexpected {toml_type(raw)}", spec.doc)

    def table(self, raw: Any, fields: dict[str, Field] | Any, path: Path, *, fill_defaults: bool = True,
              elsewhere: dict[str, str] | None = None) -> Any:
        if not isinstance(raw, dict):
            return self.report(path, f"expected a table, got {toml_type(raw)}", "write it as { key = value, ... }")
        result: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in fields:
                self.unknown_key(key, list(fields), path, elsewhere or {})
                continue
            result[key] = self.value(value, fields[key], path + (key,),
                                     fill_defaults=fill_defaults and fields[key].kind == TABLE)
        for key, spec in fields.items():
            if key in raw:
                continue
            if spec.required:  # the table is incomplete: INVALID, so that no later check reads it
                result[key] = self.report(path + (key,), f"missing required key {key!r}",
                                          f"add {key} = ... ({spec.doc})")
            elif fill_defaults and spec.default is not None:
                result[key] = copy.deepcopy(spec.default)
        return INVALID if any(value is INVALID for value in result.values()) else result

    def unknown_key(self, key: str, known: list[str], path: Path, elsewhere: dict[str, str]) -> None:
        suggestion = formats.did_you_mean(key, known)
        if key in elsewhere:
            fix = f"{key!r} is a setting of {elsewhere[key]} channels"
        elif suggestion:
            fix = f'did you mean "{suggestion}"?'
        else:
            fix = "known keys here: " + ", ".join(known)
        self.report(path + (key,), f"unknown key {key!r}", fix, at_key=True)

    def channel(self, raw: Any, path: Path) -> Any:
        if not isinstance(raw, dict):
            return self.report(path, f"expected a table, got {toml_type(raw)}", "declare channels with [[channels]]")
        if "type" not in raw:
            return self.report(path + ("type",), "missing required key 'type'",
                               'add type = "email" (or chat, messenger, form, whatsapp, calling)')
        kind = self.value(raw["type"], CHANNEL_COMMON["type"], path + ("type",))
        if kind is INVALID:
            return INVALID
        fields = CHANNEL_COMMON | CHANNEL_FIELDS[kind]
        elsewhere = {key: other for other, specific in CHANNEL_FIELDS.items() if other != kind
                     for key in specific if key not in fields}
        # Channel routing and ticket defaults override the inbox's key by key, so keep only what was given.
        overrides = {key: raw[key] for key in ("routing", "ticket_defaults") if key in raw}
        rest = {key: value for key, value in raw.items() if key not in overrides}
        normalised = self.table(rest, fields, path, elsewhere=elsewhere)
        if normalised is not INVALID:
            # A settings table left at its defaults (gdpr = { enabled = false }) says the same as no
            # table, which is how export writes it and how a server reads it back.
            for key in [key for key, value in normalised.items()
                        if fields[key].kind == TABLE and value == defaults_of(fields[key])]:
                del normalised[key]
        for key, value in overrides.items():
            checked = self.value(value, fields[key], path + (key,), fill_defaults=False)
            if normalised is not INVALID and checked != {}:  # an empty table overrides nothing
                normalised[key] = checked
        if normalised is INVALID or any(value is INVALID for value in normalised.values()):
            return INVALID
        return normalised


def defaults_of(spec: Field) -> dict[str, Any]:
    """A table's value when the file does not give it: every key at its default."""
    return ShapeChecker().table({}, spec.fields, ())
