"""``inboxctl auth``: a profile's API token — store it, check it, forget it. Never show it."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from inboxctl.cli.confirm import stdin_is_terminal
from inboxctl.cli.commands.profile import complete_profile_names
from inboxctl.cli.context import AppContext, pass_app
from inboxctl.cli.options import output_option
from inboxctl.cli.safe_text import terminal_safe
from inboxctl.config.credentials import (
    TOKEN_ENV,
    Credential,
    check_token_text,
    delete_token,
    require_token_storage,
    resolve_token,
    store_token,
)
from inboxctl.config.profiles import Profile, check_profile_name, select_profile
from inboxctl.errors import AuthenticationError, UsageError

profile_option = click.option(
    "--profile", "profile_name", metavar="NAME", shell_complete=complete_profile_names,
    help="The profile (default: the global --profile or INBOXCTL_PROFILE, else the active profile).")

_WHERE_TO_FIND = {
    "chatwoot": "Chatwoot: Profile settings > Access Token",
    "hubspot": "HubSpot: Settings > Integrations > Service Keys (or your private app) > the key or access token",
}


@click.group()
def auth() -> None:
    """Store, check and remove the API token of a server profile.

    Tokens are looked up in this order: the INBOXCTL_TOKEN environment variable, the
    system keyring, the credentials file (only if you asked for it with --insecure-file).
    They are never printed, logged, or written to plans and exports.
    """


@auth.command()
@profile_option
@click.option("--with-token", is_flag=True, help="Read the token from stdin instead of prompting.")
@click.option("--insecure-file", is_flag=True,
              help="Keep the token in credentials.toml (mode 0600, not encrypted) instead of the system keyring.")
@pass_app
def login(app: AppContext, profile_name: str | None, with_token: bool, insecure_file: bool) -> None:
    """Check an API token against the server, then store it in the system keyring.

    The token is read at a hidden prompt, or from stdin with --with-token. Nothing is
    stored unless the server accepts it. Where no keyring exists (headless Linux, CI),
    set INBOXCTL_TOKEN instead, or use --insecure-file.

    \b
    Examples:
      inboxctl auth login --profile cw
      echo "$CHATWOOT_TOKEN" | inboxctl auth login --profile cw --with-token
      inboxctl auth login --profile cw --insecure-file     # no keyring on this machine
    """
    app.profile_name = profile_name or app.profile_name
    profile = _server_profile(app, doing="log in to")
    require_token_storage(insecure_file=insecure_file)  # before asking for a token it could not keep
    if os.environ.get(TOKEN_ENV, "").strip():
        click.echo(f"Note: {TOKEN_ENV} is set, and takes precedence over the stored token while it is.", err=True)
    app.token = _read_token(profile, with_token=with_token)
    who = _check_with_server(app, profile, rejected=f"nothing was stored: {profile.describe()} rejected the token")
    stored = store_token(profile.name, app.token, insecure_file=insecure_file)
    click.echo(terminal_safe(f"Logged in to profile {profile.name!r} as {who}."), err=True)  # the server's words
    click.echo(f"Token stored in {stored.where}.", err=True)
    if insecure_file:
        click.secho(f"Warning: the token is kept unencrypted; only your user can read the file (mode 0600). "
                    f"Prefer the system keyring or {TOKEN_ENV} where you can.", fg="yellow", err=True)


@auth.command()
@profile_option
@output_option("text", "json")
@pass_app
def status(app: AppContext, profile_name: str | None, output: str) -> None:
    """Check the profile's token against the server: who it belongs to and where it came from.

    Exits 4 when there is no token or the server rejects it.

    \b
    Examples:
      inboxctl auth status
      inboxctl auth status --profile cw -o json
    """
    app.profile_name = profile_name or app.profile_name
    profile = app.profile()
    if not profile.needs_token:
        _render_status(output, _local_status(profile))
        return
    credential = resolve_token(profile)  # exit 4 with the fix when there is none
    app.token = credential.token
    who = _check_with_server(app, profile, rejected=f"the token from {credential.where} was rejected by "
                                                    f"{profile.describe()}", credential=credential)
    _render_status(output, _server_status(profile, who, credential))


@auth.command()
@profile_option
@pass_app
def logout(app: AppContext, profile_name: str | None) -> None:
    """Remove the profile's stored token from the system keyring and the credentials file.

    INBOXCTL_TOKEN, if set, is not touched: unset it yourself.

    \b
    Examples:
      inboxctl auth logout --profile cw
    """
    # By name, without requiring the profile to exist: a token can outlive a hand-deleted profile.
    name = check_profile_name(profile_name or select_profile(app.profile_name).name)
    if name == "local":
        click.echo("Profile 'local' needs no token: nothing to remove.", err=True)
        return
    removal = delete_token(name)
    for place in removal.places:
        click.echo(f"Removed the token of profile {name!r} from {place}.", err=True)
    if not removal.places:
        click.echo(f"No stored token for profile {name!r}: nothing to remove.", err=True)
    if removal.keyring_problem:
        click.echo(f"Note: {removal.keyring_problem}.", err=True)
    if os.environ.get(TOKEN_ENV, "").strip():
        click.echo(f"Note: {TOKEN_ENV} is still set in this environment and provides a token to every profile.",
                   err=True)


# ---------------------------------------------------------------------------------------------


def _server_profile(app: AppContext, *, doing: str) -> Profile:
    profile = app.profile()
    if not profile.needs_token:
        raise UsageError(f"profile {profile.name!r} uses the local backend, which needs no token",
                         hint=f"to {doing} a server, add its profile first: inboxctl profile add NAME "
                              "--backend chatwoot --url URL --account-id N")
    return profile


def _read_token(profile: Profile, *, with_token: bool) -> str:
    if with_token:
        return check_token_text(sys.stdin.read())
    if not stdin_is_terminal():
        raise UsageError("no terminal to ask for the token on",
                         hint=f"pipe it in: ... | inboxctl auth login --profile {profile.name} --with-token")
    where = _WHERE_TO_FIND.get(profile.backend)
    if where:
        click.echo(f"Find the token in {where}.", err=True)
    return check_token_text(click.prompt(f"API token for {profile.describe()}", hide_input=True, err=True))


def _check_with_server(app: AppContext, profile: Profile, *, rejected: str,
                       credential: Credential | None = None) -> str:
    """``whoami`` on the server; a rejection says what was rejected and how to fix it (exit 4)."""
    try:
        return app.backend().whoami()
    except AuthenticationError as error:
        if error.status == 403:
            raise  # the token is valid but lacks a permission: the backend's message names it (HubSpot: the scope)
        fix = (f"set {TOKEN_ENV} to a valid token, or unset it to use the stored one"
               if credential is not None and credential.source == "env"
               else f"check you copied the whole token of the right account, then run "
                    f"`inboxctl auth login --profile {profile.name}` again")
        raise AuthenticationError(rejected, reason=error.reason, status=error.status, hint=fix) from None


def _local_status(profile: Profile) -> dict[str, Any]:
    from inboxctl.backends.local.backend import default_database_path

    return {"profile": profile.name, "backend": profile.backend, "user": None, "token_source": None,
            "token_location": None, "local_file": str(default_database_path())}


def _server_status(profile: Profile, who: str, credential: Credential) -> dict[str, Any]:
    return {"profile": profile.name, "backend": profile.backend, "url": profile.url,
            "account_id": int(profile.account_id) if profile.account_id else None, "user": who,
            "token_source": credential.source, "token_location": credential.where}


def _render_status(output: str, status: dict[str, Any]) -> None:
    if output == "json":
        click.echo(json.dumps(status, indent=2))
    elif status["token_source"] is None:
        click.echo(f"Profile {status['profile']!r} uses the local backend: no token needed.")
        click.echo(f"Local file: {status['local_file']}")
    else:
        account = f" (account {status['account_id']})" if status["account_id"] else ""
        click.echo(f"Profile {status['profile']!r}: {status['backend']} at {status['url']}{account}")
        click.echo(f"Logged in as: {terminal_safe(str(status['user']))}")  # as the server names the user
        click.echo(f"Token from:   {status['token_location']}")
