"""API tokens: where each profile's token comes from, and where ``auth login`` keeps it.

Resolution order, first found wins (the log says which, at INFO, never the value):

1. the environment variable ``INBOXCTL_TOKEN`` (CI, containers, one-off runs);
2. the system keyring: service ``inboxctl``, user name = the profile's name;
3. ``<config_dir>/credentials.toml``, only ever written when the user asked (``--insecure-file``),
   with mode 0600;
4. else an :class:`~inboxctl.errors.AuthenticationError` (exit 4) saying how to fix it.

Headless Linux and CI machines usually have no keyring backend; ``keyring`` then installs its
``fail.Keyring`` that raises on every call. That is reported as such (pointing to
``INBOXCTL_TOKEN``), never silently replaced by a plain file.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import ParseError

from inboxctl.config.paths import config_dir
from inboxctl.config.profiles import Profile, write_atomically
from inboxctl.errors import AuthenticationError, InboxctlError, UsageError

SERVICE = "inboxctl"
TOKEN_ENV = "INBOXCTL_TOKEN"
CREDENTIALS_FILE_NAME = "credentials.toml"

log = logging.getLogger("inboxctl.credentials")

_FILE_HEADER = ("inboxctl API tokens, kept here because `inboxctl auth login --insecure-file` asked for it.",
                "Not encrypted: keep this file mode 0600. Prefer the system keyring or INBOXCTL_TOKEN.")


@dataclass(frozen=True)
class Credential:
    """A token and where it came from. The token is left out of the repr on purpose."""

    token: str = field(repr=False)
    source: str  # "env" | "keyring" | "file"
    where: str   # for people: "the environment variable INBOXCTL_TOKEN", ...


@dataclass(frozen=True)
class KeyringStatus:
    available: bool
    name: str  # the keyring backend's display name, e.g. "SecretService Keyring"
    problem: str | None = None  # why it cannot be used


@dataclass(frozen=True)
class TokenLookup:
    credential: Credential | None
    keyring_problem: str | None = None  # set when the keyring could not be asked


@dataclass(frozen=True)
class Removal:
    places: tuple[str, ...]  # where a stored token was removed from
    keyring_problem: str | None = None


class KeyringUnavailableError(InboxctlError):
    """No usable system keyring, and the user did not ask for the plain file."""


def credentials_file() -> Path:
    return config_dir() / CREDENTIALS_FILE_NAME


# ---------------------------------------------------------------------------------------------
# Finding a token


def resolve_token(profile: Profile) -> Credential:
    """The token for ``profile``, or an AuthenticationError that says how to provide one."""
    lookup = find_token(profile.name)
    if lookup.credential is None:
        raise missing_token_error(profile, lookup.keyring_problem)
    log.info("API token for profile %r: from %s", profile.name, lookup.credential.where)
    return lookup.credential


def find_token(profile_name: str) -> TokenLookup:
    """Look in the environment, then the keyring, then the file; never raises for a missing token."""
    from_env = os.environ.get(TOKEN_ENV, "").strip()
    if from_env:
        return TokenLookup(_checked(Credential(from_env, "env", f"the environment variable {TOKEN_ENV}")))
    from_keyring, problem = _keyring_get(profile_name)
    if from_keyring:
        return TokenLookup(_checked(Credential(from_keyring, "keyring", keyring_place(profile_name))), problem)
    from_file = _file_tokens().get(profile_name)
    if from_file:
        return TokenLookup(_checked(Credential(from_file, "file", f"the file {credentials_file()}")), problem)
    return TokenLookup(None, problem)


def _checked(credential: Credential) -> Credential:
    """A stored or environment token passes the check ``auth login`` makes, or it is never sent (exit 4)."""
    problem = token_text_problem(credential.token)
    if problem is not None:
        fix = (f"set {TOKEN_ENV} to the token alone (one line), or unset it" if credential.source == "env"
               else "run `inboxctl auth login` again with the token alone")
        raise AuthenticationError(f"the API token in {credential.where} {problem}", hint=fix)
    return credential


def missing_token_error(profile: Profile, keyring_problem: str | None) -> AuthenticationError:
    fix = f"run `inboxctl auth login --profile {profile.name}`, or set {TOKEN_ENV}"
    if keyring_problem:
        fix = (f"{keyring_problem}; set {TOKEN_ENV} (in CI, from its secret store), or run "
               f"`inboxctl auth login --profile {profile.name} --insecure-file` to keep the token in a plain file")
    return AuthenticationError(f"no API token for profile {profile.name!r} ({profile.describe()})", hint=fix)


def keyring_place(profile_name: str) -> str:
    return f'the system keyring ({keyring_status().name}, service "{SERVICE}", user "{profile_name}")'


# ---------------------------------------------------------------------------------------------
# The system keyring


def keyring_status() -> KeyringStatus:
    """Whether a real keyring backend is there. ``fail`` and ``null`` backends do not count:
    one raises on every call, the other silently forgets what it is given."""
    import keyring  # here, not at the top: a token from INBOXCTL_TOKEN needs no keyring, and importing it is slow
    from keyring.backends import chainer, fail, null

    try:
        backend = keyring.get_keyring()
    except Exception as error:  # noqa: BLE001 - a broken keyring configuration is "no keyring"
        return KeyringStatus(False, "unknown", f"the system keyring could not be loaded ({error})")
    name = str(getattr(backend, "name", type(backend).__name__))
    unusable = isinstance(backend, (fail.Keyring, null.Keyring)) or (
        isinstance(backend, chainer.ChainerBackend) and not chainer.ChainerBackend.backends)
    if unusable:
        return KeyringStatus(False, name, f"no system keyring is available on this machine (keyring backend: {name})")
    return KeyringStatus(True, name)


def require_token_storage(*, insecure_file: bool) -> None:
    """Fail before asking for a token that could not be stored anyway."""
    status = keyring_status()
    if not insecure_file and not status.available:
        raise _no_keyring_error(status.problem or "no system keyring is available")


def _keyring_get(profile_name: str) -> tuple[str | None, str | None]:
    status = keyring_status()
    if not status.available:
        return None, status.problem
    import keyring

    try:
        return keyring.get_password(SERVICE, profile_name), None
    # Keyring backends raise their own errors (D-Bus, a locked or dismissed prompt), not only
    # KeyringError: any of them means "not available now", and the file may still have a token.
    except Exception as error:  # noqa: BLE001
        log.info("the system keyring could not be read: %s", error)
        return None, f"the system keyring could not be read ({error})"


def _keyring_set(profile_name: str, token: str) -> None:
    import keyring

    try:
        keyring.set_password(SERVICE, profile_name, token)
        stored = keyring.get_password(SERVICE, profile_name)
    except Exception as error:  # noqa: BLE001 - see _keyring_get
        raise _no_keyring_error(f"the system keyring refused the token ({type(error).__name__}: {error})") from None
    if stored != token:  # some backends accept a write and keep nothing
        raise _no_keyring_error("the system keyring did not keep the token")


def _keyring_delete(profile_name: str) -> tuple[bool, str | None]:
    """(whether a token was removed, why the keyring could not be asked)."""
    stored, problem = _keyring_get(profile_name)
    if stored is None:
        return False, problem
    import keyring.errors

    try:
        keyring.delete_password(SERVICE, profile_name)
    except keyring.errors.PasswordDeleteError:
        return False, None
    except Exception as error:  # noqa: BLE001 - see _keyring_get
        return False, f"the system keyring could not be changed ({error})"
    return True, None


def _no_keyring_error(problem: str) -> KeyringUnavailableError:
    return KeyringUnavailableError(
        f"{problem}, so the token was not stored",
        hint=f"set {TOKEN_ENV} in the environment instead (in CI, from its secret store), or re-run with "
             f"--insecure-file to keep it in {credentials_file()}, unencrypted but readable only by you (mode 0600)")


# ---------------------------------------------------------------------------------------------
# Storing and removing


def store_token(profile_name: str, token: str, *, insecure_file: bool = False) -> Credential:
    """Keep ``token`` for ``profile_name``: in the keyring, or in the private file if asked.

    Each profile's token lives in exactly one place: storing it in one removes it from the other,
    so a stale keyring token can never shadow a new file token (the keyring is read first).
    """
    token = check_token_text(token)
    if insecure_file:
        _write_file_token(profile_name, token)
        _keyring_delete(profile_name)
        return Credential(token, "file", f"the file {credentials_file()}")
    require_token_storage(insecure_file=False)
    _keyring_set(profile_name, token)
    _write_file_token(profile_name, None)
    return Credential(token, "keyring", keyring_place(profile_name))


def delete_token(profile_name: str) -> Removal:
    """Remove the stored token of ``profile_name`` from the keyring and the file."""
    places: list[str] = []
    removed, problem = _keyring_delete(profile_name)
    if removed:
        places.append(keyring_place(profile_name))
    if _write_file_token(profile_name, None):
        places.append(f"the file {credentials_file()}")
    return Removal(tuple(places), problem)


def check_token_text(token: str) -> str:
    token = token.strip()
    if not token:
        raise UsageError("the token is empty", hint="paste the API token itself, or pipe it to --with-token")
    problem = token_text_problem(token)
    if problem is not None:
        raise UsageError(f"the token {problem}",
                         hint="give the token alone, without a 'Bearer ' prefix or a second line")
    return token


def token_text_problem(token: str) -> str | None:
    """Why ``token`` cannot be sent in an HTTP header, in words that never quote it; None if it can.

    API tokens are printable ASCII without spaces; anything else is a paste gone wrong (a second
    line, a prefix, a smart quote) and would otherwise end in an error quoting the token."""
    if any(character.isspace() or not character.isprintable() for character in token):
        return "contains spaces or control characters"
    if not token.isascii():
        return "contains characters other than ASCII letters, digits and punctuation"
    return None


# ---------------------------------------------------------------------------------------------
# The plain file, only when asked for


def _file_tokens() -> dict[str, str]:
    document = _read_file()
    profiles = document.get("profiles", {}) if document is not None else {}
    tokens = {}
    for name, table in profiles.items():
        token = table.get("token") if isinstance(table, dict) else None
        if isinstance(token, str) and token.strip():
            tokens[name] = token.strip()
    return tokens


def _read_file() -> Any:
    path = credentials_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from None
    _warn_if_readable_by_others(path)
    try:
        return tomlkit.parse(text)
    except ParseError as error:
        # The parser's message may quote part of a token: give the position only.
        raise UsageError(f"{path}: invalid TOML at line {error.line}, column {error.col}",
                         hint="fix the file by hand, or delete it and run `inboxctl auth login` again") from None


def _warn_if_readable_by_others(path: Path) -> None:
    if os.name != "posix":
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("%s holds API tokens but other users can read it (mode %03o): run chmod 600 %s",
                    path, mode, path)


def _write_file_token(profile_name: str, token: str | None) -> bool:
    """Set (or with None, remove) one profile's token in the file. Returns whether it changed."""
    document = _read_file()
    if document is None:
        if token is None:
            return False
        document = tomlkit.document()
        for line in _FILE_HEADER:
            document.add(tomlkit.comment(line))
        document.add(tomlkit.nl())
    profiles = document.setdefault("profiles", tomlkit.table(is_super_table=True))
    if token is None:
        if profile_name not in profiles:
            return False
        del profiles[profile_name]
    else:
        table = tomlkit.table()
        table["token"] = token
        profiles[profile_name] = table
    path = credentials_file()
    if not profiles and token is None:
        path.unlink()  # nothing secret left: no file at all
    else:
        # write_atomically creates the file with os.open(..., 0o600) (tempfile.mkstemp): never wider.
        write_atomically(path, document.as_string(), mode=0o600)
    return True
