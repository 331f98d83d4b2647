"""Global options anywhere on the command line, as gh and kubectl take them.

``inboxctl plan configs/ --profile cw -v`` means ``inboxctl --profile cw -v plan configs/``: before
click parses anything, ``hoist_global_options`` moves ``--profile NAME``, ``-v``/``--verbose``,
``--debug`` and ``--no-color`` found after a subcommand to just before it. A subcommand's own option
of the same name wins (``auth login --profile cw`` stays with ``auth login``), an option's value is
never taken for an option (``comment --text --debug``), and ``--`` ends the options.

A typo is never corrected into an option that deletes or skips a question: ``suggestions`` leaves
those out of "Did you mean", and offers the global options too.
"""

from __future__ import annotations

from collections.abc import Iterable

import click

# Global option -> whether it takes a value (the root group declares them; main.py).
GLOBAL_OPTIONS: dict[str, bool] = {"--profile": True, "-v": False, "--verbose": False, "--debug": False,
                                   "--no-color": False}
# Options that delete, overwrite, skip a confirmation or widen what a run may delete: typed in full or not at all.
DESTRUCTIVE_OPTIONS = frozenset({"--prune", "--yes", "-y", "--permanent", "--replace", "--max-deletes",
                                 "--insecure-file"})


def hoist_global_options(root: click.Group, args: Iterable[str]) -> list[str]:
    """``args`` with the global options given after a subcommand moved before it (see the module)."""
    args = list(args)
    first = _first_subcommand_index(root, args)
    if first is None:
        return args
    hoisted: list[str] = []
    rest = _walk(root, args[first:], hoisted)
    return args[:first] + hoisted + rest


def _first_subcommand_index(root: click.Group, args: list[str]) -> int | None:
    index = 0
    while index < len(args):
        token = args[index]
        if token == "--":
            return None
        if not token.startswith("-") or token == "-":
            return index
        index += 2 if _takes_value(root, token) else 1
    return None


def _walk(root: click.Group, args: list[str], hoisted: list[str]) -> list[str]:
    """The tokens from the first subcommand on, minus the global options moved into ``hoisted``."""
    command: click.Command = root
    rest: list[str] = []
    index = 0
    while index < len(args):
        token = args[index]
        if token == "--":
            return rest + args[index:]
        if isinstance(command, click.Group) and not token.startswith("-"):
            sub = _subcommand(command, token)
            if sub is None:  # click reports the unknown command, with everything after it as typed
                return rest + args[index:]
            command = sub
            rest.append(token)
            index += 1
            continue
        width = _global_width(command, args, index)
        if width:
            hoisted += args[index:index + width]
        else:
            width = 2 if _takes_value(command, token) else 1
            rest += args[index:index + width]
        index += width
    return rest


def _global_width(command: click.Command, args: list[str], index: int) -> int:
    """How many tokens the global option at ``index`` spans (0: it is none, or the command has its own)."""
    name, has_value = _split(args[index])
    if name not in GLOBAL_OPTIONS and not _is_verbose_cluster(name):
        return 0
    if name in _option_names(command) or (_is_verbose_cluster(name) and "-v" in _option_names(command)):
        return 0
    if GLOBAL_OPTIONS.get(name) and not has_value:  # --profile NAME; left in place when NAME is missing
        return 2 if index + 1 < len(args) else 0
    return 1


def _is_verbose_cluster(token: str) -> bool:
    return len(token) > 1 and token[0] == "-" and set(token[1:]) == {"v"}  # -v, -vv, -vvv


def _split(token: str) -> tuple[str, bool]:
    """``--profile=cw`` -> ("--profile", True); ``--profile`` -> ("--profile", False)."""
    name, equals, _ = token.partition("=")
    return (name, True) if equals and name.startswith("--") else (token, False)


def _option_names(command: click.Command) -> set[str]:
    return {name for param in command.params if isinstance(param, click.Option)
            for name in (*param.opts, *param.secondary_opts)}


def _takes_value(command: click.Command, token: str) -> bool:
    """Whether ``token`` is an option of ``command`` whose value is the next token."""
    name, has_value = _split(token)
    if has_value or not name.startswith("-"):
        return False
    for param in command.params:
        if isinstance(param, click.Option) and name in param.opts:
            return not (param.is_flag or param.count)
    return False


def _subcommand(group: click.Group, name: str) -> click.Command | None:
    """The subcommand ``name`` of ``group`` (aliases and lazily loaded commands included), or None."""
    ctx = click.Context(group, resilient_parsing=True)
    try:
        _, command, _ = group.resolve_command(ctx, [name])
    except click.UsageError:
        return None
    return command


def missing_value(option: str) -> bool:
    """Whether ``option`` is a global option left without its value (``plan configs/ --profile``)."""
    return bool(GLOBAL_OPTIONS.get(option))


def suggestions(option: str, command: click.Command | None) -> list[str]:
    """What a mistyped option may have meant: the command's options and the global ones, never a
    destructive one (see ``DESTRUCTIVE_OPTIONS``)."""
    import difflib  # only on a typo: every run imports this module

    known = set(GLOBAL_OPTIONS) - {"-v"}
    if command is not None:
        known |= {name for name in _option_names(command) if name.startswith("--")}
    return difflib.get_close_matches(option, sorted(known - DESTRUCTIVE_OPTIONS))


def destructive_lookalikes(option: str, command: click.Command | None) -> list[str]:
    """The destructive options of ``command`` that ``option`` looks like: named nowhere, only counted."""
    import difflib

    names = _option_names(command) & DESTRUCTIVE_OPTIONS if command is not None else set()
    return difflib.get_close_matches(option, sorted(names))
