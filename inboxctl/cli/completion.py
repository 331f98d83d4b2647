"""Shell completion of names: inboxes, user e-mails, channels and profiles.

Completion runs on every Tab, so it must be fast and silent. It never contacts a server: names
come from the definition files on the command line, from the local backend's SQLite file (read
only, never created), or from a short-lived cache of what a server last showed. ``plan`` and
``apply`` write that cache for server profiles (``names-PROFILE.json`` in ``$INBOXCTL_HOME/cache``
when INBOXCTL_HOME is set, else in ``$XDG_CACHE_HOME/inboxctl``, else ``~/.cache/inboxctl``), as
``export`` does for inbox names. A completer that fails offers nothing: errors are never printed
into the shell.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from inboxctl.config.paths import data_dir
from inboxctl.config.profiles import Profile, profile_names, resolve_profile

log = logging.getLogger(__name__)

CACHE_TTL_SECONDS = 24 * 3600  # older names are not offered: inboxes and users come and go
MAX_DEFINITION_FILES = 500  # a completion that reads more would be felt at the keyboard

Completer = Callable[[click.Context, click.Parameter, str], list[str]]


def cache_dir() -> Path:
    if os.environ.get("INBOXCTL_HOME"):
        return data_dir() / "cache"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "inboxctl"


def names_cache_path(profile_name: str) -> Path:
    return cache_dir() / f"names-{profile_name}.json"


# -- writing the cache (called by commands that have just read names from a server) -------------

def remember_names(profile: Profile, *, inboxes: Iterable[str] | None = None, users: Iterable[str] | None = None,
                   channels: Iterable[str] | None = None) -> None:
    """Keep the names a server showed, for completion. Only for server profiles (the local backend is
    read directly); what is not given keeps its earlier value. Never fails the command that calls it."""
    if not profile.needs_token:
        return
    path = names_cache_path(profile.name)
    try:
        document = _read_cache(path, profile) or {}
        given = {"inboxes": inboxes, "users": users, "channels": channels}
        for key, names in given.items():
            if names is not None:
                document[key] = sorted(set(names), key=str.lower)
        document.update(_identity(profile), written_at=time.time())
        _write_private(path, json.dumps(document, ensure_ascii=False, indent=1))
    except OSError as error:  # a read-only home, a full disk: completion is a convenience
        log.debug("could not write the names cache %s: %s", path, error)


def _identity(profile: Profile) -> dict[str, Any]:
    # INBOXCTL_URL can point a profile at another server: its names are not this one's.
    return {"backend": profile.backend, "url": profile.url, "account_id": profile.account_id}


def _write_private(path: Path, text: str) -> None:
    """E-mail addresses are personal data: the cache is readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    os.replace(temporary, path)


def _read_cache(path: Path, profile: Profile) -> dict[str, Any] | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or any(document.get(k) != v for k, v in _identity(profile).items()):
        return None
    return document


# -- reading names, without any network call --------------------------------------------------

def _profile_of(ctx: click.Context) -> Profile:
    """The profile the command being completed would use (global --profile, INBOXCTL_PROFILE, active)."""
    return resolve_profile(ctx.find_root().params.get("profile_name"))


def _local_names(query: str) -> list[str]:
    """Names from the local backend's SQLite file, opened read-only; nothing if it does not exist yet
    (completion does not create the demo workspace)."""
    from inboxctl.backends.local.backend import default_database_path

    path = default_database_path()
    if not path.is_file():
        return []
    import sqlite3  # only when completing from the local file: plan and apply import this module too

    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=0.2)
    try:
        return [str(row[0]) for row in connection.execute(query)]
    finally:
        connection.close()


_LOCAL_QUERIES = {
    "inboxes": "SELECT name FROM inboxes ORDER BY name",
    "users": "SELECT email FROM users WHERE active = 1 ORDER BY email",
    "all_users": "SELECT email FROM users ORDER BY email",
    "channels": "SELECT key FROM channels ORDER BY key",
}


def server_names(ctx: click.Context, kind: str) -> list[str]:
    """``kind`` (inboxes, users, all_users, channels) of the server the command would use; nothing when
    they cannot be read (an unreadable config file or database, an unknown profile)."""
    try:
        return _server_names(ctx, kind)
    except Exception:  # noqa: BLE001 - completion offers what it can, see ``silent``
        return []


def _server_names(ctx: click.Context, kind: str) -> list[str]:
    profile = _profile_of(ctx)
    if not profile.needs_token:
        return _local_names(_LOCAL_QUERIES[kind])
    document = _read_cache(names_cache_path(profile.name), profile)
    if document is None or time.time() - float(document.get("written_at", 0)) > CACHE_TTL_SECONDS:
        return []
    names = document.get("users" if kind == "all_users" else kind, [])
    return [str(name) for name in names] if isinstance(names, list) else []


def defined_inbox_names(paths: Iterable[str]) -> list[str]:
    """The ``[inbox] name`` of each definition among ``paths`` (files or directories), unchecked."""
    import tomlkit

    files: list[Path] = []
    for given in paths:
        path = Path(given)
        files.extend(sorted(path.glob("*.toml")) if path.is_dir() else [path] if path.is_file() else [])
    names = []
    for file in files[:MAX_DEFINITION_FILES]:
        try:
            inbox = tomlkit.parse(file.read_text(encoding="utf-8")).unwrap().get("inbox")
        except Exception:  # noqa: BLE001 - a broken file simply offers no name
            continue
        if isinstance(inbox, dict) and isinstance(inbox.get("name"), str):
            names.append(inbox["name"])
    return names


# -- the completers -----------------------------------------------------------------------------

def silent(completer: Completer) -> Completer:
    """Whatever goes wrong, offer nothing and print nothing: a traceback or a log line on stderr
    would land in the middle of the user's command line."""
    @functools.wraps(completer)
    def wrapper(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
        try:
            with contextlib.redirect_stderr(io.StringIO()):
                return matching(completer(ctx, param, incomplete), incomplete)
        except Exception:  # noqa: BLE001 - see above
            return []

    return wrapper


def matching(names: Iterable[str], incomplete: str) -> list[str]:
    """Names starting with what was typed (case-insensitive, as inboxctl matches names), each once."""
    typed = incomplete.casefold()
    return list(dict.fromkeys(name for name in names if name.casefold().startswith(typed)))


@silent
def complete_profiles(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    return profile_names()


@silent
def complete_inboxes(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Inboxes of the server: for a filter or an export."""
    return server_names(ctx, "inboxes")


def paths_on_command_line(ctx: click.Context) -> list[str]:
    """The PATHS of plan or apply. Click leaves them unparsed while an option waits for its value (the
    very moment ``--inbox <Tab>`` completes), so the shell's words are read then: the existing
    directories and .toml files among them."""
    parsed = ctx.params.get("paths")
    if parsed:
        return list(parsed)
    words = os.environ.get("COMP_WORDS", "").split()
    return [word for word in words[1:] if not word.startswith("-")
            and ((word.endswith(".toml") and Path(word).is_file()) or Path(word).is_dir())]


@silent
def complete_defined_inboxes(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Inboxes of the definitions on the command line (plan and apply target those), else the server's."""
    defined = defined_inbox_names(paths_on_command_line(ctx))
    return defined or server_names(ctx, "inboxes")


@silent
def complete_users(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Active users' e-mails; every user's once --include-deactivated is on the command line."""
    return server_names(ctx, "all_users" if ctx.params.get("include_deactivated") else "users")


@silent
def complete_channels(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Channel types, then channels by name or address."""
    from inboxctl.conversations.model import CHANNEL_TYPES  # not for plan and apply, which import this module

    return [*CHANNEL_TYPES, *server_names(ctx, "channels")]
