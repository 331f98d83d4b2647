"""Server profiles: which server a command talks to, kept in ``<config_dir>/config.toml``.

```toml
active = "cw"                   # the profile used when neither --profile nor INBOXCTL_PROFILE says

[profiles.cw]
backend = "chatwoot"            # local | chatwoot | hubspot
url = "https://chat.example.com"
account_id = 1                  # Chatwoot only
rate = 5                        # optional: requests per second
```

``local`` is built in: it always exists, needs no token and cannot be removed or redefined.
A profile is chosen by ``--profile``/``INBOXCTL_PROFILE``, else ``active``, else ``local``.
``INBOXCTL_URL`` overrides the chosen profile's URL (for CI). Tokens never live in this file:
see :mod:`inboxctl.config.credentials`.

The file is edited with tomlkit so the user's comments and key order survive every change,
and replaced atomically so an interrupted write never leaves half a file.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import ParseError
from tomlkit.items import Table
from tomlkit.toml_document import TOMLDocument

from inboxctl.config.paths import config_dir
from inboxctl.definitions.formats import did_you_mean
from inboxctl.errors import UsageError

LOCAL = "local"
BACKENDS: tuple[str, ...] = ("local", "chatwoot", "hubspot")
DEFAULT_URLS: dict[str, str] = {"hubspot": "https://api.hubapi.com"}
URL_ENV = "INBOXCTL_URL"
CONFIG_FILE_NAME = "config.toml"
PROFILE_KEYS: tuple[str, ...] = ("backend", "url", "account_id", "rate")

# Profile names become TOML keys and keyring user names: keep them plain.
log = logging.getLogger("inboxctl.config")

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_NEW_FILE_HEADER = ("inboxctl server profiles: edit by hand or with `inboxctl profile`.",
                    "API tokens are not kept here: see `inboxctl auth login`.")


@dataclass(frozen=True, kw_only=True)
class Profile:
    name: str
    backend: str  # "local" | "chatwoot" | "hubspot"
    url: str | None = None
    account_id: str | None = None
    # The resolved credential, set only when a backend is opened; never printed or saved in plans.
    token: str | None = field(default=None, repr=False)
    rate: float | None = None  # requests per second; None: the backend's own default
    url_from_env: bool = False  # True when INBOXCTL_URL replaced the configured URL

    @property
    def needs_token(self) -> bool:
        return self.backend != LOCAL

    def describe(self) -> str:
        """``chatwoot at https://chat.example.com (account 1)``, for messages."""
        if self.backend == LOCAL:
            return "the local backend"
        account = f" (account {self.account_id})" if self.account_id else ""
        return f"{self.backend} at {self.url}{account}"


LOCAL_PROFILE = Profile(name=LOCAL, backend=LOCAL)


@dataclass(frozen=True)
class Selection:
    """Which profile a command uses, and why (for ``profile list/show``)."""

    name: str
    reason: str  # "--profile or INBOXCTL_PROFILE" | "active in config.toml" | "default"


# ---------------------------------------------------------------------------------------------
# Choosing and reading profiles


def config_file() -> Path:
    return config_dir() / CONFIG_FILE_NAME


def resolve_profile(name: str | None) -> Profile:
    """The profile a command uses: ``name`` (from --profile/INBOXCTL_PROFILE), else the active
    one, else ``local``; with ``INBOXCTL_URL`` applied. The token is resolved later, and only
    for HTTP backends (see ``inboxctl.backends.open_backend``)."""
    selection = select_profile(name)
    return _with_environment(get_profile(selection.name, selected_by=selection.reason))


def select_profile(name: str | None) -> Selection:
    if name:
        return Selection(name, "--profile or INBOXCTL_PROFILE")
    active = _active_name(_ConfigFile.load())
    if active:
        return Selection(active, f"active in {config_file()}")
    return Selection(LOCAL, "default")


def get_profile(name: str, *, selected_by: str | None = None) -> Profile:
    """The profile called ``name`` as configured (no environment overrides)."""
    if name == LOCAL:
        return LOCAL_PROFILE
    config = _ConfigFile.load()
    table = config.profiles().get(name)
    if table is None:
        raise _unknown_profile(name, config, selected_by=selected_by)
    return _profile_from_table(name, table, config.path)


def ensure_profile_exists(name: str) -> None:
    """Raise the usual "unknown profile" error (with "did you mean") unless ``name`` exists."""
    config = _ConfigFile.load()
    if name != LOCAL and name not in config.profiles():
        raise _unknown_profile(name, config, selected_by=None)


def profile_names() -> list[str]:
    """Every profile's name, without checking the settings (for shell completion)."""
    return [LOCAL, *_ConfigFile.load().profiles()]


def list_profiles() -> list[Profile]:
    """Every profile: the built-in ``local`` first, then the file's in their order."""
    config = _ConfigFile.load()
    return [LOCAL_PROFILE, *(_profile_from_table(name, table, config.path)
                             for name, table in config.profiles().items())]


def _with_environment(profile: Profile) -> Profile:
    url = os.environ.get(URL_ENV, "").strip()
    if not profile.needs_token:
        _check_environment_for_local(profile, url=url)
        return profile
    if not url:
        return profile
    checked = check_server_url(url, backend=profile.backend, where=URL_ENV)
    return Profile(name=profile.name, backend=profile.backend, url=checked, account_id=profile.account_id,
                   rate=profile.rate, url_from_env=True)


def _check_environment_for_local(profile: Profile, *, url: str) -> None:
    # CI that sets the server's URL but forgets to select its profile would otherwise "succeed"
    # against the local SQLite file: a URL cannot mean anything for the local backend, so stop.
    if url:
        raise UsageError(f"{URL_ENV} is set, but the profile in use, {profile.name!r}, is the local backend, "
                         "which has no URL",
                         hint="select the server's profile with --profile NAME or INBOXCTL_PROFILE=NAME "
                              f"(see `inboxctl profile list`), or unset {URL_ENV}")
    if os.environ.get("INBOXCTL_TOKEN", "").strip():
        log.warning("INBOXCTL_TOKEN is set but profile %r is the local backend, which needs no token: "
                    "is --profile or INBOXCTL_PROFILE missing?", profile.name)


def _unknown_profile(name: str, config: _ConfigFile, *, selected_by: str | None) -> UsageError:
    known = [LOCAL, *config.profiles()]
    close = did_you_mean(name, known, cutoff=0.5)  # 0.5: "cx" finds "cw"
    source = f" (selected by {selected_by})" if selected_by and selected_by != "default" else ""
    hint = (f'did you mean "{close}"? ' if close else "") + f"known profiles: {', '.join(known)}"
    return UsageError(f"unknown profile {name!r}{source}", hint=hint)


# ---------------------------------------------------------------------------------------------
# Validating what a profile says


def check_profile_name(name: str) -> str:
    if not _NAME.match(name):
        raise UsageError(f"invalid profile name {name!r}",
                         hint="use letters, digits, '-' and '_' (at most 64), starting with a letter or digit")
    return name


def check_server_url(url: str, *, backend: str, where: str = "--url") -> str:
    """``url`` without a trailing slash, if inboxctl may send a token there; else a UsageError.

    Every non-local backend sends a token, so plain http is refused unless the server is on this
    machine: anyone on the way could read the token. Checked when a profile is added (so the user
    learns it then, not at the first apply) and again when INBOXCTL_URL overrides it.
    """
    from inboxctl.http.client import is_loopback  # imported here: requests is slow to import

    parts = _split_url(url, where)
    if parts.scheme == "http" and backend != LOCAL and not is_loopback(parts.hostname or ""):
        raise UsageError(
            f"{where}: refusing plain http to {parts.hostname}: the API token would travel unencrypted",
            hint=f"use https://{parts.netloc}{parts.path}; plain http is only allowed for a server on this "
                 "machine (localhost, 127.0.0.1, ::1)")
    return url.strip().rstrip("/")


def _split_url(url: str, where: str) -> Any:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
    except ValueError as error:
        raise UsageError(f"{where}: invalid URL {shown_url(url)!r}: {shown_url(str(error))}") from None
    if "@" in url.split("?")[0].split("#")[0]:  # first: every later message quotes the URL
        raise UsageError(f"{where}: do not put credentials in the server URL ({shown_url(url)!r})",
                         hint="store the token with `inboxctl auth login`, or set INBOXCTL_TOKEN")
    try:
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as error:
        raise UsageError(f"{where}: invalid URL {shown_url(url)!r}: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{where}: invalid server URL {shown_url(url)!r}", hint="expected https://host[:port][/path]")
    if parts.query or parts.fragment:
        raise UsageError(f"{where}: the server URL must not have a query string or fragment")
    return parts


def shown_url(url: str) -> str:
    """``url`` as it may appear in a message or a listing: any user:password@ part masked."""
    from inboxctl.http.redaction import redact_pairs, without_userinfo  # here: the http package imports requests

    return redact_pairs(without_userinfo(url))


def build_profile(name: str, *, backend: str, url: str | None = None, account_id: Any = None,
                  rate: Any = None, where: str = "") -> Profile:
    """A validated profile from its settings. ``where`` prefixes messages (file and table)."""
    prefix = f"{where}: " if where else ""
    if backend not in BACKENDS:
        close = did_you_mean(str(backend), BACKENDS)
        raise UsageError(f"{prefix}unknown backend {backend!r}",
                         hint=(f'did you mean "{close}"? ' if close else "") + f"use one of {', '.join(BACKENDS)}")
    return Profile(name=name, backend=backend, url=_checked_url(backend, url, prefix),
                   account_id=_checked_account_id(backend, account_id, prefix), rate=_checked_rate(rate, prefix))


def _checked_url(backend: str, url: str | None, prefix: str) -> str | None:
    if backend == LOCAL:
        if url:
            raise UsageError(f"{prefix}the local backend takes no URL")
        return None
    if not url:
        if backend in DEFAULT_URLS:
            return DEFAULT_URLS[backend]
        raise UsageError(f"{prefix}a {backend} profile needs the server's URL (--url)",
                         hint="e.g. --url https://app.chatwoot.com for Chatwoot Cloud, or your own server's address")
    return check_server_url(url, backend=backend, where=f"{prefix}url" if prefix else "--url")


def _checked_account_id(backend: str, account_id: Any, prefix: str) -> str | None:
    if backend != "chatwoot":
        if account_id not in (None, ""):
            raise UsageError(f"{prefix}only chatwoot profiles take an account id, not {backend}")
        return None
    if account_id in (None, ""):
        raise UsageError(f"{prefix}a chatwoot profile needs the account id (--account-id)",
                         hint="it is the number after /app/accounts/ in the Chatwoot address bar")
    text = str(account_id).strip()
    if isinstance(account_id, bool) or not text.isdigit() or int(text) < 1:
        raise UsageError(f"{prefix}the account id must be a positive whole number, not {account_id!r}")
    return str(int(text))


def _checked_rate(rate: Any, prefix: str) -> float | None:
    if rate is None:
        return None
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0:
        raise UsageError(f"{prefix}rate must be a positive number of requests per second, not {rate!r}")
    return float(rate)


def _profile_from_table(name: str, table: Any, path: Path) -> Profile:
    where = f"{path} [profiles.{name}]"
    if name == LOCAL:
        raise UsageError(f"{where}: 'local' is the built-in profile and cannot be redefined",
                         hint="rename this table, e.g. [profiles.my-server]")
    if not isinstance(table, dict):
        raise UsageError(f"{where}: expected a table of settings")
    check_profile_name(name)
    for key in table:
        if key not in PROFILE_KEYS:
            raise _unknown_key(key, where)
    if "backend" not in table:
        raise UsageError(f"{where}: backend is missing",
                         hint=f"add backend = \"chatwoot\" (one of {', '.join(BACKENDS)})")
    return build_profile(name, backend=str(table["backend"]), url=_optional_str(table.get("url"), where, "url"),
                         account_id=table.get("account_id"), rate=table.get("rate"), where=where)


def _unknown_key(key: str, where: str) -> UsageError:
    if "token" in key.lower() or "secret" in key.lower() or "password" in key.lower():
        # Never quote the value: it is probably a real token.
        return UsageError(f"{where}: credentials do not belong in the config file (key {key!r})",
                          hint="remove that line, then store the token with `inboxctl auth login` "
                               "or set INBOXCTL_TOKEN")
    close = did_you_mean(key, PROFILE_KEYS)
    return UsageError(f"{where}: unknown key {key!r}",
                      hint=(f'did you mean "{close}"? ' if close else "") + f"keys: {', '.join(PROFILE_KEYS)}")


def _optional_str(value: Any, where: str, key: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise UsageError(f"{where}: {key} must be a string")
    return value


# ---------------------------------------------------------------------------------------------
# Changing profiles


@dataclass(frozen=True)
class ProfileChange:
    profile: Profile
    outcome: str  # "created" | "replaced" | "unchanged" | "removed" | "activated"
    path: Path
    was_active: bool = False


def add_profile(name: str, *, backend: str, url: str | None = None, account_id: Any = None,
                rate: float | None = None, replace: bool = False) -> ProfileChange:
    """Add (or with ``replace``, redefine) a profile. Adding the same settings again is a no-op."""
    check_profile_name(name)
    if name == LOCAL:
        raise UsageError("'local' is the built-in profile and cannot be redefined", hint="choose another name")
    profile = build_profile(name, backend=backend, url=url, account_id=account_id, rate=rate)
    config = _ConfigFile.load()
    existing = config.profiles().get(name)
    if existing is not None:
        if _same_settings(name, existing, config.path, profile):
            return ProfileChange(profile, "unchanged", config.path)
        if not replace:
            raise UsageError(f"profile {name!r} already exists with other settings",
                             hint=f"re-run with --replace to change it, or edit {config.path}")
    config.set_profile(name, _table_for(profile, backend_url_given=url is not None, table=existing))
    config.save()
    return ProfileChange(profile, "replaced" if existing is not None else "created", config.path)


def _same_settings(name: str, table: Any, path: Path, profile: Profile) -> bool:
    try:
        return _profile_from_table(name, table, path) == profile
    except UsageError:  # a broken table is never "the same"; --replace repairs it
        return False


def use_profile(name: str) -> ProfileChange:
    """Make ``name`` the active profile."""
    profile = get_profile(name)
    config = _ConfigFile.load()
    config.document["active"] = name
    config.save()
    return ProfileChange(profile, "activated", config.path)


def remove_profile(name: str) -> ProfileChange:
    """Remove a profile from the file; if it was active, ``local`` becomes the default again.

    Works on a table with invalid settings too, so a broken profile can always be removed.
    """
    if name == LOCAL:
        raise UsageError("the built-in 'local' profile cannot be removed")
    config = _ConfigFile.load()
    table = config.profiles().get(name)
    if table is None:
        raise _unknown_profile(name, config, selected_by=None)
    url = table.get("url")
    profile = Profile(name=name, backend=str(table.get("backend", "?")), url=shown_url(str(url)) if url else None)
    was_active = _active_name(config) == name
    del config.profiles()[name]
    if was_active:
        del config.document["active"]
    config.save()
    return ProfileChange(profile, "removed", config.path, was_active=was_active)


def _table_for(profile: Profile, *, backend_url_given: bool, table: Table | None) -> Table:
    """The TOML table for ``profile``, reusing ``table`` so its comments survive a --replace."""
    table = table if table is not None else tomlkit.table()
    for key in PROFILE_KEYS:
        if key in table:
            del table[key]
    table["backend"] = profile.backend
    if profile.url and (backend_url_given or profile.url != DEFAULT_URLS.get(profile.backend)):
        table["url"] = profile.url
    if profile.account_id:
        table["account_id"] = int(profile.account_id)
    if profile.rate is not None:
        table["rate"] = int(profile.rate) if profile.rate.is_integer() else profile.rate
    return table


# ---------------------------------------------------------------------------------------------
# The file


def _active_name(config: _ConfigFile) -> str | None:
    active = config.document.get("active")
    if active is None or active == "":
        return None
    if not isinstance(active, str):
        raise UsageError(f"{config.path}: active must be a profile name in quotes")
    return str(active)


@dataclass
class _ConfigFile:
    path: Path
    document: TOMLDocument

    @classmethod
    def load(cls) -> _ConfigFile:
        path = config_file()
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path, _new_document())
        except OSError as error:
            raise UsageError(f"cannot read {path}: {error.strerror}") from None
        try:
            return cls(path, tomlkit.parse(text))
        except ParseError as error:
            raise UsageError(f"{path}: invalid TOML: {error}", hint="fix the file by hand") from None

    def profiles(self) -> Any:
        """The ``[profiles]`` table (a live tomlkit container; empty if the file has none)."""
        profiles = self.document.get("profiles")
        if profiles is None:
            return {}
        if not isinstance(profiles, dict):
            raise UsageError(f"{self.path}: profiles must be a table: [profiles.NAME]")
        return profiles

    def set_profile(self, name: str, table: Table) -> None:
        if "profiles" not in self.document:
            self.document["profiles"] = tomlkit.table(is_super_table=True)
        self.document["profiles"][name] = table  # type: ignore[index]

    def save(self) -> None:
        try:  # keep the mode the user gave the file
            mode = self.path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o644
        write_atomically(self.path, self.document.as_string(), mode=mode)


def _new_document() -> TOMLDocument:
    document = tomlkit.document()
    for line in _NEW_FILE_HEADER:
        document.add(tomlkit.comment(line))
    document.add(tomlkit.nl())
    return document


def write_atomically(path: Path, text: str, *, mode: int) -> None:
    """Replace ``path`` with ``text`` in one step; the file is created with ``mode`` from the start.

    The temporary file gets its permissions when it is created (not by a chmod afterwards), so a
    secret written with mode 0o600 is never readable by others, not even for a moment.
    """
    import tempfile  # only when writing: importing it takes a while

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mkstemp: 0o600
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
