"""Backends: one interface (``base.Backend``), one module per server."""

from __future__ import annotations

from inboxctl.backends.base import Backend
from inboxctl.config.profiles import Profile
from inboxctl.errors import UsageError


def open_backend(profile: Profile, *, rate: float | None = None) -> Backend:
    if profile.backend == "local":
        from inboxctl.backends.local.backend import LocalBackend

        return LocalBackend.open_default()
    raise UsageError(f"profile {profile.name!r} uses backend {profile.backend!r}, which is not available yet")
