"""Names in definitions checked against the server's directory, and spelled as the server spells them.

Users are matched by e-mail, everything else by display name, case-insensitively; a name
that matches nothing gets the closest existing one as a suggestion. A deactivated user is an
error as a routing target and a warning anywhere else (``InboxDefinition.warnings``).
"""

from __future__ import annotations

from typing import Any

from inboxctl.names import name_key
from inboxctl.backends.base import Directory
from inboxctl.definitions.checks import effective
from inboxctl.definitions.formats import did_you_mean
from inboxctl.definitions.model import ChannelDefinition, InboxDefinition, Problem

PAID_TIERS = ("professional", "enterprise")
_HEADING_ROLE = "the chat heading would show someone who never answers"


class Resolver:
    def __init__(self, directory: Directory, server: str, *, check_channel_sources: bool = True) -> None:
        self.directory = directory
        self.server = server
        self.check_channel_sources = check_channel_sources
        self.users = {name_key(user.email): user for user in directory.users}
        self.teams = {name_key(team.name): team.name for team in directory.teams}
        self.pipelines = {name_key(pipeline.name): pipeline for pipeline in directory.pipelines}
        self.forms = {name_key(form): form for form in directory.forms}
        self.pages = {name_key(page.name): page for page in directory.facebook_pages}
        self.personal_addresses = {name_key(address) for address in directory.personal_addresses}
        self.problems: list[Problem] = []

    def unknown(self, inbox: InboxDefinition, path: tuple, what: str, value: str, choices: list[str]) -> None:
        suggestion = did_you_mean(value, choices)
        fix = f'did you mean "{suggestion}"?' if suggestion else (
            f"known {what}s: {', '.join(sorted(choices))}" if choices else f"create the {what} on {self.server} first")
        self.problems.append(inbox.problem(path, f"{what} {value!r} does not exist on {self.server}", fix))

    def user(self, inbox: InboxDefinition, path: tuple, email: str, *, routing: bool = False,
             role: str = "") -> None:
        """``role``: what a deactivated user listed here would mean, for its warning."""
        user = self.users.get(name_key(email))
        if user is None:
            self.unknown(inbox, path, "user", email, [u.email for u in self.directory.users])
        elif not routing and not user.active:
            inbox.warn(path, f"{email} is deactivated on {self.server}" + (f": {role}" if role else ""),
                       "remove the user from this list, or reactivate them")
        elif routing and not user.has_seat:
            self.problems.append(inbox.problem(path, f"{email} has no paid seat, and only users with one can be "
                                               "routing targets",
                                               "give the user a Sales or Service seat, or route to someone else"))
        elif routing and not user.active:
            self.problems.append(inbox.problem(path, f"{email} is deactivated and cannot be a routing target",
                                               "route to an active user"))

    def team_names(self, inbox: InboxDefinition, path: tuple, names: list[str]) -> list[str]:
        canonical = []
        for index, name in enumerate(names):
            if name_key(name) in self.teams:
                canonical.append(self.teams[name_key(name)])
            else:
                self.unknown(inbox, path + (index,), "team", name, list(self.teams.values()))
                canonical.append(name)
        return sorted(set(canonical))

    def assignees(self, inbox: InboxDefinition, path: tuple, table: dict[str, Any], *, routing: bool) -> None:
        for index, email in enumerate(table.get("users", [])):
            self.user(inbox, path + ("users", index), email, routing=routing, role=_HEADING_ROLE)
        if "teams" in table:
            table["teams"] = self.team_names(inbox, path + ("teams",), table["teams"])

    def routing(self, inbox: InboxDefinition, path: tuple, routing: dict[str, Any]) -> None:
        self.assignees(inbox, path, routing, routing=True)
        if isinstance(routing.get("fallback"), dict):
            self.assignees(inbox, path + ("fallback",), routing["fallback"], routing=True)

    def ticket_defaults(self, inbox: InboxDefinition, path: tuple, given: dict[str, Any],
                        effective_defaults: dict[str, Any]) -> None:
        pipeline_name = effective_defaults.get("pipeline")
        pipeline = self.pipelines.get(name_key(pipeline_name)) if pipeline_name else None
        if pipeline_name and pipeline is None:
            if "pipeline" in given:
                self.unknown(inbox, path + ("pipeline",), "pipeline", pipeline_name, list(self.pipelines))
            return
        if pipeline and "pipeline" in given:
            given["pipeline"] = pipeline.name
        stage = effective_defaults.get("stage")
        # A channel that switches pipeline and keeps the inbox's stage needs that stage in its new pipeline.
        if pipeline and stage and ("stage" in given or "pipeline" in given):
            stages = {name_key(name): name for name in pipeline.stages}
            if name_key(stage) in stages:
                if "stage" in given:
                    given["stage"] = stages[name_key(stage)]
            elif "stage" in given:
                suggestion = did_you_mean(stage, list(pipeline.stages))
                self.problems.append(inbox.problem(
                    path + ("stage",), f"stage {stage!r} is not in pipeline {pipeline.name!r}",
                    f'did you mean "{suggestion}"?' if suggestion else "stages: " + ", ".join(pipeline.stages)))
            else:
                self.problems.append(inbox.problem(
                    path + ("pipeline",), f"the inbox's stage {stage!r} is not in pipeline {pipeline.name!r}",
                    "set stage here too, one of: " + ", ".join(pipeline.stages)))
        owner = given.get("owner", "conversation_owner")
        if owner != "conversation_owner":
            self.user(inbox, path + ("owner",), owner,
                      role="tickets would be owned by someone who cannot work on them")

    def inbox(self, inbox: InboxDefinition) -> None:
        settings = inbox.settings
        for index, email in enumerate(settings["members"]):
            self.user(inbox, ("inbox", "members", index), email,
                      role="as a member they can neither see nor answer this inbox's conversations")
        settings["teams"] = self.team_names(inbox, ("inbox", "teams"), settings["teams"])
        self.routing(inbox, ("routing",), settings["routing"])
        self.ticket_defaults(inbox, ("ticket_defaults",), settings["ticket_defaults"], settings["ticket_defaults"])
        for channel in inbox.channels:
            self.channel(inbox, channel)

    def channel(self, inbox: InboxDefinition, channel: ChannelDefinition) -> None:
        path = inbox.channel_path(channel)
        settings = channel.settings
        if "routing" in settings:
            self.routing(inbox, path + ("routing",), settings["routing"])
        if "ticket_defaults" in settings:
            self.ticket_defaults(inbox, path + ("ticket_defaults",), settings["ticket_defaults"],
                                 effective(inbox, channel, "ticket_defaults"))
        # A chat's check resolves the users and teams of its heading: names are always checked.
        check = getattr(self, f"channel_{channel.type}", None)
        if check and (self.check_channel_sources or channel.type == "chat"):
            check(inbox, channel, path)

    def channel_email(self, inbox: InboxDefinition, channel: ChannelDefinition, path: tuple) -> None:
        if name_key(channel.key) in self.personal_addresses:
            self.problems.append(inbox.problem(
                path + ("address",), f"{channel.key} is a user's personal address, and a team address cannot be one",
                "use a shared address such as support@..."))

    def channel_chat(self, inbox: InboxDefinition, channel: ChannelDefinition, path: tuple) -> None:
        heading = channel.settings.get("heading")
        if heading:
            self.assignees(inbox, path + ("heading",), heading, routing=False)
            for index, email in enumerate(heading.get("default_users", [])):
                self.user(inbox, path + ("heading", "default_users", index), email, role=_HEADING_ROLE)

    def channel_messenger(self, inbox: InboxDefinition, channel: ChannelDefinition, path: tuple) -> None:
        page = self.pages.get(name_key(channel.key))
        if page is None:
            self.unknown(inbox, path + ("page",), "Facebook page", channel.key, [p.name for p in self.pages.values()])
        elif page.connected_to_other_account:
            self.problems.append(inbox.problem(path + ("page",),
                                               f"Facebook page {page.name!r} is connected to another account, "
                                               "and a page can be connected to one only",
                                               "disconnect it from the other account first"))
        else:
            channel.settings["page"] = page.name

    def channel_form(self, inbox: InboxDefinition, channel: ChannelDefinition, path: tuple) -> None:
        form = self.forms.get(name_key(channel.key))
        if form is None:
            self.unknown(inbox, path + ("form",), "form", channel.key, list(self.forms.values()))
        else:
            channel.settings["form"] = form

    def channel_whatsapp(self, inbox: InboxDefinition, channel: ChannelDefinition, path: tuple) -> None:
        self.paid_tier(inbox, channel, path)
        if channel.key not in self.directory.whatsapp_numbers:
            self.unknown(inbox, path + ("phone",), "verified WhatsApp number", channel.key,
                         list(self.directory.whatsapp_numbers))

    def channel_calling(self, inbox: InboxDefinition, channel: ChannelDefinition, path: tuple) -> None:
        self.paid_tier(inbox, channel, path)

    def paid_tier(self, inbox: InboxDefinition, channel: ChannelDefinition, path: tuple) -> None:
        if self.directory.tier not in PAID_TIERS:
            self.problems.append(inbox.problem(path + ("type",),
                                               f"{channel.type} channels need a Professional or Enterprise tier "
                                               f"(this account is {self.directory.tier})", "remove this channel"))


def resolve_names(inboxes: list[InboxDefinition], directory: Directory, server: str, *,
                  check_channel_sources: bool = True) -> list[Problem]:
    """Check every name against ``directory`` and canonicalise its spelling in place.

    ``check_channel_sources=False``: leave out what a channel is made from (form, Facebook page,
    WhatsApp number, team address, tier). A server that only verifies (HubSpot) cannot list those
    and will create no channel anyway: whether the channel is connected is what its plan checks."""
    resolver = Resolver(directory, server, check_channel_sources=check_channel_sources)
    for inbox in inboxes:
        resolver.inbox(inbox)
    return resolver.problems
