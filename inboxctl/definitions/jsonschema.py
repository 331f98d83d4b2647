"""The JSON Schema of definition files, generated from the spec (editors use it through Taplo's
``#:schema`` comment). ``configs/schema/inbox.schema.json`` is this output; a test keeps it in sync."""

from __future__ import annotations

import json
from typing import Any

from inboxctl.definitions.spec import (
    BOOLEAN, CHANNEL_COMMON, CHANNEL_FIELDS, CHANNEL_KEY, COLOR, DAYS, DOCUMENT, DOCUMENT_REQUIRED, EMAIL, ENUM,
    INTEGER, LIST, PHONE, TABLE, TIME, UNION, URL, Field)

SCHEMA_ID = "https://inboxctl.dev/schema/inbox.schema.json"

_SCALARS: dict[str, dict[str, Any]] = {
    BOOLEAN: {"type": "boolean"},
    INTEGER: {"type": "integer", "minimum": 1},
    EMAIL: {"type": "string", "format": "email"},
    COLOR: {"type": "string", "pattern": "^#([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$"},
    PHONE: {"type": "string", "pattern": r"^\+[0-9 ().-]+$"},
    TIME: {"type": "string", "pattern": "^[0-9]{1,2}:[0-9]{2}$"},
    URL: {"type": "string", "format": "uri"},
}
_DAY = {"type": "string", "pattern": "^[A-Za-z]+(-[A-Za-z]+)?(,[A-Za-z]+(-[A-Za-z]+)?)*$"}


def field_schema(spec: Field) -> dict[str, Any]:
    schema: dict[str, Any] = {"description": spec.doc} if spec.doc else {}
    if spec.kind == TABLE:
        schema.update(object_schema(spec.fields))
    elif spec.kind == LIST:
        schema.update({"type": "array", "items": field_schema(spec.item) if spec.item else {}})
    elif spec.kind == UNION:
        schema["anyOf"] = [field_schema(variant) for variant in spec.variants]
    elif spec.kind == ENUM:
        schema.update({"type": "string", "enum": list(spec.choices)})
    elif spec.kind == DAYS:
        schema["anyOf"] = [_DAY, {"type": "array", "items": _DAY}]
    else:
        schema.update(_SCALARS.get(spec.kind, {"type": "string"}))
    if spec.default is not None:
        schema["default"] = spec.default
    return schema


def object_schema(fields: dict[str, Field] | Any, required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": {k: field_schema(v) for k, v in fields.items()},
                              "additionalProperties": False}
    needed = list(required) or [key for key, spec in fields.items() if spec.required]
    if needed:
        schema["required"] = needed
    return schema


def channel_schema() -> dict[str, Any]:
    variants = []
    for kind, fields in CHANNEL_FIELDS.items():
        variants.append({
            "if": {"properties": {"type": {"const": kind}}, "required": ["type"]},
            "then": object_schema(CHANNEL_COMMON | fields, required=("type", CHANNEL_KEY[kind])),
        })
    return {"description": DOCUMENT["channels"].doc, "type": "object", "required": ["type"],
            "properties": {"type": field_schema(CHANNEL_COMMON["type"])}, "allOf": variants}


def document_schema() -> dict[str, Any]:
    properties = {key: field_schema(spec) for key, spec in DOCUMENT.items() if key != "channels"}
    properties["channels"] = {"description": DOCUMENT["channels"].doc, "type": "array", "items": channel_schema()}
    return {"$schema": "http://json-schema.org/draft-07/schema#", "$id": SCHEMA_ID,
            "title": "inboxctl inbox definition", "type": "object", "properties": properties,
            "required": list(DOCUMENT_REQUIRED), "additionalProperties": False}


def render_schema() -> str:
    return json.dumps(document_schema(), indent=2, ensure_ascii=False) + "\n"
