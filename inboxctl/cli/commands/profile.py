"""``inboxctl profile``: the servers inboxctl can talk to, kept in config.toml."""

from __future__ import annotations

import json
import os
from typing import Any

import click

from inboxctl.cli.confirm import confirm_or_refuse
from inboxctl.cli.context import AppContext, pass_app
from inboxctl.cli.options import output_option
from inboxctl.cli.output import stdout_is_terminal
from inboxctl.config.profiles import (
    BACKENDS,
    URL_ENV,
    Profile,
    add_profile,
    config_file,
    ensure_profile_exists,
    get_profile,
    list_profiles,
    profile_names,
    remove_profile,
    resolve_profile,
    select_profile,
    use_profile,
)
from inboxctl.errors import UsageError


def complete_profile_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion of profile names; nothing when the config file cannot be read."""
    try:
        return [name for name in profile_names() if name.startswith(incomplete)]
    except UsageError:
        return []


@click.group()
def profile() -> None:
    """Manage server profiles: which server (local, Chatwoot, HubSpot) inboxctl talks to.

    Profiles live in config.toml in the config directory ($INBOXCTL_CONFIG_DIR, else
    ~/.config/inboxctl). A command uses --profile or INBOXCTL_PROFILE, else the active
    profile, else the built-in `local` one. INBOXCTL_URL overrides the chosen profile's URL.
    """


@profile.command("add")
@click.argument("name")
@click.option("--backend", type=click.Choice(BACKENDS), required=True, help="Which kind of server.")
@click.option("--url", help="The server's address (https; plain http only for this machine). HubSpot: not needed.")
@click.option("--account-id", type=click.IntRange(min=1), help="Chatwoot account id (the number after /app/accounts/).")
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), metavar="N",
              help="Requests per second to this server (default: the backend's, below the server's limit).")
@click.option("--replace", is_flag=True, help="Change the profile if it already exists (its stored token is kept).")
def add(name: str, backend: str, url: str | None, account_id: int | None, rate: float | None, replace: bool) -> None:
    """Add a server profile.

    Plain http is refused unless the server is on this machine, because the API
    token would travel unencrypted. Adding a profile again with the same settings
    changes nothing.

    \b
    Examples:
      inboxctl profile add cw --backend chatwoot --url https://chat.example.com --account-id 1
      inboxctl profile add dev --backend chatwoot --url http://127.0.0.1:3000 --account-id 1 --rate 20
      inboxctl profile add hs --backend hubspot
    """
    change = add_profile(name, backend=backend, url=url, account_id=account_id, rate=rate, replace=replace)
    added = change.profile
    if change.outcome == "unchanged":
        click.echo(f"Profile {name!r} already exists with these settings: nothing changed.", err=True)
        return
    click.echo(f"Profile {name!r} {change.outcome} in {change.path}: {added.describe()}.", err=True)
    if added.needs_token:
        click.echo(f"Next: `inboxctl auth login --profile {name}` to store its API token, then "
                   f"`inboxctl profile use {name}` or `--profile {name}`.", err=True)


@profile.command("list")
@output_option("table", "json", default="table")
@pass_app
def list_command(app: AppContext, output: str) -> None:
    """List the profiles; the one commands use now is marked with `*`.

    On a terminal the table is aligned; piped, it is tab-separated without a header
    (name, backend, url, account id, rate, and "active" on the one in use).

    \b
    Examples:
      inboxctl profile list
      inboxctl profile list -o json
    """
    selected = select_profile(app.profile_name).name
    rows = [_profile_row(each, active=each.name == selected) for each in list_profiles()]
    if output == "json":
        click.echo(json.dumps(rows, indent=2))
    elif stdout_is_terminal():
        from tabulate import tabulate

        table = [["*" if row["active"] else "", row["name"], row["backend"], row["url"] or "-",
                  row["account_id"] or "-", _rate_text(row["rate"])] for row in rows]
        click.echo(tabulate(table, headers=["", "NAME", "BACKEND", "URL", "ACCOUNT", "RATE"], tablefmt="plain",
                            disable_numparse=True))
    else:
        for row in rows:
            cells = [row["name"], row["backend"], row["url"], row["account_id"],
                     None if row["rate"] is None else f"{row['rate']:g}", "active" if row["active"] else None]
            click.echo("\t".join("" if cell is None else str(cell) for cell in cells))


@profile.command()
@click.argument("name", required=False, shell_complete=complete_profile_names)
@output_option("text", "json")
@pass_app
def show(app: AppContext, name: str | None, output: str) -> None:
    """Show a profile (default: the one in use) and where its token would come from.

    The token itself is never shown: only whether it comes from the environment
    (INBOXCTL_TOKEN), the system keyring or the credentials file. `auth status`
    also checks it against the server.

    \b
    Examples:
      inboxctl profile show
      inboxctl profile show cw -o json
    """
    selection = select_profile(app.profile_name)
    shown = resolve_profile(name or selection.name)
    details = _profile_details(shown, selected_by=selection.reason if shown.name == selection.name else None)
    if output == "json":
        click.echo(json.dumps(details, indent=2))
        return
    for label, value in _detail_lines(shown, details):
        click.echo(f"{label + ':':<12} {value}")


@profile.command()
@click.argument("name", shell_complete=complete_profile_names)
def use(name: str) -> None:
    """Make NAME the active profile, used when neither --profile nor INBOXCTL_PROFILE is given.

    \b
    Examples:
      inboxctl profile use cw
      inboxctl profile use local
    """
    change = use_profile(name)
    click.echo(f"Active profile: {name}, {change.profile.describe()}; saved in {change.path}.", err=True)
    from_env = os.environ.get("INBOXCTL_PROFILE")
    if from_env and from_env != name:
        click.echo(f"Note: INBOXCTL_PROFILE={from_env} is set in this environment and takes precedence.", err=True)


@profile.command()
@click.argument("name", shell_complete=complete_profile_names)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
def remove(name: str, yes: bool) -> None:
    """Remove a profile and its stored token. The built-in `local` profile stays.

    \b
    Examples:
      inboxctl profile remove staging
      inboxctl profile remove staging --yes
    """
    ensure_profile_exists(name)
    confirm_or_refuse(f"Remove profile {name!r} and its stored token?", yes=yes)
    change = remove_profile(name)
    from inboxctl.config.credentials import delete_token  # only here: it imports keyring

    removal = delete_token(name) if name != "local" else None
    click.echo(f"Profile {name!r} removed from {change.path}.", err=True)
    if change.was_active:
        click.echo("It was the active profile: `local` is the default again.", err=True)
    for place in removal.places if removal else ():
        click.echo(f"Its token was removed from {place}.", err=True)


# ---------------------------------------------------------------------------------------------
# Rendering


def _profile_row(each: Profile, *, active: bool) -> dict[str, Any]:
    return {"name": each.name, "backend": each.backend, "url": each.url,
            "account_id": int(each.account_id) if each.account_id else None, "rate": each.rate, "active": active}


def _rate_text(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:g}/s"


def _profile_details(shown: Profile, *, selected_by: str | None) -> dict[str, Any]:
    details = _profile_row(shown, active=selected_by is not None)
    details["selected_by"] = selected_by
    details["config_file"] = str(config_file())
    if not shown.needs_token:
        from inboxctl.backends.local.backend import default_database_path

        details.update(local_file=str(default_database_path()), token_source=None, token_location=None)
        return details
    details["url_source"] = "env" if shown.url_from_env else "config"
    from inboxctl.config.credentials import find_token

    lookup = find_token(shown.name)
    credential = lookup.credential
    details["token_source"] = credential.source if credential else None
    details["token_location"] = credential.where if credential else None
    if credential is None and lookup.keyring_problem:
        details["keyring_problem"] = lookup.keyring_problem
    return details


def _detail_lines(shown: Profile, details: dict[str, Any]) -> list[tuple[str, str]]:
    why = f" (in use: {details['selected_by']})" if details["selected_by"] else ""
    lines = [("Profile", f"{shown.name}{why}"), ("Backend", shown.backend)]
    if not shown.needs_token:
        return [*lines, ("Local file", details["local_file"]), ("Token", "not needed by the local backend")]
    url = shown.url or "-"
    if shown.url_from_env:
        url += f" (from {URL_ENV}, replacing {get_profile(shown.name).url})"
    lines.append(("URL", url))
    if shown.account_id:
        lines.append(("Account id", shown.account_id))
    lines.append(("Rate", f"{shown.rate:g} requests/second" if shown.rate else "the backend's default"))
    lines.append(("Token", _token_text(shown, details)))
    if details.get("keyring_problem"):
        lines.append(("Keyring", details["keyring_problem"]))
    lines.append(("Config file", details["config_file"]))
    return lines


def _token_text(shown: Profile, details: dict[str, Any]) -> str:
    if details["token_location"]:
        return f"from {details['token_location']}"
    from inboxctl.config.credentials import TOKEN_ENV

    return f"none: run `inboxctl auth login --profile {shown.name}` or set {TOKEN_ENV}"
