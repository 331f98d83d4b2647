"""Writing definitions back as TOML (``export``), in the same format the loader reads.

A new file gets only the settings that differ from their defaults. An existing file is
updated in place with tomlkit: the user's comments, key order and formatting stay, keys
whose value is unchanged are left exactly as written, and only what differs is rewritten.
"""

from __future__ import annotations

import copy
from typing import Any

import tomlkit
from tomlkit.items import AoT, Comment, InlineTable, Table, Whitespace

from inboxctl.names import name_key
from inboxctl.definitions.formats import compress_days
from inboxctl.definitions.model import ChannelDefinition, InboxDefinition
from inboxctl.definitions.spec import (
    CHANNEL_COMMON, CHANNEL_FIELDS, CHANNEL_KEY, DEFAULTED_TABLES, DOCUMENT, TABLE, Field)

SECTIONS = ("inbox", "email_filters", "routing", "ticket_defaults", "business_hours")
SCHEMA_COMMENT = "#:schema {path}\n"


# -- the export form: what a file would say ----------------------------------------------------

def export_form(inbox: InboxDefinition) -> dict[str, Any]:
    """Every setting of ``inbox`` as a file would write it: spec key order, days compressed, no unset values."""
    settings = copy.deepcopy(inbox.settings)
    form: dict[str, Any] = {"inbox": {"name": inbox.name, "members": settings["members"],
                                      "teams": settings["teams"], "protect": settings["protect"]}}
    for section in SECTIONS[1:]:
        if settings.get(section):
            form[section] = _in_spec_order(settings[section], DOCUMENT[section])
    if "business_hours" in form:
        for entry in form["business_hours"]["hours"]:
            entry["days"] = compress_days(entry["days"])
    form["channels"] = [channel_form(channel) for channel in inbox.channels]
    return _drop_unset(form)


def channel_form(channel: ChannelDefinition) -> dict[str, Any]:
    key_field = CHANNEL_KEY[channel.type]
    fields = CHANNEL_FIELDS[channel.type]
    ordered = {"type": channel.type, key_field: channel.settings[key_field]}
    for key, spec in fields.items():
        if key in channel.settings and key != key_field:
            ordered[key] = _in_spec_order(channel.settings[key], spec)
    for key in ("routing", "ticket_defaults"):
        if channel.settings.get(key):
            ordered[key] = _in_spec_order(channel.settings[key], CHANNEL_COMMON[key])
    return ordered


def _in_spec_order(value: Any, spec: Field) -> Any:
    """Servers may hand settings back in any order; files list keys in the order the spec declares them."""
    if isinstance(value, dict) and spec.kind == TABLE:
        return {key: _in_spec_order(value[key], spec.fields[key]) for key in spec.fields if key in value}
    if isinstance(value, list) and spec.item is not None:
        return [_in_spec_order(item, spec.item) for item in value]
    if isinstance(value, dict) and spec.variants:
        table_variant = next(variant for variant in spec.variants if variant.kind == TABLE)
        return _in_spec_order(value, table_variant)
    return value


def _drop_unset(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _drop_unset(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_drop_unset(item) for item in value]
    return value


def without_defaults(form: dict[str, Any]) -> dict[str, Any]:
    """The export form less every value equal to its default: what a new file needs to say."""
    minimal: dict[str, Any] = {}
    for section, value in form.items():
        if section == "channels":
            minimal["channels"] = [_strip(channel, CHANNEL_COMMON | CHANNEL_FIELDS[channel["type"]], keep=("type",))
                                   for channel in value]
        else:
            stripped = _strip(value, DOCUMENT[section].fields, keep=("name",) if section == "inbox" else ())
            # [business_hours] with every key at its default still means "has business hours";
            # the other tables, left out, read back as their defaults.
            if stripped or section not in DEFAULTED_TABLES:
                minimal[section] = stripped
    return minimal


def _strip(table: dict[str, Any], fields: Any, keep: tuple[str, ...] = ()) -> dict[str, Any]:
    result = {}
    for key, value in table.items():
        spec: Field | None = _table_spec(fields.get(key), value)
        overrides = key in ("routing", "ticket_defaults")  # partial tables: every given key matters
        if spec is not None and spec.kind == TABLE and isinstance(value, dict) and not overrides:
            value = _strip(value, spec.fields)
            if not value and spec is fields.get(key):  # but fallback = {} is not the same as no fallback
                continue
        elif key not in keep and spec is not None and not spec.required and value == spec.default:
            continue
        result[key] = value
    return result


def _table_spec(spec: Field | None, value: Any) -> Field | None:
    """For a union holding a table (routing.fallback), the table variant's spec."""
    if spec is not None and spec.variants and isinstance(value, dict):
        return next(variant for variant in spec.variants if variant.kind == TABLE)
    return spec


# -- TOML rendering -----------------------------------------------------------------------------

def to_item(value: Any) -> Any:
    """Nested tables become inline tables, and arrays of tables multi-line arrays, as in the examples."""
    if isinstance(value, dict):
        inline = tomlkit.inline_table()
        for key, item in value.items():
            inline[key] = to_item(item)
        return inline
    if isinstance(value, list) and value and isinstance(value[0], dict):
        array = tomlkit.array()
        array.multiline(True)
        for item in value:
            array.append(to_item(item))
        return array
    return tomlkit.item(value)


def _table(values: dict[str, Any]) -> Table:
    table = tomlkit.table()
    for key, value in values.items():
        table.add(key, to_item(value))
    return table


def render_new(inbox: InboxDefinition, *, schema_path: str | None = None) -> str:
    minimal = without_defaults(export_form(inbox))
    document = tomlkit.document()
    for section in SECTIONS:
        if section in minimal:
            document.add(section, _table(minimal[section]))
    if minimal.get("channels"):
        channels = tomlkit.aot()
        for channel in minimal["channels"]:
            channels.append(_table(channel))
        document.add("channels", channels)
    header = SCHEMA_COMMENT.format(path=schema_path) if schema_path else ""
    return header + tomlkit.dumps(document)


# -- updating an existing file --------------------------------------------------------------------

def merge_into(source: str, written: InboxDefinition, live: InboxDefinition) -> str:
    """Rewrite ``source`` (which loads as ``written``) so that it describes ``live``."""
    document = tomlkit.parse(source)
    old, new = export_form(written), export_form(live)
    minimal = without_defaults(new)
    for section in SECTIONS:
        _merge_section(document, section, old.get(section), new.get(section), minimal.get(section))
    _merge_channels(document, written, old["channels"], new["channels"], minimal.get("channels", []))
    return tomlkit.dumps(document)


def _merge_section(document: Any, section: str, old: Any, new: Any, minimal: Any) -> None:
    if section in document and new is None:
        del document[section]
    elif section in document:
        _merge_table(document[section], old or {}, new, minimal or {})
    elif minimal is not None:
        document.add(section, _table(minimal))


def _merge_table(container: Table | InlineTable, old: dict[str, Any], new: dict[str, Any],
                 minimal: dict[str, Any]) -> None:
    for key in list(container.keys()):
        if key not in new:
            del container[key]
        elif isinstance(new[key], dict) and isinstance(container[key], (Table, InlineTable)) \
                and isinstance(old.get(key), dict):
            _merge_table(container[key], old[key], new[key], minimal.get(key, {}))
        elif old.get(key) != new[key]:
            container[key] = to_item(new[key])
    for key, value in minimal.items():
        if key not in container:
            container[key] = to_item(value)


def _merge_channels(document: Any, written: InboxDefinition, old: list[dict[str, Any]], new: list[dict[str, Any]],
                    minimal: list[dict[str, Any]]) -> None:
    new_by_ident = {_ident(channel): (channel, slim) for channel, slim in zip(new, minimal, strict=True)}
    tables = document.get("channels")
    if isinstance(tables, AoT):
        for index in reversed(range(len(tables))):
            ident = written.channels[index].ident
            if ident in new_by_ident:
                channel, slim = new_by_ident.pop(ident)
                _merge_table(tables[index], old[index], channel, slim)
            else:
                _delete_channel(document, tables, index)
        if not len(tables):  # an empty array of tables would come out as "channels = []" at the top
            del document["channels"]
            tables = None
    if new_by_ident:
        if not isinstance(tables, AoT):
            tables = tomlkit.aot()
            document.add("channels", tables)
        elif len(tables) and not isinstance(tables[-1].value.body[-1][1], Whitespace):
            tables[-1].add(tomlkit.nl())  # a blank line before the new [[channels]], as between the others
        for _channel, slim in new_by_ident.values():
            tables.append(_table(slim))


def _delete_channel(document: Any, tables: AoT, index: int) -> None:
    """Delete one [[channels]] table. tomlkit files the comment lines just above a header at the end
    of the table before it: move them, so that each comment stays above the channel it describes."""
    before = tables[index - 1].value if index else _container_before(document, tables)
    following = _trailing_comments(tables[index].value)  # they introduce the next channel
    if before is not None:
        del before.body[len(before.body) - len(_trailing_comments(before)):]  # they introduced this one
        before.body.extend(following)
    del tables[index]


def _container_before(document: Any, tables: AoT) -> Any:
    items = [item for _, item in document.body]
    position = next((at for at, item in enumerate(items) if item is tables), 0)
    previous = items[position - 1] if position else None
    if isinstance(previous, AoT) and len(previous):
        previous = previous[-1]
    return previous.value if isinstance(previous, Table) else None


def _trailing_comments(container: Any) -> list[tuple[Any, Any]]:
    """The comment lines that end a table's body, back to the blank line or setting before them."""
    count = 0
    for key, item in reversed(container.body):
        if key is not None or not isinstance(item, Comment):
            break
        count += 1
    return container.body[len(container.body) - count:]


def _ident(channel: dict[str, Any]) -> str:
    return f"{channel['type']}:{name_key(str(channel[CHANNEL_KEY[channel['type']]]))}"
