"""The demo workspace every fresh local backend starts with (documented in the README).

Deterministic: the same seed and clock give the same workspace, so tests and docs agree.
"""

from __future__ import annotations

import json
import random
import sqlite3

from inboxctl.backends.local.store import LocalStore
from inboxctl.definitions.formats import slug

DEFAULT_CONVERSATIONS = 300

# email, name, has a paid seat, active
USERS = [
    ("alice@acme.example", "Alice Martin", True, True),
    ("bob@acme.example", "Bob Durand", True, True),
    ("carol@acme.example", "Carol Lefevre", True, True),
    ("dave@acme.example", "Dave Moreau", True, True),
    ("grace@acme.example", "Grace Lambert", True, True),
    ("erin@acme.example", "Erin Petit", False, True),      # no seat: cannot be a routing target (F25)
    ("heidi@acme.example", "Heidi Bernard", False, True),
    ("frank@acme.example", "Frank Roux", True, False),     # deactivated user, still owns old conversations
]
TEAMS = {
    "Tier 1": ["alice@acme.example", "bob@acme.example"],
    "Tier 2": ["carol@acme.example", "dave@acme.example"],
    "Sales EMEA": ["grace@acme.example", "dave@acme.example"],
    "Billing": ["bob@acme.example", "grace@acme.example"],
}
PIPELINES = {
    "Support Pipeline": ["New", "Waiting on contact", "Waiting on us", "Closed"],
    "Billing Pipeline": ["New", "In progress", "Resolved"],
}
FORMS = ["Contact us", "Request a demo", "Billing question"]
FACEBOOK_PAGES = [("Acme Corp", False), ("Acme Outlet", True)]  # Acme Outlet belongs to another account (F12)
WHATSAPP_NUMBERS = ["+33123456789"]

# Inboxes that exist before inboxctl manages anything, as if set up by hand in the web app.
HAND_MADE_INBOXES = {
    "Support": [("email", "support@acme.example"), ("chat", "Website chat")],
    "Sales": [("email", "sales@acme.example")],
}


def seed_demo_workspace(store: LocalStore, *, conversations: int = DEFAULT_CONVERSATIONS, seed: int = 42) -> None:
    rng = random.Random(seed)
    with store.transaction() as db:
        db.execute("INSERT INTO meta (key, value) VALUES ('tier', 'enterprise'), ('account', 'Acme')")
        _seed_directory(db)
        _seed_hand_made_inboxes(db, store.now_iso())
        if conversations:
            from inboxctl.backends.local.seed_conversations import seed_conversations

            seed_conversations(db, rng, now=store.clock(), count=conversations)


def _seed_directory(db: sqlite3.Connection) -> None:
    db.executemany("INSERT INTO users (email, name, has_seat, active) VALUES (?, ?, ?, ?)", USERS)
    for team, members in TEAMS.items():
        team_id = db.execute("INSERT INTO teams (name) VALUES (?)", (team,)).lastrowid
        db.executemany(
            "INSERT INTO team_members (team_id, user_id) SELECT ?, id FROM users WHERE email = ?",
            [(team_id, email) for email in members])
    for pipeline, stages in PIPELINES.items():
        pipeline_id = db.execute("INSERT INTO pipelines (name) VALUES (?)", (pipeline,)).lastrowid
        db.executemany("INSERT INTO stages (pipeline_id, name, position) VALUES (?, ?, ?)",
                       [(pipeline_id, stage, position) for position, stage in enumerate(stages)])
    db.executemany("INSERT INTO forms (name) VALUES (?)", [(form,) for form in FORMS])
    db.executemany("INSERT INTO facebook_pages (name, other_account) VALUES (?, ?)", FACEBOOK_PAGES)
    db.executemany("INSERT INTO whatsapp_numbers (phone) VALUES (?)", [(n,) for n in WHATSAPP_NUMBERS])


def _seed_hand_made_inboxes(db: sqlite3.Connection, now: str) -> None:
    for inbox, channels in HAND_MADE_INBOXES.items():
        inbox_id = db.execute(
            "INSERT INTO inboxes (name, settings, fallback_address, updated_at) VALUES (?, '{}', ?, ?)",
            (inbox, fallback_address(inbox), now)).lastrowid
        db.executemany("INSERT INTO channels (inbox_id, type, key, settings) VALUES (?, ?, ?, ?)",
                       [(inbox_id, kind, key, json.dumps({})) for kind, key in channels])


def fallback_address(inbox_name: str) -> str:
    """F2: the platform's own address for an inbox with no team e-mail connected."""
    return f"{slug(inbox_name)}@inbox.acme.inboxctl.local"
