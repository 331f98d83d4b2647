"""``export``: the live configuration written back as definition files."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from inboxctl.names import name_key
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
    live = {name_key(inbox.definition.name): inbox.definition for inbox in backend.read_inboxes()}
    if not names:
        return list(live.values())
    missing = [name for name in names if name_key(name) not in live]
    if missing:
        raise UsageError(f"no inbox named {', '.join(map(repr, missing))} on {backend.capabilities.server}",
                         hint="inboxes: " + ", ".join(sorted(d.name for d in live.values())))
    return [live[name_key(name)] for name in names]


def file_name(inbox_name: str) -> str:
    return f"{slug(inbox_name) or 'inbox'}.toml"


def _existing_definitions(directory: Path) -> dict[str, tuple[Path, InboxDefinition]]:
    """Definitions already in ``directory``, by inbox name, so that export updates them in place."""
    found = {}
    for path in sorted(directory.glob("*.toml")):
        inbox, problems = load_file(path)
        if inbox is not None and not problems:
            found[name_key(inbox.name)] = (path, inbox)
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
    existing file should say, so that the settings the server cannot read are kept rather than wiped.

    Every target is chosen and checked before the first write: a link that leads out of ``directory``
    is refused (export writes only inside it), and inboxes whose names map to the same file name
    ("Team A/B", "Team A B") get distinct ones (``team-a-b.toml``, ``team-a-b-2.toml``).
    """
    directory.mkdir(parents=True, exist_ok=True)
    existing = _existing_definitions(directory)
    taken: set[str] = {path.name.casefold() for path, _ in existing.values()}
    targets = []
    for inbox in inboxes:
        if name_key(inbox.name) in existing:
            path, written = existing[name_key(inbox.name)]
            before: str | None = path.read_text(encoding="utf-8")
            after = merge_into(before, written, overlay(written, inbox) if overlay else inbox)
        else:
            path, before = _free_path(directory, inbox.name, taken), None
            after = render_new(inbox, schema_path=_schema_path(directory))
        taken.add(path.name.casefold())
        targets.append((inbox, _inside(path, directory), before, after))
    results = []
    for inbox, path, before, after in targets:
        if after != before:
            _write_atomically(path, after)
        results.append(ExportedFile(inbox.name, path,
                                    "created" if before is None else "unchanged" if after == before else "updated"))
    return results


def _free_path(directory: Path, inbox_name: str, taken: set[str]) -> Path:
    """The inbox's file name, or the first ``-2``, ``-3``... variant that nothing holds yet."""
    stem = file_name(inbox_name)[: -len(".toml")]
    for number in range(1, 1000):
        path = directory / (f"{stem}.toml" if number == 1 else f"{stem}-{number}.toml")
        if path.name.casefold() in taken:
            continue
        if not os.path.lexists(path):
            return path
        if path.is_symlink():
            _inside(path, directory)  # refused if it leads out; a link inside to something else: next name
        else:
            _refuse_broken(path)  # a file of another inbox: try the next name
    raise UsageError(f"no free file name for inbox {inbox_name!r} in {directory}")


def _inside(path: Path, directory: Path) -> Path:
    """Where writing ``path`` lands; refused if a link takes it out of ``directory``."""
    target = path.resolve()
    if directory.resolve() not in target.parents:
        raise UsageError(f"{path} is a link to {target}, outside {directory}; export writes only inside "
                         "--dir and nothing was written", hint=f"remove the link {path}, or export to another --dir")
    return target if path.is_symlink() else path


def _write_atomically(path: Path, text: str) -> None:
    # A new file renamed over the old one: an interrupted export never leaves half a definition.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def _refuse_broken(path: Path) -> None:
    """A file in the way that is not a valid definition is not silently kept beside a new one."""
    _, problems = load_file(path)
    if problems:
        raise InvalidDefinitionError(problems)
