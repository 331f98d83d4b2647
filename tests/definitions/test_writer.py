"""``export``: files written from the live configuration, on a real local backend.

Exporting over a user's file is an edit, not a rewrite: comments, key order and the user's
own spelling stay; only settings that changed on the server change in the file."""

from __future__ import annotations

import difflib
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from inboxctl.backends.local.backend import LocalBackend
from inboxctl.definitions.exporter import export_to_directory, select_inboxes
from inboxctl.definitions.loader import load_definitions, parse_definition
from inboxctl.definitions.writer import merge_into, render_new
from inboxctl.planner.service import apply_plan, make_plan

CONFIGS = Path(__file__).resolve().parents[2] / "configs"

# A user's file: comments above and beside settings, keys in the user's order, values in the
# user's spelling (lower-case colour, spaced phone number, days as a list, members unsorted).
USER_FILE = """\
# Helpdesk: owned by the support team.
[inbox]
name = "Helpdesk"
members = ["carol@acme.example", "alice@acme.example"]  # not sorted on purpose

# Opening hours
[business_hours]
hours = [
  { days = ["tue", "mon", "wed", "thu", "fri"], open = "9:00", close = "17:00" },  # weekdays
]
timezone = "Europe/Paris"

# The team address
[[channels]]
type = "email"
address = "help@acme.example"

# The chat on the docs site
[[channels]]
type = "chat"
name = "Docs chat"
color = "#ff7a59"   # brand orange
welcome_message = "Hello!"

# Facebook
[[channels]]
type = "messenger"
page = "Acme Corp"
gdpr = { enabled = true, text = "We keep your messages." }

# Forms create tickets
[[channels]]
type = "form"
form = "Contact us"
create_tickets = false
"""


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[LocalBackend]:
    opened = LocalBackend.open(tmp_path / "local.sqlite3", conversations=0)
    yield opened
    opened.close()


@pytest.fixture
def user_dir(tmp_path: Path, backend: LocalBackend) -> Path:
    """The user's definitions directory, applied to the server."""
    directory = tmp_path / "defs"
    directory.mkdir()
    (directory / "helpdesk.toml").write_text(USER_FILE, encoding="utf-8")
    apply_definitions(backend, USER_FILE)
    return directory


def apply_definitions(backend: LocalBackend, source: str) -> None:
    inbox, problems = parse_definition(source, "server-side.toml")
    assert problems == []
    report = apply_plan(backend, make_plan(backend, [inbox]))
    assert report.complete


def change_on_server(backend: LocalBackend, old: str, new: str, source: str = USER_FILE) -> None:
    """Someone changes a setting in the web app: the server differs, the user's file does not."""
    assert old in source
    apply_definitions(backend, source.replace(old, new))


def export_helpdesk(backend: LocalBackend, directory: Path) -> tuple[str, str]:
    results = export_to_directory(select_inboxes(backend, ("Helpdesk",)), directory)
    assert [result.path.name for result in results] == ["helpdesk.toml"]
    return results[0].outcome, (directory / "helpdesk.toml").read_text(encoding="utf-8")


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def comments(text: str) -> list[str]:
    return re.findall(r"(?:^|\s)(# .*)$", text, re.MULTILINE)


def plan_is_empty(backend: LocalBackend, directory: Path) -> bool:
    return make_plan(backend, load_definitions([directory])).is_empty()


def test_an_unchanged_file_is_left_byte_for_byte(backend: LocalBackend, user_dir: Path) -> None:
    path = user_dir / "helpdesk.toml"
    written_at = path.stat().st_mtime_ns
    outcome, text = export_helpdesk(backend, user_dir)
    assert outcome == "unchanged"
    assert text == USER_FILE  # the user's spelling (#ff7a59, 9:00, unsorted lists) means the same: kept
    assert path.stat().st_mtime_ns == written_at


def test_a_colour_changed_on_the_server_changes_only_that_line(backend: LocalBackend, user_dir: Path) -> None:
    change_on_server(backend, 'color = "#ff7a59"', 'color = "#00A4BD"')

    outcome, text = export_helpdesk(backend, user_dir)

    assert outcome == "updated"
    assert changed_lines(USER_FILE, text) == (['color = "#ff7a59"   # brand orange'],
                                              ['color = "#00A4BD"   # brand orange'])
    assert comments(text) == comments(USER_FILE)
    assert plan_is_empty(backend, user_dir)


def test_several_changes_keep_comments_and_key_order(backend: LocalBackend, user_dir: Path) -> None:
    server_side = (USER_FILE.replace('"carol@acme.example", "alice@acme.example"', '"bob@acme.example"')
                   .replace('timezone = "Europe/Paris"', 'timezone = "Europe/London"')
                   .replace('gdpr = { enabled = true, text = "We keep your messages." }',
                            'gdpr = { enabled = true, text = "We keep your messages for a year." }'))
    apply_definitions(backend, server_side)

    _, text = export_helpdesk(backend, user_dir)

    removed, added = changed_lines(USER_FILE, text)
    assert removed == ['members = ["carol@acme.example", "alice@acme.example"]  # not sorted on purpose',
                       'timezone = "Europe/Paris"',
                       'gdpr = { enabled = true, text = "We keep your messages." }']
    assert added == ['members = ["bob@acme.example"]  # not sorted on purpose',
                     'timezone = "Europe/London"',
                     'gdpr = { enabled = true, text = "We keep your messages for a year." }']
    assert comments(text) == comments(USER_FILE)
    assert text.index("hours = [") < text.index("timezone =")  # the user's key order, not the spec's
    assert plan_is_empty(backend, user_dir)


def test_a_setting_unset_on_the_server_is_removed_from_the_file(backend: LocalBackend, user_dir: Path) -> None:
    change_on_server(backend, 'welcome_message = "Hello!"\n', "")
    _, text = export_helpdesk(backend, user_dir)
    assert changed_lines(USER_FILE, text) == (['welcome_message = "Hello!"'], [])
    assert plan_is_empty(backend, user_dir)


def test_a_channel_removed_on_the_server_disappears_and_comments_stay_with_their_channels(
        backend: LocalBackend, user_dir: Path) -> None:
    messenger = ('# Facebook\n[[channels]]\ntype = "messenger"\npage = "Acme Corp"\n'
                 'gdpr = { enabled = true, text = "We keep your messages." }\n\n')
    change_on_server(backend, messenger, "")

    _, text = export_helpdesk(backend, user_dir)

    assert text == USER_FILE.replace(messenger, "")
    assert "# Forms create tickets\n[[channels]]\ntype = \"form\"" in text
    assert plan_is_empty(backend, user_dir)


def test_removing_the_first_channel_keeps_the_comment_of_the_next(backend: LocalBackend, user_dir: Path) -> None:
    email = '# The team address\n[[channels]]\ntype = "email"\naddress = "help@acme.example"\n\n'
    change_on_server(backend, email, "")
    _, text = export_helpdesk(backend, user_dir)
    assert text == USER_FILE.replace(email, "")


def test_a_channel_added_on_the_server_is_appended_with_its_non_default_settings(
        backend: LocalBackend, user_dir: Path) -> None:
    change_on_server(backend, USER_FILE, USER_FILE + (
        '\n[[channels]]\ntype = "chat"\nname = "Pricing chat"\ncolor = "#425B76"\nposition = "bottom-left"\n'
        'show_branding = true\n'))

    _, text = export_helpdesk(backend, user_dir)

    # the defaults (colour #425B76, branding shown) are not written; the rest of the file is untouched
    assert text == USER_FILE + '\n[[channels]]\ntype = "chat"\nname = "Pricing chat"\nposition = "bottom-left"\n'
    assert plan_is_empty(backend, user_dir)


def test_a_table_added_on_the_server_is_added_to_the_file(backend: LocalBackend, user_dir: Path) -> None:
    change_on_server(backend, "# Opening hours\n", '[routing]\nmode = "users_and_teams"\nteams = ["Tier 1"]\n\n'
                                                 "# Opening hours\n")
    _, text = export_helpdesk(backend, user_dir)
    assert text.startswith(USER_FILE)  # appended: nothing the user wrote moves
    assert text[len(USER_FILE):] == '\n[routing]\nmode = "users_and_teams"\nteams = ["Tier 1"]\n'
    assert plan_is_empty(backend, user_dir)


def test_export_over_the_examples_then_plan_is_empty(tmp_path: Path, backend: LocalBackend) -> None:
    directory = tmp_path / "configs"
    shutil.copytree(CONFIGS, directory, ignore=shutil.ignore_patterns("chatwoot"))
    examples = {path.name: path.read_text(encoding="utf-8") for path in directory.glob("*.toml")}
    apply_plan(backend, make_plan(backend, load_definitions([directory])))

    results = export_to_directory(select_inboxes(backend, ()), directory)

    by_file = {result.path.name: result.outcome for result in results}
    assert all(by_file[name] == "unchanged" for name in examples), by_file
    assert {name: (directory / name).read_text(encoding="utf-8") for name in examples} == examples
    assert plan_is_empty(backend, directory)


# -- new files ------------------------------------------------------------------------------------

def test_a_new_file_says_only_what_differs_from_the_defaults() -> None:
    source = """\
[inbox]
name = "Billing"
members = ["bob@acme.example"]
teams = []
protect = false

[email_filters]
filter_role_based = false

[routing]
mode = "unassigned"
only_available = true

[[channels]]
type = "email"
address = "billing@acme.example"
provider = "forwarding"
sender_name = "agent_and_company"
signature_format = "text"

[[channels]]
type = "chat"
name = "Billing chat"
color = "#425b76"
position = "bottom-left"
when_away = { action = "show_message" }
"""
    inbox, problems = parse_definition(source, "billing.toml")
    assert problems == []
    assert render_new(inbox) == """\
[inbox]
name = "Billing"
members = ["bob@acme.example"]

[[channels]]
type = "email"
address = "billing@acme.example"

[[channels]]
type = "chat"
name = "Billing chat"
position = "bottom-left"
"""


def test_new_files_get_a_schema_line_only_when_a_schema_is_there(tmp_path: Path, backend: LocalBackend) -> None:
    apply_definitions(backend, USER_FILE)
    inboxes = select_inboxes(backend, ("Helpdesk",))

    bare = tmp_path / "bare"
    export_to_directory(inboxes, bare)
    assert "#:schema" not in (bare / "helpdesk.toml").read_text(encoding="utf-8")

    with_schema = tmp_path / "with-schema"
    (with_schema / "schema").mkdir(parents=True)
    (with_schema / "schema" / "inbox.schema.json").write_text("{}", encoding="utf-8")
    export_to_directory(inboxes, with_schema)
    first = (with_schema / "helpdesk.toml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "#:schema ./schema/inbox.schema.json"

    nested = with_schema / "team-a"  # the schema one level up, as for configs/chatwoot/
    export_to_directory(inboxes, nested)
    first = (nested / "helpdesk.toml").read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("#:schema ")
    assert (nested / first.removeprefix("#:schema ")).resolve() == (with_schema / "schema" / "inbox.schema.json")


@pytest.mark.parametrize("snippet", [
    '[business_hours]\nhours = []\n',                                   # has business hours, none open yet
    '[business_hours]\n',
    '[routing]\nmode = "contact_owner"\nfallback = {}\n',                # a fallback of nobody
    '[routing]\nmode = "contact_owner"\nfallback = { users = [], teams = [] }\n',
    '[[channels]]\ntype = "messenger"\npage = "Acme Corp"\ngdpr = { enabled = false }\n',
    '[[channels]]\ntype = "form"\nform = "Contact us"\nticket_defaults = {}\nrouting = {}\n',
    '[[channels]]\ntype = "chat"\nname = "C"\nheading = { mode = "users_and_teams", users = [] }\n'
    'when_away = { action = "show_message" }\ntranscripts = { auto_send = false }\n',
])
def test_a_new_file_reads_back_as_the_same_definition(snippet: str) -> None:
    inbox, problems = parse_definition('[inbox]\nname = "A"\n\n' + snippet, "given.toml")
    assert problems == []
    again, problems = parse_definition(render_new(inbox), "exported.toml")
    assert problems == []
    assert again.settings == inbox.settings
    assert [(c.type, c.settings) for c in again.channels] == [(c.type, c.settings) for c in inbox.channels]


def test_merging_into_a_file_whose_channels_are_all_removed_keeps_the_rest() -> None:
    source = '# top\n[inbox]\nname = "A"  # the name\n\n# chats\n[[channels]]\ntype = "chat"\nname = "C"\n'
    written, _ = parse_definition(source, "a.toml")
    live, _ = parse_definition('[inbox]\nname = "A"\n', "live.toml")
    merged = merge_into(source, written, live)
    assert merged.startswith('# top\n[inbox]\nname = "A"  # the name\n')
    assert "[[channels]]" not in merged and "chat" not in merged
    again, problems = parse_definition(merged, "merged.toml")
    assert problems == [] and again.channels == []
