"""What every command shares: global options and the lazily opened backend."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import click

from inboxctl.backends import open_backend
from inboxctl.backends.base import Backend
from inboxctl.config.profiles import resolve_profile


@dataclass
class AppContext:
    profile_name: str | None = None
    verbose: int = 0
    debug: bool = False
    color: bool | None = None
    rate: float | None = None
    _backend: Backend | None = field(default=None, repr=False)

    def backend(self) -> Backend:
        if self._backend is None:
            profile = resolve_profile(self.profile_name)
            logging.getLogger("inboxctl").info("using profile %r (backend %s)", profile.name, profile.backend)
            self._backend = open_backend(profile, rate=self.rate)
        return self._backend

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None


pass_app = click.make_pass_decorator(AppContext)
