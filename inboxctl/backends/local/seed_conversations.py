"""The demo workspace's contacts, conversations, messages, comments and tickets.

Deterministic for a given ``rng`` and ``now``, and fast enough for ``local reset --conversations
100000`` (rows are generated in chunks and written with ``executemany``; ids follow creation time, as on a
real server, which also keeps the date indexes cheap to build). The mix is chosen so
every view and filter has something to show: both inboxes and every channel type, open and
closed, unassigned, with a bot, with the deactivated frank@, sent, spam, filtered (blocked
senders), with and without tickets and internal comments, in trash recently and trashed more
than 30 days ago (purged on first use).
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone

from inboxctl.backends.local.conversations import ensure_conversation_tables

SPAN_DAYS = 120
CHUNK = 5_000
DAY = 86_400
HOUR = 3_600
# Times are generated as epoch seconds and formatted by SQLite, which is much faster than datetime.isoformat.
ISO = "strftime('%Y-%m-%dT%H:%M:%S+00:00', ?, 'unixepoch')"

# (inbox, channel type, channel name, weight)
CHANNELS = [
    ("Support", "email", "support@acme.example", 36),
    ("Support", "chat", "Website chat", 20),
    ("Support", "messenger", "Acme Corp", 7),
    ("Support", "form", "Contact us", 5),
    ("Support", "form", "Billing question", 3),
    ("Support", "whatsapp", "+33123456789", 4),
    ("Support", "calling", "Support line", 3),
    ("Sales", "email", "sales@acme.example", 15),
    ("Sales", "form", "Request a demo", 7),
]
ACTIVE_AGENTS = ["alice@acme.example", "bob@acme.example", "carol@acme.example", "dave@acme.example",
                 "grace@acme.example", "erin@acme.example", "heidi@acme.example"]
DEACTIVATED_AGENT = "frank@acme.example"
FIRST_NAMES = ["Jane", "Paul", "Amina", "Lucas", "Chloe", "Hugo", "Ines", "Noah", "Lea", "Omar",
               "Sofia", "Tom", "Yuki", "Zoe", "Ravi", "Marta", "Ivan", "Nora", "Eli", "Ana"]
LAST_NAMES = ["Doe", "Smith", "Garcia", "Nguyen", "Muller", "Rossi", "Kowalski", "Dubois", "Silva",
              "Jensen", "Okafor", "Tanaka", "Haddad", "Novak", "Costa"]
# F3/F56: role-based senders end up in Spam.
ROLE_SENDERS = ["marketing@promo-mail.example", "sales@leadgen.example", "newsletter@deals.example",
                "noreply@offers.example"]
SUBJECTS = {
    "Support": ["Cannot log in", "Refund for order #{n}", "Invoice {n} is wrong", "App crashes on start",
                "How do I export my data?", "Password reset link expired", "Shipping delay for #{n}",
                "Feature request: dark mode", "Charged twice", "Account locked"],
    "Sales": ["Pricing for {n} seats", "Request a demo", "Enterprise plan question", "Discount for NGOs",
              "Trial extension", "Volume licensing", "Partnership proposal"],
}
SPAM_SUBJECTS = ["Boost your sales 300%", "Exclusive offer just for you", "Your weekly deals"]
REPLIES = ["Thanks, we are looking into it.", "Could you send a screenshot?", "This is fixed now.",
           "I have forwarded this to billing.", "Happy to help, here is the link."]
COMMENTS = ["Customer is VIP, handle with care.", "Waiting on engineering, see ticket.",
            "@bob can you take this one?", "Duplicate of an older thread."]
PRIORITIES = ["low", "medium", "high", None]


@dataclass
class _Rows:
    conversations: list[tuple] = field(default_factory=list)
    messages: list[tuple] = field(default_factory=list)
    tickets: list[tuple] = field(default_factory=list)


@dataclass(frozen=True)
class _Directory:
    users: dict[str, int]
    inboxes: dict[str, int]
    people: list[tuple[int, str]]        # id, e-mail
    role_senders: list[tuple[int, str]]
    blocked: frozenset[int]              # contact ids whose address is blocked


def seed_conversations(db: sqlite3.Connection, rng: random.Random, *, now: datetime, count: int) -> None:
    """Insert ``count`` conversations (and their contacts, messages, tickets) into a fresh workspace."""
    ensure_conversation_tables(db)
    now_ts = int(now.astimezone(timezone.utc).timestamp())
    directory = _seed_contacts(db, rng, now_ts, count)
    # Oldest first, so that conversation ids grow with time.
    ages = sorted((rng.uniform(0, SPAN_DAYS) for _ in range(count)), reverse=True)
    writer = _Writer(db)
    for conversation_id, age_days in enumerate(ages, start=1):
        _conversation(writer.rows, rng, directory, now_ts, conversation_id, age_days)
        if conversation_id % CHUNK == 0:
            writer.flush()
    writer.flush()


class _Writer:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.rows = _Rows()

    def flush(self) -> None:
        self.db.executemany(
            "INSERT INTO conversations (id, inbox_id, channel_type, channel_key, subject, contact_id, assignee_id,"
            " assigned_to_bot, status, outgoing, spam, filtered, trashed_at, created_at, updated_at, closed_at)"
            f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {ISO}, {ISO}, {ISO}, {ISO})", self.rows.conversations)
        self.db.executemany("INSERT INTO messages (conversation_id, kind, author, body, created_at)"
                            f" VALUES (?, ?, ?, ?, {ISO})", self.rows.messages)
        self.db.executemany("INSERT INTO tickets (conversation_id, pipeline, stage, priority, status)"
                            " VALUES (?, ?, ?, ?, ?)", self.rows.tickets)
        self.rows = _Rows()


def _seed_contacts(db: sqlite3.Connection, rng: random.Random, now_ts: int, count: int) -> _Directory:
    users = {r[0]: r[1] for r in db.execute("SELECT email, id FROM users")}
    inboxes = {r[0]: r[1] for r in db.execute("SELECT name, id FROM inboxes")}
    people = max(20, min(count // 3, 20_000))
    rows = [(index + 1, *_person(rng, index), _owner(rng, users)) for index in range(people)]
    rows += [(people + offset + 1, email, "Role-based sender", None) for offset, email in enumerate(ROLE_SENDERS)]
    db.executemany("INSERT INTO contacts (id, email, name, owner_id) VALUES (?, ?, ?, ?)", rows)
    # F56: a few people were blocked by hand; their conversations are filtered.
    blocked = frozenset(rng.sample(range(1, people + 1), k=max(1, people // 50)))
    db.executemany(f"INSERT INTO blocked_senders (address, blocked_at) VALUES (?, {ISO})",
                   [(rows[i - 1][1], now_ts - int(rng.uniform(1, SPAN_DAYS) * DAY)) for i in sorted(blocked)])
    return _Directory(users=users, inboxes=inboxes, people=[(r[0], r[1]) for r in rows[:people]],
                      role_senders=[(r[0], r[1]) for r in rows[people:]], blocked=blocked)


def _person(rng: random.Random, index: int) -> tuple[str, str]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return f"{first.lower()}.{last.lower()}{index + 1}@example.com", f"{first} {last}"


def _owner(rng: random.Random, users: dict[str, int]) -> int | None:
    return users[rng.choice(ACTIVE_AGENTS[:5])] if rng.random() < 0.7 else None


def _conversation(rows: _Rows, rng: random.Random, directory: _Directory, now_ts: int, cid: int,
                  age_days: float) -> None:
    inbox, channel, channel_name = _pick_channel(rng)
    created = now_ts - int(age_days * DAY)
    role_based = channel == "email" and rng.random() < 0.03
    contact_id, email = rng.choice(directory.role_senders if role_based else directory.people)
    spam = role_based or (channel == "email" and rng.random() < 0.01)
    filtered = contact_id in directory.blocked
    outgoing = channel == "email" and not spam and not filtered and rng.random() < 0.08
    closed = not outgoing and rng.random() < 0.15 + 0.7 * age_days / SPAN_DAYS
    assignee, bot = _pick_assignee(rng, directory.users, channel, age_days, spam)
    subject = rng.choice(SPAM_SUBJECTS) if spam else rng.choice(SUBJECTS[inbox]).format(n=rng.randint(1000, 9999))
    last = _messages(rows, rng, cid, email, created, now_ts, outgoing, bool(assignee or bot))
    closed_at = min(now_ts, last + int(rng.uniform(1, 72) * HOUR)) if closed else None
    rows.conversations.append((
        cid, directory.inboxes[inbox], channel, channel_name, subject, contact_id, assignee, int(bot),
        "closed" if closed else "open", int(outgoing), int(spam), int(filtered),
        _trashed_at(rng, created, now_ts), created, last, closed_at))
    if inbox == "Support" and channel in ("email", "form") and not spam and rng.random() < 0.35:
        _ticket(rows, rng, cid, closed)


def _pick_channel(rng: random.Random) -> tuple[str, str, str]:
    inbox, channel, name, _ = rng.choices(CHANNELS, cum_weights=_CUMULATIVE_WEIGHTS)[0]
    return inbox, channel, name


def _pick_assignee(rng: random.Random, users: dict[str, int], channel: str, age_days: float,
                   spam: bool) -> tuple[int | None, bool]:
    """A user id or None, and whether a bot has it (F50 Bots: a bot and no user yet)."""
    if spam or rng.random() < 0.22:
        return None, False
    if channel == "chat" and rng.random() < 0.25:
        return None, True
    if age_days > 45 and rng.random() < 0.12:
        return users[DEACTIVATED_AGENT], False  # frank left; his old conversations are still his
    return users[rng.choice(ACTIVE_AGENTS)], False


def _messages(rows: _Rows, rng: random.Random, cid: int, email: str, created: int, now_ts: int,
              outgoing: bool, answered: bool) -> int:
    """Append the thread and the odd internal comment; return the time of the last message."""
    at = created
    rows.messages.append((cid, "outgoing" if outgoing else "incoming", "agent" if outgoing else email,
                          "Hello, about my request...", at))
    for _ in range(0 if outgoing or not answered else rng.randint(0, 3)):
        at = min(now_ts, at + int(rng.uniform(0.1, 30) * HOUR))
        if rng.random() < 0.5:
            rows.messages.append((cid, "outgoing", "agent", rng.choice(REPLIES), at))
        else:
            rows.messages.append((cid, "incoming", email, "Any update?", at))
    if rng.random() < 0.15:
        at = min(now_ts, at + int(rng.uniform(1, 600) * 60))
        rows.messages.append((cid, "comment", rng.choice(ACTIVE_AGENTS[:5]), rng.choice(COMMENTS), at))
    return at


def _trashed_at(rng: random.Random, created: int, now_ts: int) -> int | None:
    """About 6% in trash: most recently (restorable), some more than 30 days ago (purged on first use)."""
    roll = rng.random()
    if roll >= 0.06:
        return None
    days_ago = rng.uniform(0, 29) if roll < 0.045 else rng.uniform(31, 80)
    return max(created, now_ts - int(days_ago * DAY))


def _ticket(rows: _Rows, rng: random.Random, cid: int, closed: bool) -> None:
    stage = "Closed" if closed else rng.choice(["New", "Waiting on contact", "Waiting on us"])
    rows.tickets.append((cid, "Support Pipeline", stage, rng.choice(PRIORITIES), "closed" if closed else "open"))


_CUMULATIVE_WEIGHTS = [sum(c[3] for c in CHANNELS[: i + 1]) for i in range(len(CHANNELS))]
