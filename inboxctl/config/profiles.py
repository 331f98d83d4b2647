"""Server profiles. (Minimal: only the built-in ``local`` profile until profiles land.)"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Profile:
    name: str
    backend: str  # "local" | "chatwoot" | "hubspot"
    url: str | None = None
    account_id: str | None = None
    token: str | None = None  # resolved credential; never printed or saved in plans


def resolve_profile(name: str | None) -> Profile:
    if name in (None, "local"):
        return Profile(name="local", backend="local")
    from inboxctl.errors import UsageError

    raise UsageError(f"unknown profile {name!r}", hint="only the 'local' profile exists")
