"""The format of an inbox definition, declared once.

The loader validates and normalises against this spec, ``jsonschema.py`` turns it into the
JSON Schema editors use, and the exporter writes it back. One spec, so they cannot drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Field kinds. Scalars are checked and normalised by ``formats.py``.
STRING, TEXT, BOOLEAN, EMAIL, COLOR, TIMEZONE, PHONE, TIME, DAYS, ENUM, INTEGER = (
    "string", "text", "boolean", "email", "color", "timezone", "phone", "time", "days", "enum", "integer")
LIST, TABLE, UNION, URL = "list", "table", "union", "url"


@dataclass(frozen=True)
class Field:
    kind: str
    doc: str = ""
    required: bool = False
    default: Any = None  # None: the key is simply absent when not given
    choices: tuple[str, ...] = ()  # for ENUM
    item: Field | None = None  # for LIST
    fields: Mapping[str, Field] = field(default_factory=dict)  # for TABLE
    variants: tuple[Field, ...] = ()  # for UNION: the first variant that fits the TOML type wins
    as_set: bool = False  # for LIST: order and duplicates do not matter (members, teams...)


def enum(doc: str, *choices: str, default: str | None = None, required: bool = False) -> Field:
    return Field(ENUM, doc, choices=choices, default=default, required=required)


def table(doc: str, **fields: Field) -> Field:
    return Field(TABLE, doc, fields=fields)


def emails(doc: str) -> Field:
    return Field(LIST, doc, item=Field(EMAIL, "a user's e-mail address"), default=[], as_set=True)


def names(doc: str) -> Field:
    return Field(LIST, doc, item=Field(STRING, "a display name"), default=[], as_set=True)


def flag(doc: str, default: bool) -> Field:
    return Field(BOOLEAN, doc, default=default)


def text(doc: str, default: str | None = None) -> Field:
    return Field(TEXT, doc, default=default)


# -- shared tables --------------------------------------------------------------------------

ASSIGNEES = table(
    "Specific users and teams.",
    users=emails("Users, by e-mail address."),
    teams=names("Teams, by display name."),
)

ROUTING = table(
    "Who incoming conversations are assigned to.",
    mode=enum("users_and_teams: assign to these users and teams (chat: the first one online); "
              "contact_owner: assign to the contact's owner; unassigned: agents take conversations themselves.",
              "users_and_teams", "contact_owner", "unassigned", default="unassigned"),
    users=emails("Routing targets, by e-mail. Each needs a paid Sales or Service seat."),
    teams=names("Routing target teams, by display name."),
    only_available=flag("Only assign to available users; if nobody is, the conversation stays unassigned.", True),
    fallback=Field(UNION, "With mode = contact_owner: for visitors with no owner, \"unassigned\" or "
                          "{ users = [...], teams = [...] }.",
                   variants=(enum("Leave conversations of visitors with no owner unassigned.", "unassigned"),
                             ASSIGNEES)),
    reassign_when_away=flag("Reopen and reassign chats of an away user to available teammates.", False),
    max_assignments=Field(INTEGER, "At most this many open conversations per user from automatic assignment "
                                   "(Chatwoot: the inbox's max_assignment_limit, an Enterprise feature)."),
)

TICKET_DEFAULTS = table(
    "Treat incoming conversations as support tickets, with these default properties.",
    enabled=flag("Create a ticket for each incoming conversation.", False),
    pipeline=Field(STRING, "Ticket pipeline, by name."),
    stage=Field(STRING, "Ticket stage (status) in that pipeline, by name."),
    owner=Field(STRING, "\"conversation_owner\" or a user's e-mail address.", default="conversation_owner"),
    priority=enum("Ticket priority.", "low", "medium", "high", "urgent"),
)

BUSINESS_HOURS = table(
    "Business hours: several ranges per day allowed, in one timezone.",
    timezone=Field(TIMEZONE, "IANA timezone, e.g. Europe/Paris.", default="UTC"),
    hours=Field(LIST, "Opening ranges.", default=[], item=table(
        "One opening range.",
        days=Field(DAYS, "\"mon-fri\", \"sat\", or a list such as [\"mon\", \"wed\"].", required=True),
        open=Field(TIME, "Opening time, HH:MM (24 h).", required=True),
        close=Field(TIME, "Closing time, HH:MM (24 h), after the opening time.", required=True),
    )),
)

EMAIL_FILTERS = table(
    "Which incoming e-mail is filtered out of the inbox.",
    filter_role_based=flag("Filter out role-based senders such as marketing@ or sales@.", False),
    blocked_senders=Field(LIST, "Blocked senders: e-mail addresses or @domain.", default=[],
                          item=Field(STRING, "an address or @domain"), as_set=True),
)

INBOX = table(
    "The inbox.",
    name=Field(STRING, "Display name, unique in the account.", required=True),
    members=emails("Users who work this inbox, by e-mail."),
    teams=names("Teams whose members work this inbox."),
    protect=flag("Never delete this inbox, even with --prune.", False),
)

# -- channels -------------------------------------------------------------------------------

CHANNEL_COMMON: dict[str, Field] = {
    "type": enum("The channel type.", "email", "chat", "messenger", "form", "whatsapp", "calling", required=True),
    "routing": ROUTING,  # absent: the inbox's [routing] applies
    "ticket_defaults": TICKET_DEFAULTS,  # keys given here override the inbox's [ticket_defaults]
}

CHANNEL_FIELDS: dict[str, dict[str, Field]] = {
    "email": {
        "address": Field(EMAIL, "The team address: in one inbox only, never a user's own address.",
                         required=True),
        "provider": enum("Where the address is hosted.", "gmail", "office365", "forwarding", default="forwarding"),
        "sender_name": enum("Sender name on replies.", "agent_and_company", "company", default="agent_and_company"),
        "company_name": Field(STRING, "Company name in the sender name."),
        "signature": text("Team signature; tokens {{ full_name }}, {{ first_name }}, {{ last_name }}."),
        "signature_format": enum("How the signature is written.", "text", "html", default="text"),
        "log_forwarded_on_original_sender": flag("Log forwarded e-mail on the original sender's record.", False),
    },
    "chat": {
        "name": Field(STRING, "The chat widget's name, unique in the account.", required=True),
        "website_url": Field(URL, "The website the widget runs on (Chatwoot needs it to create the widget)."),
        "color": Field(COLOR, "Accent colour, #RRGGBB.", default="#425B76"),
        "position": enum("Widget position.", "bottom-right", "bottom-left", default="bottom-right"),
        "welcome_message": text("Welcome message."),
        "open_welcome_as_prompt": flag("Open the welcome message as a prompt.", False),
        "heading": table(
            "Who the chat heading shows.",
            mode=enum("users_and_teams (random among them past three), custom, or contact_owner.",
                      "users_and_teams", "custom", "contact_owner", default="users_and_teams"),
            users=emails("Users shown, by e-mail."),
            teams=names("Teams shown."),
            name=Field(STRING, "Custom name (mode = custom)."),
            avatar_url=Field(URL, "Custom avatar image URL (mode = custom)."),
            default_users=emails("With mode = contact_owner: who new visitors see."),
        ),
        "availability": enum("How availability is decided.", "team_status", "business_hours", "always",
                             default="team_status"),
        "typical_response_time": enum("Typical response time shown to visitors.",
                                      "none", "a_few_minutes", "a_few_hours", "a_day", default="none"),
        "when_away": table(
            "When every member is away.",
            action=enum("Show a message, or hide the widget.", "show_message", "hide_widget",
                        default="show_message"),
            message=text("The away message."),
        ),
        "outside_hours": enum("Outside business hours.", "show_away_message", "show_response_time",
                              "hide_widget", default="show_away_message"),
        "transcripts": table(
            "Chat transcripts.",
            auto_send=flag("E-mail the transcript to the visitor when the chat closes.", False),
            **{"from": Field(EMAIL, "A team address connected to this inbox.")},
        ),
        "show_branding": flag("Show the platform's branding in the widget.", True),
    },
    "messenger": {
        "page": Field(STRING, "The Facebook page, by name: connected to one account only.", required=True),
        "greeting": text("Greeting text."),
        "instant_reply": text("Instant reply."),
        "gdpr": table(
            "GDPR consent.",
            enabled=flag("Ask for consent.", False),
            consent=enum("Explicit or implicit consent.", "explicit", "implicit", default="explicit"),
            text=text("The consent text."),
        ),
    },
    "form": {
        "form": Field(STRING, "An existing form, by name.", required=True),
        "create_tickets": flag("Create a ticket from each submission.", True),
    },
    "whatsapp": {
        "phone": Field(PHONE, "A verified WhatsApp Business number (higher tiers only).", required=True),
    },
    "calling": {
        "phone": Field(PHONE, "The calling channel's number (higher tiers only).", required=True),
    },
}

# The setting that identifies a channel in the account: planning matches channels by it.
CHANNEL_KEY = {"email": "address", "chat": "name", "messenger": "page", "form": "form",
               "whatsapp": "phone", "calling": "phone"}

DOCUMENT: dict[str, Field] = {
    "inbox": INBOX,
    "email_filters": EMAIL_FILTERS,
    "routing": ROUTING,
    "ticket_defaults": TICKET_DEFAULTS,
    "business_hours": BUSINESS_HOURS,
    "channels": Field(LIST, "Channels connected to this inbox.", default=[]),  # items: see CHANNEL_FIELDS
}
DOCUMENT_REQUIRED = ("inbox",)

# Inbox-level tables that are filled with their defaults when absent.
DEFAULTED_TABLES = ("email_filters", "routing", "ticket_defaults")
