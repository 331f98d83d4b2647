"""What every command shares: global options and the lazily opened backend.

Imported by every run, so the profile and backend modules are imported only when a command asks
for a profile or a backend (``validate`` never does).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from inboxctl.backends.base import Backend
    from inboxctl.config.profiles import Profile


@dataclass
class AppContext:
    profile_name: str | None = None
    verbose: int = 0
    debug: bool = False
    color: bool | None = None
    rate: float | None = None
    # A token to use instead of the stored one: `auth login` checks a new token with it, `auth
    # status` passes the one it has already looked up. Otherwise open_backend resolves it.
    token: str | None = field(default=None, repr=False)
    _backend: Backend | None = field(default=None, repr=False)

    def profile(self) -> Profile:
        """The profile this command uses: --profile/INBOXCTL_PROFILE, else the active one, else local."""
        from inboxctl.config.profiles import resolve_profile

        return resolve_profile(self.profile_name)

    def backend(self) -> Backend:
        if self._backend is None:
            import logging

            from inboxctl.backends import open_backend

            profile = self.profile()
            if self.token is not None:
                profile = replace(profile, token=self.token)
            logging.getLogger("inboxctl").info("using profile %r: %s", profile.name, profile.describe())
            self._backend = open_backend(profile, rate=self.rate)
        return self._backend

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None


pass_app = click.make_pass_decorator(AppContext)
