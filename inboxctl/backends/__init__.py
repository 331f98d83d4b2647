"""Backends: one interface (``base.Backend``), one module per server.

Each server's module is imported only when a profile opens it: the local backend never loads
the HTTP client, and neither HTTP backend loads the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from inboxctl.errors import UsageError

if TYPE_CHECKING:
    from inboxctl.backends.base import Backend
    from inboxctl.config.profiles import Profile


def open_backend(profile: Profile, *, rate: float | None = None) -> Backend:
    """Open the server ``profile`` names. ``rate`` (requests/second) overrides the profile's own.

    The token is resolved here, and only for HTTP backends, so the local backend never looks at
    the environment or the keyring. A profile that already carries a token (``auth login``
    checking a new one) uses that one.
    """
    if profile.backend == "local":
        from inboxctl.backends.local.backend import LocalBackend

        return LocalBackend.open_default()
    if profile.backend == "hubspot":
        token = _token_for(profile)
        from inboxctl.backends.hubspot.backend import HubSpotBackend

        # No rate given: the client follows the limit HubSpot announces in its headers.
        return HubSpotBackend(url=profile.url, token=token, **_rate_option(rate, profile))
    if profile.backend == "chatwoot":
        token = _token_for(profile)
        from inboxctl.backends.chatwoot.backend import ChatwootBackend

        return ChatwootBackend(url=profile.url, account_id=profile.account_id, token=token,
                               **_rate_option(rate, profile))
    raise UsageError(f"profile {profile.name!r} uses backend {profile.backend!r}, which inboxctl does not know")


def _token_for(profile: Profile) -> str:
    if profile.token:
        return profile.token
    from inboxctl.config.credentials import resolve_token

    return resolve_token(profile).token


def _rate_option(rate: float | None, profile: Profile) -> dict[str, Any]:
    # Pass a rate only when one was chosen: for the HTTP client None means "unlimited", while
    # the backend's own default is set below the server's limit.
    chosen = rate if rate is not None else profile.rate
    return {} if chosen is None else {"rate": chosen}
