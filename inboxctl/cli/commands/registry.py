"""Every command, by name: where it lives and its one-line help. Adding a command means adding it here.

Scripts run inboxctl hundreds of times and shell completion runs it on every Tab, so a run imports
only the command it executes. This is click's lazy loading of subcommands ("Lazily Loading
Subcommands" in click's documentation), through the ``commands`` mapping that a click ``Group``
takes: ``LazyCommands`` imports a command's module the first time the command is looked up. A
group's ``--help`` and the completion of command names need only each command's name and one-line
help, so those come from this registry and import no command module.

The one-line help is the first sentence of the command's own help, which stays the reference:
``tests/cli/test_startup_imports.py`` checks that each line here says the same.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any, NamedTuple

import click


class LazyCommand(NamedTuple):  # not a dataclass: making one costs a millisecond at every start
    import_path: str  # "package.module:attribute"
    help: str  # the first sentence of the command's help, as its group's --help lists it

    def load(self) -> click.Command:
        module_name, attribute = self.import_path.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attribute)
        return command


_COMMANDS = "inboxctl.cli.commands"
_CONVERSATIONS = "inboxctl.cli.commands.conversations"

COMMANDS: dict[str, LazyCommand] = {
    "validate": LazyCommand(f"{_COMMANDS}.validate:validate",
                            "Check inbox definitions without contacting any server."),
    "plan": LazyCommand(f"{_COMMANDS}.plan:plan",
                        "Show what `apply` would change on the server, without changing anything."),
    "apply": LazyCommand(f"{_COMMANDS}.apply:apply",
                         "Make the server match the definitions, after showing the plan."),
    "export": LazyCommand(f"{_COMMANDS}.export:export",
                          "Write the server's inbox configuration as TOML definitions."),
    "schema": LazyCommand(f"{_COMMANDS}.schema:schema",
                          "Print the JSON Schema of inbox definition files."),
    "conversations": LazyCommand(f"{_CONVERSATIONS}:conversations",
                                 "List, show and act on conversations, one by one or in bulk (alias: conv)."),
    "local": LazyCommand(f"{_COMMANDS}.local:local",
                         "Manage the embedded local backend (a SQLite file in $INBOXCTL_HOME)."),
    "profile": LazyCommand(f"{_COMMANDS}.profile:profile",
                           "Manage server profiles: which server (local, Chatwoot, HubSpot) inboxctl talks to."),
    "auth": LazyCommand(f"{_COMMANDS}.auth:auth",
                        "Store, check and remove the API token of a server profile."),
}

CONVERSATION_COMMANDS: dict[str, LazyCommand] = {
    "list": LazyCommand(f"{_CONVERSATIONS}.listing:list_",
                        "List conversations, newest first."),
    "show": LazyCommand(f"{_CONVERSATIONS}.show:show",
                        "Show a conversation: its contact, channel, assignee, status, ticket, messages and comments."),
    "assign": LazyCommand(f"{_CONVERSATIONS}.actions:assign",
                          "Assign conversations to a user, or unassign them; also takes them over from a bot."),
    "close": LazyCommand(f"{_CONVERSATIONS}.actions:close",
                         "Close conversations; with --with-ticket, their tickets too."),
    "reopen": LazyCommand(f"{_CONVERSATIONS}.actions:reopen",
                          "Reopen closed conversations; with --with-ticket, their tickets too."),
    "trash": LazyCommand(f"{_CONVERSATIONS}.actions:trash",
                         "Move conversations to trash."),
    "restore": LazyCommand(f"{_CONVERSATIONS}.actions:restore",
                           "Restore conversations from trash."),
    "delete": LazyCommand(f"{_CONVERSATIONS}.actions:delete",
                          "Delete conversations in trash for good, with their tickets."),
    "spam": LazyCommand(f"{_CONVERSATIONS}.actions:spam",
                        "Mark conversations as spam: only these threads, the sender is not blocked."),
    "unspam": LazyCommand(f"{_CONVERSATIONS}.actions:unspam",
                          "Take conversations out of spam (the inverse of 'spam')."),
    "block-sender": LazyCommand(f"{_CONVERSATIONS}.actions:block_sender",
                                "Block each conversation's sender: the conversation moves to Filtered and future "
                                "e-mails and chats from the sender are filtered."),
    "unblock-sender": LazyCommand(f"{_CONVERSATIONS}.actions:unblock_sender",
                                  "Unblock each conversation's sender and bring the conversation back from Filtered."),
    "comment": LazyCommand(f"{_CONVERSATIONS}.actions:comment",
                           "Add an internal comment (a note only your team sees) to conversations."),
    "undo": LazyCommand(f"{_CONVERSATIONS}.undo:undo",
                        "Reverse an action run from its journal: the latest one not undone yet, or JOURNAL."),
}


class LazyCommands(MutableMapping[str, click.Command]):
    """A group's commands by name, each imported from its module the first time it is looked up.

    Listing the names (``list(commands)``, ``name in commands``) imports nothing.
    """

    def __init__(self, registry: Mapping[str, LazyCommand]) -> None:
        self.registry = dict(registry)
        self.loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self.loaded:
            self.loaded[name] = self.registry[name].load()  # KeyError for a name that is not a command
        return self.loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self.loaded[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self.registry.pop(name, None)
        self.loaded.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self.registry or name in self.loaded

    def __iter__(self) -> Iterator[str]:
        return iter({**self.registry, **self.loaded})

    def __len__(self) -> int:
        return len({**self.registry, **self.loaded})

    def summary(self, name: str) -> click.Command:
        """The command if it is loaded already; else a stand-in, never run, that only carries its one-line help."""
        if name in self.loaded or name not in self.registry:
            return self[name]
        return click.Command(name, help=self.registry[name].help)


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when one of them runs or shows its own help.

    Its ``--help`` and the completion of its command names list each command with the one-line
    help of the registry; the rest is click's ``Group``.
    """

    commands: LazyCommands

    def __init__(self, name: str | None = None, *, lazy_commands: Mapping[str, LazyCommand], **kwargs: Any) -> None:
        super().__init__(name, commands=LazyCommands(lazy_commands), **kwargs)

    def listed_commands(self, ctx: click.Context, prefix: str = "") -> list[tuple[str, click.Command]]:
        """The visible commands whose names start with ``prefix``, as stand-ins if they are not loaded."""
        named = [(name, self.commands.summary(name)) for name in self.list_commands(ctx) if name.startswith(prefix)]
        return [(name, command) for name, command in named if not command.hidden]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's Group.format_commands, over listed_commands.
        listed = self.listed_commands(ctx)
        if not listed:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in listed)
        with formatter.section("Commands"):
            formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in listed])

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[Any]:
        # click's Group.shell_complete, over listed_commands; then the group's own options, which
        # click.Command.shell_complete completes.
        from click.shell_completion import CompletionItem

        items = [CompletionItem(name, help=command.get_short_help_str())
                 for name, command in self.listed_commands(ctx, incomplete)]
        return items + click.Command.shell_complete(self, ctx, incomplete)
