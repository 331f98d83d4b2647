"""``export``: the live configuration written back as definition files."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from inboxctl.backends.base import Backend
from inboxctl.definitions.formats import slug
from inboxctl.definitions.loader import load_file
from inboxctl.definitions.model import InboxDefinition
from inboxctl.definitions.writer import merge_into, render_new
from inboxctl.errors import InvalidDefinitionError, UsageError


@dataclass(frozen=True)
class ExportedFile:
    inbox: str
    path: Path
    outcome: str  # created | updated | unchanged


def select_inboxes(backend: Backend, names: tuple[str, ...]) -> list[InboxDefinition]:
    live = {inbox.definition.name.lower(): inbox.definition for inbox in backend.read_inboxes()}
    if not names:
        return list(live.values())
    missing = [name for name in names if name.lower() not in live]
    if missing:
        raise UsageError(f"no inbox named {', '.join(map(repr, missing))} on {backend.capabilities.server}",
                         hint="inboxes: " + ", ".join(sorted(d.name for d in live.values())))
    return [live[name.lower()] for name in names]


def file_name(inbox_name: str) -> str:
    return f"{slug(inbox_name) or 'inbox'}.toml"


def _existing_definitions(directory: Path) -> dict[str, tuple[Path, InboxDefinition]]:
    """Definitions already in ``directory``, by inbox name, so that export updates them in place."""
    found = {}
    for path in sorted(directory.glob("*.toml")):
        inbox, problems = load_file(path)
        if inbox is not None and not problems:
            found[inbox.name.lower()] = (path, inbox)
    return found


def _schema_path(directory: Path) -> str | None:
    for candidate in (directory / "schema" / "inbox.schema.json", directory.parent / "schema" / "inbox.schema.json"):
        if candidate.is_file():
            return "./" + os.path.relpath(candidate, directory).replace(os.sep, "/")
    return None


def export_to_directory(inboxes: list[InboxDefinition], directory: Path, *,
                        overlay: Callable[[InboxDefinition, InboxDefinition], InboxDefinition] | None = None,
                        ) -> list[ExportedFile]:
    """``overlay(written, live)``: for a server that exposes only part of a definition (HubSpot), what an
    existing file should say, so that the settings the server cannot read are kept rather than wiped."""
    directory.mkdir(parents=True, exist_ok=True)
    existing = _existing_definitions(directory)
    results = []
    for inbox in inboxes:
        if inbox.name.lower() in existing:
            path, written = existing[inbox.name.lower()]
            before = path.read_text(encoding="utf-8")
            after = merge_into(before, written, overlay(written, inbox) if overlay else inbox)
        else:
            path, before = directory / file_name(inbox.name), None
            if path.exists():
                _refuse_to_overwrite(path)
            after = render_new(inbox, schema_path=_schema_path(directory))
        if after != before:
            path.write_text(after, encoding="utf-8")
        results.append(ExportedFile(inbox.name, path,
                                    "created" if before is None else "unchanged" if after == before else "updated"))
    return results


def _refuse_to_overwrite(path: Path) -> None:
    _, problems = load_file(path)
    if problems:
        raise InvalidDefinitionError(problems)
    raise UsageError(f"{path} defines another inbox; not overwriting it", hint="export to another --dir")
