"""The list of top-level commands. Adding a command module means adding it here."""

from __future__ import annotations

import importlib

import click

# module name -> attribute names of the click commands it exposes
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "validate": ("validate",),
    "plan": ("plan",),
    "apply": ("apply",),
    "export": ("export",),
    "local": ("local",),
    "conversations": ("conversations",),
    "schema": ("schema",),
    "profile": ("profile",),
    "auth": ("auth",),
}


def all_commands() -> list[click.Command]:
    commands: list[click.Command] = []
    for module_name, attributes in COMMAND_MODULES.items():
        module = importlib.import_module(f"inboxctl.cli.commands.{module_name}")
        commands.extend(getattr(module, attribute) for attribute in attributes)
    return commands
