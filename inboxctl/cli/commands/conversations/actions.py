"""The action verbs (F52-F57). Each says which request it wants; ``run.py`` does the rest."""

from __future__ import annotations

import click

from inboxctl.cli.completion import complete_users

from inboxctl.cli.commands.conversations.options import ActionArgs, action_options
from inboxctl.cli.commands.conversations.run import run_action_command
from inboxctl.cli.commands.conversations.session import Session
from inboxctl.cli.context import AppContext, pass_app
from inboxctl.conversations.bulk import check_supported
from inboxctl.conversations.model import ActionRequest
from inboxctl.definitions.formats import did_you_mean
from inboxctl.errors import UsageError

IN_TRASH = {"trash": "only", "filtered": "include"}
IN_SPAM = {"filtered": "only"}

TARGETS_HELP = """\
Say which conversations by id, by '-' to read ids from stdin (one or more per line), or with the
same filters as 'list'. Filters, more than 20 ids, and destructive actions show what will change
and ask first; --yes skips the question and is needed when there is no terminal. --dry-run only
lists what would change. A conversation already in the target state is 'unchanged', not an error.
Any failure exits 3: run the same command again to complete the rest. Every run is journaled,
and 'inboxctl conv undo' reverses it.
"""


def _doc(summary: str, examples: str) -> str:
    return f"{summary}\n\n{TARGETS_HELP}\n\b\nExamples:\n{examples}"


def _simple(action: str, summary: str, examples: str, *, scope: dict[str, str] | None = None) -> click.Command:
    """A verb whose request is just its action."""
    @click.command(action, help=_doc(summary, examples))
    @action_options
    @pass_app
    def command(app: AppContext, args: ActionArgs) -> None:
        run_action_command(app, args, lambda session: ActionRequest(action=action), scope=scope)

    return command


@click.command("assign", help=_doc(
    "Assign conversations to a user, or unassign them; also takes them over from a bot. With --team, "
    "assign them to a team instead (local and Chatwoot; Chatwoot also takes a conversation from an assignee "
    "outside the new team, and the result says so).",
    "  inboxctl conv assign 42 43 --to bob@acme.example\n"
    "  inboxctl conv assign --assignee frank@acme.example --include-deactivated --to carol@acme.example\n"
    "  inboxctl conv list --view unassigned -o ids | inboxctl conv assign - --to dave@acme.example --yes\n"
    "  inboxctl conv assign 42 --unassign\n"
    "  inboxctl conv assign --inbox Support --status open --team 'Tier 2' --dry-run\n"
    "  inboxctl conv assign 42 --unassign-team"))
@click.option("--to", "to", metavar="EMAIL", shell_complete=complete_users,
              help="The active user to give them to (e-mail, case-insensitive).")
@click.option("--unassign", is_flag=True, help="Leave them assigned to nobody.")
@click.option("--team", metavar="NAME", help="The team to give them to (case-insensitive); the assignee stays.")
@click.option("--unassign-team", is_flag=True, help="Take them out of their team; the assignee stays.")
@action_options
@pass_app
def assign(app: AppContext, args: ActionArgs, to: str | None, unassign: bool, team: str | None,
           unassign_team: bool) -> None:
    given = [option for option, value in (("--to", to), ("--unassign", unassign), ("--team", team),
                                          ("--unassign-team", unassign_team)) if value]
    if len(given) != 1:
        raise UsageError("say one of --to EMAIL, --unassign, --team NAME or --unassign-team"
                         + (f", not {' and '.join(given)} together" if given else ""),
                         hint="one run makes one change, which undo reverses as one; run assign twice for both")
    run_action_command(app, args, lambda session: _assign_request(session, to=to, unassign=unassign, team=team,
                                                                  unassign_team=unassign_team))


def _assign_request(session: Session, *, to: str | None, unassign: bool, team: str | None,
                    unassign_team: bool) -> ActionRequest:
    if unassign:
        return ActionRequest(action="unassign")
    if unassign_team:
        return ActionRequest(action="unassign-team")
    if team:
        check_supported(session.backend, "assign-team")  # a server without teams says so, not "no team X"
        return ActionRequest(action="assign-team", team=_team(session, team))
    return ActionRequest(action="assign", assignee=session.user(to or "", option="--to"))


def _team(session: Session, name: str) -> str:
    """The team's name as the server spells it, or a usage error naming the closest one."""
    teams = [team.name for team in session.backend.directory().teams]
    match = next((team for team in teams if team.casefold() == name.strip().casefold()), None)
    if match is None:
        close = did_you_mean(name, teams)
        raise UsageError(f"--team {name}: no team with this name",
                         hint=f"did you mean {close!r}?" if close else f"teams: {', '.join(sorted(teams)) or 'none'}")
    return match


@click.command("close", help=_doc(
    "Close conversations; with --with-ticket, their tickets too.",
    "  inboxctl conv close 42 --with-ticket\n"
    "  inboxctl conv close --inbox Support --status open --older-than 30d --dry-run\n"
    "  inboxctl conv list --inbox Support -o ids | inboxctl conv close - --yes"))
@click.option("--with-ticket", is_flag=True, help="Also close each conversation's ticket.")
@action_options
@pass_app
def close(app: AppContext, args: ActionArgs, with_ticket: bool) -> None:
    run_action_command(app, args, lambda session: ActionRequest(action="close", with_ticket=with_ticket))


@click.command("reopen", help=_doc(
    "Reopen closed conversations; with --with-ticket, their tickets too.",
    "  inboxctl conv reopen 42\n"
    "  inboxctl conv reopen --view closed --since 2d --assignee bob@acme.example"))
@click.option("--with-ticket", is_flag=True, help="Also reopen each conversation's ticket.")
@action_options
@pass_app
def reopen(app: AppContext, args: ActionArgs, with_ticket: bool) -> None:
    run_action_command(app, args, lambda session: ActionRequest(action="reopen", with_ticket=with_ticket))


trash = _simple(
    "trash", "Move conversations to trash. They can be restored for 30 days, then they are purged for good.",
    "  inboxctl conv trash 42 43\n"
    "  inboxctl conv trash --inbox Support --older-than 30d --dry-run\n"
    "  inboxctl conv trash --inbox Support --older-than 30d --max 500 --yes")

restore = _simple(
    "restore", "Restore conversations from trash. Filters look in trash only. Conversations purged "
    "(30 days after they were trashed) cannot be restored, and the reason says so.",
    "  inboxctl conv restore 42\n"
    "  inboxctl conv restore --inbox Support --search invoice --yes", scope=IN_TRASH)

spam = _simple(
    "spam", "Mark conversations as spam: only these threads, the sender is not blocked.",
    "  inboxctl conv spam 42\n"
    "  inboxctl conv spam --search 'exclusive offer' --since 1d --yes")

unspam = _simple(
    "unspam", "Take conversations out of spam (the inverse of 'spam'). Filters look in spam only.",
    "  inboxctl conv unspam 42", scope=IN_SPAM)

block_sender = _simple(
    "block-sender", "Block each conversation's sender: the conversation moves to Filtered and future "
    "e-mails and chats from the sender are filtered.",
    "  inboxctl conv block-sender 42\n"
    "  inboxctl conv block-sender --contact marketing@promo-mail.example --include-filtered --yes")

unblock_sender = _simple(
    "unblock-sender", "Unblock each conversation's sender and bring the conversation back from Filtered. "
    "Filters look in spam and filtered only.",
    "  inboxctl conv unblock-sender 42\n"
    "  inboxctl conv unblock-sender --view spam --contact jane@example.com --yes", scope=IN_SPAM)


@click.command("delete", help=_doc(
    "Delete conversations in trash for good, with their tickets. Irreversible: undo cannot bring them "
    "back. Only conversations already in trash can be deleted; filters look in trash only. On a server "
    "without trash (Chatwoot), filters look at every conversation.",
    "  inboxctl conv delete 42 --permanent\n"
    "  inboxctl conv delete --permanent --inbox Sales --dry-run\n"
    "  inboxctl conv delete --permanent --inbox Sales --yes"))
@click.option("--permanent", is_flag=True, help="Required: confirms that you mean a permanent delete.")
@action_options
@pass_app
def delete(app: AppContext, args: ActionArgs, permanent: bool) -> None:
    if not permanent:
        raise UsageError("delete is permanent and needs --permanent",
                         hint="to move conversations to trash, where they can be restored, use: inboxctl conv trash")
    has_trash = "trash" in app.backend().capabilities.conversation_actions
    run_action_command(app, args, lambda session: ActionRequest(action="delete"),
                       scope=IN_TRASH if has_trash else None)


@click.command("comment", help=_doc(
    "Add an internal comment (a note only your team sees) to conversations. The author is you (--as, "
    "else $INBOXCTL_USER) on the local backend; Chatwoot and HubSpot write it as the API token's user or "
    "app, so there --as, if given, may only name that user. Comments cannot be undone.",
    "  inboxctl conv comment 42 --text 'Waiting on the refund from billing'\n"
    "  inboxctl conv comment --inbox Sales --older-than 60d --text 'Stale: closing soon' --yes"))
@click.option("--text", required=True, metavar="TEXT", help="The comment.")
@action_options
@pass_app
def comment(app: AppContext, args: ActionArgs, text: str) -> None:
    if not text.strip():
        raise UsageError("--text is empty")
    run_action_command(app, args,
                       lambda session: ActionRequest(action="comment", text=text, author=session.comment_author()))


COMMANDS = [assign, close, reopen, trash, restore, delete, spam, unspam, block_sender, unblock_sender, comment]
